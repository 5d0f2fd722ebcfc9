"""Shared pieces of the ACME tests: names, the CLI runner, a fake clock, a rate-limiting fake CA."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from port443.pki.trust import TrustStore
from port443.pki.verify import verify_server_chain

from peers import LOOPBACK, TIMEOUT

DOMAIN = "site.port443.test"


def run_cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PORT443_HOME=str(home))
    return subprocess.run([sys.executable, "-m", "port443", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def validates(chain, root, name: str = DOMAIN) -> str:
    """cryptography's path validation of `chain` for `name` against pebble's root: "trusted" or the reason."""
    return verify_server_chain(chain, name, TrustStore([root]), dt.datetime.now(dt.timezone.utc)).reason


class FakeClock:
    """A clock the tests move by hand: no test sleeps for a backoff."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return False


def wait_nth(lines, pattern: str, n: int, timeout: float = 60) -> str:
    """Wait until the n-th line matching `pattern` (Lines.wait_for stops at the first); returns it."""
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while True:
        hits = [line for line in lines.seen if rx.search(line)]
        if len(hits) >= n:
            return hits[n - 1]
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"{n} x {pattern!r} not seen; output: {''.join(lines.seen)[-3000:]}")
        try:
            line = lines.q.get(timeout=left)
        except Exception:
            continue
        if line is None:
            raise EOFError(f"process ended before {n} x {pattern!r}; output: {''.join(lines.seen)[-3000:]}")
        lines.seen.append(line)


RATE_LIMIT_DETAIL = "too many new orders (5) from this account in the last 3 hours"


@contextlib.contextmanager
def rate_limiting_ca(test_pki, retry_after: int = 3600):
    """A tiny ACME server on loopback over HTTPS whose every POST is refused with rateLimited."""
    requests_seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _nonce(self) -> None:
            self.send_header("Replay-Nonce", base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("="))

        def do_GET(self) -> None:
            requests_seen.append(f"GET {self.path}")
            base = f"https://{LOOPBACK}:{self.server.server_address[1]}"
            body = json.dumps({"newNonce": base + "/nonce", "newAccount": base + "/account",
                               "newOrder": base + "/order", "revokeCert": base + "/revoke",
                               "keyChange": base + "/key-change"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self) -> None:
            requests_seen.append(f"HEAD {self.path}")
            self.send_response(200)
            self._nonce()
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:
            requests_seen.append(f"POST {self.path}")
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            body = json.dumps({"type": "urn:ietf:params:acme:error:rateLimited", "detail": RATE_LIMIT_DETAIL,
                               "status": 429}).encode()
            self.send_response(429)
            self._nonce()
            self.send_header("Retry-After", str(retry_after))
            self.send_header("Content-Type", "application/problem+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(test_pki.chain_file("ecdsa-p256"), test_pki.key_file("ecdsa-p256"))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://{LOOPBACK}:{server.server_address[1]}/dir", requests_seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
