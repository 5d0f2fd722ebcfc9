"""The table every handshake role keeps: which message may come next, and which step handles it."""

from __future__ import annotations

from port443.tls.enums import HandshakeType as HT
from port443.tls.errors import UnexpectedMessage


class Steps:
    _expect: dict
    _state: str

    def handle(self, mtype: int, raw: bytes) -> None:
        handler = self._expect.get(mtype)
        if handler is None:
            name = HT(mtype).name if mtype in HT._value2member_map_ else f"type {mtype}"
            raise UnexpectedMessage(f"unexpected {name} message (waiting for {self._state})")
        handler(raw)

    def _next(self, state: str, **handlers) -> None:
        """Move to `state`, where only the named messages are allowed."""
        self._state = state
        self._expect = {HT[k]: v for k, v in handlers.items()}

    def receive_change_cipher_spec(self) -> None:
        raise UnexpectedMessage(f"unexpected ChangeCipherSpec (waiting for {self._state})")
