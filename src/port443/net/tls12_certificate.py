"""Read the server's Certificate message out of a recorded TLS 1.2 handshake.

In TLS 1.2 the server's certificates travel in the clear, before
ChangeCipherSpec. Given the bytes a server sent, this walks the TLS records
(RFC 5246 §6.2), reassembles the handshake messages (§7.4) and returns the
DER certificates of the Certificate message (§7.4.2), in the order sent.
Only framing is parsed here; every certificate is parsed by `cryptography`.
"""

from __future__ import annotations

HANDSHAKE = 22
CHANGE_CIPHER_SPEC = 20
ALERT = 21
CERTIFICATE = 11
SERVER_HELLO = 2
MAX_RECORD = 2**14 + 2048


class FramingError(ValueError):
    """The bytes are not a TLS 1.2 handshake with a Certificate message."""


def _u24(data: bytes, at: int) -> int:
    if at + 3 > len(data):
        raise FramingError("truncated length field")
    return int.from_bytes(data[at:at + 3], "big")


def handshake_stream(recorded: bytes) -> bytes:
    """The handshake bytes of every record before ChangeCipherSpec, concatenated."""
    stream = bytearray()
    at = 0
    while at + 5 <= len(recorded):
        kind, length = recorded[at], int.from_bytes(recorded[at + 3:at + 5], "big")
        if recorded[at + 1] != 3 or length > MAX_RECORD:
            raise FramingError("not a TLS record")
        body = recorded[at + 5:at + 5 + length]
        if len(body) < length:
            break  # the rest never arrived; what we have may still hold the Certificate
        if kind == CHANGE_CIPHER_SPEC:
            break
        if kind == ALERT:
            raise FramingError("the server sent an alert instead of its certificates")
        if kind == HANDSHAKE:
            stream += body
        at += 5 + length
    return bytes(stream)


def handshake_messages(stream: bytes) -> list[tuple[int, bytes]]:
    """(type, body) of each complete handshake message."""
    messages = []
    at = 0
    while at + 4 <= len(stream):
        kind, length = stream[at], _u24(stream, at + 1)
        body = stream[at + 4:at + 4 + length]
        if len(body) < length:
            break
        messages.append((kind, body))
        at += 4 + length
    return messages


def certificate_list(body: bytes) -> list[bytes]:
    """The DER certificates of a TLS 1.2 Certificate message body."""
    total = _u24(body, 0)
    if total != len(body) - 3:
        raise FramingError("certificate list length does not match the message")
    certificates = []
    at = 3
    while at < len(body):
        length = _u24(body, at)
        der = body[at + 3:at + 3 + length]
        if len(der) != length or length == 0:
            raise FramingError("truncated certificate entry")
        certificates.append(der)
        at += 3 + length
    return certificates


def server_certificates(recorded: bytes) -> list[bytes]:
    """The DER chain the server sent, from the raw bytes it sent; [] when not (yet) there."""
    for kind, body in handshake_messages(handshake_stream(recorded)):
        if kind == CERTIFICATE:
            return certificate_list(body)
    return []
