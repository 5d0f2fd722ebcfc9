"""The client's handshake, TLS 1.2 (RFC 5246 §7.3), after a TLS 1.2 ServerHello.

Full: process_server_hello -> read_server_certificate -> read_server_key_exchange
(ECDHE/DHE) -> read_server_hello_done -> send_client_key_exchange (ECDHE share,
DHE share, or the guide's RSA-encrypted premaster secret) -> send
ChangeCipherSpec and Finished -> [read_new_session_ticket] -> read
ChangeCipherSpec -> read_server_finished.
Abbreviated (resumption by session ID or ticket): the server's Finished comes
first, then ours.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import padding, rsa

from port443.tls import events as ev
from port443.tls import extensions as X
from port443.tls.client13 import check_scheme_fits_certificate, check_server_chain, leaf_public_key, server_alpn
from port443.tls.enums import AlertDescription as A
from port443.tls.enums import AlertLevel
from port443.tls.enums import ExtensionType as ET
from port443.tls.enums import HandshakeType, NamedGroup
from port443.tls.enums import ProtocolVersion as PV
from port443.tls.errors import DecodeError, HandshakeFailure, IllegalParameter, TLSError
from port443.tls.kex import KX_KIND, ClientShare, is_tls12_curve, dh_exchange, dh_generate, dh_public_bytes
from port443.tls.messages import ServerHello
from port443.tls.messages12 import (
    Certificate12, CertificateRequest12, NewSessionTicket12, ServerKeyExchange, client_key_exchange,
    decode_server_hello_done,
)
from port443.tls.session import Session
from port443.tls.sigs import verify as verify_signature
from port443.tls.steps import Tls12Steps
from port443.tls.suites import SUITES
from port443.tls.tls12_keys import Tls12Keys

MIN_DH_BITS = 1024  # below this, finite-field DH is breakable (Logjam)


class Client12Handshake(Tls12Steps):
    is_client = True

    def __init__(self, prev, sh: ServerHello, raw: bytes) -> None:
        self.conn = prev.conn
        self.config = prev.config
        self.plan = prev.plan
        self.transcript = prev.transcript
        self.offered = prev.offered_extensions
        self.server_chain = ()
        self.group: int | None = None
        self.ticket: bytes | None = None
        self.certificate_requested = False
        self.renegotiation_attempts = 0
        self.signature_scheme: int | None = None
        self.process_server_hello(sh, raw)

    # ------------------------------------------------------------ ServerHello
    def process_server_hello(self, sh: ServerHello, raw: bytes) -> None:
        conn, plan, cfg = self.conn, self.plan, self.config
        info = SUITES.get(sh.cipher_suite)
        if sh.cipher_suite not in plan.suites or info is None or info.tls13:
            raise IllegalParameter(f"server selected cipher suite {sh.cipher_suite:#06x}, which we did not offer for TLS 1.2")
        if sh.compression_method != 0:
            raise IllegalParameter("server selected a compression method")
        for t in sh.extension_types:
            if t not in self.offered:
                raise TLSError(A.unsupported_extension, f"server sent extension {t} that we did not offer")
        for t in (ET.extended_master_secret, ET.encrypt_then_mac, ET.session_ticket, ET.status_request):
            if sh.ext(t):
                raise DecodeError(f"ServerHello extension {t} must be empty")
        ri = sh.ext(ET.renegotiation_info)
        if ri is not None and X.decode_renegotiation_info(ri) != b"":
            raise HandshakeFailure("renegotiation_info is not empty in an initial handshake (RFC 5746)")
        self.secure_renegotiation = ri is not None
        self.ems = sh.has(ET.extended_master_secret)
        self.etm = info.cipher == "AESCBC" and sh.has(ET.encrypt_then_mac)
        formats = sh.ext(ET.ec_point_formats)
        if formats is not None and 0 not in X.decode_ec_point_formats(formats):
            raise IllegalParameter("server does not accept uncompressed EC points")
        self.alpn = server_alpn(cfg, sh.ext(ET.application_layer_protocol_negotiation))
        self.expect_ticket = sh.has(ET.session_ticket)
        self.expect_status = sh.has(ET.status_request)  # a CertificateStatus may follow the Certificate
        rsl = sh.ext(ET.record_size_limit)
        if rsl is not None:  # RFC 8449: in TLS 1.2 the limit counts plaintext only
            conn._apply_record_size_limit(X.decode_record_size_limit(rsl), cfg.record_size_limit)
        self.suite = info
        self.session_id = sh.session_id
        conn.version = PV.TLSv1_2
        conn._ccs_allowed = False
        conn.server_random = sh.random
        self.transcript.start_hash(info.hash())
        self.transcript.add(raw)
        self.keys = Tls12Keys(info, plan.random, sh.random)
        session = plan.tls12_session
        self.resumed = bool(session is not None and sh.session_id and sh.session_id == plan.session_id)
        conn._emit(ev.ServerHelloReceived("TLSv1.2", sh.cipher_suite, sh.random, None, sh.session_id, self.resumed))
        if self.resumed:
            if session.cipher_suite != sh.cipher_suite:
                raise IllegalParameter("server resumed a session with a different cipher suite")
            if session.extended_master_secret != self.ems:
                raise HandshakeFailure("server resumed a session with a different extended-master-secret state (RFC 7627 §5.3)")
            self.alpn = self.alpn or session.alpn_protocol
            self.resume_session_keys(session.secret)
            self._expect_server_finish()
        else:
            self._next("Certificate", certificate=self.read_server_certificate)

    def handle(self, mtype: int, raw: bytes) -> None:
        if mtype == HandshakeType.hello_request and not self.conn.handshake_complete:
            if len(raw) != 4:
                raise DecodeError("HelloRequest must be empty")
            return  # RFC 5246 §7.4.1.1: ignored while a handshake is under way (and not hashed)
        super().handle(mtype, raw)

    # ------------------------------------------------------------ full handshake
    def read_server_certificate(self, raw: bytes) -> None:
        msg = Certificate12.decode(memoryview(raw)[4:])
        if not msg.certificates:
            raise TLSError(A.bad_certificate, "server sent an empty Certificate")
        self.server_chain = check_server_chain(self.conn, msg.certificates)
        self.server_key = leaf_public_key(self.server_chain[0])
        is_rsa = isinstance(self.server_key, rsa.RSAPublicKey)
        if (self.suite.auth == "RSA") != is_rsa:  # RFC 5246 §7.4.2: the key must fit the suite
            raise TLSError(A.unsupported_certificate, f"a {self.suite.auth} suite needs a{'n RSA' if self.suite.auth == 'RSA' else 'n ECDSA'} certificate")
        self.transcript.add(raw)
        self._after_certificate(status_allowed=self.expect_status)

    def _after_certificate(self, status_allowed: bool) -> None:
        extra = {"certificate_status": self.read_certificate_status} if status_allowed else {}
        if self.suite.kx == "RSA":
            self._next("CertificateRequest or ServerHelloDone", certificate_request=self.read_certificate_request,
                       server_hello_done=self.read_server_hello_done, **extra)
        else:
            self._next("ServerKeyExchange", server_key_exchange=self.read_server_key_exchange, **extra)

    def read_certificate_status(self, raw: bytes) -> None:
        staple = X.decode_certificate_status(bytes(memoryview(raw)[4:]))
        self.transcript.add(raw)
        self.conn._emit(ev.CertificateStatusReceived(staple))
        self._after_certificate(status_allowed=False)

    def read_server_key_exchange(self, raw: bytes) -> None:
        conn, cfg = self.conn, self.config
        ske = ServerKeyExchange.decode(memoryview(raw)[4:], self.suite.kx)
        if ske.scheme not in cfg._schemes:
            raise IllegalParameter(f"server signed with scheme {ske.scheme:#06x}, which we did not offer")
        signed = self.plan.random + conn.server_random + ske.params
        check_scheme_fits_certificate(self.server_chain[0], ske.scheme)
        if not verify_signature(self.server_key, ske.scheme, ske.signature, signed):
            raise TLSError(A.decrypt_error, "ServerKeyExchange signature does not verify")
        self.signature_scheme = ske.scheme
        if ske.kind == "ECDHE":
            if ske.group not in cfg._groups or not is_tls12_curve(ske.group):
                raise IllegalParameter(f"server chose curve {ske.group}, which we did not offer")
            share = ClientShare(ske.group, conn.entropy.private_key(ske.group))
            self.premaster = share.finish(ske.public)
            self.our_public = share.public
            self.group = ske.group
        else:
            if ske.dh_p.bit_length() < MIN_DH_BITS:
                raise TLSError(A.insufficient_security, f"server's DH group has only {ske.dh_p.bit_length()} bits")
            if not 1 < ske.dh_g < ske.dh_p - 1:
                raise IllegalParameter("DH generator out of range")
            try:
                key = dh_generate(ske.dh_p, ske.dh_g)
            except ValueError as exc:
                raise IllegalParameter(f"unusable DH parameters: {exc}") from None
            self.premaster = dh_exchange(key, ske.public, None)
            self.our_public = dh_public_bytes(key, (ske.dh_p.bit_length() + 7) // 8)
            self.group = _ffdhe_group(ske.dh_p)
        conn._emit(ev.KeyExchange(KX_KIND[ske.kind], self.group, len(self.our_public), len(ske.public)))
        self.transcript.add(raw)
        self._next("CertificateRequest or ServerHelloDone", certificate_request=self.read_certificate_request,
                   server_hello_done=self.read_server_hello_done)

    def read_certificate_request(self, raw: bytes) -> None:
        CertificateRequest12.decode(memoryview(raw)[4:])
        self.certificate_requested = True
        self.transcript.add(raw)
        self._next("ServerHelloDone", server_hello_done=self.read_server_hello_done)

    def read_server_hello_done(self, raw: bytes) -> None:
        decode_server_hello_done(memoryview(raw)[4:])
        self.transcript.add(raw)
        self.send_client_key_exchange()

    def send_client_key_exchange(self) -> None:
        conn = self.conn
        if self.certificate_requested:  # we have no client certificate: say so with an empty list
            self._send(Certificate12([]).encode())
        if self.suite.kx == "RSA":
            # The guide's step: random bytes, encrypted with the server's public key (RFC 5246 §7.4.7.1).
            self.premaster = b"\x03\x03" + conn.entropy.random(46)
            try:
                encrypted = self.server_key.encrypt(self.premaster, padding.PKCS1v15())
            except ValueError as exc:  # e.g. a key too small to hold the premaster secret
                raise TLSError(A.unsupported_certificate, f"cannot encrypt to the server's RSA key: {exc}") from None
            self._send(client_key_exchange("RSA", encrypted))
            conn._emit(ev.KeyExchange(KX_KIND["RSA"], None, len(encrypted), 0))
        else:
            self._send(client_key_exchange(self.suite.kx, self.our_public))
        self.derive_session_keys(self.premaster)
        self.premaster = b""
        self.send_change_cipher_spec_and_finished()
        self._expect_server_finish()

    # ------------------------------------------------------------ Finished both ways
    def _expect_server_finish(self) -> None:
        if self.expect_ticket:
            self._next("NewSessionTicket", new_session_ticket=self.read_new_session_ticket)
        else:
            self._next("ChangeCipherSpec")

    def read_new_session_ticket(self, raw: bytes) -> None:
        nst = NewSessionTicket12.decode(memoryview(raw)[4:])
        self.ticket = nst.ticket or None
        self.ticket_lifetime = nst.lifetime_hint or 7200
        self.transcript.add(raw)
        self._offer_session()  # in wire order: the ticket comes before the server's Finished
        self._next("ChangeCipherSpec")

    def read_peer_finished(self, raw: bytes) -> None:
        """The server's Finished; in a resumption ours follows it."""
        conn = self.conn
        self.check_peer_finished(raw)
        if self.resumed:
            self.send_change_cipher_spec_and_finished()
        conn._complete(ev.HandshakeComplete(
            version="TLSv1.2", cipher_suite=self.suite.suite, group=self.group, alpn_protocol=self.alpn,
            peer_certificates=self.server_chain, server_name=self.config.server_name, resumed=self.resumed,
            key_exchange=KX_KIND[self.suite.kx] if not self.resumed else "resumed", signature_scheme=self.signature_scheme,
        ))
        if self.ticket is None:
            self._offer_session()  # a session ID is only worth keeping once the handshake completed
        self._next("application data", hello_request=self.refuse_renegotiation)

    def _offer_session(self) -> None:
        if self.resumed and self.ticket is None or not self.ticket and not self.session_id:
            return
        session = Session(
            version=PV.TLSv1_2, cipher_suite=self.suite.suite, secret=self.keys.master, ticket=self.ticket or b"",
            server_name=self.config.server_name, received_at=self.config.clock(),
            lifetime=getattr(self, "ticket_lifetime", 7200), alpn_protocol=self.alpn,
            session_id=b"" if self.ticket else self.session_id, extended_master_secret=self.ems,
        )
        self.conn._emit(ev.SessionTicketReceived(session, session.lifetime))

    def refuse_renegotiation(self, raw: bytes) -> None:
        """HelloRequest: we never renegotiate. First a warning, then a fatal alert (RFC 5746 §4.2)."""
        if len(raw) != 4:
            raise DecodeError("HelloRequest must be empty")
        self.renegotiation_attempts += 1
        if self.renegotiation_attempts > 1:
            raise TLSError(A.unexpected_message, "server keeps asking to renegotiate")
        self.conn._send_alert(AlertLevel.warning, A.no_renegotiation)


def _ffdhe_group(p: int) -> int | None:
    from port443.tls.ffdhe import FFDHE_PRIMES

    for group, prime in FFDHE_PRIMES.items():
        if prime == p:
            return NamedGroup(group)
    return None
