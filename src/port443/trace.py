"""Turn engine events into the guide's handshake steps, with their real values.

`describe(event, side)` gives a Step: a title a reader of the guide knows
("Client Hello", "Authentication", "Session keys"), which way the message
went, and the values that matter. `demo` and `handshake` render Steps; this
module only builds them (no printing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509

from port443.pki.keys import describe_key
from port443.tls import events as ev
from port443.tls.enums import AlertDescription, NamedGroup, SignatureScheme, name_of
from port443.tls.suites import CipherSuite

C2S, S2C = "client → server", "server → client"


@dataclass
class Step:
    title: str
    direction: str  # C2S, S2C, "client", "server"
    fields: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    elapsed_ms: float | None = None
    kind: str = ""  # the event class name

    def as_dict(self) -> dict:
        return {"step": self.title, "direction": self.direction, "fields": dict(self.fields), "note": self.note,
                "elapsed_ms": None if self.elapsed_ms is None else round(self.elapsed_ms, 3), "event": self.kind}


def suite_name(value: int) -> str:
    return name_of(CipherSuite, value)


def group_name(value: int | None) -> str:
    return "none" if value is None else name_of(NamedGroup, value)


def scheme_name(value: int | None) -> str:
    return "none" if value is None else name_of(SignatureScheme, value)


def _list(values, namer, limit: int = 12) -> str:
    names = [namer(v) for v in values]
    more = f" … (+{len(names) - limit})" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def key_description(public_key) -> str:
    """E.g. "RSA 2048 bits", "ECDSA P-256", "Ed25519" (port443.pki.keys names the key)."""
    text = describe_key(public_key)
    return f"{text} bits" if text.startswith(("RSA ", "DSA ")) else text


def certificate_names(cert: x509.Certificate) -> list[str]:
    """The subjectAltName entries (DNS names, IP addresses, ...), as text."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(n.value) for n in san]


def certificate_fields(cert: x509.Certificate) -> list[tuple[str, str]]:
    names = certificate_names(cert)
    return [
        ("subject", cert.subject.rfc4514_string()),
        ("issuer", cert.issuer.rfc4514_string()),
        ("valid", f"{cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d}"),
        ("names", ", ".join(names) or "(no subjectAltName)"),
        ("key", key_description(cert.public_key())),
    ]


def describe(event: ev.Event, side: str) -> Step | None:
    """The step an event stands for, seen from `side` ("client" or "server")."""
    out = C2S if side == "client" else S2C
    inn = S2C if side == "client" else C2S
    k = type(event).__name__
    if isinstance(event, (ev.ClientHelloSent, ev.ClientHelloReceived)):
        d = C2S
        fields = [
            ("versions", ", ".join(event.versions)),
            ("cipher suites", _list(event.cipher_suites, suite_name)),
            ("groups", _list(event.groups, group_name)),
            ("key shares", _list(event.key_share_groups, group_name) or "none"),
            ("client random", event.random.hex()),
            ("SNI", event.server_name or "(none)"),
            ("ALPN", ", ".join(event.alpn_protocols) or "(none)"),
        ]
        if event.resumption_offered:
            fields.append(("resumption", "offers a session ticket (PSK)"))
        title = "Client Hello (again, after HelloRetryRequest)" if getattr(event, "retry", False) else "Client Hello"
        return Step(title, d, fields, "the client's versions, cipher suites and random bytes", kind=k)
    if isinstance(event, (ev.ServerHelloSent, ev.ServerHelloReceived)):
        fields = [("version", event.version), ("cipher suite", suite_name(event.cipher_suite)),
                  ("server random", event.random.hex())]
        if event.group is not None:
            fields.append(("group", group_name(event.group)))
        if event.resumed:
            fields.append(("resumption", "session resumed"))
        return Step("Server Hello", S2C, fields, "the server's choice of version and suite, and its random bytes", kind=k)
    if isinstance(event, (ev.HelloRetryRequestSent, ev.HelloRetryRequestReceived)):
        return Step("HelloRetryRequest", S2C, [("cipher suite", suite_name(event.cipher_suite)),
                                               ("wants group", group_name(event.group)),
                                               ("cookie", "yes" if event.cookie else "no")],
                    "the server asks for a key share in another group", kind=k)
    if isinstance(event, ev.EncryptedExtensionsReceived):
        return Step("Encrypted Extensions", S2C, [("ALPN", event.alpn_protocol or "(none)"),
                                                  ("SNI acknowledged", "yes" if event.server_name_acknowledged else "no")],
                    "the rest of the server's answer, already encrypted", kind=k)
    if isinstance(event, (ev.CertificateReceived, ev.CertificateSent)):
        fields = []
        for i, cert in enumerate(event.chain):
            for name, value in certificate_fields(cert):
                fields.append((f"[{i}] {name}", value))
        return Step("Certificate", S2C, fields, f"{len(event.chain)} certificate(s), leaf first", kind=k)
    if isinstance(event, ev.CertificateVerified):
        verdict = "trusted" if event.trusted else ("not checked" if not event.checked else "NOT trusted")
        fields = [("verdict", verdict), ("reason", event.reason)]
        v = event.verification
        if v is not None:
            fields.append(("trust store", getattr(v, "store_name", "")))
            if event.trusted and getattr(v, "verified_chain", ()):
                fields.append(("path", " → ".join(c.subject.rfc4514_string() for c in v.verified_chain)))
        return Step("Authentication", side, fields, "the certificate checked against trusted authorities", kind=k)
    if isinstance(event, (ev.CertificateVerifyReceived, ev.CertificateVerifySent)):
        return Step("Certificate Verify", S2C, [("signature", scheme_name(event.scheme))],
                    "the server proves it holds the certificate's private key", kind=k)
    if isinstance(event, ev.KeyExchange):
        fields = [("kind", event.kind)]
        if event.group is not None:
            fields.append(("group", group_name(event.group)))
        fields.append(("public values", f"ours {event.our_public_length} bytes, peer's {event.peer_public_length} bytes"))
        return Step("Key exchange", side, fields, "both sides now hold the same shared secret", kind=k)
    if isinstance(event, ev.KeysDerived):
        return Step("Session keys", side, [("stage", event.stage), ("derived", ", ".join(event.labels))],
                    event.description, kind=k)
    if isinstance(event, (ev.ChangeCipherSpecSent, ev.ChangeCipherSpecReceived)):
        return Step("Change Cipher Spec", out if isinstance(event, ev.ChangeCipherSpecSent) else inn, [],
                    "from here on, this side's records are encrypted", kind=k)
    if isinstance(event, ev.FinishedSent):
        return Step(f"{side.title()} Finished", out, [("verify_data", event.verify_data.hex())],
                    "a MAC over the whole handshake, under the new keys", kind=k)
    if isinstance(event, ev.FinishedReceived):
        other = "Server" if side == "client" else "Client"
        return Step(f"{other} Finished", inn, [("verify_data", event.verify_data.hex()), ("check", "matches")],
                    "the peer saw the same handshake", kind=k)
    if isinstance(event, ev.HandshakeComplete):
        return Step("Handshake complete", side, [
            ("version", event.version), ("cipher suite", suite_name(event.cipher_suite)),
            ("group", group_name(event.group)), ("ALPN", event.alpn_protocol or "(none)"),
            ("resumed", "yes" if event.resumed else "no")], kind=k)
    if isinstance(event, ev.SessionTicketReceived) and not getattr(event.session, "ticket", b"x"):
        return Step("Session ID kept", side, [("session ID", event.session.session_id.hex())],
                    "TLS 1.2 resumption by session ID: the server remembers the session under this ID", kind=k)
    if isinstance(event, (ev.SessionTicketReceived, ev.SessionTicketSent)):
        return Step("New Session Ticket", S2C, [("lifetime", f"{event.lifetime} s")],
                    "a ticket to resume this session later without a full handshake", kind=k)
    if isinstance(event, ev.KeyUpdated):
        return Step("Key Update", out if event.direction == "send" else inn,
                    [("peer asked to update too", "yes" if event.update_requested else "no")], kind=k)
    if isinstance(event, ev.ApplicationData):
        return Step("Encrypted data", inn, [("bytes", str(len(event.data)))], kind=k)
    if isinstance(event, (ev.AlertReceived, ev.AlertSent)):
        return Step("Alert", inn if isinstance(event, ev.AlertReceived) else out,
                    [("alert", name_of(AlertDescription, event.description)),
                     ("level", "fatal" if event.level == 2 else "warning"),
                     ("meaning", alert_meaning(event.description))], kind=k)
    if isinstance(event, ev.ConnectionClosed):
        return Step("Closed", inn, [("clean", "yes (close_notify)" if event.clean else "no")], kind=k)
    return None


# What each alert tells the side that receives it, in a site owner's words (RFC 8446 §6, RFC 5246 §7.2).
ALERT_MEANINGS: dict[int, str] = {
    AlertDescription.close_notify: "the sender is done and closes the connection cleanly",
    AlertDescription.unexpected_message: "a message arrived out of order: the two sides disagree on the protocol",
    AlertDescription.bad_record_mac: "a record failed authentication: keys differ, or the data was altered",
    AlertDescription.record_overflow: "a record was larger than allowed",
    AlertDescription.handshake_failure: "no acceptable set of parameters: no cipher suite, group or signature "
                                        "algorithm both sides support",
    AlertDescription.bad_certificate: "a certificate was corrupt or failed a check",
    AlertDescription.unsupported_certificate: "a certificate is of a type or usage the receiver does not accept",
    AlertDescription.certificate_revoked: "a certificate was revoked by its issuer",
    AlertDescription.certificate_expired: "a certificate has expired or is not yet valid",
    AlertDescription.certificate_unknown: "a certificate was not accepted for an unspecified reason",
    AlertDescription.illegal_parameter: "a field in a handshake message was out of range or inconsistent",
    AlertDescription.unknown_ca: "the certificate chain does not lead to a CA the receiver trusts",
    AlertDescription.access_denied: "the certificate was valid, but access is refused by policy",
    AlertDescription.decode_error: "a message could not be parsed",
    AlertDescription.decrypt_error: "a signature or Finished check failed",
    AlertDescription.protocol_version: "the sender does not support any protocol version offered",
    AlertDescription.insufficient_security: "the sender requires stronger cipher suites than those offered",
    AlertDescription.internal_error: "the sender failed for a reason unrelated to the peer",
    AlertDescription.inappropriate_fallback: "a version fallback was detected and refused (RFC 7507)",
    AlertDescription.user_canceled: "the sender cancelled the handshake",
    AlertDescription.no_renegotiation: "the sender refuses to renegotiate",
    AlertDescription.missing_extension: "a required extension was missing",
    AlertDescription.unsupported_extension: "an extension was sent that was never offered",
    AlertDescription.unrecognized_name: "the server has no site for the name sent in SNI",
    AlertDescription.unknown_psk_identity: "the server does not know the offered session (PSK)",
    AlertDescription.certificate_required: "the server requires a client certificate",
    AlertDescription.no_application_protocol: "no application protocol (ALPN) both sides support",
}


def alert_meaning(code: int) -> str:
    return ALERT_MEANINGS.get(code, "an alert this tool does not know")


# --- steps that are not engine events: the network around the handshake ------------------

def dns_step(host: str, addresses: list[str]) -> Step:
    return Step("DNS", "client", [("name", host), ("addresses", ", ".join(addresses) or "(none)")],
                "the name resolved to the server's addresses", kind="dns")


def connect_step(port: int, attempts: list[tuple[str, str]], connected: str | None) -> Step:
    """attempts: (address, outcome) in the order tried; connected: the address that answered."""
    fields = [("port", str(port))] + [(f"try {address}", outcome) for address, outcome in attempts]
    note = f"TCP handshake completed with {connected}" if connected else "no address accepted the TCP connection"
    return Step("TCP connect", C2S, fields, note, kind="tcp")


def http_request_step(method: str, path: str, headers: list[tuple[str, str]], protocol: str) -> Step:
    fields = [("request", f"{method} {path} ({protocol})")] + [(name, value) for name, value in headers]
    return Step("HTTP request", C2S, fields, "sent encrypted, under the session keys", kind="http-request")


def http_response_step(status: str, headers: list[tuple[str, str]], body: str) -> Step:
    fields = [("status", status)]
    seen: dict[str, int] = {}
    for name, value in headers:
        seen[name] = seen.get(name, 0) + 1
        fields.append((name if seen[name] == 1 else f"{name} ({seen[name]})", value))
    fields.append(("body", body))
    return Step("HTTP response", S2C, fields, "decrypted with the session keys", kind="http-response")
