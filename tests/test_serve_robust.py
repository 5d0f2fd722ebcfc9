"""Acceptance 3 of `port443 serve`: robustness.

1,000 idle connections and a slowloris client while a normal client is served;
garbage, TLS-looking junk and oversized requests get an alert, a 400, a 413
or a 431 with the worker still up; SIGTERM drains in-flight requests; SIGHUP
swaps the certificate without dropping open connections; --workers.
Every wait is for observable state (a line, a byte, a closed socket).
"""

from __future__ import annotations

import os
import select
import signal
import socket
import ssl
import time

import pytest

from peers import TIMEOUT, write_pem
from port443.pki.issue import issue_leaf
from serve_helpers import UpstreamApp, raw_request, read_response, served, stop, tls_connect

pytestmark = pytest.mark.interop
ENGINES = ("native", "openssl")


def fetch_ok(server, path: str = "/") -> bytes:
    with tls_connect(server) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        status, _, body = read_response(sock)
    assert status == 200
    return body


def still_open(sock: socket.socket) -> bool:
    """Nothing to read: the server has not closed it (these peers never get a byte while open)."""
    readable, _, _ = select.select([sock], [], [], 0)
    return not readable


def wait_closed(sock: socket.socket, timeout: float) -> bytes:
    """Read until the server closes (EOF or reset); returns what came before."""
    sock.settimeout(timeout)
    got = bytearray()
    try:
        while chunk := sock.recv(65536):
            got += chunk
    except ConnectionResetError:
        pass
    return bytes(got)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


@pytest.mark.parametrize("engine", ENGINES)
def test_idle_connections_and_slowloris_do_not_stop_service(home, engine):
    with served(home, "--engine", engine, "--header-timeout", "2", "--handshake-timeout", "30", http=False) as srv:
        idle = []
        try:
            for _ in range(1000):
                idle.append(socket.create_connection(("127.0.0.1", srv.https_port), timeout=TIMEOUT))
            slow = tls_connect(srv)
            head = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 200
            started = time.monotonic()
            closed_by_server = False
            for i in range(0, len(head), 4):  # a slowloris: a few bytes at a time, never ending its head
                try:
                    slow.sendall(head[i:i + 4])
                except OSError:
                    closed_by_server = True
                    break
                if i % 40 == 0:
                    t0 = time.monotonic()
                    assert b"You are connected over HTTPS" in fetch_ok(srv)  # a normal client is served
                    assert time.monotonic() - t0 < 5
                if not still_open(slow):
                    closed_by_server = True
                    break
                time.sleep(0.05)  # the attacker's pace, not synchronisation
            if not closed_by_server:
                wait_closed(slow, 10)
            assert time.monotonic() - started < 15  # the header timeout (2 s) cut the slowloris off
            assert sum(still_open(s) for s in idle[:50]) == 50  # idle connections are held, not dropped
            assert srv.alive()
        finally:
            for s in idle:
                s.close()


GARBAGE = [
    pytest.param(b"\x00" * 64, id="zeros"),
    pytest.param(os.urandom(300), id="random"),
    pytest.param(b"\x16\x03\x01\x00\x30" + b"\x01\x00\x00\x2c" + os.urandom(44), id="tls-looking-junk-hello"),
    pytest.param(b"\x17\x03\x03\x00\x20" + os.urandom(32), id="appdata-before-handshake"),
    pytest.param(b"\x16\x03\x03\xff\xff" + b"\x01" * 100, id="oversized-record-header"),
]


@pytest.fixture(scope="module")
def both(home):
    """A proxy (it reads request bodies, so body limits apply) in front of a local app, per engine."""
    app = UpstreamApp()
    up = f"http://127.0.0.1:{app.port}"
    try:
        with served(home, "--engine", "native", "--max-body-size", "1000000", "--proxy", up, http=False) as n, \
                served(home, "--engine", "openssl", "--max-body-size", "1000000", "--proxy", up, http=False) as o:
            yield {"native": n, "openssl": o}
    finally:
        app.close()


@pytest.mark.parametrize("junk", GARBAGE)
@pytest.mark.parametrize("engine", ENGINES)
def test_garbage_gets_an_alert_and_the_worker_stays_up(both, engine, junk):
    srv = both[engine]
    with socket.create_connection(("127.0.0.1", srv.https_port), timeout=TIMEOUT) as sock:
        sock.sendall(junk)
        answer = wait_closed(sock, TIMEOUT)
    if answer:
        assert answer[0] == 0x15 and answer[1] == 0x03, answer  # a TLS alert record
        if engine == "native":
            assert answer[5] == 2  # fatal
    fetch_ok(srv)
    assert srv.alive()


@pytest.mark.parametrize("engine", ENGINES)
def test_plain_http_on_the_https_port_gets_400(both, engine):
    with socket.create_connection(("127.0.0.1", both[engine].https_port), timeout=TIMEOUT) as sock:
        answer = raw_request(sock, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400") and b"use https://" in answer


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("request_bytes,status", [
    pytest.param(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", 431, id="headers"),
    pytest.param(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5000000\r\n\r\n", 413, id="body-length"),
    pytest.param(b"POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"F4240\r\n" + b"b" * 1_000_000 + b"\r\n1\r\nc\r\n0\r\n\r\n", 413, id="chunked-body"),
    pytest.param(b"GET / HTTP/1.1\r\n\r\n", 400, id="no-host"),
    pytest.param(b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400, id="control-in-target"),
    pytest.param(b"\x01\x02 garbage\r\n\r\n", 400, id="garbage-request-line"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400, id="space-in-name"),
])
def test_bad_requests_get_4xx_and_the_worker_stays_up(both, engine, request_bytes, status):
    srv = both[engine]
    with tls_connect(srv) as sock:
        try:
            sock.sendall(request_bytes)
        except OSError:
            pass  # the server may answer and close before it read everything
        got, _, body = read_response(sock)
    assert got == status, body
    assert b"Traceback" not in body
    fetch_ok(srv)
    assert srv.alive()


@pytest.mark.parametrize("engine", ENGINES)
def test_sigterm_drains_in_flight_requests(home, engine):
    app = UpstreamApp()
    try:
        with served(home, "--engine", engine, "--proxy", f"http://127.0.0.1:{app.port}", http=False) as srv:
            sock = tls_connect(srv)
            sock.sendall(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")
            app.wait_until_waiting()  # the request is in flight at the app
            srv.proc.send_signal(signal.SIGTERM)
            srv.lines.wait_for(r"shutting down: draining 1 connection")
            with pytest.raises(OSError):  # no new connections once draining
                socket.create_connection(("127.0.0.1", srv.https_port), timeout=TIMEOUT).close()
            app.set_release()
            status, headers, body = read_response(sock)
            assert status == 200 and b'"target": "/slow"' in body
            assert headers.get(b"connection") == b"close"
            assert srv.proc.wait(timeout=TIMEOUT) == 0
            sock.close()
    finally:
        app.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_sighup_swaps_the_certificate_without_dropping_connections(home, test_pki, tmp_path, engine):
    chain, key = tmp_path / "site.pem", tmp_path / "site-key.pem"
    first = issue_leaf(test_pki.intermediate, ["localhost", "127.0.0.1"])
    second = issue_leaf(test_pki.intermediate, ["localhost", "127.0.0.1"])
    for path, src in zip(write_pem(first, tmp_path, "a"), (chain, key)):
        os.replace(path, src)
    with served(home, "--engine", engine, "--cert", str(chain), "--key", str(key), http=False) as srv:
        ctx = ssl.create_default_context(cafile=str(test_pki.cafile))

        def connect():
            raw = socket.create_connection(("127.0.0.1", srv.https_port), timeout=TIMEOUT)
            return ctx.wrap_socket(raw, server_hostname="localhost")

        old = connect()
        old.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_response(old)[0] == 200
        from cryptography.hazmat.primitives.serialization import Encoding

        assert old.getpeercert(binary_form=True) == first.certificate.public_bytes(Encoding.DER)
        for path, dst in zip(write_pem(second, tmp_path, "b"), (chain, key)):
            os.replace(path, dst)
        srv.proc.send_signal(signal.SIGHUP)
        srv.lines.wait_for(r"certificates reloaded")
        new = connect()
        assert new.getpeercert(binary_form=True) == second.certificate.public_bytes(Encoding.DER)
        old.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")  # the open connection was not dropped
        assert read_response(old)[0] == 200
        old.close()
        new.close()
        assert srv.alive()


def test_bad_certificate_on_sighup_keeps_the_old_one(home, test_pki, tmp_path):
    chain, key = write_pem(issue_leaf(test_pki.intermediate, ["localhost"]), tmp_path, "c")
    with served(home, "--cert", str(chain), "--key", str(key), http=False) as srv:
        chain.write_text("not a certificate\n")
        srv.proc.send_signal(signal.SIGHUP)
        srv.lines.wait_for(r"certificate reload failed, still serving the previous ones: .*c\.pem")
        ctx = ssl.create_default_context(cafile=str(test_pki.cafile))
        with ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.https_port), timeout=TIMEOUT),
                             server_hostname="localhost") as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert read_response(sock)[0] == 200


def test_workers_share_the_port(home):
    with served(home, "--workers", "2") as srv:
        for _ in range(10):
            fetch_ok(srv, "/handshake.json")
        with socket.create_connection(("127.0.0.1", srv.http_port), timeout=TIMEOUT) as sock:
            assert raw_request(sock, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").startswith(
                b"HTTP/1.1 308")
        assert stop(srv.proc) == 0


def test_connection_cap_closes_the_extra_ones(home):
    with served(home, "--max-connections", "5", http=False) as srv:
        held = [socket.create_connection(("127.0.0.1", srv.https_port), timeout=TIMEOUT) for _ in range(5)]
        try:
            extra = socket.create_connection(("127.0.0.1", srv.https_port), timeout=TIMEOUT)
            assert wait_closed(extra, TIMEOUT) == b""  # over the cap: closed at once, nothing sent
            extra.close()
            held.pop().close()
            deadline = time.monotonic() + TIMEOUT
            while True:  # once the server has seen that close, there is room again
                try:
                    fetch_ok(srv)
                    break
                except (OSError, ssl.SSLError):
                    assert time.monotonic() < deadline
        finally:
            for s in held:
                s.close()


def test_a_session_ticket_still_resumes_after_sighup(home, test_pki, tmp_path):
    """The ticket key is made once, before workers fork, and survives certificate reloads."""
    import dataclasses

    from port443.net.stream import TLSStream
    from port443.tls import ClientConfig, ClientConnection, SessionTicketReceived

    chain, key = write_pem(issue_leaf(test_pki.intermediate, ["localhost", "127.0.0.1"]), tmp_path, "t")
    config = ClientConfig(server_name="localhost", cafile=str(test_pki.cafile), alpn_protocols=("http/1.1",))

    def visit(srv, cfg):
        with socket.create_connection(("127.0.0.1", srv.https_port), timeout=TIMEOUT) as raw:
            stream = TLSStream(raw, ClientConnection(cfg))
            done = stream.do_handshake()
            stream.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            stream.recv_until_closed()
            stream.close()
            tickets = [e.session for e in stream.events if isinstance(e, SessionTicketReceived)]
            return done.resumed, tickets

    with served(home, "--engine", "native", "--cert", str(chain), "--key", str(key), http=False) as srv:
        resumed, tickets = visit(srv, config)
        assert not resumed and tickets
        srv.proc.send_signal(signal.SIGHUP)
        srv.lines.wait_for(r"certificates reloaded")
        resumed, _ = visit(srv, dataclasses.replace(config, session=tickets[0]))
        assert resumed


def read_answers(sock, count: int) -> list[tuple[int, int]]:
    """(status, body length) of `count` Content-Length framed responses read back to back."""
    buf, out = bytearray(), []
    while len(out) < count:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = bytes(buf[:end]).lower()
            length = int(head.split(b"content-length: ")[1].split(b"\r\n")[0])
            if len(buf) >= end + 4 + length:
                out.append((int(head.split()[1]), length))
                del buf[:end + 4 + length]
                continue
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    return out


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize("engine", ENGINES)
def test_pipelining_without_reading_does_not_fill_the_server_memory(home, tmp_path, engine):
    """1,000 pipelined GETs of a 100 KB file (100 MB of answers) from a client that does not read: the
    server answers a budget's worth, stops reading until the client reads, and then answers all of them."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "big.bin").write_bytes(os.urandom(100_000))
    count = 1000
    with served(home, "--engine", engine, "--root", str(root), http=False) as srv:
        fetch_ok(srv, "/big.bin")
        before = rss_bytes(srv.proc.pid)
        with tls_connect(srv) as flood:
            flood.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n" * count)
            fetch_ok(srv, "/big.bin")  # another client is served meanwhile
            grown = rss_bytes(srv.proc.pid) - before
            assert grown < 40_000_000, f"the server holds {grown} more bytes for a client that does not read"
            assert read_answers(flood, count) == [(200, 100_000)] * count
        assert srv.alive()


class BioClient:
    """Python's ssl over MemoryBIOs on a plain socket, so the test decides how the records are cut."""

    def __init__(self, srv) -> None:
        self.sock = socket.create_connection(("127.0.0.1", srv.https_port), timeout=TIMEOUT)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = srv.ssl_context().wrap_bio(self.incoming, self.outgoing, server_hostname="localhost")
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self.sock.sendall(self.outgoing.read())
                self.incoming.write(self.sock.recv(65536))
        self.sock.sendall(self.outgoing.read())

    def records(self, data: bytes) -> bytes:
        self.tls.write(data)
        return self.outgoing.read()

    def response_body(self) -> bytes:
        got = b""
        while b"\r\n\r\n" not in got or len(got.partition(b"\r\n\r\n")[2]) < int(
                got.lower().split(b"content-length: ")[1].split(b"\r\n")[0]):
            try:
                got += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self.incoming.write(self.sock.recv(65536))
        return got.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_record_cut_between_reads_survives_other_connections_reads(home, tmp_path, engine):
    """The worker reads every socket into one buffer: half a record kept from one connection must not
    be overwritten by another connection's read before its second half arrives."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "a.txt").write_bytes(b"A" * 3000)
    (root / "b.txt").write_bytes(b"B" * 3000)
    with served(home, "--engine", engine, "--root", str(root), http=False) as srv:
        a, b = BioClient(srv), BioClient(srv)
        try:
            wire = a.records(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
            a.sock.sendall(wire[:len(wire) // 2])
            for _ in range(3):  # the other connection's reads land in the same buffer meanwhile
                b.sock.sendall(b.records(b"GET /b.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"))
                assert b.response_body() == b"B" * 3000
            a.sock.sendall(wire[len(wire) // 2:])
            assert a.response_body() == b"A" * 3000
        finally:
            a.sock.close()
            b.sock.close()


def h2_greedy_client(sock):
    """An h2 client with its windows wide open, so only the server's own budget limits what it sends."""
    import h2.connection
    import h2.settings

    client = h2.connection.H2Connection()
    client.local_settings = h2.settings.Settings(
        client=True, initial_values={h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 2**31 - 1})
    client.initiate_connection()
    client.increment_flow_control_window(2**31 - 1 - 65535)
    return client


def h2_requests(client, first: int, count: int, path: str) -> None:
    for i in range(count):
        client.send_headers(first + 2 * i, [(":method", "GET"), (":path", path), (":scheme", "https"),
                                            (":authority", "localhost")], end_stream=True)


def h2_read_answers(sock, client, want: int) -> tuple[int, int, bool]:
    """(streams ended, DATA bytes, GOAWAY seen), reading until `want` streams ended or the server closed."""
    import h2.events

    ended = received = 0
    goaway = False
    sock.settimeout(TIMEOUT)
    while ended < want and not goaway:
        data = sock.recv(1 << 20)
        if not data:
            break
        for event in client.receive_data(data):
            if isinstance(event, h2.events.DataReceived):
                received += len(event.data)
            elif isinstance(event, h2.events.StreamEnded):
                ended += 1
            elif isinstance(event, h2.events.ConnectionTerminated):
                goaway = True
        sock.sendall(client.data_to_send())
    return ended, received, goaway


@pytest.mark.parametrize("engine", ENGINES)
def test_http2_answers_wait_for_a_client_that_does_not_read(home, tmp_path, engine):
    """HTTP/2 with the client's windows wide open: 90 streams at a time (under the 100-stream limit),
    batch after batch, nothing read. Answers queue up to the budget, then the streams wait for the
    writer, so the greedy client soon runs into the stream limit (GOAWAY) instead of into our memory;
    a client that sends one batch and then reads gets every answer whole."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "big.bin").write_bytes(os.urandom(100_000))
    with served(home, "--engine", engine, "--root", str(root), http=False) as srv:
        fetch_ok(srv, "/big.bin")
        before = rss_bytes(srv.proc.pid)
        with tls_connect(srv, alpn=("h2",)) as sock:
            client = h2_greedy_client(sock)
            try:
                for batch in range(10):  # 900 answers of 100 KB: 90 MB if they were all queued
                    h2_requests(client, 1 + 180 * batch, 90, "/big.bin")
                    sock.sendall(client.data_to_send())
                    fetch_ok(srv, "/big.bin")  # others are served; and the batch has been read by now
            except OSError:
                pass  # the server gave up on this client (GOAWAY, then close)
            grown = rss_bytes(srv.proc.pid) - before
            assert grown < 40_000_000, f"the server holds {grown} more bytes for a client that does not read"
        with tls_connect(srv, alpn=("h2",)) as sock:
            client = h2_greedy_client(sock)
            h2_requests(client, 1, 90, "/big.bin")
            sock.sendall(client.data_to_send())
            fetch_ok(srv, "/big.bin")
            assert h2_read_answers(sock, client, 90) == (90, 90 * 100_000, False)
        assert srv.alive()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_client_that_reads_nothing_is_cut_after_the_send_timeout(home, tmp_path, engine):
    """Answers waiting on a client that never reads (40 MB asked for, more than the loopback socket
    buffers hold): after --send-timeout the connection is aborted, since a plain close would wait for
    the unsendable bytes forever. The worker keeps serving others."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "big.bin").write_bytes(os.urandom(100_000))
    with served(home, "--engine", engine, "--root", str(root), "--send-timeout", "1", http=False) as srv:
        with tls_connect(srv) as stuck:
            stuck.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n" * 400)
            fetch_ok(srv, "/big.bin")
            srv.lines.wait_for(r"read nothing for 1 s \(send timeout\)", timeout=TIMEOUT)
            stuck.settimeout(TIMEOUT)
            with pytest.raises((ConnectionResetError, ssl.SSLError, EOFError)):
                while True:  # what reached our socket buffer can still be read; then the reset shows
                    if not stuck.recv(1 << 20):
                        raise EOFError
        fetch_ok(srv, "/big.bin")
        assert srv.alive()
