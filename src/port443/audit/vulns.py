"""Vulnerabilities, each by a real probe or an exact inference with its reason.

Real probes (they talk to the server): Heartbleed (CVE-2014-0160, RFC 6520
heartbeat with a payload_length larger than the payload), CCS injection
(CVE-2014-0224, a ChangeCipherSpec before the key exchange), ROBOT (the
Bleichenbacher oracle check of Böck, Somorovsky and Young, 2017: five
differently formed RSA ClientKeyExchanges, the server's answers compared),
client-initiated renegotiation, TLS_FALLBACK_SCSV (RFC 7507), Ticketbleed
(CVE-2016-9244: a one-byte session ID with a ticket, the echo's length checked).
Inferences from what enumeration found: CRIME, POODLE, BEAST, SWEET32, FREAK,
LOGJAM, DROWN, RC4, NULL, anonymous, 0-RTT, secure renegotiation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from port443.audit.answers import Answer
from port443.audit.hellos import HelloOptions, client_hello, tls_record, VERSION
from port443.audit.kx import chain_of, load_der
from port443.audit.prober import Prober
from port443.tls.enums import AlertDescription as A, ContentType as CT, ExtensionType as ET, name_of
from port443.tls.messages12 import client_key_exchange
from cryptography.hazmat.primitives.asymmetric import rsa

VULNERABLE, OK, NA, UNKNOWN = "vulnerable", "not vulnerable", "not applicable", "unknown"
SHORT_WAIT = 1.0  # seconds to wait for a server that may silently drop a probe record


@dataclass
class Finding:
    status: str  # vulnerable / not vulnerable / not applicable / unknown
    how: str  # "probe" or "inference"
    reason: str
    severity: str = "high"  # for "vulnerable": high, medium, low

    def to_json(self) -> dict:
        return {"status": self.status, "how": self.how, "reason": self.reason, "severity": self.severity}


def _short(prober: Prober) -> float:
    return min(SHORT_WAIT, prober.limits.read_timeout)


async def _hello_flight(prober: Prober, link, protocol: str, suites: list[int], opts: HelloOptions) -> Answer:
    link.send(client_hello(protocol, suites, opts))
    return await link.read(lambda a: a.finished)


# --- Heartbleed --------------------------------------------------------------------------

async def heartbleed(prober: Prober, protocol: str, suites: list[int], opts: HelloOptions) -> Finding:
    async with prober.link() as link:
        from dataclasses import replace
        answer = await _hello_flight(prober, link, protocol, suites, replace(opts, heartbeat=True))
        sh = answer.server_hello
        if sh is None or not answer.hello_done:
            return Finding(UNKNOWN, "probe", f"the hello with the heartbeat extension got {answer.describe()}")
        if not sh.has(ET.heartbeat):
            return Finding(OK, "inference", "the server does not negotiate the heartbeat extension (RFC 6520), "
                                            "so it never reads a heartbeat request")
        # type heartbeat_request, payload_length 0x4000, no payload: a fixed server drops it silently
        link.send(tls_record(CT.heartbeat, b"\x01\x40\x00", VERSION[protocol]))
        after = await link.read(lambda a: bool(a.heartbeats) or a.fatal_alert is not None, _short(prober))
    if after.heartbeats:
        leaked = max(len(h) for h in after.heartbeats)
        return Finding(VULNERABLE, "probe", f"a heartbeat request claiming 16384 bytes but carrying none came back "
                                            f"with {leaked} bytes of the server's memory")
    return Finding(OK, "probe", "the server negotiates heartbeat but ignored an oversized heartbeat request "
                                f"({after.describe()})")


# --- CCS injection ---------------------------------------------------------------------------

async def ccs_injection(prober: Prober, protocol: str, suites: list[int], opts: HelloOptions) -> Finding:
    version = VERSION[protocol]
    async with prober.link() as link:
        answer = await _hello_flight(prober, link, protocol, suites, opts)
        if answer.server_hello is None or not answer.hello_done:
            return Finding(UNKNOWN, "probe", f"the hello got {answer.describe()}")
        alerts_before = len(answer.alerts)
        link.send(tls_record(CT.change_cipher_spec, b"\x01", version))
        after = await link.read(lambda a: len(a.alerts) > alerts_before, _short(prober))
        if len(after.alerts) > alerts_before or after.closed:
            what = after.alert_name if len(after.alerts) > alerts_before else "closing the connection"
            return Finding(OK, "probe", f"the server answered a ChangeCipherSpec before the key exchange with {what}")
        # silence: a vulnerable server now decrypts with keys from an empty master secret
        link.send(tls_record(CT.alert, os.urandom(32), version))
        last = await link.read(lambda a: len(a.alerts) > alerts_before, _short(prober))
    if len(last.alerts) > alerts_before and last.alerts[-1][1] in (A.bad_record_mac, A.decryption_failed):
        return Finding(VULNERABLE, "probe", "the server accepted an early ChangeCipherSpec and then tried to decrypt "
                                            "with keys from an empty master secret (bad_record_mac)")
    return Finding(UNKNOWN, "probe", f"the server said nothing to an early ChangeCipherSpec, then {last.describe()}")


# --- ROBOT -----------------------------------------------------------------------------------

def _nonzero(n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        out += bytes(b for b in os.urandom(n) if b)
    return bytes(out[:n])


def robot_messages(n: int, e: int, version: int) -> dict[str, bytes]:
    """The ROBOT paper's five premaster-secret encodings, encrypted with the server's key.

    These are deliberately malformed PKCS #1 v1.5 blocks, which no library will
    produce, so the encryption is the bare RSA operation m^e mod n (public values
    only; nothing secret is computed)."""
    k = (n.bit_length() + 7) // 8
    ver = version.to_bytes(2, "big")
    rnd = os.urandom(46)
    pad = _nonzero(k - 3 - 48)
    blocks = {
        "correct": b"\x00\x02" + pad + b"\x00" + ver + rnd,
        "wrong first bytes": b"\x41\x17" + pad + b"\x00" + ver + rnd,
        "0x00 in the wrong place": b"\x00\x02" + pad + b"\x11" + ver[:1] + b"\x00" + ver[1:] + rnd[:-1],
        "no 0x00 separator": b"\x00\x02" + _nonzero(k - 2),
        "wrong version": b"\x00\x02" + pad + b"\x00" + b"\x02\x02" + rnd,
    }
    return {name: pow(int.from_bytes(m, "big"), e, n).to_bytes(k, "big") for name, m in blocks.items()}


async def _robot_answer(prober: Prober, protocol: str, suites: list[int], opts: HelloOptions, encrypted: bytes) -> str:
    version = VERSION[protocol]
    async with prober.link() as link:
        answer = await _hello_flight(prober, link, protocol, suites, opts)
        if not answer.hello_done:
            return f"hello: {answer.describe()}"
        n_alerts = len(answer.alerts)
        cke = client_key_exchange("RSA", encrypted) if protocol != "SSLv3" else b"\x10" + len(encrypted).to_bytes(3, "big") + encrypted
        link.send(tls_record(CT.handshake, cke, version) + tls_record(CT.change_cipher_spec, b"\x01", version)
                  + tls_record(CT.handshake, os.urandom(40), version))
        after = await link.read(lambda a: len(a.alerts) > n_alerts, prober.limits.read_timeout)
        alerts = after.alerts[n_alerts:]
        if alerts:
            return "alert " + ",".join(f"{lvl}:{_alert(desc)}" for lvl, desc in alerts)
        return "closed" if after.closed else "timeout"


def _alert(desc: int) -> str:
    return name_of(A, desc)


async def robot(prober: Prober, protocol: str, rsa_suites: list[int], opts: HelloOptions,
                chain: list[bytes] | None = None) -> Finding:
    """`chain`: the one the suite enumeration already saw with these suites (saves a connection)."""
    if not rsa_suites:
        return Finding(NA, "inference", "no RSA key-transport suite is accepted, so there is no RSA decryption to "
                                        "turn into an oracle")
    seen = "the chain from the suite enumeration"
    if not chain:
        first = await prober.ask(client_hello(protocol, rsa_suites, opts))
        chain, seen = chain_of(first), first.describe()
    cert = load_der(chain[0]) if chain else None
    key = cert.public_key() if cert is not None else None
    if not isinstance(key, rsa.RSAPublicKey):
        return Finding(UNKNOWN, "probe", f"no RSA certificate came with the RSA suites ({seen})")
    numbers = key.public_numbers()
    messages = robot_messages(numbers.n, numbers.e, VERSION[protocol])
    answers = {name: await _robot_answer(prober, protocol, rsa_suites, opts, ct) for name, ct in messages.items()}
    if len(set(answers.values())) == 1:
        return Finding(OK, "probe", f"all five ROBOT ClientKeyExchanges got the same answer ({answers['correct']})")
    again = {name: await _robot_answer(prober, protocol, rsa_suites, opts, ct) for name, ct in
             robot_messages(numbers.n, numbers.e, VERSION[protocol]).items()}
    if again != answers:
        return Finding(UNKNOWN, "probe", "the answers differ but not consistently between two rounds: "
                                         + "; ".join(f"{k}: {v} / {again[k]}" for k, v in answers.items()))
    strong = answers["correct"] != answers["wrong first bytes"]
    return Finding(VULNERABLE, "probe", f"{'strong' if strong else 'weak'} Bleichenbacher oracle: the answers differ "
                                        "by padding, twice the same: " + "; ".join(f"{k}: {v}" for k, v in answers.items()))


# --- TLS_FALLBACK_SCSV, Ticketbleed -----------------------------------------------------------

async def fallback_scsv(prober: Prober, lower: str | None, suites: list[int], opts: HelloOptions) -> Finding:
    if lower is None:
        return Finding(NA, "inference", "the server speaks only one protocol version: there is nothing to fall back to")
    answer = await prober.ask(client_hello(lower, suites + [0x5600], opts))
    if answer.fatal_alert == A.inappropriate_fallback:
        return Finding(OK, "probe", f"a {lower} hello with TLS_FALLBACK_SCSV was refused with inappropriate_fallback")
    if answer.server_hello is not None:
        return Finding(VULNERABLE, "probe", f"a {lower} hello with TLS_FALLBACK_SCSV was accepted: a downgrade "
                                            "attacker can force the lower version", "medium")
    return Finding(UNKNOWN, "probe", f"a {lower} hello with TLS_FALLBACK_SCSV got {answer.describe()}")


async def ticketbleed(prober: Prober, ticket: bytes, suites: list[int], opts: HelloOptions) -> Finding:
    if not ticket:
        return Finding(NA, "inference", "the server issues no TLS 1.2 session ticket")
    from dataclasses import replace
    answer = await prober.ask(client_hello("TLSv1.2", suites, replace(opts, session_id=b"\x42", session_ticket=ticket)))
    sh = answer.server_hello
    if sh is None:
        return Finding(UNKNOWN, "probe", f"the resumption hello got {answer.describe()}")
    if len(sh.session_id) > 1 and sh.session_id[:1] == b"\x42":
        return Finding(VULNERABLE, "probe", f"a 1-byte session ID came back as {len(sh.session_id)} bytes: "
                                            f"{len(sh.session_id) - 1} bytes of server memory")
    if sh.session_id == b"\x42":
        return Finding(OK, "probe", "the server resumed with our ticket and echoed our 1-byte session ID exactly")
    return Finding(OK, "probe", "the server did not resume with a 1-byte session ID and a ticket "
                                f"(it answered a {len(sh.session_id)}-byte session ID of its own)")


# --- client-initiated renegotiation ------------------------------------------------------------

async def client_renegotiation(prober: Prober, server_name: str | None, tls12_supported: bool) -> Finding:
    """A full TLS 1.2 handshake with the engine, then a new ClientHello inside the encrypted connection."""
    if not tls12_supported:
        return Finding(NA, "inference", "no TLS 1.2: TLS 1.3 has no renegotiation")
    from port443.audit.renegotiate import try_renegotiation

    outcome, detail = await try_renegotiation(prober, server_name)
    if outcome == "accepted":
        return Finding(VULNERABLE, "probe", f"the server renegotiates when a client asks ({detail}): "
                                            "a cheap way to load its CPU", "low")
    if outcome == "refused":
        return Finding(OK, "probe", f"the server refuses client-initiated renegotiation ({detail})")
    return Finding(UNKNOWN, "probe", detail)
