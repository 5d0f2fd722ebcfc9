"""The table every handshake role keeps: which message may come next, and which step handles it."""

from __future__ import annotations

from port443.tls import events as ev
from port443.tls.enums import AlertDescription
from port443.tls.enums import HandshakeType as HT
from port443.tls.errors import TLSError, UnexpectedMessage
from port443.tls.key_schedule import constant_time_equal
from port443.tls.messages import Finished

# RFC 8446 §4.4.3: what the server's CertificateVerify signs, before the transcript hash.
SERVER_CV_CONTEXT = b" " * 64 + b"TLS 1.3, server CertificateVerify\x00"
HANDSHAKE_KEYS = ev.KeysDerived("handshake", ("client_handshake_traffic_secret", "server_handshake_traffic_secret"),
                                "handshake keys from the (EC)DHE shared secret and the hello transcript")
APPLICATION_KEYS = ev.KeysDerived(
    "application", ("client_application_traffic_secret_0", "server_application_traffic_secret_0",
                    "exporter_master_secret"),
    "session keys from the handshake secret and the transcript through server Finished")
SESSION_KEYS_12 = "session keys derived from client random + server random + premaster secret"
RESUMED_KEYS_12 = ev.KeysDerived("session keys (TLS 1.2, resumed)", ("client_write_key", "server_write_key"),
                                 "session keys from the resumed master secret + both new randoms")


class Steps:
    _expect: dict
    _state: str

    def _send(self, message: bytes) -> None:
        """Queue one of our handshake messages and add it to the transcript."""
        self.transcript.add(message)
        self.conn._send_handshake(message)

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

    def accept_finished(self, expected: bytes, raw: bytes, peer: str) -> None:
        """The peer's Finished must equal what we computed over the same handshake (decrypt_error)."""
        if not constant_time_equal(expected, raw[4:]):
            raise TLSError(AlertDescription.decrypt_error, f"{peer} Finished does not match the handshake")
        self.transcript.add(raw)
        self.conn._emit(ev.FinishedReceived(bytes(raw[4:])))


class Tls13Steps(Steps):
    """What both TLS 1.3 roles do alike: derive and log the key schedule's stages."""

    def derive_handshake_secrets(self, ks, shared_secret: bytes) -> None:
        conn = self.conn
        self.ks = ks
        conn._key_schedule = ks
        self.client_hs, self.server_hs = ks.derive_handshake_secrets(shared_secret, self.transcript.digest())
        conn._keylog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", self.client_hs)
        conn._keylog("SERVER_HANDSHAKE_TRAFFIC_SECRET", self.server_hs)

    def derive_application_secrets(self) -> tuple[bytes, bytes]:
        """(client, server) application traffic secrets, from the transcript through server Finished."""
        c_ap, s_ap, exporter = self.ks.derive_application_secrets(self.transcript.digest())
        self.conn._keylog("CLIENT_TRAFFIC_SECRET_0", c_ap)
        self.conn._keylog("SERVER_TRAFFIC_SECRET_0", s_ap)
        self.conn._keylog("EXPORTER_SECRET", exporter)
        return c_ap, s_ap

    def accept_finished13(self, base_key: bytes, raw: bytes, peer: str) -> None:
        self.accept_finished(self.ks.finished_mac(base_key, self.transcript.digest()), raw, peer)


class Tls12Steps(Steps):
    """What both TLS 1.2 roles do alike: the key block, ChangeCipherSpec and Finished each way."""

    is_client: bool
    etm = False  # encrypt-then-MAC, for CBC suites (the client's only)

    def _install_keys(self) -> None:
        """Both directions' record protection from the key block; each is switched on by its CCS."""
        self.client_protection, self.server_protection = self.keys.protections(self.etm, self.conn.entropy.random)

    def derive_session_keys(self, premaster: bytes) -> None:
        """Full handshake: the master secret (extended when agreed, bound to the transcript so far) and the key block."""
        session_hash = self.transcript.digest() if self.ems else None
        master = self.keys.derive_master(premaster, session_hash)
        self.conn._keylog("CLIENT_RANDOM", master)
        self._install_keys()
        self.conn._emit(ev.KeysDerived("session keys (TLS 1.2)", ("master_secret", "client_write_key", "server_write_key"),
                                       SESSION_KEYS_12 + (" (extended master secret)" if self.ems else "")))

    def resume_session_keys(self, master: bytes) -> None:
        """Abbreviated handshake: the key block from the resumed master secret and the new randoms."""
        self.keys.master = master
        self._install_keys()
        self.conn._emit(RESUMED_KEYS_12)

    def send_change_cipher_spec_and_finished(self) -> None:
        conn = self.conn
        conn._send_change_cipher_spec()
        conn._emit(ev.ChangeCipherSpecSent())
        conn._set_write(self.client_protection if self.is_client else self.server_protection)
        verify_data = self.keys.finished(self.is_client, self.transcript.digest())
        self._send(Finished(verify_data).encode())
        conn._flush_handshake()
        conn._emit(ev.FinishedSent(verify_data))

    def receive_change_cipher_spec(self) -> None:
        if self._state != "ChangeCipherSpec":
            super().receive_change_cipher_spec()
        self.conn._set_read(self.server_protection if self.is_client else self.client_protection)
        self.conn._emit(ev.ChangeCipherSpecReceived())
        self._next("Finished", finished=self.read_peer_finished)

    def check_peer_finished(self, raw: bytes) -> None:
        """The peer's Finished must match the handshake we saw (decrypt_error otherwise)."""
        expected = self.keys.finished(not self.is_client, self.transcript.digest())
        self.accept_finished(expected, raw, "server" if self.is_client else "client")
