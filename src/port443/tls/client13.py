"""The client's handshake, TLS 1.3 (RFC 8446 §2, §4), step by step.

Reads top to bottom as the RFC does: send_client_hello,
process_server_hello (or process_hello_retry_request),
establish_handshake_keys, read_encrypted_extensions,
read_server_certificate, read_server_certificate_verify,
read_server_finished, send_client_finished, then post-handshake messages.
`_expect` is the table of what may arrive next and who handles it.
A TLS 1.2 ServerHello hands over to client12.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from port443.tls import events as ev
from port443.tls import extensions as X
from port443.tls.client_hello import HelloPlan, build_client_hello, is_ip_literal, plan_suites, with_binder
from port443.tls.enums import AlertDescription as A
from port443.tls.enums import ExtensionType as ET
from port443.tls.enums import HandshakeType as HT
from port443.tls.enums import SignatureScheme
from port443.tls.enums import ProtocolVersion as PV
from port443.tls.errors import (
    CertificateError, DecodeError, IllegalParameter, TLSError, UnexpectedMessage,
)
from port443.tls.kex import ClientShare, kx_kind
from port443.tls.key_schedule import KeySchedule, digest
from port443.tls.messages import (
    DOWNGRADE_TLS11, DOWNGRADE_TLS12, Certificate13, CertificateRequest13, CertificateVerify,
    EncryptedExtensions, Finished, NewSessionTicket13, ServerHello,
)
from port443.tls.session import Session
from port443.tls.sigs import TLS13_SCHEMES, verify as verify_signature
from port443.tls.server_hello import version_label
from port443.tls.steps import APPLICATION_KEYS, HANDSHAKE_KEYS, SERVER_CV_CONTEXT, Tls13Steps
from port443.tls.suites import SUITES
from port443.tls.transcript import Transcript

MAX_TICKET_LIFETIME = 604800  # seconds: 7 days

# Extensions a server may put in EncryptedExtensions (RFC 8446 §4.2 table), answering ours.
_EE_ALLOWED = frozenset({
    ET.server_name, ET.max_fragment_length, ET.supported_groups, ET.use_srtp, ET.heartbeat,
    ET.application_layer_protocol_negotiation, ET.client_certificate_type, ET.server_certificate_type,
    ET.early_data, ET.record_size_limit,
})
_SH_ALLOWED = frozenset({ET.supported_versions, ET.key_share, ET.pre_shared_key})
_HRR_ALLOWED = frozenset({ET.supported_versions, ET.key_share, ET.cookie})


def verification_alert(name: str | None) -> A:
    try:
        return A[name] if name else A.bad_certificate
    except KeyError:
        return A.bad_certificate


def check_server_chain(conn, chain_der: list[bytes]) -> tuple[x509.Certificate, ...]:
    """Parse the server's chain and, unless verification is off, validate it (both versions)."""
    try:
        chain = tuple(x509.load_der_x509_certificate(d) for d in chain_der)
        for cert in chain:
            cert.version  # noqa: B018 - parsed lazily: an invalid version surfaces here, not later
    except (ValueError, x509.InvalidVersion) as exc:
        raise TLSError(A.bad_certificate, f"unparseable server certificate: {exc}") from None
    conn._emit(ev.CertificateReceived(chain))
    cfg = conn.config
    if cfg.verify is False:
        conn._emit(ev.CertificateVerified(False, "not checked (verification is off)", None, checked=False))
        return chain
    from port443.pki.verify import verify_server_chain

    now = dt.datetime.fromtimestamp(cfg.clock(), dt.timezone.utc)
    result = verify_server_chain(chain, cfg.server_name, cfg.trust(), now)
    conn._emit(ev.CertificateVerified(result.trusted, result.reason, result))
    if not result.trusted and cfg.verify != "report":
        raise CertificateError(verification_alert(result.alert), f"certificate not trusted: {result.reason}", result)
    return chain


class ClientHandshake(Tls13Steps):
    """The client side from ClientHello through a TLS 1.3 handshake."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.config = conn.config
        self.transcript = Transcript()
        self.plan: HelloPlan | None = None
        self.hello_retry = False
        self.hrr_suite: int | None = None
        self.suite = None
        self.ks: KeySchedule | None = None
        self.psk_accepted = False
        self.group: int | None = None
        self.server_chain: tuple[x509.Certificate, ...] = ()
        self.server_authenticated = False  # proof: CertificateVerify checked, or PSK accepted
        self.alpn: str | None = None
        self.certificate_request: CertificateRequest13 | None = None
        self.signature_scheme: int | None = None
        self._expect: dict[int, object] = {HT.server_hello: self.process_server_hello}
        self._state = "wait ServerHello"

    # ------------------------------------------------------------ ClientHello
    def send_client_hello(self) -> None:
        cfg, conn, entropy = self.config, self.conn, self.conn.entropy
        versions = cfg._versions
        sni = cfg.server_name if cfg.server_name and not is_ip_literal(cfg.server_name) else None
        session = cfg.session if _resumable(cfg) else None
        plan = HelloPlan(versions=versions, suites=plan_suites(cfg, versions), random=entropy.random(32),
                         session_id=b"", sni=sni)
        if session is not None and session.version == PV.TLSv1_3 and plan.offers_tls13 and session.cipher_suite in plan.suites:
            plan.psk_session = session
        elif session is not None and session.version == PV.TLSv1_2 and plan.offers_tls12:
            plan.tls12_session = session
        if plan.tls12_session is not None and plan.tls12_session.session_id:
            plan.session_id = plan.tls12_session.session_id
        elif plan.offers_tls13 and cfg.compatibility_mode or plan.tls12_session is not None:
            plan.session_id = entropy.random(32)
        if plan.offers_tls13:
            # Key shares go in the order of supported_groups (RFC 8446 §4.2.8).
            plan.shares = {g: ClientShare(g, entropy.private_key(g)) for g in cfg._groups if g in cfg._key_share_groups}
        self.plan = plan
        conn.client_random = plan.random
        # The first ClientHello may carry record version 0x0301 for old middleboxes (RFC 8446 §5.1).
        conn._write.record_version = 0x0301
        self._send_hello(retry=False)
        conn._write.record_version = 0x0303
        conn._ccs_allowed = plan.offers_tls13

    def _send_hello(self, retry: bool) -> None:
        plan, cfg = self.plan, self.config
        psk = plan.psk_session
        binder_len = SUITES[psk.cipher_suite].hash_len if psk is not None else 0
        hello = build_client_hello(cfg, plan, [binder_len] if psk is not None else None)
        self.offered_extensions = frozenset(hello.extension_types)
        raw = hello.encode()
        if psk is not None:
            ks = KeySchedule(SUITES[psk.cipher_suite], psk.secret)
            truncated = raw[: len(raw) - X.binders_length([bytes(binder_len)])]
            if retry:
                binder_hash = self.transcript.digest_with(truncated)
            else:
                binder_hash = digest(ks.algorithm, truncated)
            raw = with_binder(raw, ks.compute_binder(binder_hash))
            self.psk_ks = ks
        self._send(raw)
        self.conn._flush_handshake()
        self.conn._emit(ev.ClientHelloSent(
            versions=tuple(v.label for v in plan.versions), cipher_suites=tuple(plan.suites),
            groups=tuple(cfg._groups), key_share_groups=tuple(plan.shares), signature_algorithms=tuple(cfg._schemes),
            random=plan.random, server_name=plan.sni, alpn_protocols=tuple(cfg.alpn_protocols),
            session_id=plan.session_id, resumption_offered=psk is not None or plan.tls12_session is not None,
            retry=retry, raw=raw,
        ))

    # ------------------------------------------------------------ ServerHello
    def process_server_hello(self, raw: bytes) -> None:
        sh = ServerHello.decode(memoryview(raw)[4:])
        if sh.is_hello_retry_request:
            return self.process_hello_retry_request(sh, raw)
        plan = self.plan
        sv = sh.ext(ET.supported_versions)
        if sv is None:
            return self._negotiate_legacy_version(sh, raw)
        version = X.decode_u16(sv, "supported_versions")
        if version != PV.TLSv1_3 or not plan.offers_tls13:
            raise IllegalParameter(f"server selected version {version:#06x}, which we did not offer")
        self._check_hello_common(sh, allowed=_SH_ALLOWED)
        if self.hello_retry and sh.cipher_suite != self.hrr_suite:
            raise IllegalParameter("ServerHello suite differs from the HelloRetryRequest's")
        conn = self.conn
        conn.version = PV.TLSv1_3
        conn.server_random = sh.random
        self.suite = SUITES[sh.cipher_suite]
        conn._cipher = self.suite.cipher
        psk_ext = sh.ext(ET.pre_shared_key)
        if psk_ext is not None:
            if plan.psk_session is None:
                raise _unsupported("server selected a PSK we did not offer")
            if X.decode_u16(psk_ext, "pre_shared_key") != 0:
                raise IllegalParameter("server selected a PSK identity we did not offer")
            if SUITES[plan.psk_session.cipher_suite].hash is not self.suite.hash:
                raise IllegalParameter("server selected a suite whose hash does not match the PSK")
            self.psk_accepted = True
            self.server_authenticated = True
        share = sh.ext(ET.key_share)
        if share is None:
            raise TLSError(A.missing_extension, "ServerHello has no key_share (we need (EC)DHE)")
        group, server_public = X.decode_key_share_sh(share)
        if group not in plan.shares:
            raise IllegalParameter(f"server answered a key share for a group we did not send ({group})")
        if not self.hello_retry:
            self.transcript.start_hash(self.suite.hash())
        self.transcript.add(raw)
        self.group = group
        shared = plan.shares[group].finish(server_public)
        conn._emit(ev.ServerHelloReceived("TLSv1.3", sh.cipher_suite, sh.random, group, sh.session_id, self.psk_accepted))
        conn._emit(ev.KeyExchange(kx_kind(group), group, len(plan.shares[group].public), len(server_public)))
        self.establish_handshake_keys(shared)

    def _check_hello_common(self, sh: ServerHello, allowed: frozenset) -> None:
        plan = self.plan
        if sh.session_id != plan.session_id:
            raise IllegalParameter("server did not echo our legacy_session_id")
        info = SUITES.get(sh.cipher_suite)
        if sh.cipher_suite not in plan.suites or info is None or not info.tls13:
            raise IllegalParameter(f"server selected cipher suite {sh.cipher_suite:#06x}, which we did not offer")
        if sh.compression_method != 0:
            raise IllegalParameter("server selected a compression method")
        for t in sh.extension_types:
            if t not in allowed:
                raise (IllegalParameter if t in ET._value2member_map_ else _unsupported)(
                    f"server sent extension {t} in its hello"
                )

    def _negotiate_legacy_version(self, sh: ServerHello, raw: bytes) -> None:
        plan = self.plan
        version = sh.legacy_version
        if self.hello_retry:
            raise IllegalParameter("ServerHello after a HelloRetryRequest must keep TLS 1.3 (RFC 8446 §4.1.4)")
        if version == PV.TLSv1_2 and plan.offers_tls12:
            if plan.offers_tls13 and sh.random[-8:] in (DOWNGRADE_TLS12, DOWNGRADE_TLS11):
                raise IllegalParameter("server random carries a downgrade sentinel (RFC 8446 §4.1.3)")
            from port443.tls.client12 import Client12Handshake

            self.conn._hs = Client12Handshake(self, sh, raw)
            return
        if version < PV.TLSv1_2 and sh.random[-8:] in (DOWNGRADE_TLS11, DOWNGRADE_TLS12):
            raise IllegalParameter("server random carries a downgrade sentinel (RFC 8446 §4.1.3)")
        raise TLSError(A.protocol_version, f"server chose {version_label(version)}, which we do not offer")

    def process_hello_retry_request(self, hrr: ServerHello, raw: bytes) -> None:
        plan, conn = self.plan, self.conn
        if self.hello_retry:
            raise UnexpectedMessage("a second HelloRetryRequest")
        sv = hrr.ext(ET.supported_versions)
        if sv is None or X.decode_u16(sv, "supported_versions") != PV.TLSv1_3 or not plan.offers_tls13:
            raise IllegalParameter("HelloRetryRequest without TLS 1.3 in supported_versions")
        self._check_hello_common(hrr, allowed=_HRR_ALLOWED)
        self.hello_retry = True
        self.hrr_suite = hrr.cipher_suite
        suite = SUITES[hrr.cipher_suite]
        selected = None
        ks_ext = hrr.ext(ET.key_share)
        if ks_ext is not None:
            selected = X.decode_u16(ks_ext, "key_share selected_group")
            if selected not in self.config._groups or selected in plan.shares:
                raise IllegalParameter(f"HelloRetryRequest asks for group {selected}, which is not usable")
        cookie_ext = hrr.ext(ET.cookie)
        cookie = X.decode_cookie(cookie_ext) if cookie_ext is not None else None
        if selected is None and cookie is None:
            raise IllegalParameter("HelloRetryRequest that would not change the ClientHello")
        conn._emit(ev.HelloRetryRequestReceived(hrr.cipher_suite, selected, cookie is not None))
        self.transcript.restart_after_hello_retry(suite.hash())
        self.transcript.add(raw)
        if selected is not None:
            try:
                plan.shares = {selected: ClientShare(selected, conn.entropy.private_key(selected))}
            except ValueError:
                raise IllegalParameter(f"cannot make a key share for group {selected}") from None
        plan.cookie = cookie
        if plan.psk_session is not None and SUITES[plan.psk_session.cipher_suite].hash is not suite.hash:
            plan.psk_session = None
        if plan.session_id and self.config.compatibility_mode:
            conn._send_change_cipher_spec()
        self._send_hello(retry=True)

    # ------------------------------------------------------------ handshake keys
    def establish_handshake_keys(self, shared_secret: bytes) -> None:
        conn = self.conn
        self.derive_handshake_secrets(self.psk_ks if self.psk_accepted else KeySchedule(self.suite), shared_secret)
        conn._set_read_secret(self.server_hs)
        # From here our own records (alerts included, RFC 8446 Appendix A.1) use the handshake keys;
        # in compatibility mode the CCS goes first.
        if self.plan.session_id and self.config.compatibility_mode and not conn._sent_ccs:
            conn._send_change_cipher_spec()
        conn._set_write_secret(self.client_hs)
        conn._emit(HANDSHAKE_KEYS)
        self._next("EncryptedExtensions", encrypted_extensions=self.read_encrypted_extensions)

    def read_encrypted_extensions(self, raw: bytes) -> None:
        ee = EncryptedExtensions.decode(memoryview(raw)[4:])
        offered = self.offered_extensions
        for t in ee.extension_types:
            if t not in offered and t != ET.supported_groups:
                raise _unsupported(f"server sent extension {t} that we did not offer")
            if t not in _EE_ALLOWED:
                raise IllegalParameter(f"extension {t} is not allowed in EncryptedExtensions")
        self.alpn = server_alpn(self.config, ee.ext(ET.application_layer_protocol_negotiation))
        rsl = ee.ext(ET.record_size_limit)
        if rsl is not None:
            self.conn._apply_record_size_limit(X.decode_record_size_limit(rsl), self.config.record_size_limit)
        sni_ext = ee.ext(ET.server_name)
        if sni_ext:
            raise DecodeError("server_name in EncryptedExtensions must be empty")
        if ee.has(ET.early_data):
            raise _unsupported("server accepted early data we did not send")
        self.transcript.add(raw)
        self.conn._emit(ev.EncryptedExtensionsReceived(self.alpn, sni_ext is not None, tuple(ee.extension_types)))
        if self.psk_accepted:
            self._next("Finished", finished=self.read_server_finished)
        else:
            self._next("Certificate or CertificateRequest", certificate=self.read_server_certificate,
                       certificate_request=self.read_certificate_request)

    def read_certificate_request(self, raw: bytes) -> None:
        req = CertificateRequest13.decode(memoryview(raw)[4:])
        if not req.has(ET.signature_algorithms):
            raise TLSError(A.missing_extension, "CertificateRequest without signature_algorithms")
        self.certificate_request = req
        self.transcript.add(raw)
        self._next("Certificate", certificate=self.read_server_certificate)

    def read_server_certificate(self, raw: bytes) -> None:
        msg = Certificate13.decode(memoryview(raw)[4:])
        if msg.context:
            raise IllegalParameter("server Certificate has a request context")
        if not msg.certificates:
            raise DecodeError("server sent an empty Certificate")
        staple = None
        for i, exts in enumerate(msg.entry_extensions or ()):
            for t, data in exts:
                if t not in self.offered_extensions:
                    raise _unsupported(f"certificate entry carries extension {t}, which we did not ask for")
                if t == ET.status_request and i == 0:
                    staple = X.decode_certificate_status(data)
        self.server_chain = check_server_chain(self.conn, msg.certificates)
        if staple is not None:
            self.conn._emit(ev.CertificateStatusReceived(staple))
        self.transcript.add(raw)
        self._next("CertificateVerify", certificate_verify=self.read_server_certificate_verify)

    def read_server_certificate_verify(self, raw: bytes) -> None:
        cv = CertificateVerify.decode(memoryview(raw)[4:])
        if cv.scheme not in self.config._schemes or cv.scheme not in TLS13_SCHEMES:
            raise IllegalParameter(f"server signed with scheme {cv.scheme:#06x}, which we did not offer for TLS 1.3")
        content = SERVER_CV_CONTEXT + self.transcript.digest()
        check_scheme_fits_certificate(self.server_chain[0], cv.scheme)
        if not verify_signature(leaf_public_key(self.server_chain[0]), cv.scheme, cv.signature, content):
            raise TLSError(A.decrypt_error, "server CertificateVerify signature does not verify")
        self.server_authenticated = True
        self.signature_scheme = cv.scheme
        self.transcript.add(raw)
        self.conn._emit(ev.CertificateVerifyReceived(cv.scheme))
        self._next("Finished", finished=self.read_server_finished)

    def read_server_finished(self, raw: bytes) -> None:
        conn = self.conn
        self.accept_finished13(self.server_hs, raw, "server")
        c_ap, s_ap = self.derive_application_secrets()
        conn._set_read_secret(s_ap)
        conn._emit(APPLICATION_KEYS)
        self.send_client_finished(c_ap)

    def send_client_finished(self, client_app_secret: bytes) -> None:
        conn, ks = self.conn, self.ks
        if not self.server_authenticated:  # the proof carried from CertificateVerify or the PSK
            raise TLSError(A.internal_error, "refusing to finish: the server was not authenticated")
        if self.certificate_request is not None:
            self._send(Certificate13([], self.certificate_request.context).encode())
        verify_data = ks.finished_mac(self.client_hs, self.transcript.digest())
        self._send(Finished(verify_data).encode())
        conn._set_write_secret(client_app_secret)
        self.resumption_master = ks.resumption_master_secret(self.transcript.digest())
        conn._emit(ev.FinishedSent(verify_data))
        conn._complete(ev.HandshakeComplete(
            version="TLSv1.3", cipher_suite=self.suite.suite, group=self.group, alpn_protocol=self.alpn,
            peer_certificates=self.server_chain, server_name=self.config.server_name, resumed=self.psk_accepted,
            key_exchange=kx_kind(self.group), signature_scheme=self.signature_scheme,
        ))
        self._next("post-handshake", new_session_ticket=self.read_new_session_ticket)

    # ------------------------------------------------------------ post-handshake
    def read_new_session_ticket(self, raw: bytes) -> None:
        nst = NewSessionTicket13.decode(memoryview(raw)[4:])
        early = nst.ext(ET.early_data)
        max_early = X.decode_early_data_nst(early) if early is not None else 0
        psk = self.ks.resumption_psk(self.resumption_master, nst.nonce)
        session = Session(
            version=PV.TLSv1_3, cipher_suite=self.suite.suite, secret=psk, ticket=nst.ticket,
            server_name=self.config.server_name, received_at=self.config.clock(),
            lifetime=min(nst.lifetime, MAX_TICKET_LIFETIME),  # RFC 8446 §4.6.1: never keep one past 7 days
            age_add=nst.age_add, alpn_protocol=self.alpn, max_early_data=max_early,
        )
        self.conn._emit(ev.SessionTicketReceived(session, nst.lifetime))


def server_alpn(cfg, data: bytes | None) -> str | None:
    """The protocol the server's ALPN extension selects: exactly one, and one we offered (RFC 7301 §3.1)."""
    if data is None:
        return None
    protos = X.decode_alpn(data)
    if len(protos) != 1 or protos[0].decode("latin-1") not in cfg.alpn_protocols:
        raise IllegalParameter("server selected an ALPN protocol we did not offer")
    return protos[0].decode("latin-1")


def _resumable(cfg) -> bool:
    """RFC 8446 §4.6.1: resume only a live session, and only for the host it was made with."""
    session = cfg.session
    if session is None or not session.valid_at(cfg.clock()):
        return False
    return (session.server_name or "").lower().rstrip(".") == (cfg.server_name or "").lower().rstrip(".")


def leaf_public_key(cert: x509.Certificate):
    """The leaf's public key, or unsupported_certificate when cryptography cannot use it."""
    try:
        return cert.public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise TLSError(A.unsupported_certificate, f"cannot use the certificate's public key: {exc}") from None


def check_scheme_fits_certificate(cert: x509.Certificate, scheme: int) -> None:
    """RFC 8446 §4.2.3: rsa_pss_pss_* needs an RSASSA-PSS key, rsa_pss_rsae_* / rsa_pkcs1_* an rsaEncryption key."""
    from cryptography.x509.oid import PublicKeyAlgorithmOID

    oid = cert.public_key_algorithm_oid
    if SignatureScheme.rsa_pss_pss_sha256 <= scheme <= SignatureScheme.rsa_pss_pss_sha512:
        if oid != PublicKeyAlgorithmOID.RSASSA_PSS:
            raise IllegalParameter("rsa_pss_pss signature from a certificate whose key is not RSASSA-PSS")
    elif scheme in _RSAE_SCHEMES and oid != PublicKeyAlgorithmOID.RSAES_PKCS1_v1_5:
        raise IllegalParameter("RSA signature scheme does not match the certificate's key")


_RSAE_SCHEMES = frozenset({0x0804, 0x0805, 0x0806, 0x0201, 0x0401, 0x0501, 0x0601})


def _unsupported(message: str) -> TLSError:
    return TLSError(A.unsupported_extension, message)
