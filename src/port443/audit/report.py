"""The JSON report of one audit (schema: docs/check.schema.json), and the facts grading needs."""

from __future__ import annotations

from port443.audit import certs as C, features as F, http as H, vulns as V
from port443.audit.grade import ec_equivalent
from port443.audit.inferences import LEGACY, accepted_suites
from port443.audit.kx import load_der
from port443.audit.mozilla import cert_facts
from port443.audit.suites import ProtocolResult

def grade_facts(protos, supported, feats: F.Features, vul: dict, reviewed, http: H.HttpResult, grp) -> dict:
    acc = accepted_suites(protos, supported)
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
        "forward_secrecy": modern_clients_get_forward_secrecy(protos),
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


def modern_clients_get_forward_secrecy(protos: dict[str, ProtocolResult]) -> bool:
    """TLS 1.3 always has it; in TLS 1.2 a server that imposes its order must put a forward-secret suite
    first, and one that follows the client's needs only to accept one (browsers list ECDHE first)."""
    if protos["TLSv1.3"].accepted:
        return True
    r = protos["TLSv1.2"]
    if not r.accepted:
        return False
    if r.preference == "client":
        return any(a.suite.forward_secret for a in r.accepted)
    return r.accepted[0].suite.forward_secret


def mozilla_facts(protos, supported, grp, reviewed) -> dict:
    acc = accepted_suites(protos, supported)
    dh = [a.kx.bits for _, a in acc if a.kx and a.kx.kind == "DHE"]
    certs = []
    for c in reviewed:
        leaf = load_der(c.der_chain[0])
        if leaf is not None:
            certs.append(cert_facts(leaf))
    groups = list(dict.fromkeys(grp.tls13 + grp.tls12_ec))
    return {"protocols": supported, "suites": list(dict.fromkeys(a.suite.name for _, a in acc)),
            "groups": groups, "dh_bits": min(dh) if dh else None, "certificates": certs}


def suites_json(r: ProtocolResult) -> dict:
    return {"preference": r.preference, "anomalies": r.anomalies, "accepted": [{
        "name": a.suite.name, "code": a.suite.hex, "openssl_name": a.suite.openssl, "kx": a.suite.kx_kind,
        "auth": a.suite.auth, "cipher": a.suite.cipher, "bits": a.suite.bits, "aead": a.suite.aead,
        "forward_secrecy": a.suite.forward_secret, "export": a.suite.export,
        "key_exchange": {"kind": a.kx.kind, "group": a.kx.group, "bits": a.kx.bits} if a.kx else None,
    } for a in r.accepted]}


def features_json(f: F.Features, legacy: str | None) -> dict:
    return {"extensions": f.extensions, "alpn": f.alpn if f.alpn_checked else None, "compression": f.compression,
            "ocsp_stapling": f.ocsp_stapling, "resumption": {
                "session_id": f.resumption_id, "ticket_tls12": f.resumption_ticket, "ticket_tls13": f.resumption_tls13},
            "early_data_max": f.early_data, "notes": f.notes, "checked_in": legacy}


def chain_json(c: C.ChainReport) -> dict:
    return {"key": c.key, "key_type": c.key_type, "key_bits": c.key_bits, "subject": c.subject, "issuer": c.issuer,
            "not_before": c.not_before, "not_after": c.not_after, "signature_algorithm": c.signature_algorithm,
            "sha256": c.sha256, "chain_length": c.chain_length, "trusted": c.trusted, "reason": c.reason,
            "diagnoses": c.diagnoses, "seen_in": c.seen_in}


def http_json(h: H.HttpResult) -> dict:
    return {"https_status": h.https_status, "hsts": {
        "present": h.hsts.present, "max_age": h.hsts.max_age, "include_subdomains": h.hsts.include_subdomains,
        "preload": h.hsts.preload, "raw": h.hsts.raw, "problems": h.hsts.problems},
        "port80": {"port": h.http_port, "redirect": h.redirect, "detail": h.redirect_detail}, "notes": h.notes}
