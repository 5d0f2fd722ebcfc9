"""The server's handshake, TLS 1.3 (RFC 8446 §2, §4), step by step.

process_client_hello -> (send_hello_retry_request -> process_second_client_hello)
-> accept_psk -> send_server_hello -> establish_handshake_keys ->
send_encrypted_extensions, send_certificate, send_certificate_verify,
send_server_finished -> read_client_finished -> send_new_session_tickets.
A ClientHello that negotiates TLS 1.2 hands over to server12.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes

from port443.tls import events as ev
from port443.tls import extensions as X
from port443.tls import kex
from port443.tls.codec import u16
from port443.tls.enums import AlertDescription as A
from port443.tls.enums import ExtensionType as ET
from port443.tls.enums import HandshakeType as HT
from port443.tls.enums import ProtocolVersion as PV
from port443.tls.errors import HandshakeFailure, IllegalParameter, TLSError
from port443.tls.kex import SUPPORTED_GROUPS, kx_kind
from port443.tls.key_schedule import KeySchedule, constant_time_equal, hmac_digest
from port443.tls.messages import (
    HRR_RANDOM, Certificate13, CertificateVerify, EncryptedExtensions, Finished, NewSessionTicket13, ServerHello,
)
from port443.tls.server_hello import (
    ClientHelloInfo, choose_alpn, choose_certificate, choose_suite, choose_version, read_client_hello,
)
from port443.tls.session import TicketState, open_ticket, seal_ticket
from port443.tls.sigs import sign
from port443.tls.suites import SUITES
from port443.tls.steps import APPLICATION_KEYS, HANDSHAKE_KEYS, SERVER_CV_CONTEXT, Tls13Steps
from port443.tls.transcript import Transcript

_SUPPORTED_VERSIONS_13 = u16(PV.TLSv1_3)


class ServerHandshake(Tls13Steps):
    """The server side from ClientHello through a TLS 1.3 handshake."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.config = conn.config
        self.transcript = Transcript()
        self.hello_retry = False
        self.info: ClientHelloInfo | None = None
        self.suite = None
        self.group: int | None = None
        self.psk_state: TicketState | None = None
        self.certified = None
        self.scheme: int | None = None
        self.alpn: str | None = None
        self._tickets_sent = 0
        self._expect: dict[int, object] = {HT.client_hello: self.process_client_hello}
        self._state = "wait ClientHello"

    # ------------------------------------------------------------ ClientHello
    def process_client_hello(self, raw: bytes) -> None:
        conn, cfg = self.conn, self.config
        info = read_client_hello(raw)
        conn._emit(info.event())
        conn.client_random = info.hello.random
        version = choose_version(cfg, info)
        if 0x5600 in info.hello.cipher_suites and version < cfg._versions[0]:
            raise TLSError(A.inappropriate_fallback, "client signalled a fallback (TLS_FALLBACK_SCSV) to a lower version")
        if version == PV.TLSv1_2:
            from port443.tls.server12 import Server12Handshake

            conn._hs = Server12Handshake(conn, info)
            return
        self.info = info
        conn.version = PV.TLSv1_3
        if info.hello.compression_methods != b"\x00":
            raise IllegalParameter("TLS 1.3 ClientHello must offer only null compression")
        self.suite = SUITES[choose_suite(cfg, info, tls13=True)]
        conn._cipher = self.suite.cipher
        if info.psk is not None and info.psk_modes is None:
            raise TLSError(A.missing_extension, "pre_shared_key without psk_key_exchange_modes")
        if (info.shares is None) != (not info.groups):
            raise TLSError(A.missing_extension, "key_share and supported_groups must come together")
        if info.shares is None:
            raise TLSError(A.missing_extension, "ClientHello has no key_share (we require (EC)DHE)")
        group, share = self._choose_key_share(info)
        self.transcript.start_hash(self.suite.hash())
        if share is None:
            self.transcript.add(raw)
            self.send_hello_retry_request(group)
            return
        self._continue_after_hello(info, raw, group, share)

    def _choose_key_share(self, info: ClientHelloInfo) -> tuple[int, bytes | None]:
        ours = [g for g in self.config._groups if g in SUPPORTED_GROUPS]
        offered = dict(info.shares)
        for g in ours:
            if g in offered:
                return g, offered[g]
        for g in ours:
            if g in info.groups:
                return g, None
        raise HandshakeFailure("no key exchange group in common")

    def send_hello_retry_request(self, group: int) -> None:
        conn = self.conn
        self.hello_retry = True
        self.hrr_group = group
        self.cookie = self._make_cookie()
        hrr = ServerHello(HRR_RANDOM, self.suite.suite, [
            (ET.key_share, u16(group)),
            (ET.cookie, X.encode_cookie(self.cookie)),
            (ET.supported_versions, _SUPPORTED_VERSIONS_13),
        ], self.info.hello.session_id)
        raw = hrr.encode()
        self.transcript.restart_after_hello_retry(self.suite.hash())
        self._send(raw)
        conn._flush_handshake()
        if self.info.hello.session_id:
            conn._send_change_cipher_spec()
        conn._ccs_allowed = True
        conn._emit(ev.HelloRetryRequestSent(self.suite.suite, group, True))
        self._next("second ClientHello", client_hello=self.process_second_client_hello)

    def _make_cookie(self) -> bytes:
        """An opaque cookie binding the retry to this ClientHello1 (MAC under the ticket key)."""
        ch1 = self.transcript.digest()
        return hmac_digest(hashes.SHA256(), self.config.ticket_keys.key, b"hrr cookie", ch1, u16(self.hrr_group))

    def process_second_client_hello(self, raw: bytes) -> None:
        info = read_client_hello(raw)
        self.conn._emit(info.event())
        first = self.info.hello
        if info.hello.random != first.random or info.hello.session_id != first.session_id:
            raise IllegalParameter("second ClientHello changed its random or session ID")
        if info.hello.cipher_suites != first.cipher_suites:
            raise IllegalParameter("second ClientHello changed its cipher suites")
        if info.versions is None or PV.TLSv1_3 not in info.versions:
            raise IllegalParameter("second ClientHello dropped TLS 1.3")
        if info.cookie is None or not constant_time_equal(info.cookie, self.cookie):
            raise IllegalParameter("second ClientHello did not echo our cookie")
        if info.early_data:
            raise IllegalParameter("early data after a HelloRetryRequest")
        if info.hello.compression_methods != b"\x00" or info.hello.legacy_version != first.legacy_version:
            raise IllegalParameter("second ClientHello changed its compression methods or legacy version")
        if _unchanging(info.hello) != _unchanging(first):
            raise IllegalParameter("second ClientHello changed extensions other than key_share, cookie, pre_shared_key, padding")
        shares = info.shares or []
        if len(shares) != 1 or shares[0][0] != self.hrr_group:
            raise IllegalParameter("second ClientHello does not carry exactly the requested key share")
        if info.psk is not None and info.psk_modes is None:
            raise TLSError(A.missing_extension, "pre_shared_key without psk_key_exchange_modes")
        self.info = info
        self._continue_after_hello(info, raw, self.hrr_group, shares[0][1])

    def _continue_after_hello(self, info: ClientHelloInfo, raw: bytes, group: int, share: bytes) -> None:
        cfg = self.config
        self.alpn = choose_alpn(cfg, info)
        self.psk_state = self.accept_psk(info, raw)
        if self.psk_state is None:
            if info.signature_algorithms is None:
                raise TLSError(A.missing_extension, "ClientHello has no signature_algorithms")
            self.certified, self.scheme = choose_certificate(cfg, info, tls13=True, alpn=self.alpn)
        self.transcript.add(raw)
        self.group = group
        self.send_server_hello(group, share)

    # ------------------------------------------------------------ PSK
    def accept_psk(self, info: ClientHelloInfo, raw: bytes) -> TicketState | None:
        """The first ticket we made that is still valid and fits; its binder must verify."""
        if info.psk is None or 1 not in (info.psk_modes or ()):
            return None
        identities, binders = info.psk
        now = self.config.clock()
        for index, (ticket, obfuscated_age) in enumerate(identities):
            state = open_ticket(self.config.ticket_keys, ticket)
            if state is None or state.version != PV.TLSv1_3:
                continue
            info_suite = SUITES.get(state.cipher_suite)
            if info_suite is None or info_suite.hash is not self.suite.hash:
                continue
            if now - state.issued_at > self.config.ticket_lifetime or now < state.issued_at - 10:
                continue
            if (state.server_name or None) != (info.sni or None):
                continue
            ks = KeySchedule(self.suite, state.secret)
            truncated = raw[: len(raw) - X.binders_length(binders)]
            # The transcript's hash started before this hello: empty, or message_hash(CH1) + HRR after a retry.
            if not constant_time_equal(ks.compute_binder(self.transcript.digest_with(truncated)), binders[index]):
                raise TLSError(A.decrypt_error, "PSK binder does not verify")
            self.psk_index = index
            self.psk_ks = ks
            return state
        return None

    # ------------------------------------------------------------ ServerHello
    def send_server_hello(self, group: int, client_share: bytes) -> None:
        conn, info = self.conn, self.info
        server_public, shared = kex.server_exchange(group, client_share, conn.entropy.private_key)
        conn.server_random = conn.entropy.random(32)
        exts = []
        if self.psk_state is not None:
            exts.append((ET.pre_shared_key, u16(self.psk_index)))
        exts.append((ET.key_share, X.encode_key_share_sh(group, server_public)))
        exts.append((ET.supported_versions, _SUPPORTED_VERSIONS_13))
        self._send(ServerHello(conn.server_random, self.suite.suite, exts, info.hello.session_id).encode())
        conn._flush_handshake()
        if info.hello.session_id and not conn._sent_ccs:
            conn._send_change_cipher_spec()
        conn._ccs_allowed = True
        conn._emit(ev.ServerHelloSent("TLSv1.3", self.suite.suite, conn.server_random, group, info.hello.session_id,
                                      self.psk_state is not None))
        conn._emit(ev.KeyExchange(kx_kind(group), group, len(server_public), len(client_share)))
        self.establish_handshake_keys(shared)

    def establish_handshake_keys(self, shared: bytes) -> None:
        conn = self.conn
        self.derive_handshake_secrets(self.psk_ks if self.psk_state is not None else KeySchedule(self.suite), shared)
        conn._set_write_secret(self.server_hs)
        conn._set_read_secret(self.client_hs)
        conn._emit(HANDSHAKE_KEYS)
        self.send_encrypted_extensions()
        if self.psk_state is None:
            self.send_certificate()
            self.send_certificate_verify()
        self.send_server_finished()

    def send_encrypted_extensions(self) -> None:
        info, cfg, conn = self.info, self.config, self.conn
        exts = [(ET.supported_groups, X.encode_u16_list([g for g in cfg._groups if g in SUPPORTED_GROUPS]))]
        if info.record_size_limit is not None:
            if cfg.record_size_limit is not None:
                exts.append((ET.record_size_limit, u16(cfg.record_size_limit)))
            conn._apply_record_size_limit(info.record_size_limit, cfg.record_size_limit)
        if info.sni:  # we used the name (to pick a certificate or check the ticket): acknowledge it
            exts.append((ET.server_name, b""))
        if self.alpn is not None:
            exts.append((ET.application_layer_protocol_negotiation, X.encode_alpn([self.alpn.encode("latin-1")])))
        self._send(EncryptedExtensions(exts).encode())

    def send_certificate(self) -> None:
        self._send(Certificate13(list(self.certified.der_chain)).encode())
        self.conn._emit(ev.CertificateSent(self.certified.chain))

    def send_certificate_verify(self) -> None:
        content = SERVER_CV_CONTEXT + self.transcript.digest()
        signature = sign(self.certified.key, self.scheme, content)
        self._send(CertificateVerify(self.scheme, signature).encode())
        self.conn._emit(ev.CertificateVerifySent(self.scheme))

    def send_server_finished(self) -> None:
        conn, ks = self.conn, self.ks
        verify_data = ks.finished_mac(self.server_hs, self.transcript.digest())
        self._send(Finished(verify_data).encode())
        conn._emit(ev.FinishedSent(verify_data))
        c_ap, s_ap = self.derive_application_secrets()
        self.client_ap = c_ap
        conn._set_write_secret(s_ap)
        conn._emit(APPLICATION_KEYS)
        self._next("client Finished", finished=self.read_client_finished)

    # ------------------------------------------------------------ client Finished
    def read_client_finished(self, raw: bytes) -> None:
        conn, ks = self.conn, self.ks
        self.accept_finished13(self.client_hs, raw, "client")
        conn._set_read_secret(self.client_ap)
        self.resumption_master = ks.resumption_master_secret(self.transcript.digest())
        conn._complete(ev.HandshakeComplete(
            version="TLSv1.3", cipher_suite=self.suite.suite, group=self.group, alpn_protocol=self.alpn,
            peer_certificates=(), server_name=self.info.sni, resumed=self.psk_state is not None,
            key_exchange=kx_kind(self.group), signature_scheme=self.scheme,
        ))
        self._next("post-handshake")
        if 1 in (self.info.psk_modes or ()):
            self.send_new_session_tickets(self.config.session_tickets)

    def send_new_session_tickets(self, count: int) -> None:
        conn, cfg = self.conn, self.config
        for _ in range(count):
            nonce = u16(self._tickets_sent)
            self._tickets_sent += 1
            age_add = int.from_bytes(conn.entropy.random(4), "big")
            psk = self.ks.resumption_psk(self.resumption_master, nonce)
            state = TicketState(PV.TLSv1_3, self.suite.suite, psk, cfg.clock(), age_add, self.alpn, self.info.sni)
            ticket = seal_ticket(cfg.ticket_keys, state)
            conn._send_handshake(NewSessionTicket13(cfg.ticket_lifetime, age_add, nonce, ticket).encode())
            conn._emit(ev.SessionTicketSent(cfg.ticket_lifetime))
        conn._flush_handshake()


# What a second ClientHello may change (RFC 8446 §4.1.2): the key share, the cookie, early data,
# the PSK (its ticket age and binder) and the padding.
_MAY_CHANGE = frozenset({ET.key_share, ET.cookie, ET.early_data, ET.pre_shared_key, ET.padding})


def _unchanging(hello) -> list:
    return [(t, d) for t, d in hello.extensions if t not in _MAY_CHANGE]

