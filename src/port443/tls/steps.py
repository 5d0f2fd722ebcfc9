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


class Tls12Steps(Steps):
    """What both TLS 1.2 roles do alike: the key block, ChangeCipherSpec and Finished each way."""

    is_client: bool
    etm = False  # encrypt-then-MAC, for CBC suites (the client's only)

    def _send(self, message: bytes) -> None:
        self.transcript.add(message)
        self.conn._send_handshake(message)

    def _install_keys(self) -> None:
        """Both directions' record protection from the key block; each is switched on by its CCS."""
        self.client_protection, self.server_protection = self.keys.protections(self.etm, self.conn.entropy.random)

    def send_change_cipher_spec_and_finished(self) -> None:
        from port443.tls import events as ev
        from port443.tls.messages import Finished

        conn = self.conn
        conn._send_change_cipher_spec()
        conn._emit(ev.ChangeCipherSpecSent())
        conn._set_write(self.client_protection if self.is_client else self.server_protection)
        verify_data = self.keys.finished(self.is_client, self.transcript.digest())
        self._send(Finished(verify_data).encode())
        conn._flush_handshake()
        conn._emit(ev.FinishedSent(verify_data))

    def receive_change_cipher_spec(self) -> None:
        from port443.tls import events as ev

        if self._state != "ChangeCipherSpec":
            super().receive_change_cipher_spec()
        self.conn._set_read(self.server_protection if self.is_client else self.client_protection)
        self.conn._emit(ev.ChangeCipherSpecReceived())
        self._next("Finished", finished=self.read_peer_finished)

    def check_peer_finished(self, raw: bytes) -> None:
        """The peer's Finished must match the handshake we saw (decrypt_error otherwise)."""
        from port443.tls import events as ev
        from port443.tls.enums import AlertDescription
        from port443.tls.errors import TLSError
        from port443.tls.key_schedule import constant_time_equal

        expected = self.keys.finished(not self.is_client, self.transcript.digest())
        if not constant_time_equal(expected, raw[4:]):
            peer = "server" if self.is_client else "client"
            raise TLSError(AlertDescription.decrypt_error, f"{peer} Finished does not match the handshake")
        self.transcript.add(raw)
        self.conn._emit(ev.FinishedReceived(bytes(raw[4:])))
