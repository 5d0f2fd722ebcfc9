"""`port443 check` as a user runs it: text, --json against the schema, --html, --fail-under, -f mass mode,
bad input and dead hosts (one line, the documented exit code, never a traceback or a hang)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, strategies as st

from hello_emulator import Script, emulator
from engine_servers import engine_servers
from port443.audit.http import parse_hsts
from port443.audit.mass import parse_target, read_targets
from port443.tls import ServerConfig

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "docs" / "check.schema.json").read_text())
pytestmark = pytest.mark.interop


def run(*args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "port443", "check", *args], capture_output=True, text=True,
                          input=stdin, timeout=timeout)


@pytest.fixture(scope="module")
def engine_site(test_pki):
    config = ServerConfig(certificate_chain=str(test_pki.chain_file("ecdsa-p256")),
                          private_key=str(test_pki.key_file("ecdsa-p256")))
    with engine_servers(config, ["127.0.0.1", "127.0.0.2"]) as bound:
        yield bound


def test_json_report_follows_the_schema_and_fail_under(engine_site, test_pki, tmp_path):
    (address, port), _ = engine_site
    html = tmp_path / "report.html"
    done = run(f"{address}:{port}", "--json", "--sni", "localhost", "--cafile", str(test_pki.cafile), "--no-http",
               "--html", str(html), "--fail-under", "A")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    jsonschema.validate(report, SCHEMA)
    assert report["grade"]["grade"] == "A" and report["certificates"][0]["trusted"]
    assert report["suites"]["TLSv1.3"]["accepted"][0]["name"] == "TLS_AES_128_GCM_SHA256"
    page = html.read_text()
    assert "<!doctype html>" in page and "TLS_AES_128_GCM_SHA256" in page and "Vulnerabilities" in page
    failing = run(f"{address}:{port}", "--json", "--sni", "localhost", "--no-http", "--fail-under", "B")
    assert failing.returncode == 1  # untrusted without --cafile: grade T is below B
    assert json.loads(failing.stdout)["grade"]["grade"] == "T"


def test_text_report_names_grade_suites_and_vulnerabilities(test_pki):
    leaf = test_pki.leaf("rsa2048")
    from cryptography.hazmat.primitives.serialization import Encoding
    script = Script(chain=[c.public_bytes(Encoding.DER) for c in leaf.chain], versions=("SSLv3", "TLSv1"),
                    suites=(0x0005, 0x002F))
    with emulator(script) as port:
        done = run(f"127.0.0.1:{port}", "--sni", "localhost", "--cafile", str(test_pki.cafile), "--no-http",
                   "--timeout", "2")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "grade: F" not in out and "grade: C" in out
    assert "TLS_RSA_WITH_RC4_128_SHA" in out and "poodle" in out and "vulnerable" in out


def test_mass_mode_streams_json_lines_with_progress(engine_site, test_pki, tmp_path):
    hosts = tmp_path / "hosts.txt"
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    hosts.write_text("# loopback targets\n" + "".join(f"{a}:{p}\n" for a, p in engine_site)
                     + f"127.0.0.1:{closed_port}\n")
    done = run("-f", str(hosts), "--concurrency", "4", "--cafile", str(test_pki.cafile), "--sni", "localhost")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 3
    for report in lines:
        jsonschema.validate(report, SCHEMA)
    by_port = {r["target"]["port"]: r for r in lines}
    assert by_port[closed_port]["reachability"]["status"] == "closed"
    for address, port in engine_site:
        r = by_port[port]
        assert r["handshake"]["version"] == "TLSv1.3" and r["certificates"][0]["trusted"], r
    assert "checking" in done.stderr and "3/3" in done.stderr
    assert done.returncode == 0


def test_dead_and_bad_targets_are_one_line_errors():
    done = run("bad host:99999")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "port" in done.stderr
    done = run()
    assert done.returncode == 2 and "TARGET" in done.stderr
    done = run("localhost:1", "--timeout", "0")
    assert done.returncode == 2 and "timeout" in done.stderr
    listener = socket.socket()  # accepts, never answers: a not-TLS port, within the timeout
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    try:
        start = time.monotonic()
        done = run(f"127.0.0.1:{listener.getsockname()[1]}", "--json", "--timeout", "1", "--no-http")
        assert time.monotonic() - start < 15
    finally:
        listener.close()
    assert done.returncode == 3 and json.loads(done.stdout)["reachability"]["status"] == "not-tls"
    assert "Traceback" not in done.stderr


@given(st.text(max_size=60))
def test_target_parser_never_raises_anything_but_valueerror(text):
    try:
        host, port = parse_target(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert host and 1 <= port <= 65535


def test_target_file_lines():
    assert read_targets(["a.example", "b.example:8443", "[::1]:9", "# c", "", "bad:port"]) == [
        ("a.example", 443), ("b.example", 8443), ("::1", 9), "bad port in 'bad:port'; use HOST:PORT with a port from "
        "1 to 65535"]


def test_hsts_parsing():
    h = parse_hsts('max-age="31536000"; includeSubDomains; preload')
    assert (h.max_age, h.include_subdomains, h.preload, h.problems) == (31536000, True, True, [])
    assert parse_hsts("includeSubDomains").problems == ["no max-age: browsers ignore the header"]
    assert "preload" in parse_hsts("max-age=300; preload").problems[0]
    assert "twice" in parse_hsts("max-age=1; max-age=2").problems[0]


def test_a_full_accept_queue_reads_as_filtered():
    """A listener whose accept queue is full drops SYNs, as a firewall would: no answer within the timeout."""
    from port443.audit.check import CheckOptions, run_check
    from port443.audit.prober import Limits

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    held = []
    try:
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            held.append(c)
        r = run_check("127.0.0.1", port, CheckOptions(limits=Limits(connect_timeout=1), http_port=None))[0]
    finally:
        for c in held:
            c.close()
        listener.close()
    assert r["reachability"]["status"] == "filtered"
    assert "firewall" in r["reachability"]["detail"]


def test_every_address_of_a_name_is_audited(monkeypatch, test_pki):
    """The name resolves to two loopback addresses (DNS replaced by a table); each gets its own report."""
    import asyncio

    from port443.audit.check import CheckOptions, check_host

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    config = ServerConfig(certificate_chain=str(test_pki.chain_file("ecdsa-p256")),
                          private_key=str(test_pki.key_file("ecdsa-p256")))
    infos = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in ("127.0.0.1", "127.0.0.3")]

    async def table(*args, **kw):
        return infos
    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", lambda self, *a, **kw: table())
    with engine_servers(config, ["127.0.0.1", "127.0.0.3"], port):
        reports = asyncio.run(check_host("site.test", port, CheckOptions(depth="quick", cafile=str(test_pki.cafile),
                                                                          server_name="localhost")))
    assert [r["target"]["address"] for r in reports] == ["127.0.0.1", "127.0.0.3"]
    assert all(r["handshake"]["ok"] and r["certificates"][0]["trusted"] for r in reports)


def test_plain_http_on_the_tls_port_is_named():
    """An HTTP server on the port answers our ClientHello with an HTTP error: reported as not TLS, with its words."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def answer():
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    import threading
    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        done = run(f"127.0.0.1:{listener.getsockname()[1]}", "--json", "--no-http", "--timeout", "3")
    finally:
        thread.join(5)
        listener.close()
    reach = json.loads(done.stdout)["reachability"]
    assert done.returncode == 3 and reach["status"] == "not-tls" and "plain HTTP (HTTP/1.1 400" in reach["detail"]


def test_a_server_that_goes_silent_is_bounded_by_the_budget():
    """It answers the first hello (so it is open), then never says a word: the audit stops at --budget."""
    import threading

    from port443.audit.check import CheckOptions, run_check
    from port443.audit.prober import Limits

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    stop = threading.Event()
    held = []

    def serve():
        first = True
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            if first:
                conn.recv(4096)
                conn.sendall(b"\x15\x03\x03\x00\x02\x02\x28")  # a handshake_failure alert
                first = False
            held.append(conn)  # never answered
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        start = time.monotonic()
        r = run_check("127.0.0.1", listener.getsockname()[1],
                      CheckOptions(limits=Limits(read_timeout=1, host_budget=2.5), http_port=None))[0]
        elapsed = time.monotonic() - start
    finally:
        stop.set()
        thread.join(5)
        for c in held:
            c.close()
        listener.close()
    assert r["reachability"]["status"] == "open"
    assert elapsed < 4.5
    assert not any(v["supported"] for v in r["protocols"].values())
    assert any("budget" in note for note in r["not_tested"])
    assert r["duration_s"] < 4.5


def test_an_internal_error_is_one_line_and_exit_4(monkeypatch):
    from click.testing import CliRunner

    import port443.cli.check as cli

    async def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")
    monkeypatch.setattr(cli, "check_host", broken)
    result = CliRunner().invoke(cli.check, ["localhost:1"])
    assert result.exit_code == 4
    assert "internal error RuntimeError" in result.output and "simulated bug" in result.output
    assert "Traceback" not in result.output
