"""The challenges being answered right now, shared by the client and the responders.

The client posts each challenge's answer here before telling the CA to
validate, and removes it when the order is done. The HTTP-01 handler reads
tokens from it; the TLS-ALPN-01 responders read validation certificates.
Responders that need to rebuild something (the engine's config) subscribe.
"""

from __future__ import annotations

import threading
from typing import Callable

from port443.http.message import Handler, Request, Response
from port443.tls.config import CertifiedKey

CHALLENGE_PREFIX = "/.well-known/acme-challenge/"
MAX_TOKEN = 256


class ChallengeBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._http01: dict[str, str] = {}  # token -> key authorization
        self._tlsalpn01: dict[str, CertifiedKey] = {}  # domain -> validation certificate
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def add_http01(self, token: str, key_authorization: str) -> None:
        with self._lock:
            self._http01[token] = key_authorization
        self._changed()

    def add_tlsalpn01(self, domain: str, certified: CertifiedKey) -> None:
        with self._lock:
            self._tlsalpn01[domain.lower()] = certified
        self._changed()

    def remove(self, token: str | None = None, domain: str | None = None) -> None:
        with self._lock:
            if token is not None:
                self._http01.pop(token, None)
            if domain is not None:
                self._tlsalpn01.pop(domain.lower(), None)
        self._changed()

    def http01(self, token: str) -> str | None:
        with self._lock:
            return self._http01.get(token)

    def alpn_certificates(self) -> tuple[CertifiedKey, ...]:
        with self._lock:
            return tuple(self._tlsalpn01.values())


def _not_found(req: Request) -> Response:
    body = b"Not found\n"
    return Response(404, [(b"content-type", b"text/plain; charset=utf-8"),
                          (b"content-length", str(len(body)).encode())], body)


class Http01Handler:
    """Answers /.well-known/acme-challenge/TOKEN from the board; everything else goes to `fallback`."""

    def __init__(self, board: ChallengeBoard, fallback: Handler | None = None) -> None:
        self.board = board
        self.fallback = fallback or _not_found

    def __call__(self, req: Request):
        path = req.path
        if not path.startswith(CHALLENGE_PREFIX):
            return self.fallback(req)
        token = path[len(CHALLENGE_PREFIX):]
        answer = self.board.http01(token) if 0 < len(token) <= MAX_TOKEN else None
        if answer is None or req.method not in ("GET", "HEAD"):
            return _not_found(req)
        body = answer.encode("ascii")
        return Response(200, [(b"content-type", b"application/octet-stream"),
                              (b"content-length", str(len(body)).encode())], body)
