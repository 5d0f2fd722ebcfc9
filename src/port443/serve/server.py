"""Running `port443 serve`: prepare (certificates, sockets), then run workers.

`prepare` does everything that can fail with a one-line error before
anything is served: certificates loaded and checked (the local CA created on
first run), the root or upstream checked, the ports bound (443 -> 8443 and
80 -> 8080 with a hint). `run` serves: one worker in this process, or N
forked workers that each bind the same ports with SO_REUSEPORT.

Signals: SIGTERM/SIGINT stop accepting and drain in-flight requests (up to
limits.drain_timeout); SIGHUP reloads the certificates from their files.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import ssl
from dataclasses import dataclass, field
from typing import Any, Callable, TextIO

from port443.http.h1 import H1Server
from port443.http.http2 import H2Server
from port443.http.page import builtin_page
from port443.http.proxy import ReverseProxy
from port443.http.redirect import Redirect
from port443.http.site import HSTS, AccessLog, Site
from port443.http.static import StaticFiles
from port443.net.aio import NativeTLSChannel
from port443.net.aio_openssl import OpenSSLChannel, OpenSSLContexts
from port443.net.channel import PlainChannel, Registry, TLSSettings
from port443.pki.files import PkiFileError
from port443.serve import certs as certs_mod
from port443.serve.config import DEFAULT_HTTP, DEFAULT_HTTPS, FALLBACK_HTTP, FALLBACK_HTTPS, ServeConfig
from port443.serve.listen import Bound, bind_preferred, bind_sockets
from port443.tls.config import ConfigError, TicketKeys
from port443.tls.session import SessionCache

log = logging.getLogger("port443.serve")


@dataclass
class Prepared:
    config: ServeConfig
    https: Bound
    http: Bound | None
    pairs: tuple[tuple[str, str], ...]  # (chain file, key file), re-read on SIGHUP
    local: certs_mod.LocalCertificate | None
    names: list[str] = field(default_factory=list)
    acme: Any = None  # port443.acme.serving.AcmeService with --domain
    # Made before the workers fork and kept across SIGHUP: a ticket from one worker (or from
    # before a reload) resumes on any; TLS 1.2 session IDs survive reloads in each worker.
    ticket_keys: TicketKeys = field(default_factory=TicketKeys)
    session_cache: SessionCache = field(default_factory=SessionCache)
    loaded: list = field(default_factory=list)  # the pairs as prepare() parsed them; a worker starts with these

    @property
    def display_host(self) -> str:
        host = self.config.bind_host
        if host in ("", "0.0.0.0", "::"):
            return "localhost"
        return f"[{host}]" if ":" in host else host

    @property
    def https_url(self) -> str:
        port = self.https.port
        return f"https://{self.display_host}" + ("" if port == 443 else f":{port}") + "/"

    @property
    def http_url(self) -> str | None:
        if self.http is None:
            return None
        port = self.http.port
        return f"http://{self.display_host}" + ("" if port == 80 else f":{port}") + "/"

    @property
    def hints(self) -> list[str]:
        return [b.hint for b in (self.https, self.http) if b is not None and b.hint]


def make_handler(config: ServeConfig):
    if config.root is not None:
        return StaticFiles(config.root)
    if config.proxy:
        return ReverseProxy(config.proxy)
    return builtin_page


def prepare(config: ServeConfig, binder=bind_sockets) -> Prepared:
    """Certificates, content and sockets, or a one-line error (PkiFileError, ValueError, BindError)."""
    local = acme = None
    if config.domains:
        from port443.acme.serving import AcmeService, settings_from

        acme = AcmeService(settings_from(config))
        pairs = (acme.prepare(),)
    elif config.certs:
        pairs = tuple((str(c), str(k)) for c, k in config.certs)
    else:
        local = certs_mod.local_certificate(config.bind_host)
        pairs = ((str(local.chain), str(local.key)),)
    loaded = certs_mod.load_pairs(tuple((c, k) for c, k in pairs))  # type: ignore[arg-type]
    make_handler(config)  # a missing --root or a bad --proxy URL fails here, before binding
    multi = config.workers > 1
    https = bind_preferred(config.bind_host, config.port, DEFAULT_HTTPS, FALLBACK_HTTPS, "--port", multi, binder)
    http = None
    if config.http_enabled:
        try:
            http = bind_preferred(config.bind_host, config.http_port, DEFAULT_HTTP, FALLBACK_HTTP,  # type: ignore[arg-type]
                                  "--http-port", multi, binder)
        except OSError:
            for s in https.sockets:
                s.close()
            raise
    names = sorted({n for _, _, ck in loaded for n in ck.names})
    return Prepared(config, https, http, pairs, local, names, acme, loaded=loaded)


class Worker:
    """One process's event loop: listeners, connections, signals."""

    def __init__(self, prepared: Prepared, access_stream: TextIO | None) -> None:
        self.prepared = prepared
        self.config = prepared.config
        self.access_stream = access_stream
        self.settings = TLSSettings()
        self._stop: asyncio.Event | None = None
        self.registry: Registry | None = None
        self.servers: list[asyncio.AbstractServer] = []

    def alpn(self) -> tuple[str, ...]:
        return ("h2", "http/1.1") if self.config.http2 else ("http/1.1",)

    def load_certificates(self, loaded: list | None = None) -> None:
        """The TLS settings from parsed pairs; without them, the files are read again (SIGHUP)."""
        if not loaded:
            loaded = certs_mod.load_pairs(tuple((c, k) for c, k in self.prepared.pairs))  # type: ignore[arg-type]
        if self.config.engine == "openssl":
            self.settings.openssl = OpenSSLContexts(loaded, self.alpn(), self.config.tls_versions)
        else:
            self.settings.native = certs_mod.native_config(loaded, self.alpn(), self.config.tls_versions,
                                                           self.prepared.ticket_keys, self.prepared.session_cache)
            if self.prepared.acme is not None:  # keep pending acme-tls/1 challenges across a reload
                self.settings.native = self.prepared.acme.with_challenges(self.settings.native)

    def reload_certificates(self) -> None:
        try:
            self.load_certificates()
        except (PkiFileError, ConfigError, ssl.SSLError, OSError) as exc:
            log.error("certificate reload failed, still serving the previous ones: %s", exc)
            return
        log.info("certificates reloaded from %s", ", ".join(c for c, _ in self.prepared.pairs))

    def stop(self) -> None:
        if self._stop is not None and not self._stop.is_set():
            for server in self.servers:
                server.close()  # stop accepting now; the drain follows
            live = len(self.registry.live) if self.registry else 0
            log.info("shutting down: draining %d connection(s)", live)
            self._stop.set()

    async def run(self, https_sockets, http_sockets, on_ready: Callable[[], None] | None = None) -> int:
        loop = asyncio.get_running_loop()
        cfg = self.config
        self._stop = asyncio.Event()
        self.load_certificates(self.prepared.loaded)
        registry = self.registry = Registry(cfg.limits, loop)
        access = AccessLog(self.access_stream, loop)
        site = Site(make_handler(cfg), HSTS(cfg.hsts, cfg.hsts_include_subdomains, cfg.hsts_preload), access)
        redirect_to = Redirect(self.prepared.https.port, self.prepared.display_host.strip("[]"))
        acme = self.prepared.acme
        redirect = Site(acme.http_handler(redirect_to) if acme else redirect_to, None, access, tls=False)
        limits = cfg.limits

        def app_for(ch):
            if ch.tls is not None and ch.tls.alpn == "h2":
                return H2Server(ch, site, limits)
            return H1Server(ch, site, limits)

        channel_cls = OpenSSLChannel if cfg.engine == "openssl" else NativeTLSChannel
        settings = self.settings
        for sock in https_sockets:
            self.servers.append(await loop.create_server(lambda: channel_cls(registry, app_for, settings),
                                                        sock=sock, backlog=1024))
        for sock in http_sockets:
            self.servers.append(await loop.create_server(
                lambda: PlainChannel(registry, lambda ch: H1Server(ch, redirect, limits, scheme="http")),
                sock=sock, backlog=1024))
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop)
        loop.add_signal_handler(signal.SIGHUP, self.reload_certificates)
        if on_ready is not None:
            on_ready()
        if acme is not None:
            acme.start(loop, self.settings, self.reload_certificates)
        await self._stop.wait()
        if acme is not None:
            await loop.run_in_executor(None, acme.stop)
        for server in self.servers:
            server.close()
        aborted = await registry.drain()
        if aborted:
            log.warning("drain timeout: %d connection(s) cut after %.0f s", aborted, limits.drain_timeout)
        access.flush()
        return 0


def _rebind(bound: Bound, host: str) -> list:
    return bind_sockets(host, bound.port, True)


def run(prepared: Prepared, access_stream: TextIO | None, on_ready: Callable[[], None] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; returns the exit status."""
    cfg = prepared.config
    http_sockets = prepared.http.sockets if prepared.http else []
    if cfg.workers == 1:
        return asyncio.run(Worker(prepared, access_stream).run(prepared.https.sockets, http_sockets, on_ready))
    return _run_workers(prepared, access_stream, on_ready)


MAX_RESPAWNS = 10


def _run_workers(prepared: Prepared, access_stream: TextIO | None, on_ready: Callable[[], None] | None) -> int:
    import select

    cfg = prepared.config
    host = cfg.bind_host
    ready_r, ready_w = os.pipe()
    children: dict[int, int] = {}
    stopping = False

    def spawn(index: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            code = 1
            try:
                os.close(ready_r)
                for s in prepared.https.sockets + (prepared.http.sockets if prepared.http else []):
                    s.close()
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    signal.signal(sig, signal.SIG_DFL)
                https = _rebind(prepared.https, host)
                http = _rebind(prepared.http, host) if prepared.http else []
                code = asyncio.run(Worker(prepared, access_stream).run(https, http, lambda: os.write(ready_w, b".")))
            except BaseException as exc:  # a worker must not run the master's code after fork
                log.error("worker %d failed: %s", index, exc)
            finally:
                os._exit(code)
        children[pid] = index

    def forward(sig: int, _frame=None) -> None:
        nonlocal stopping
        if sig in (signal.SIGTERM, signal.SIGINT):
            stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM if sig == signal.SIGINT else sig)
            except ProcessLookupError:
                pass

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    for i in range(cfg.workers):
        spawn(i)
    got = 0
    while got < cfg.workers and not stopping:  # wait until every worker listens (or one died trying)
        readable, _, _ = select.select([ready_r], [], [], 0.5)
        if readable:
            got += len(os.read(ready_r, cfg.workers - got))
            continue
        pid, code = os.waitpid(-1, os.WNOHANG)
        if pid:
            children.pop(pid, None)
            log.error("a worker exited (status %d) before it could serve; stopping", code)
            forward(signal.SIGTERM)
    if on_ready is not None and got == cfg.workers:
        on_ready()
    status, respawns = 0 if got == cfg.workers else 1, 0
    while children:
        try:
            pid, code = os.wait()
        except ChildProcessError:
            break
        index = children.pop(pid, None)
        if index is None:
            continue
        if not stopping and respawns < MAX_RESPAWNS:
            respawns += 1
            log.error("worker %d (pid %d) died with status %d; starting another", index, pid, code)
            spawn(index)
        elif code:
            status = 1
    os.close(ready_r)
    os.close(ready_w)
    return status
