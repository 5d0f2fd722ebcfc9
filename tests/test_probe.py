"""`port443 firewall probe` against real peers on loopback, ephemeral ports only.

open: `openssl s_server`; not TLS: Python's `http.server` (it answers our
ClientHello with an HTML error page), and a listener that never says a word;
closed: a bound port nobody listens on. "filtered" needs a firewall that drops,
which lives in tests/test_firewall_netns.py.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from peers import LOOPBACK, TIMEOUT, Lines, openssl_server

from port443.net.probe import MEANING, ProbeError, ProbeResult, probe


@pytest.fixture
def tls_server(test_pki):
    with openssl_server(["-www", *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, _lines):
        yield port


@pytest.fixture
def http_server():
    proc = subprocess.Popen([sys.executable, "-u", "-m", "http.server", "--bind", LOOPBACK, "0"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = Lines(proc.stdout)
    try:
        yield int(lines.wait_for(r"port (\d+)").group(1))
    finally:
        proc.kill()
        proc.wait(timeout=TIMEOUT)
        lines.join()
        proc.stdout.close()


def test_tls_server_is_open(tls_server: int) -> None:
    report = probe("127.0.0.1", tls_server, connect_timeout=2, answer_timeout=5)
    assert report.result is ProbeResult.OPEN
    assert report.answer[:1] == b"\x16"  # a handshake record: the ServerHello
    assert "TLS handshake record" in report.detail


def test_plain_http_is_reachable_but_not_tls(http_server: int) -> None:
    report = probe("127.0.0.1", http_server, connect_timeout=2, answer_timeout=5)
    assert report.result is ProbeResult.NOT_TLS
    # http.server takes the ClientHello (it holds a 0x0a byte) for an HTTP/0.9 request line and answers
    # with a bare HTML error page; nginx and friends answer "HTTP/1.1 400": both are plain HTTP.
    assert report.answer.startswith((b"HTTP/", b"<"))
    assert "plain HTTP" in report.detail


def test_silent_listener_is_reachable_but_not_tls() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        report = probe("127.0.0.1", server.getsockname()[1], connect_timeout=2, answer_timeout=0.3)
    assert report.result is ProbeResult.NOT_TLS
    assert "answered nothing within 0.3 s" in report.detail


def test_port_without_listener_is_closed() -> None:
    with socket.socket() as holder:  # bound, never listening: the kernel answers with a reset
        holder.bind(("127.0.0.1", 0))
        report = probe("127.0.0.1", holder.getsockname()[1], connect_timeout=2)
    assert report.result is ProbeResult.CLOSED
    assert "reset" in report.detail and "nothing listens" in report.meaning


def test_every_result_has_a_meaning() -> None:
    assert set(MEANING) == set(ProbeResult)


@pytest.mark.parametrize("host, port, message", [
    ("no-such-host.invalid", 443, "cannot resolve"),
    ("127.0.0.1", 0, "out of range"),
    ("127.0.0.1", 70000, "out of range"),
])
def test_bad_input_is_a_one_line_error(host: str, port: int, message: str) -> None:
    with pytest.raises(ProbeError, match=message) as caught:
        probe(host, port, connect_timeout=1)
    assert "\n" not in str(caught.value)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "port443", "firewall", "probe", *args],
                          capture_output=True, text=True, timeout=60)


def test_cli_probe_prints_result_and_meaning_and_exits_by_result(tls_server: int) -> None:
    done = run_cli("127.0.0.1", "--port", str(tls_server))
    assert done.returncode == 0, done.stderr
    assert f"port {tls_server}/tcp: open" in done.stdout
    assert "what it usually means: A TLS server answered" in done.stdout
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        closed = run_cli("127.0.0.1", "--port", str(holder.getsockname()[1]), "--json")
    assert closed.returncode == 10
    assert json.loads(closed.stdout)["result"] == "closed"


@pytest.mark.parametrize("args, message", [
    (("no-such-host.invalid",), "cannot resolve 'no-such-host.invalid'"),
    (("127.0.0.1", "--port", "0"), "Invalid value for '--port'"),
    (("127.0.0.1", "--timeout", "0"), "Invalid value for '--timeout'"),
])
def test_cli_probe_bad_input_is_one_line(args: tuple[str, ...], message: str) -> None:
    done = run_cli(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
