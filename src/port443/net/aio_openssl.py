"""The same server loop over OpenSSL (Python's `ssl`), for `--engine openssl`.

`OpenSSLChannel` drives an `SSLObject` through a pair of MemoryBIOs, the way
asyncio's own SSL transport does, but behind the same Channel interface as our
engine, so HTTP/1.1, HTTP/2, limits, drain and the built-in page work the
same. The plaintext hellos are copied off the wire (until the handshake is
done) so the page can show what the client offered.
"""

from __future__ import annotations

import ssl
from typing import Sequence

from port443.net.channel import AppFactory, Channel, Registry, TLSSettings
from port443.net.tlsinfo import HandshakeMessages, from_openssl
from port443.tls.config import CertifiedKey

READ_SIZE = 256 * 1024


class OpenSSLContexts:
    """One SSLContext per certificate; the first is the default, SNI picks the others."""

    def __init__(self, certificates: Sequence[tuple[str, str, CertifiedKey]], alpn: Sequence[str],
                 versions: Sequence[str] = ("TLSv1.3", "TLSv1.2")) -> None:
        self.entries: list[tuple[CertifiedKey, ssl.SSLContext]] = []
        for chain_path, key_path, certified in certificates:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_3 if "TLSv1.2" not in versions else ssl.TLSVersion.TLSv1_2
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2 if "TLSv1.3" not in versions else ssl.TLSVersion.TLSv1_3
            ctx.load_cert_chain(chain_path, key_path)
            ctx.set_alpn_protocols(list(alpn))
            ctx.options |= ssl.OP_NO_COMPRESSION
            self.entries.append((certified, ctx))
        self.default = self.entries[0][1]
        self.default.sni_callback = self._choose
        for _, ctx in self.entries[1:]:
            ctx.sni_callback = self._choose

    def _choose(self, sslobj, server_name: str | None, ctx: ssl.SSLContext) -> None:
        if server_name:
            for certified, candidate in self.entries:
                if certified.matches(server_name):
                    if candidate is not sslobj.context:
                        sslobj.context = candidate
                    return
        return None


class OpenSSLChannel(Channel):
    engine = "openssl"

    def __init__(self, registry: Registry, app_factory: AppFactory, settings: TLSSettings) -> None:
        super().__init__(registry, app_factory)
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.sslobj = settings.openssl.default.wrap_bio(self.incoming, self.outgoing, server_side=True)
        self.handshaking = True
        self.client_flight: HandshakeMessages | None = HandshakeMessages()
        self.server_flight: HandshakeMessages | None = HandshakeMessages()
        self._eof = False

    def data_received(self, data: memoryview) -> None:
        self.bytes_in += len(data)
        if self.handshaking:
            if self.refuse_plain_http(data):
                return
            self.client_flight.feed(data)  # type: ignore[union-attr]
        self.incoming.write(data)
        if self.handshaking and not self._handshake():
            return
        self._read_application_data()
        self._flush()

    def _handshake(self) -> bool:
        try:
            self.sslobj.do_handshake()
        except ssl.SSLWantReadError:
            self._flush()
            return False
        except (ssl.SSLError, ValueError) as exc:
            self._flush()
            self.tls_failed(str(getattr(exc, "reason", None) or exc))
            return False
        self.handshaking = False
        self._flush()
        self.tls = from_openssl(self.sslobj, self.client_flight, self.server_flight)  # type: ignore[arg-type]
        self.client_flight = self.server_flight = None
        self.start_app()
        return True

    def _read_application_data(self) -> None:
        read = self.sslobj.read
        while not self.closed:
            try:
                chunk = read(READ_SIZE)
            except ssl.SSLWantReadError:
                return
            except ssl.SSLZeroReturnError:
                self._peer_eof()
                return
            except ssl.SSLError as exc:
                self._flush()
                self.tls_failed(str(exc.reason or exc))
                return
            if not chunk:
                self._peer_eof()
                return
            self.app.data_received(chunk)  # type: ignore[union-attr]

    def _peer_eof(self) -> None:
        if not self._eof:
            self._eof = True
            self.app.eof_received()  # type: ignore[union-attr]

    def _flush(self) -> None:
        if self.outgoing.pending:
            out = self.outgoing.read()
            if self.server_flight is not None:
                self.server_flight.feed(out)
            self.write_raw(out)

    def eof_received(self) -> bool:
        if self.app is not None:
            self._peer_eof()
            return True
        return False

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            self.sslobj.write(data)
        except ssl.SSLError:
            return
        self._flush()

    def close(self) -> None:
        if self.closed:
            return
        if not self.handshaking:
            try:
                self.sslobj.unwrap()
            except (ssl.SSLError, ValueError):
                pass
            self._flush()
        super().close()
