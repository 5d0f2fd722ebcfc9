"""`port443 serve --domain` against Debian's pebble on loopback.

- tls-alpn-01: the certificate arrives while serving (a local-CA stand-in
  until then), is renewed when a third of its 15-second lifetime is left, and
  swapped live: a client connected before the renewal keeps its connection
  and keeps getting answers; a client connecting after sees the new
  certificate; every chain validates against pebble's root (fetched from its
  management interface). Then pebble goes down: the next renewal fails with
  one clear line and a backoff, and the current certificate keeps serving.
- http-01: answered on serve's own port-80 listener, which still redirects
  every other request.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys

import pytest

from acme_helpers import DOMAIN, wait_nth
from peers import LOOPBACK, TIMEOUT, Lines
from pebble_server import pebble_ca, reserve_port
from serve_helpers import read_response, stop

pytestmark = pytest.mark.interop
VALIDITY = 15  # seconds: renewal 10 s after issuance


@contextlib.contextmanager
def acme_serve(tmp_path, challenge: str, validity: int | None = None):
    """pebble, and port443 serve --domain validated through it; yields (pebble, lines, https, http)."""
    http, tls = reserve_port(), reserve_port()
    http_port, https_port = http.getsockname()[1], tls.getsockname()[1]
    with pebble_ca(tmp_path / "pebble", http_port=http_port, tls_port=https_port, validity=validity) as pebble:
        cmd = [sys.executable, "-m", "port443", "serve", "--host", LOOPBACK, "--port", str(https_port),
               "--http-port", str(http_port), "--domain", DOMAIN, "--email", "ops@port443.test",
               "--directory", pebble.directory, "--acme-ca-file", str(pebble.cafile), "--challenge", challenge,
               "--access-log", "off"]
        env = dict(os.environ, PORT443_HOME=str(tmp_path / "home"))
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        lines = Lines(proc.stdout)
        try:
            lines.wait_for(r"serving https://", timeout=60)
            http.close()
            tls.close()
            yield pebble, lines, https_port, http_port
            assert proc.poll() is None, lines.text()
        finally:
            http.close()
            tls.close()
            stop(proc)
            lines.join()
            proc.stdout.close()


def connect(port: int, root_file) -> ssl.SSLSocket:
    """A Python ssl client that trusts only pebble's root, for DOMAIN (resolved to loopback by hand)."""
    ctx = ssl.create_default_context(cafile=str(root_file))
    raw = socket.create_connection((LOOPBACK, port), timeout=TIMEOUT)
    return ctx.wrap_socket(raw, server_hostname=DOMAIN)


def get(sock: ssl.SSLSocket, path: str = "/") -> int:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {DOMAIN}\r\n\r\n".encode())
    status, _, _ = read_response(sock)
    return status


def serial(sock: ssl.SSLSocket) -> str:
    return sock.getpeercert()["serialNumber"]


def test_serve_domain_renews_live_and_survives_a_ca_outage(tmp_path):
    with acme_serve(tmp_path, "tls-alpn-01", VALIDITY) as (pebble, lines, https_port, _):
        assert "obtaining it now; a temporary one from the local CA" in lines.text()
        wait_nth(lines, r"certificates reloaded", 1)
        root = pebble.root_file(tmp_path)
        before = connect(https_port, root)  # verified against pebble's root by the handshake itself
        assert before.selected_alpn_protocol() is None and get(before) == 200
        first = serial(before)

        line = wait_nth(lines, r"ACME: new certificate", 2)  # the renewal, a third of the lifetime early
        assert "swapping it in" in line
        wait_nth(lines, r"certificates reloaded", 2)
        assert get(before) == 200 and serial(before) == first  # the open connection kept going
        after = connect(https_port, root)
        second = serial(after)
        assert second != first and get(after) == 200

        pebble.stop()  # the CA goes away: the next renewal must fail softly
        failed = wait_nth(lines, r"ACME: renewal failed", 1)
        assert failed.startswith(f"port443: ACME: renewal failed for {DOMAIN}: cannot reach the ACME server at "
                                 f"{pebble.directory} (connection refused); check --directory")
        assert "try 1 failed, next in " in failed and "still serving the current certificate (valid until" in failed
        still = connect(https_port, root)
        assert serial(still) == second and get(still) == 200
        assert get(before) == 200 and get(after) == 200
        for sock in (before, after, still):
            sock.close()
        assert "Traceback" not in lines.text()


def test_serve_domain_http01_on_the_redirect_port(tmp_path):
    with acme_serve(tmp_path, "http-01") as (pebble, lines, https_port, http_port):
        wait_nth(lines, r"certificates reloaded", 1)
        root = pebble.root_file(tmp_path)
        with connect(https_port, root) as sock:
            assert get(sock) == 200
        with socket.create_connection((LOOPBACK, http_port), timeout=TIMEOUT) as plain:
            assert get(plain, "/page") == 308
        with socket.create_connection((LOOPBACK, http_port), timeout=TIMEOUT) as plain:
            assert get(plain, "/.well-known/acme-challenge/unknown-token") == 404
