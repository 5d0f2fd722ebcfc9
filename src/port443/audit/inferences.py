"""Findings inferred from what the probes found: each an exact consequence, with its reason.

POODLE (CBC in SSLv3), BEAST (CBC in SSLv3/TLS 1.0), SWEET32 (64-bit blocks), FREAK
(export RSA), LOGJAM (export DH, DH primes of 1024 bits or less), DROWN (SSLv2 on this
address), RC4, NULL, anonymous suites, CRIME (DEFLATE chosen), secure renegotiation
(RFC 5746 renegotiation_info), 0-RTT (early_data in the TLS 1.3 ticket), and what does
not apply to a server with only TLS 1.3.
"""

from __future__ import annotations

from port443.audit import features as F, vulns as V
from port443.audit.suites import ProtocolResult

LEGACY = ("TLSv1.2", "TLSv1.1", "TLSv1", "SSLv3")

VULN_ORDER = ("heartbleed", "ccs_injection", "robot", "secure_renegotiation", "client_renegotiation", "crime",
              "fallback_scsv", "poodle", "beast", "sweet32", "freak", "logjam", "drown", "rc4", "null",
              "anonymous", "zero_rtt", "ticketbleed")


def accepted_suites(protos: dict[str, ProtocolResult], supported: list[str]):
    return [(p, a) for p in supported for a in protos[p].accepted]


def add_inferences(protos, supported, feats: F.Features, vul: dict, legacy: str | None) -> None:
    acc = accepted_suites(protos, supported)

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
