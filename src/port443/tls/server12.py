"""The server's handshake, TLS 1.2 (RFC 5246 §7.3), after a ClientHello that negotiated 1.2.

Full: process_client_hello -> send_server_hello, send_certificate,
send_server_key_exchange (ECDHE), send_server_hello_done ->
read_client_key_exchange (ECDHE share, or the RSA-encrypted premaster
secret in the legacy profile) -> read ChangeCipherSpec -> read_client_finished
-> [NewSessionTicket], ChangeCipherSpec, Finished.
Abbreviated (session ID or ticket): our Finished first, then the client's.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import padding

from port443.tls import events as ev
from port443.tls import extensions as X
from port443.tls.codec import vec8
from port443.tls.enums import AlertDescription as A
from port443.tls.enums import AlertLevel
from port443.tls.enums import ExtensionType as ET
from port443.tls.enums import NamedGroup, ProtocolVersion as PV
from port443.tls.errors import HandshakeFailure, IllegalParameter, TLSError
from port443.tls.kex import KX_KIND, _dh, _public_bytes, is_tls12_curve
from port443.tls.key_schedule import constant_time_equal
from port443.tls.messages import DOWNGRADE_TLS12, ServerHello
from port443.tls.messages12 import (
    Certificate12, NewSessionTicket12, ServerKeyExchange, decode_client_key_exchange, server_hello_done,
)
from port443.tls.server_hello import ClientHelloInfo, _key_auth, choose_alpn, choose_certificate, choose_suite
from port443.tls.session import TicketState, open_ticket, seal_ticket
from port443.tls.sigs import sign
from port443.tls.steps import Tls12Steps
from port443.tls.suites import SUITES
from port443.tls.tls12_keys import Tls12Keys
from port443.tls.transcript import Transcript

SCSV_RENEGOTIATION = 0x00FF
_DEFAULT_SCHEME = {"RSA": 0x0201, "ECDSA": 0x0203}  # RFC 5246 §7.4.1.4.1: no signature_algorithms means SHA-1


class Server12Handshake(Tls12Steps):
    is_client = False

    def __init__(self, conn, info: ClientHelloInfo) -> None:
        self.conn = conn
        self.config = conn.config
        self.info = info
        self.transcript = Transcript()
        self.renegotiation_attempts = 0
        self.group: int | None = None
        self.scheme: int | None = None
        self.state: TicketState | None = None
        self.process_client_hello(info)

    # ------------------------------------------------------------ ClientHello
    def process_client_hello(self, info: ClientHelloInfo) -> None:
        conn, cfg = self.conn, self.config
        hello = info.hello
        conn.version = PV.TLSv1_2
        conn._ccs_allowed = False
        if 0 not in hello.compression_methods:
            raise HandshakeFailure("client offers no null compression")
        if info.renegotiation_info not in (None, b""):
            raise HandshakeFailure("renegotiation_info is not empty in an initial handshake (RFC 5746)")
        self.secure_renegotiation = info.renegotiation_info is not None or SCSV_RENEGOTIATION in hello.cipher_suites
        self.ems = info.extended_master_secret
        if info.ec_point_formats is not None and 0 not in info.ec_point_formats:
            raise IllegalParameter("client does not accept uncompressed EC points (RFC 8422 §5.1.2)")
        self.alpn = choose_alpn(cfg, info)
        self.state = self._find_session(info)
        if self.state is not None:
            self.suite = SUITES[self.state.cipher_suite]
        else:
            self.suite = SUITES[choose_suite(cfg, info, tls13=False, usable=self._usable)]
        self.transcript.start_hash(self.suite.hash())
        self.transcript.add(info.raw)
        self.send_server_hello()

    def _usable(self, suite) -> bool:
        if suite.cipher == "AESCBC" or suite.kx == "DHE":
            return False  # the server never offers CBC, nor finite-field DHE
        if suite.kx == "RSA" and not self.config.legacy_rsa_key_exchange:
            return False
        if suite.kx == "ECDHE" and self._ecdhe_group() is None:
            return False
        keys = self.config._alpn_certified.get(self.alpn, self.config._certified_keys)
        return any(_key_auth(ck.key) == suite.auth for ck in keys)

    def _ecdhe_group(self) -> int | None:
        offered = self.info.groups or [NamedGroup.secp256r1]  # RFC 8422 §4: none sent, assume P-256
        for g in self.config._groups:
            if g in offered and is_tls12_curve(g):
                return g
        return None

    def _find_session(self, info: ClientHelloInfo) -> TicketState | None:
        """A session to resume: the client's ticket, else its session ID in our cache."""
        cfg = self.config
        state = None
        if info.session_ticket and info.hello.session_id:
            state = open_ticket(cfg.ticket_keys, info.session_ticket)
        if state is None and info.hello.session_id:
            state = cfg.session_cache.get(info.hello.session_id)
        if state is None or state.version != PV.TLSv1_2:
            return None
        if state.cipher_suite not in info.hello.cipher_suites or state.cipher_suite not in cfg._suites:
            return None
        if cfg.clock() - state.issued_at > cfg.ticket_lifetime:
            return None
        if (state.server_name or None) != (info.sni or None):
            return None
        if state.extended_master_secret and not self.ems:
            raise HandshakeFailure("client resumes an extended-master-secret session without the extension (RFC 7627 §5.3)")
        if not state.extended_master_secret:
            return None  # a session without EMS is not resumed: a full handshake, now with EMS if offered
        return state

    # ------------------------------------------------------------ our first flight
    def send_server_hello(self) -> None:
        conn, cfg, info = self.conn, self.config, self.info
        random = conn.entropy.random(32)
        if PV.TLSv1_3 in cfg._versions:
            random = random[:24] + DOWNGRADE_TLS12  # RFC 8446 §4.1.3: we could have done 1.3
        conn.server_random = random
        resumed = self.state is not None
        self.session_id = info.hello.session_id if resumed else conn.entropy.random(32)
        self.issue_ticket = info.session_ticket is not None and cfg.session_tickets > 0 and not resumed
        exts = []
        if self.secure_renegotiation:
            exts.append((ET.renegotiation_info, vec8(b"")))
        if self.ems:
            exts.append((ET.extended_master_secret, b""))
        if self.suite.kx == "ECDHE" and info.ec_point_formats is not None and not resumed:
            exts.append((ET.ec_point_formats, vec8(b"\x00")))
        if self.issue_ticket:
            exts.append((ET.session_ticket, b""))
        if info.sni and not resumed:  # we used the name to pick the certificate (RFC 6066 §3)
            exts.append((ET.server_name, b""))
        if info.record_size_limit is not None and cfg.record_size_limit is not None:
            exts.append((ET.record_size_limit, X.u16(min(cfg.record_size_limit, 16384))))
            conn._apply_record_size_limit(info.record_size_limit, cfg.record_size_limit)
        if self.alpn is not None:
            exts.append((ET.application_layer_protocol_negotiation, X.encode_alpn([self.alpn.encode("latin-1")])))
        self._send(ServerHello(random, self.suite.suite, exts, self.session_id).encode())
        conn._emit(ev.ServerHelloSent("TLSv1.2", self.suite.suite, random, None, self.session_id, resumed))
        self.keys = Tls12Keys(self.suite, info.hello.random, random)
        if resumed:
            self.alpn = self.alpn or self.state.alpn_protocol
            self.resume_session_keys(self.state.secret)
            self.send_change_cipher_spec_and_finished()
            self._next("ChangeCipherSpec")
            return
        self.certified, scheme = choose_certificate(cfg, info, tls13=False, auth=self.suite.auth, alpn=self.alpn)
        self.scheme = scheme or _DEFAULT_SCHEME[self.suite.auth]
        self._send(Certificate12(list(self.certified.der_chain)).encode())
        conn._emit(ev.CertificateSent(self.certified.chain))
        if self.suite.kx == "ECDHE":
            self.send_server_key_exchange()
        self._send(server_hello_done())
        conn._flush_handshake()
        self._next("ClientKeyExchange", client_key_exchange=self.read_client_key_exchange)

    def send_server_key_exchange(self) -> None:
        conn = self.conn
        self.group = self._ecdhe_group()
        self.private = conn.entropy.private_key(self.group)
        self.public = _public_bytes(self.private)
        params = ServerKeyExchange.ecdhe_params(self.group, self.public)
        signed = self.info.hello.random + conn.server_random + params
        signature = sign(self.certified.key, self.scheme, signed)
        self._send(ServerKeyExchange("ECDHE", params, scheme=self.scheme, signature=signature).encode())
        conn._emit(ev.CertificateVerifySent(self.scheme))

    # ------------------------------------------------------------ the client's answer
    def read_client_key_exchange(self, raw: bytes) -> None:
        conn = self.conn
        value = decode_client_key_exchange(memoryview(raw)[4:], self.suite.kx)
        if self.suite.kx == "ECDHE":
            premaster = _dh(self.group, self.private, value)
            conn._emit(ev.KeyExchange(KX_KIND["ECDHE"], self.group, len(self.public), len(value)))
        else:
            premaster = self.decrypt_premaster_secret(value)
            conn._emit(ev.KeyExchange(KX_KIND["RSA"], None, 0, len(value)))
        self.transcript.add(raw)
        self.derive_session_keys(premaster)
        self._next("ChangeCipherSpec")

    def decrypt_premaster_secret(self, encrypted: bytes) -> bytes:
        """RFC 5246 §7.4.7.1: on any failure (padding, length, version) carry on with a
        random premaster secret, so that nothing the client can observe differs: no
        alert, no timing branch of ours, the handshake simply fails at Finished."""
        fallback = self.conn.entropy.random(48)
        try:
            decrypted = self.certified.key.decrypt(encrypted, padding.PKCS1v15())
        except ValueError:
            decrypted = b""
        version = self.info.hello.legacy_version.to_bytes(2, "big")
        candidate = decrypted.ljust(48, b"\x00")[:48]
        good = len(decrypted) == 48 and constant_time_equal(candidate[:2], version)
        mask = -int(good) & 0xFF
        return bytes((c & mask) | (f & ~mask & 0xFF) for c, f in zip(candidate, fallback))

    def read_peer_finished(self, raw: bytes) -> None:
        """The client's Finished; after a full handshake our ticket, CCS and Finished follow."""
        conn = self.conn
        self.check_peer_finished(raw)
        resumed = self.state is not None
        if not resumed:
            state = TicketState(PV.TLSv1_2, self.suite.suite, self.keys.master, self.config.clock(), 0, self.alpn,
                                self.info.sni, self.ems)
            self.config.session_cache.put(self.session_id, state)
            if self.issue_ticket:
                ticket = seal_ticket(self.config.ticket_keys, state)
                self._send(NewSessionTicket12(self.config.ticket_lifetime, ticket).encode())
                conn._emit(ev.SessionTicketSent(self.config.ticket_lifetime))
            self.send_change_cipher_spec_and_finished()
        conn._complete(ev.HandshakeComplete(
            version="TLSv1.2", cipher_suite=self.suite.suite, group=self.group, alpn_protocol=self.alpn,
            peer_certificates=(), server_name=self.info.sni, resumed=resumed,
            key_exchange=KX_KIND[self.suite.kx] if not resumed else "resumed", signature_scheme=self.scheme,
        ))
        self._next("application data", client_hello=self.refuse_renegotiation)

    def refuse_renegotiation(self, raw: bytes) -> None:
        """A ClientHello after the handshake: we never renegotiate (RFC 5746 §4.4)."""
        self.renegotiation_attempts += 1
        if self.renegotiation_attempts > 1:
            raise TLSError(A.unexpected_message, "client keeps trying to renegotiate")
        self.conn._send_alert(AlertLevel.warning, A.no_renegotiation)
        self.conn._flush_handshake()
