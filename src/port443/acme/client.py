"""One issuance through the `acme` library: account, order, challenges, finalize, download.

    obtain(settings, board) -> Obtained

1. The account key (P-256) for this CA comes from the data directory, made on
   first use; registering with the same key returns the existing account.
2. A new order for the domains, with a CSR from `pki.csr` and a fresh key.
3. For every pending authorization, the chosen challenge (http-01 or
   tls-alpn-01) is posted on the board, where the responders answer it, and
   the CA is told to validate.
4. Poll, finalize, download the full chain; the key is written 0600 and the
   chain next to it (`store.py`). The challenges leave the board in every case.

Every failure leaves as `AcmeError` with one line (`reasons.py`).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from typing import Any, Callable

import josepy as jose
from acme import client as acme_client
from acme import challenges, errors, messages
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from port443 import __version__
from port443.acme import store
from port443.acme.board import ChallengeBoard
from port443.acme.reasons import AcmeError, explain
from port443.acme.tlsalpn import TLSALPN01, validation_certificate
from port443.pki.csr import make_csr
from port443.pki.files import parse_certificates
from port443.pki.hostname import check_requested_name
from port443.pki.issue import KEY_TYPES, generate_key

LETSENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
LETSENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
CHALLENGES = ("http-01", "tls-alpn-01")
ORDER_TIMEOUT = 90.0  # seconds for validation, finalization and download
NETWORK_TIMEOUT = 30  # seconds for each request to the CA


@dataclass(frozen=True)
class AcmeSettings:
    domains: tuple[str, ...]
    email: str | None = None
    directory: str = LETSENCRYPT
    challenge: str = "http-01"
    ca_file: str | None = None  # trust for the CA's own HTTPS (a test CA); default: Mozilla's roots
    key_type: str = "ecdsa-p256"
    order_timeout: float = ORDER_TIMEOUT


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def check_settings(domains, email: str | None, directory: str, challenge: str, key_type: str) -> tuple[str, ...]:
    """The domains normalised; ValueError with the fix for anything an ACME CA would refuse."""
    if not domains:
        raise ValueError("give at least one --domain")
    out = []
    for name in domains:
        text = check_requested_name(name)
        if _is_ip(text):
            raise ValueError(f"{name}: IP addresses get their certificate from the local CA "
                             "(`port443 cert issue`); --domain takes a DNS name")
        if text == "localhost" or text.endswith(".localhost") or "." not in text:
            raise ValueError(f"{name}: a public CA cannot validate a local name; the local CA covers it "
                             "(`port443 serve` without --domain)")
        if text.startswith("*."):
            raise ValueError(f"{name}: wildcards need the dns-01 challenge, which port443 does not do; "
                             "list each name with --domain")
        if text not in out:
            out.append(text)
    if email is not None and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise ValueError(f"--email {email!r} is not an e-mail address")
    if not directory.startswith("https://"):
        raise ValueError(f"--directory {directory!r}: an ACME directory URL starts with https://")
    if challenge not in CHALLENGES:
        raise ValueError(f"challenge {challenge!r}: choose {' or '.join(CHALLENGES)}")
    if key_type not in KEY_TYPES or key_type == "ed25519":
        raise ValueError(f"key type {key_type!r}: public CAs take ECDSA or RSA keys (e.g. ecdsa-p256)")
    return tuple(out)


class _Network(acme_client.ClientNetwork):
    """Remembers the last response, so a rateLimited error can honour its Retry-After."""

    last_response: Any = None

    def _send_request(self, method: str, url: str, *args: Any, **kwargs: Any):
        self.last_response = super()._send_request(method, url, *args, **kwargs)
        return self.last_response


@dataclass(frozen=True)
class Obtained:
    chain: tuple[x509.Certificate, ...]
    paths: store.CertPaths
    account_uri: str
    account_created: bool
    challenges: tuple[str, ...]  # "http-01 for example.com", ...


def _connect(settings: AcmeSettings) -> tuple[acme_client.ClientV2, _Network, bool]:
    key, created = store.load_or_create_account_key(settings.directory)
    net = _Network(jose.JWKEC(key=key), alg=jose.ES256, verify_ssl=settings.ca_file or True,
                   user_agent=f"port443/{__version__}", timeout=NETWORK_TIMEOUT)
    directory = acme_client.ClientV2.get_directory(settings.directory, net)
    return acme_client.ClientV2(directory, net), net, created


def _register(client: acme_client.ClientV2, settings: AcmeSettings) -> str:
    """Register (agreeing to the CA's terms); the same key again finds the existing account."""
    new = messages.NewRegistration.from_data(email=settings.email, terms_of_service_agreed=True)
    try:
        regr = client.new_account(new)
    except errors.ConflictError as exc:
        regr = messages.RegistrationResource(uri=exc.location, body=messages.Registration())
        client.net.account = regr
    store.save_account(settings.directory, regr.uri, settings.email)
    return regr.uri


def _pick(authz: messages.AuthorizationResource, wanted: str) -> messages.ChallengeBody:
    for challb in authz.body.challenges:
        if challb.chall.typ == wanted:
            return challb
    offered = ", ".join(sorted(c.chall.typ for c in authz.body.challenges)) or "none"
    raise AcmeError(f"the CA offers no {wanted} challenge for {authz.body.identifier.value} "
                    f"(it offers: {offered}); choose one of those with --challenge")


def _answer(client, board: ChallengeBoard, authz, settings: AcmeSettings, cleanup: list[Callable[[], None]]) -> str:
    domain = authz.body.identifier.value
    challb = _pick(authz, settings.challenge)
    chall = challb.chall
    key_authorization = chall.key_authorization(client.net.key)
    if isinstance(chall, challenges.HTTP01):
        token = chall.encode("token")
        board.add_http01(token, key_authorization)
        cleanup.append(lambda: board.remove(token=token))
    elif isinstance(chall, TLSALPN01):
        board.add_tlsalpn01(domain, validation_certificate(domain, key_authorization))
        cleanup.append(lambda: board.remove(domain=domain))
    client.answer_challenge(challb, chall.response(client.net.key))
    return f"{settings.challenge} for {domain}"


def obtain(settings: AcmeSettings, board: ChallengeBoard) -> Obtained:
    """A certificate for settings.domains, saved in the data directory; AcmeError on any failure."""
    net = None
    try:
        client, net, created = _connect(settings)
        account = _register(client, settings)
        key = generate_key(settings.key_type)
        csr_pem = make_csr(list(settings.domains), key).public_bytes(Encoding.PEM)
        order = client.new_order(csr_pem)
        cleanup: list[Callable[[], None]] = []
        answered = []
        try:
            for authz in order.authorizations:
                if authz.body.status == messages.STATUS_VALID:
                    continue  # the CA still remembers this domain's validation
                answered.append(_answer(client, board, authz, settings, cleanup))
            deadline = dt.datetime.now() + dt.timedelta(seconds=settings.order_timeout)
            order = client.poll_and_finalize(order, deadline)
        finally:
            for undo in cleanup:
                undo()
        chain = parse_certificates(order.fullchain_pem.encode(), "the CA's certificate download")
        paths = store.save_certificate(store.cert_paths(settings.domains), chain, key)
        return Obtained(tuple(chain), paths, account, created, tuple(answered))
    except AcmeError:
        raise
    except Exception as exc:  # every library or network error becomes one line
        raise explain(exc, settings, net) from None
