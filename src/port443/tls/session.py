"""Sessions for resumption: what a client keeps, and the server's sealed tickets.

A server's ticket is its own state, sealed with AES-256-GCM under the
config's ticket key (RFC 8446 §4.6.1, RFC 5077 §4): nothing is stored on the
server. A client keeps a Session and passes it to the next ClientConfig.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag

from port443.tls.codec import Reader, u16, u32, vec8
from port443.tls.errors import DecodeError

_TICKET_MAGIC = b"p443"
_FORMAT = 1


@dataclass(frozen=True)
class Session:
    """A resumable session, as the client holds it."""

    version: int  # ProtocolVersion value
    cipher_suite: int
    secret: bytes  # TLS 1.3: the resumption PSK; TLS 1.2: the master secret
    ticket: bytes  # the opaque ticket (TLS 1.3 / RFC 5077), or b"" for session-ID resumption
    server_name: str | None
    received_at: float
    lifetime: int
    age_add: int = 0
    alpn_protocol: str | None = None
    session_id: bytes = b""  # TLS 1.2 session ID
    extended_master_secret: bool = True
    max_early_data: int = 0

    def valid_at(self, now: float) -> bool:
        return now - self.received_at < self.lifetime

    def obfuscated_age(self, now: float) -> int:
        return (int((now - self.received_at) * 1000) + self.age_add) & 0xFFFFFFFF


@dataclass(frozen=True)
class TicketState:
    """What the server seals into a ticket."""

    version: int
    cipher_suite: int
    secret: bytes
    issued_at: float
    age_add: int
    alpn_protocol: str | None
    server_name: str | None
    extended_master_secret: bool = True

    def encode(self) -> bytes:
        return (
            bytes((_FORMAT,)) + u16(self.version) + u16(self.cipher_suite) + vec8(self.secret)
            + int(self.issued_at * 1000).to_bytes(8, "big") + u32(self.age_add)
            + vec8((self.alpn_protocol or "").encode()) + vec8((self.server_name or "").encode())
            + bytes((1 if self.extended_master_secret else 0,))
        )

    @classmethod
    def decode(cls, data: bytes) -> "TicketState":
        r = Reader(data)
        if r.u8() != _FORMAT:
            raise DecodeError("unknown ticket format")
        version, suite = r.u16(), r.u16()
        secret = r.vec8()
        issued = int.from_bytes(r.raw(8), "big") / 1000
        age_add = r.u32()
        alpn = r.vec8().decode() or None
        sni = r.vec8().decode() or None
        ems = r.u8() == 1
        r.expect_end("ticket")
        return cls(version, suite, secret, issued, age_add, alpn, sni, ems)


def seal_ticket(ticket_keys, state: TicketState) -> bytes:
    nonce = os.urandom(12)
    return _TICKET_MAGIC + nonce + ticket_keys.aead.encrypt(nonce, state.encode(), _TICKET_MAGIC)


def open_ticket(ticket_keys, ticket: bytes) -> TicketState | None:
    """The sealed state, or None for a ticket we did not make (or cannot read any more)."""
    if len(ticket) < 4 + 12 + 16 or not ticket.startswith(_TICKET_MAGIC):
        return None
    try:
        plain = ticket_keys.aead.decrypt(ticket[4:16], ticket[16:], _TICKET_MAGIC)
        return TicketState.decode(plain)
    except (InvalidTag, DecodeError, UnicodeDecodeError, ValueError):
        return None


class SessionCache:
    """The server's TLS 1.2 session-ID cache: bounded, oldest entries evicted first."""

    def __init__(self, capacity: int = 10000) -> None:
        from collections import OrderedDict

        self.capacity = capacity
        self._entries: "OrderedDict[bytes, TicketState]" = OrderedDict()

    def put(self, session_id: bytes, state: TicketState) -> None:
        if not session_id or self.capacity <= 0:
            return
        self._entries[session_id] = state
        self._entries.move_to_end(session_id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def get(self, session_id: bytes) -> TicketState | None:
        return self._entries.get(session_id)
