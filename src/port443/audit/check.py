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
from port443.audit import report as R
from port443.audit.grade import compute_grade
from port443.audit.inferences import LEGACY, VULN_ORDER, add_inferences
from port443.audit.hellos import EC_GROUPS, FFDHE_GROUPS, PROTOCOLS, HelloOptions, client_hello, sni_for
from port443.audit.kx import load_der
from port443.audit.suite_registry import BY_CODE
from port443.audit.mozilla import SOURCE as MOZILLA_SOURCE, VERSION as MOZILLA_VERSION, check_profiles
from port443.audit.prober import BudgetExceeded, Limits, Prober, Target, Unreachable
from port443.audit.suites import ProtocolResult, enumerate_protocol
from port443.net.probe import describe_answer, is_tls_record
from port443.pki.trust import TrustStore, cached_cafile
from port443.tls.events import CertificateStatusReceived

SCHEMA = "port443.check/1"


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
    """One connection: TCP, then a TLS 1.3 hello without key shares, which any TLS server answers with a
    record (a HelloRetryRequest, or an alert from an older one) and no signature or key exchange."""
    opts = HelloOptions(server_name=sni_for(prober.target.server_name or ""))
    try:
        answer = await prober.ask(client_hello("TLSv1.3", [0x1301, 0x1302, 0x1303], opts))
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
    return {"status": "open", "detail": f"a TLS server answered our TLS 1.3 hello with {answer.describe()}"}


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
    report["certificates"] = [R.chain_json(c) for c in C.review_chains([(done.version, chain)],
                                                                        prober.target.server_name, opts.store())]


# --- full ------------------------------------------------------------------------------------------

async def _full(prober: Prober, opts: CheckOptions, report: dict) -> None:
    target = prober.target
    sni = sni_for(target.server_name or "")
    hello = HelloOptions(server_name=sni)
    results = await asyncio.gather(*(enumerate_protocol(prober, p, hello) for p in PROTOCOLS), return_exceptions=True)
    protos: dict[str, ProtocolResult] = {}
    for p, result in zip(PROTOCOLS, results):
        if isinstance(result, (BudgetExceeded, Unreachable)):
            report.setdefault("not_tested", []).append(f"{p}: {result}")
            result = ProtocolResult(p, False, f"not tested: {result}")
        elif isinstance(result, BaseException):
            raise result
        protos[p] = result
    supported = [p for p in PROTOCOLS if protos[p].supported]
    report["protocols"] = {p: {"supported": protos[p].supported, "detail": protos[p].detail} for p in PROTOCOLS}
    report["suites"] = {p: R.suites_json(protos[p]) for p in supported}
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
        run = await prober.handshake(F.engine_config(sni, version, ocsp_stapling=True),
                                     H.request(target.server_name or target.address))
        H.read_https(run, http)
        stapled = any(isinstance(e, CertificateStatusReceived) for e in run.events)
        feats.ocsp_stapling = bool(feats.ocsp_stapling) or stapled
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
        rsa_accepted = [a for a in protos[legacy].accepted if a.suite.kx_kind == "RSA" and not a.suite.export]
        chain = next((a.chain for a in rsa_accepted if a.chain), None)
        vul["heartbleed"], vul["ccs_injection"], vul["robot"] = await asyncio.gather(
            V.heartbleed(prober, legacy, legacy_codes, hello),
            V.ccs_injection(prober, legacy, legacy_codes, hello),
            V.robot(prober, legacy, [a.suite.code for a in rsa_accepted], hello, chain))

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
    add_inferences(protos, supported, feats, vul, legacy)
    store = opts.store()
    reviewed = C.review_chains(chains, target.server_name or target.address, store)
    report["groups"] = {"TLSv1.3": grp.tls13, "TLSv1.2": grp.tls12_ec, "TLSv1.2_ffdhe": grp.tls12_dh,
                        "notes": grp.notes}
    report["signature_algorithms"] = {"TLSv1.2": schemes.tls12, "TLSv1.3": schemes.tls13}
    report["features"] = R.features_json(feats, legacy)
    report["certificates"] = [R.chain_json(c) for c in reviewed]
    report["trust_store"] = store.name
    report["http"] = R.http_json(http)
    report["vulnerabilities"] = {k: vul[k].to_json() for k in VULN_ORDER if k in vul}
    facts = R.grade_facts(protos, supported, feats, vul, reviewed, http, grp)
    report["grade"] = compute_grade(facts).to_json()
    report["mozilla"] = {"version": MOZILLA_VERSION, "source": MOZILLA_SOURCE, "profiles": [
        {"profile": r.profile, "compliant": r.compliant, "deviations": r.deviations}
        for r in check_profiles(R.mozilla_facts(protos, supported, grp, reviewed))]}


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


def run_check(host: str, port: int, opts: CheckOptions) -> list[dict]:
    return asyncio.run(check_host(host, port, opts))
