"""`port443 serve --domain`: the certificate comes from ACME and is renewed while serving.

`AcmeService.prepare()` gives serve a chain and key file pair to load, like
any --cert/--key: the stored ACME certificate, or, until the first one
arrives, a stand-in from the local CA for the same names. `start()` runs the
renewal manager on a thread; the challenges are answered by serve's own
listeners (HTTP-01 on the port-80 listener, TLS-ALPN-01 by the engine on the
HTTPS port). A new certificate is written over the same files, and serve
reloads them as on SIGHUP: new connections get it, open ones keep theirs.
A failure is logged as one line, and the current certificate stays.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from typing import Any, Callable

from cryptography import x509

from port443.acme import store
from port443.acme.board import ChallengeBoard, Http01Handler
from port443.acme.client import LETSENCRYPT, LETSENCRYPT_STAGING, AcmeSettings, check_settings, obtain
from port443.acme.renew import Backoff, Failure, RenewalManager, describe_delay, renewal_time
from port443.acme.responders import challenge_config
from port443.pki import localca
from port443.pki.files import PkiFileError
from port443.pki.hostname import covered_names
from port443.pki.keys import signed_by

log = logging.getLogger("port443.serve")
STOP_TIMEOUT = 5.0


def settings_from(config: Any) -> AcmeSettings:
    """The ACME settings of a ServeConfig with domains; ValueError names the flag to fix."""
    if config.certs:
        raise ValueError("--domain and --cert both given: the certificate comes either from ACME or from files")
    if config.workers != 1:
        raise ValueError("--domain runs with one worker (the renewal and its challenges live in that process); "
                         "drop --workers")
    if config.staging and config.acme_directory:
        raise ValueError("--staging and --directory both given; choose one CA")
    directory = config.acme_directory or (LETSENCRYPT_STAGING if config.staging else LETSENCRYPT)
    challenge = config.challenge or ("http-01" if config.http_enabled else "tls-alpn-01")
    if challenge == "http-01" and not config.http_enabled:
        raise ValueError("--challenge http-01 needs the port-80 listener; drop --http-port none, "
                         "or use --challenge tls-alpn-01")
    if challenge == "tls-alpn-01" and config.engine != "native":
        raise ValueError("--challenge tls-alpn-01 needs port443's own TLS engine; drop --engine openssl, "
                         "or use --challenge http-01")
    domains = check_settings(config.domains, config.email, directory, challenge, "ecdsa-p256")
    ca_file = str(config.acme_ca_file) if config.acme_ca_file else None
    return AcmeSettings(domains, config.email, directory, challenge, ca_file)


def _when(moment: dt.datetime | float) -> str:
    if isinstance(moment, float):
        moment = dt.datetime.fromtimestamp(moment, dt.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


class AcmeService:
    def __init__(self, settings: AcmeSettings, backoff: Backoff = Backoff()) -> None:
        self.settings = settings
        self.backoff = backoff
        self.board = ChallengeBoard()
        self.paths = store.cert_paths(settings.domains)
        self.standin = False
        self.manager: RenewalManager | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ before serving
    def prepare(self) -> tuple[str, str]:
        """The (chain, key) files serve loads; a local-CA stand-in until ACME delivers."""
        stored = store.load_stored(self.paths)
        current = stored.chain if stored is not None and self._is_acme(stored.leaf) else None
        if stored is None:
            self._write_standin()
        self.standin = current is None
        self.manager = RenewalManager(self._obtain, current, renew_now=current is None or not self._covers(current[0]),
                                      on_renewed=self._renewed, on_failure=self._failed, backoff=self.backoff)
        return str(self.paths.chain), str(self.paths.key)

    def _is_acme(self, leaf: x509.Certificate) -> bool:
        try:
            return not signed_by(leaf, localca.load_ca().certificate)
        except PkiFileError:
            return True

    def _covers(self, leaf: x509.Certificate) -> bool:
        return set(self.settings.domains) <= set(covered_names(leaf).all())

    def _write_standin(self) -> None:
        ca, _ = localca.load_or_create_ca()
        made = localca.issue_from_ca(ca, list(self.settings.domains))
        store.save_certificate(self.paths, list(made.chain), made.key)

    def startup_lines(self) -> list[str]:
        names, ca = ", ".join(self.settings.domains), self.settings.directory
        if self.standin:
            return [f"certificate for {names} from ACME ({ca}, {self.settings.challenge}): obtaining it now; "
                    "a temporary one from the local CA is served until it arrives"]
        assert self.manager is not None and self.manager.current
        leaf = self.manager.current[0]
        return [f"certificate for {names} from ACME ({ca}), valid until {_when(leaf.not_valid_after_utc)}; "
                f"renewal from {_when(renewal_time(leaf))} ({self.paths.chain})"]

    # ------------------------------------------------------------------ while serving
    def http_handler(self, fallback):
        """Port 80: the HTTP-01 answers, everything else to `fallback` (the redirect)."""
        return Http01Handler(self.board, fallback)

    def with_challenges(self, native):
        """The engine's config plus the pending acme-tls/1 certificates."""
        return challenge_config(self.board, native) if native is not None else None

    def start(self, loop: asyncio.AbstractEventLoop, tls_settings: Any, reload: Callable[[], None]) -> None:
        def apply() -> None:
            tls_settings.native = self.with_challenges(tls_settings.native)

        self._loop, self._reload = loop, reload
        self.board.subscribe(lambda: loop.call_soon_threadsafe(apply))
        assert self.manager is not None
        self._thread = threading.Thread(target=self.manager.run, args=(self._stop.wait,), name="acme-renewal",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)

    def _obtain(self) -> tuple[x509.Certificate, ...]:
        return obtain(self.settings, self.board).chain

    def _renewed(self, chain: tuple[x509.Certificate, ...]) -> None:
        leaf = chain[0]
        issuer = leaf.issuer.rfc4514_string()
        log.info("ACME: new certificate for %s from %s, valid until %s; next renewal from %s; swapping it in "
                 "(open connections keep theirs)", ", ".join(self.settings.domains), issuer,
                 _when(leaf.not_valid_after_utc), _when(renewal_time(leaf)))
        self.standin = False
        self._loop.call_soon_threadsafe(self._reload)

    def _failed(self, failure: Failure) -> None:
        assert self.manager is not None
        what = "no certificate yet" if self.standin else "renewal failed"
        until = self.manager.valid_until()
        keeping = (f"still serving the current certificate (valid until {_when(until)})" if until
                   else "still serving the temporary local-CA certificate")
        log.error("ACME: %s for %s: %s; try %d failed, next in %s; %s", what, ", ".join(self.settings.domains),
                  failure.error, failure.failures, describe_delay(failure.retry_in), keeping)
