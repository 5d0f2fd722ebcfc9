"""One audit of one address: reachability, then every probe, then findings, grade and profiles.

Phase 1 enumerates the six protocols at once (each a chain of bundled hellos).
Phase 2 runs everything that depends on what phase 1 found, concurrently, within
the prober's per-host connection cap and time budget. Nothing here prints; the
result is a JSON-ready dict (schema: docs/check.schema.json).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import time
from dataclasses import dataclass, field, replace

from port443.audit import certs as C, features as F, groups as G, http as H, vulns as V
from port443.audit.grade import compute_grade, ec_equivalent
from port443.audit.hellos import EC_GROUPS, FFDHE_GROUPS, PROTOCOLS, HelloOptions, client_hello, sni_for
from port443.audit.kx import load_der
from port443.audit.suite_registry import BY_CODE
from port443.audit.mozilla import SOURCE as MOZILLA_SOURCE, VERSION as MOZILLA_VERSION, cert_facts, check_profiles
from port443.audit.prober import BudgetExceeded, Limits, Prober, Target, Unreachable
from port443.audit.suites import ProtocolResult, enumerate_protocol
from port443.net.probe import describe_answer, is_tls_record
from port443.pki.trust import TrustStore, cached_cafile

SCHEMA = "port443.check/1"
LEGACY = ("TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3")


@dataclass
class CheckOptions:
    limits: Limits = field(default_factory=Limits)
    cafile: str | None = None
    http_port: int | None = 80  # None: skip the port-80 check
    depth: str = "full"  # "full" or "quick" (handshake and certificate only, for mass mode)
    server_name: str | None = None  # override SNI / the name certificates are checked against
    trust_store: TrustStore | None = None  # overrides cafile (programmatic use)

    def store(self) -> TrustStore:
        if self.trust_store is not None:
            return self.trust_store
        return cached_cafile(str(self.cafile)) if self.cafile else TrustStore.mozilla()


async def resolve(host: str, port: int) -> list[str]:
    """Every A and AAAA address of `host` (an IP literal is its own)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
        return [host.strip("[]")]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for family, _, _, _, sockaddr in infos:
        if sockaddr[0] not in out:
            out.append(sockaddr[0])
    return out


async def check_host(host: str, port: int, opts: CheckOptions) -> list[dict]:
    """One report per address of `host`."""
    try:
        addresses = await resolve(host, port)
    except (socket.gaierror, UnicodeError) as exc:
        return [_base(host, None, port, None) | {"reachability": {
            "status": "unresolved", "detail": f"cannot resolve {host!r}: {exc}"}}]
    name = opts.server_name or (sni_for(host) or host.strip("[]"))
    results = await asyncio.gather(*(check_address(Target(host, a, port, name), opts) for a in addresses))
    return list(results)


def _base(host: str, address: str | None, port: int, name: str | None) -> dict:
    return {"schema": SCHEMA, "target": {"host": host, "address": address, "port": port, "server_name": name},
            "checked_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


async def reachability(prober: Prober) -> dict:
    opts = HelloOptions(server_name=sni_for(prober.target.server_name or ""))
    try:
        answer = await prober.ask(client_hello("TLSv1.2", [0xC02F, 0xC02B, 0x009C, 0x002F, 0x000A], opts))
    except Unreachable as exc:
        text, status = str(exc), exc.kind
        hint = {"filtered": "a firewall drops the packets, or the host is down",
                "closed": "nothing listens on the port (the host answered with a reset)",
                "unreachable": "no route to the host"}[status]
        return {"status": status, "detail": f"{text}: {hint}"}
    data = bytes(answer.data[:16])
    if data and not is_tls_record(data):
        return {"status": "not-tls", "detail": f"the port answers with {describe_answer(bytes(answer.data))}"}
    if not data:
        return {"status": "not-tls", "detail": f"the port accepts connections but answered a ClientHello with "
                                               f"{answer.describe()}"}
    return {"status": "open", "detail": f"a TLS server answered ({answer.describe()})"}


async def check_address(target: Target, opts: CheckOptions) -> dict:
    prober = Prober(target, opts.limits)
    report = _base(target.host, target.address, target.port, target.server_name)
    try:
        report["reachability"] = await reachability(prober)
        if report["reachability"]["status"] == "open":
            if opts.depth == "quick":
                await _quick(prober, opts, report)
            else:
                await _full(prober, opts, report)
    except BudgetExceeded as exc:
        report.setdefault("not_tested", []).append(str(exc))
    except Unreachable as exc:
        report.setdefault("not_tested", []).append(f"the host stopped answering: {exc}")
    report["connections"] = prober.connections
    report["duration_s"] = round(time.monotonic() - prober.started, 4)
    return report


# --- quick: one handshake and the certificate (mass mode) -------------------------------------------

async def _quick(prober: Prober, opts: CheckOptions, report: dict) -> None:
    from port443.tls import ClientConfig
    from cryptography.hazmat.primitives.serialization import Encoding

    run = await prober.handshake(ClientConfig(server_name=sni_for(prober.target.server_name or ""), verify=False))
    done = run.complete
    if done is None:
        report["handshake"] = {"ok": False, "error": run.error or ("timeout" if run.timed_out else "closed")}
        return
    from port443.tls.enums import NamedGroup, name_of
    from port443.audit.suite_registry import suite_name
    report["handshake"] = {"ok": True, "version": done.version, "suite": suite_name(done.cipher_suite),
                           "group": name_of(NamedGroup, done.group) if done.group else None,
                           "alpn": done.alpn_protocol}
    chain = [c.public_bytes(Encoding.DER) for c in done.peer_certificates]
    report["certificates"] = [_chain_json(c) for c in C.review_chains([(done.version, chain)],
                                                                        prober.target.server_name, opts.store())]


# --- full ------------------------------------------------------------------------------------------

async def _full(prober: Prober, opts: CheckOptions, report: dict) -> None:
    target = prober.target
    sni = sni_for(target.server_name or "")
    hello = HelloOptions(server_name=sni)
    results = await asyncio.gather(*(enumerate_protocol(prober, p, hello) for p in PROTOCOLS))
    protos = {r.protocol: r for r in results}
    supported = [p for p in PROTOCOLS if protos[p].supported]
    report["protocols"] = {p: {"supported": protos[p].supported, "detail": protos[p].detail} for p in PROTOCOLS}
    report["suites"] = {p: _suites_json(protos[p]) for p in supported}
    legacy = next((p for p in LEGACY if protos[p].supported), None)
    legacy_codes = [a.suite.code for a in protos[legacy].accepted] if legacy else []
    tls13 = protos["TLSv1.3"].supported
    tls12 = protos["TLSv1.2"].supported
    feats = F.Features()
    grp = G.GroupResult()
    schemes = G.SchemeResult()
    http = H.HttpResult()
    vul: dict[str, V.Finding] = {}
    chains: list[tuple[str, list[bytes]]] = []
    for p in supported:
        for a in protos[p].accepted:
            if a.chain:
                chains.append((f"{p} {a.suite.auth} suites", a.chain))

    async def groups13():
        grp.tls13 = await G.tls13_groups(prober, hello, [a.suite.code for a in protos["TLSv1.3"].accepted])

    async def groups12():
        ecdhe = [a.suite.code for a in protos[legacy].accepted if a.suite.kx_kind == "ECDHE"]
        dhe = [a.suite.code for a in protos[legacy].accepted if a.suite.kx_kind == "DHE"]
        jobs = []
        if ecdhe:
            jobs.append(G.tls12_groups(prober, legacy, hello, ecdhe, "ECDHE", EC_GROUPS, grp,
                                       _ecdsa_curve(protos[legacy])))
        if dhe:
            jobs.append(G.tls12_groups(prober, legacy, replace(hello, groups=FFDHE_GROUPS), dhe, "DHE",
                                       FFDHE_GROUPS, grp))
        out = await asyncio.gather(*jobs)
        if ecdhe:
            grp.tls12_ec = out[0]
        if dhe:
            grp.tls12_dh = out[-1]

    async def schemes12():
        fs = [a.suite.code for a in protos["TLSv1.2"].accepted if a.suite.kx_kind in ("ECDHE", "DHE")]
        if fs:
            schemes.tls12 = await G.tls12_schemes(prober, "TLSv1.2", hello, fs)

    async def schemes13():
        schemes.tls13 = await G.tls13_schemes(prober, sni)

    async def extensions():
        cbc = [c for c in legacy_codes if BY_CODE[c].cbc]
        await F.tls12_extensions(prober, legacy, hello, legacy_codes, cbc, feats)
        if legacy != "SSLv3":
            await F.alpn_each(prober, legacy, hello, legacy_codes, feats)

    async def https_and_resumption13():
        version = "TLSv1.3" if tls13 else "TLSv1.2"
        run = await prober.handshake(F.engine_config(sni, version), H.request(target.server_name or target.address))
        H.read_https(run, http)
        if tls13:
            await F.resumption_tls13(prober, run, sni, feats)
            if not legacy:
                await _alpn13(prober, sni, feats)

    async def port80():
        if opts.http_port:
            await H.port80_redirect(prober, target.server_name or target.address, opts.http_port, http)
        else:
            http.redirect, http.redirect_detail = "unknown", "not checked (--no-http)"

    async def certs13():
        for family, ders in (await C.tls13_chains(prober, sni)).items():
            chains.append((f"TLSv1.3 {family}", ders))

    async def resumption12_and_ticketbleed():
        await F.resumption_tls12(prober, sni, feats)
        suites12 = [a.suite.code for a in protos["TLSv1.2"].accepted]
        vul["ticketbleed"] = await V.ticketbleed(prober, feats.session_ticket_tls12, suites12, hello)

    async def vulns_legacy():
        rsa = [a.suite.code for a in protos[legacy].accepted if a.suite.kx_kind == "RSA" and not a.suite.export]
        vul["heartbleed"], vul["ccs_injection"], vul["robot"] = await asyncio.gather(
            V.heartbleed(prober, legacy, legacy_codes, hello),
            V.ccs_injection(prober, legacy, legacy_codes, hello),
            V.robot(prober, legacy, rsa, hello))

    async def fallback():
        order = [p for p in ("TLSv1.3",) + LEGACY if protos[p].supported]
        lower = order[1] if len(order) > 1 else None
        suites = [a.suite.code for a in protos[lower].accepted] if lower else []
        vul["fallback_scsv"] = await V.fallback_scsv(prober, lower, suites, hello)

    async def renegotiation():
        vul["client_renegotiation"] = await V.client_renegotiation(prober, sni, tls12)

    jobs = [port80(), fallback()]
    if tls13:
        jobs += [groups13(), schemes13(), certs13()]
    if tls13 or tls12:
        jobs.append(https_and_resumption13())
    if legacy:
        jobs += [groups12(), extensions(), vulns_legacy()]
    if tls12:
        jobs += [schemes12(), resumption12_and_ticketbleed(), renegotiation()]
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BudgetExceeded):
            report.setdefault("not_tested", []).append(str(outcome))
        elif isinstance(outcome, Unreachable):
            report.setdefault("not_tested", []).append(f"a probe could not connect: {outcome}")
        elif isinstance(outcome, Exception):
            raise outcome
    _inferences(protos, supported, feats, vul, legacy)
    store = opts.store()
    reviewed = C.review_chains(chains, target.server_name or target.address, store)
    report["groups"] = {"TLSv1.3": grp.tls13, "TLSv1.2": grp.tls12_ec, "TLSv1.2_ffdhe": grp.tls12_dh,
                        "notes": grp.notes}
    report["signature_algorithms"] = {"TLSv1.2": schemes.tls12, "TLSv1.3": schemes.tls13}
    report["features"] = _features_json(feats, legacy)
    report["certificates"] = [_chain_json(c) for c in reviewed]
    report["trust_store"] = store.name
    report["http"] = _http_json(http)
    report["vulnerabilities"] = {k: vul[k].to_json() for k in VULN_ORDER if k in vul}
    facts = grade_facts(protos, supported, feats, vul, reviewed, http, grp)
    report["grade"] = compute_grade(facts).to_json()
    report["mozilla"] = {"version": MOZILLA_VERSION, "source": MOZILLA_SOURCE, "profiles": [
        {"profile": r.profile, "compliant": r.compliant, "deviations": r.deviations}
        for r in check_profiles(_mozilla_facts(protos, supported, grp, reviewed))]}


def _ecdsa_curve(result: ProtocolResult) -> int | None:
    """The named curve of the ECDSA certificate the ECDHE-ECDSA suites came with, if any."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from port443.tls.enums import NamedGroup
    names = {"secp256r1": NamedGroup.secp256r1, "secp384r1": NamedGroup.secp384r1, "secp521r1": NamedGroup.secp521r1}
    for a in result.accepted:
        if a.suite.auth == "ECDSA" and a.chain:
            cert = load_der(a.chain[0])
            key = cert.public_key() if cert is not None else None
            if isinstance(key, ec.EllipticCurvePublicKey):
                return names.get(key.curve.name)
    return None


async def _alpn13(prober: Prober, sni: str | None, feats: F.Features) -> None:
    accepted = []
    for proto in ("h2", "http/1.1"):
        run = await prober.handshake(F.engine_config(sni, "TLSv1.3", alpn_protocols=(proto,)))
        if run.complete is not None and run.complete.alpn_protocol == proto:
            accepted.append(proto)
    feats.alpn, feats.alpn_checked = accepted, True


VULN_ORDER = ("heartbleed", "ccs_injection", "robot", "secure_renegotiation", "client_renegotiation", "crime",
              "fallback_scsv", "poodle", "beast", "sweet32", "freak", "logjam", "drown", "rc4", "null",
              "anonymous", "zero_rtt", "ticketbleed")


def _accepted(protos: dict[str, ProtocolResult], supported: list[str]):
    return [(p, a) for p in supported for a in protos[p].accepted]


def _inferences(protos, supported, feats: F.Features, vul: dict, legacy: str | None) -> None:
    acc = _accepted(protos, supported)

    def names(pred, only=None):
        return sorted({a.suite.name for p, a in acc if pred(a.suite) and (only is None or p in only)})

    def infer(key, found, yes, no, severity="high"):
        vul[key] = V.Finding(V.VULNERABLE, "inference", yes(found), severity) if found else V.Finding(V.OK, "inference", no)

    cbc3 = names(lambda s: s.cbc, ("SSLv3",))
    infer("poodle", cbc3, lambda f: f"SSLv3 with CBC suites: {', '.join(f[:4])}",
          "no CBC suite in SSLv3" if "SSLv3" in supported else "SSLv3 is not accepted")
    cbc10 = names(lambda s: s.cbc, ("SSLv3", "TLSv1"))
    infer("beast", cbc10, lambda f: f"CBC suites in TLS 1.0/SSLv3 ({len(f)}); browsers mitigate it with 1/n-1 "
                                    "record splitting", "no CBC suite in TLS 1.0 or SSLv3", "low")
    infer("sweet32", names(lambda s: s.block64), lambda f: f"64-bit block ciphers: {', '.join(f[:4])}",
          "no 64-bit block cipher (3DES, DES, IDEA, RC2) is accepted", "medium")
    infer("freak", names(lambda s: s.export_rsa), lambda f: f"export RSA suites: {', '.join(f[:4])}",
          "no export RSA suite is accepted")
    weak_dh = sorted({f"{a.suite.name} ({a.kx.bits}-bit prime)" for p, a in acc
                      if a.kx and a.kx.kind == "DHE" and a.kx.bits and a.kx.bits <= 1024 and not a.suite.export})
    infer("logjam", names(lambda s: s.export_dh) + weak_dh, lambda f: f"export or <= 1024-bit DH: {', '.join(f[:4])}",
          "no export DH suite and no DH prime of 1024 bits or less")
    infer("drown", ["SSLv2"] if "SSLv2" in supported else [],
          lambda f: "SSLv2 is accepted on this host: its RSA key can be attacked through it",
          "SSLv2 is not accepted on this address (a key shared with another SSLv2 host cannot be seen from here)")
    infer("rc4", names(lambda s: s.rc4), lambda f: f"RC4 suites: {', '.join(f[:4])}", "no RC4 suite is accepted")
    infer("null", names(lambda s: s.null), lambda f: f"NULL suites (no encryption): {', '.join(f[:4])}",
          "no NULL suite is accepted")
    infer("anonymous", names(lambda s: s.anonymous), lambda f: f"anonymous suites (no authentication): "
                                                               f"{', '.join(f[:4])}", "no anonymous suite is accepted")
    if legacy and legacy != "SSLv3" and feats.compression is not None:
        infer("crime", ["DEFLATE"] if feats.compression else [],
              lambda f: "the server chose DEFLATE compression when offered", "the server refused DEFLATE compression")
    elif legacy or "TLSv1.3" in supported:
        vul["crime"] = V.Finding(V.OK, "inference", "TLS 1.3 has no compression" if not legacy else
                                 "SSLv3 hellos were not offered compression")
    if legacy and legacy != "SSLv3":
        ri = feats.extensions.get("renegotiation_info")
        vul["secure_renegotiation"] = (
            V.Finding(V.OK, "inference", "the server supports RFC 5746 secure renegotiation") if ri else
            V.Finding(V.VULNERABLE, "inference", "the server does not answer renegotiation_info (RFC 5746): "
                                                 "renegotiation, if it allows any, is insecure", "medium"))
    elif legacy == "SSLv3":
        vul["secure_renegotiation"] = V.Finding(V.UNKNOWN, "inference", "only SSLv3 below TLS 1.3")
    else:
        vul["secure_renegotiation"] = V.Finding(V.NA, "inference", "TLS 1.3 only: no renegotiation")
    if "TLSv1.3" in supported:
        if feats.early_data:
            vul["zero_rtt"] = V.Finding(V.VULNERABLE, "probe", f"TLS 1.3 tickets allow {feats.early_data} bytes of "
                                        "0-RTT data, which an attacker can replay", "low")
        elif feats.early_data == 0:
            vul["zero_rtt"] = V.Finding(V.OK, "probe", "the server's TLS 1.3 ticket offers no early data")
        else:
            vul["zero_rtt"] = V.Finding(V.UNKNOWN, "probe", "no TLS 1.3 ticket arrived to tell")
    else:
        vul["zero_rtt"] = V.Finding(V.NA, "inference", "0-RTT exists only in TLS 1.3")
    if "TLSv1.2" not in supported:
        vul.setdefault("ticketbleed", V.Finding(V.NA, "inference", "no TLS 1.2"))
        vul.setdefault("client_renegotiation", V.Finding(V.NA, "inference", "no TLS 1.2"))
    if not legacy:
        for k in ("heartbleed", "ccs_injection", "robot"):
            vul.setdefault(k, V.Finding(V.NA, "inference", "TLS 1.3 only: the flaw lives in TLS 1.2 and earlier"))


def grade_facts(protos, supported, feats: F.Features, vul: dict, reviewed, http: H.HttpResult, grp) -> dict:
    acc = _accepted(protos, supported)
    kx_bits = []
    dh_bits = []
    for p, a in acc:
        if a.kx is None:
            continue
        if a.kx.kind in ("DHE", "RSA-export", "RSA"):
            kx_bits.append(a.kx.bits)
        if a.kx.kind == "DHE":
            dh_bits.append(a.kx.bits)
        if a.kx.kind == "ECDHE" and a.kx.bits:
            kx_bits.append(ec_equivalent(a.kx.bits))
    rsa_bits = [c.key_bits for c in reviewed if c.key_type == "RSA"]
    for c in reviewed:
        kx_bits.append(c.key_bits if c.key_type == "RSA" else ec_equivalent(c.key_bits))
    modern = [a for p, a in acc if p in ("TLSv1.2", "TLSv1.3")]
    first_choice = [protos[p].accepted[0].suite for p in ("TLSv1.3", "TLSv1.2") if protos[p].accepted]
    return {
        "protocols": [p for p in supported],
        "weakest_kx_bits": min(kx_bits) if kx_bits else 0,
        "anonymous": any(a.suite.anonymous for _, a in acc),
        "export": any(a.suite.export for _, a in acc),
        "null": any(a.suite.null for _, a in acc),
        "rc4": any(a.suite.rc4 for _, a in acc),
        "block64": any(a.suite.block64 for p, a in acc if p in ("TLSv1.1", "TLSv1.2", "TLSv1.3")),
        "tls11_or_better": any(p in supported for p in ("TLSv1.1", "TLSv1.2", "TLSv1.3")),
        "cipher_bits": [a.suite.bits for _, a in acc],
        "aead": any(a.suite.aead for a in modern),
        "forward_secrecy": bool(first_choice) and all(s.forward_secret for s in first_choice),
        "compression": bool(feats.compression),
        "secure_renegotiation": vul.get("secure_renegotiation", V.Finding(V.OK, "", "")).status != V.VULNERABLE,
        "renegotiation_applies": any(p in supported for p in LEGACY),
        "insecure_client_renegotiation": (vul.get("client_renegotiation") is not None
                                          and vul["client_renegotiation"].status == V.VULNERABLE
                                          and vul.get("secure_renegotiation") is not None
                                          and vul["secure_renegotiation"].status == V.VULNERABLE),
        "vulns": {k: f.status for k, f in vul.items()},
        "min_cert_rsa_bits": min(rsa_bits) if rsa_bits else 0,
        "min_dh_bits": min(dh_bits) if dh_bits else 0,
        "hsts_max_age": http.hsts.max_age or 0 if http.hsts.present and not http.hsts.problems else 0,
        "trusted": bool(reviewed) and all(c.trusted for c in reviewed),
        "trust_reason": next((c.reason for c in reviewed if not c.trusted), "no certificate") if reviewed else
        "no certificate was received",
        "name_mismatch": any(d["code"] == "hostname-mismatch" for c in reviewed for d in c.diagnoses),
    }


def _mozilla_facts(protos, supported, grp, reviewed) -> dict:
    acc = _accepted(protos, supported)
    dh = [a.kx.bits for _, a in acc if a.kx and a.kx.kind == "DHE"]
    certs = []
    for c in reviewed:
        leaf = load_der(c.der_chain[0])
        if leaf is not None:
            certs.append(cert_facts(leaf))
    groups = list(dict.fromkeys(grp.tls13 + grp.tls12_ec))
    return {"protocols": supported, "suites": list(dict.fromkeys(a.suite.name for _, a in acc)),
            "groups": groups, "dh_bits": min(dh) if dh else None, "certificates": certs}


def _suites_json(r: ProtocolResult) -> dict:
    return {"preference": r.preference, "anomalies": r.anomalies, "accepted": [{
        "name": a.suite.name, "code": a.suite.hex, "openssl_name": a.suite.openssl, "kx": a.suite.kx_kind,
        "auth": a.suite.auth, "cipher": a.suite.cipher, "bits": a.suite.bits, "aead": a.suite.aead,
        "forward_secrecy": a.suite.forward_secret, "export": a.suite.export,
        "key_exchange": {"kind": a.kx.kind, "group": a.kx.group, "bits": a.kx.bits} if a.kx else None,
    } for a in r.accepted]}


def _features_json(f: F.Features, legacy: str | None) -> dict:
    return {"extensions": f.extensions, "alpn": f.alpn if f.alpn_checked else None, "compression": f.compression,
            "ocsp_stapling": f.ocsp_stapling, "resumption": {
                "session_id": f.resumption_id, "ticket_tls12": f.resumption_ticket, "ticket_tls13": f.resumption_tls13},
            "early_data_max": f.early_data, "notes": f.notes, "checked_in": legacy}


def _chain_json(c: C.ChainReport) -> dict:
    return {"key": c.key, "key_type": c.key_type, "key_bits": c.key_bits, "subject": c.subject, "issuer": c.issuer,
            "not_before": c.not_before, "not_after": c.not_after, "signature_algorithm": c.signature_algorithm,
            "sha256": c.sha256, "chain_length": c.chain_length, "trusted": c.trusted, "reason": c.reason,
            "diagnoses": c.diagnoses, "seen_in": c.seen_in}


def _http_json(h: H.HttpResult) -> dict:
    return {"https_status": h.https_status, "hsts": {
        "present": h.hsts.present, "max_age": h.hsts.max_age, "include_subdomains": h.hsts.include_subdomains,
        "preload": h.hsts.preload, "raw": h.hsts.raw, "problems": h.hsts.problems},
        "port80": {"port": h.http_port, "redirect": h.redirect, "detail": h.redirect_detail}, "notes": h.notes}


def run_check(host: str, port: int, opts: CheckOptions) -> list[dict]:
    return asyncio.run(check_host(host, port, opts))
