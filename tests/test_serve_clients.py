"""Acceptance 1 of `port443 serve`: real clients over TLS 1.3 and 1.2, static root and proxy, both engines.

Clients: curl (HTTP/1.1 and --http2), openssl s_client, Python ssl and httpx,
and our own client (TLSStream). Port 80's 308 and HSTS are checked too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import ssl
import subprocess

import httpx
import pytest

from peers import TIMEOUT
from port443.net.stream import TLSStream
from port443.tls import ClientConfig, ClientConnection
from serve_helpers import (UpstreamApp, read_response, served, tls_connect, ws_frame, ws_handshake_request,
                           ws_parse)

pytestmark = pytest.mark.interop

ENGINES = ("native", "openssl")
VERSIONS = {"TLSv1.3": ssl.TLSVersion.TLSv1_3, "TLSv1.2": ssl.TLSVersion.TLSv1_2}
INDEX = b"<!doctype html><title>static</title><h1>port443 static site</h1>\n"


def version_params():
    return [pytest.param(engine, version, id=f"{engine}-{version}") for engine in ENGINES for version in VERSIONS]


@pytest.fixture(scope="module")
def site_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_bytes(INDEX)
    (root / "style.css").write_text("h1 { color: green }\n")
    (root / "big.bin").write_bytes(os.urandom(600_000))
    return root


@pytest.fixture(scope="module")
def upstream():
    app = UpstreamApp()
    yield app
    app.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory, site_root, upstream):
    """For each engine: a static server (HSTS on) and a proxy server; started once for the module."""
    home = tmp_path_factory.mktemp("home")
    out = {}
    with served(home, "--engine", "native", "--root", str(site_root), "--hsts", "600") as s1, \
            served(home, "--engine", "openssl", "--root", str(site_root), "--hsts", "600") as s2, \
            served(home, "--engine", "native", "--proxy", f"http://127.0.0.1:{upstream.port}", http=False) as p1, \
            served(home, "--engine", "openssl", "--proxy", f"http://127.0.0.1:{upstream.port}", http=False) as p2:
        out = {("static", "native"): s1, ("static", "openssl"): s2, ("proxy", "native"): p1, ("proxy", "openssl"): p2}
        yield out
        for s in out.values():
            assert s.alive(), "a server died during the tests"


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "--silent", "--show-error", "--max-time", "20", *args],
                          capture_output=True, timeout=TIMEOUT)


def curl_tls(server, version: str, *args: str) -> subprocess.CompletedProcess:
    flag = {"TLSv1.3": "--tlsv1.3", "TLSv1.2": "--tlsv1.2"}[version]
    return curl("--cacert", server.cafile, flag, "--tls-max", version[4:], "--resolve",
                f"localhost:{server.https_port}:127.0.0.1", *args)


# ---------------------------------------------------------------- curl
@pytest.mark.parametrize("engine,version", version_params())
def test_curl_http11_static_and_proxy(servers, engine, version):
    static, proxy = servers[("static", engine)], servers[("proxy", engine)]
    r = curl_tls(static, version, "--http1.1", "-i", f"{static.url}/")
    assert r.returncode == 0, r.stderr
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and body == INDEX
    assert b"strict-transport-security: max-age=600" in head.lower()
    r = curl_tls(proxy, version, "--http1.1", f"{proxy.url}/echo?x=1")
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout)
    headers = dict(seen["headers"])
    assert seen["target"] == "/echo?x=1"
    assert headers["host"] == f"localhost:{proxy.https_port}"
    assert headers["x-forwarded-proto"] == "https" and headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-host"] == f"localhost:{proxy.https_port}"


@pytest.mark.parametrize("engine", ENGINES)
def test_curl_http2(servers, engine):
    static, proxy = servers[("static", engine)], servers[("proxy", engine)]
    r = curl_tls(static, "TLSv1.3", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                 f"{static.url}/style.css")
    assert r.stdout == b"2 200", r.stderr
    r = curl_tls(proxy, "TLSv1.3", "--http2", "-w", "\n%{http_version}", "--data-binary", "hello h2",
                 f"{proxy.url}/echo")
    body, _, http_version = r.stdout.rpartition(b"\n")
    seen = json.loads(body)
    assert http_version == b"2" and seen["method"] == "POST" and seen["body_length"] == 8
    assert dict(seen["headers"])["host"] == f"localhost:{proxy.https_port}"


# ----------------------------------------------------------- openssl s_client
@pytest.mark.parametrize("engine,version", version_params())
def test_openssl_s_client(servers, engine, version):
    static = servers[("static", engine)]
    flag = {"TLSv1.3": "-tls1_3", "TLSv1.2": "-tls1_2"}[version]
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{static.https_port}", "-servername",
                        "localhost", "-CAfile", static.cafile, "-verify_return_error", flag, "-ign_eof"],
                       input=b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                       capture_output=True, timeout=TIMEOUT)
    out = r.stdout
    assert b"Verify return code: 0 (ok)" in out
    assert f"Protocol  : {version}".encode() in out or f"New, {version}".encode() in out
    assert b"HTTP/1.1 200 OK" in out and INDEX in out


# ---------------------------------------------------------- Python ssl, httpx
@pytest.mark.parametrize("engine,version", version_params())
def test_python_ssl_keepalive(servers, engine, version):
    static = servers[("static", engine)]
    with tls_connect(static, VERSIONS[version]) as sock:
        assert sock.version() == version
        for path in ("/", "/style.css", "/index.html"):
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            status, headers, body = read_response(sock)
            assert status == 200
        assert headers[b"content-type"] == b"text/html; charset=utf-8" and body == INDEX


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("http2", [False, True], ids=["h1", "h2"])
def test_httpx_streams_upload_and_download(servers, engine, http2):
    proxy, static = servers[("proxy", engine)], servers[("static", engine)]
    payload = os.urandom(1_500_000)

    def chunks():
        for i in range(0, len(payload), 100_000):
            yield payload[i:i + 100_000]

    with httpx.Client(verify=proxy.ssl_context(alpn=("h2", "http/1.1")), http2=http2, timeout=TIMEOUT) as client:
        r = client.post(f"{proxy.url}/echo", content=chunks())
        assert r.status_code == 200 and r.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
        import hashlib

        assert r.json()["body_sha256"] == hashlib.sha256(payload).hexdigest()
    with httpx.Client(verify=static.ssl_context(alpn=("h2", "http/1.1")), http2=http2, timeout=TIMEOUT) as client:
        big = client.get(f"{static.url}/big.bin")
        assert big.status_code == 200 and big.content == (static_root_file(static, "big.bin"))


def static_root_file(server, name):
    cmdline = server.proc.args
    root = cmdline[cmdline.index("--root") + 1]
    with open(os.path.join(root, name), "rb") as f:
        return f.read()


# -------------------------------------------------------------- our client
@pytest.mark.parametrize("engine", ENGINES)
def test_our_client(servers, engine):
    static = servers[("static", engine)]
    conn = ClientConnection(ClientConfig(server_name="localhost", cafile=static.cafile, alpn_protocols=("http/1.1",)))
    sock = socket.create_connection(("127.0.0.1", static.https_port), timeout=TIMEOUT)
    with sock:
        stream = TLSStream(sock, conn)
        done = stream.do_handshake()
        assert done.version == "TLSv1.3" and done.alpn_protocol == "http/1.1"
        stream.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answer = stream.recv_until_closed()
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(INDEX)


# ------------------------------------------------------------- streaming
@pytest.mark.parametrize("engine", ENGINES)
def test_proxy_streams_the_response_as_it_comes(servers, upstream, engine):
    proxy = servers[("proxy", engine)]
    with tls_connect(proxy) as sock:
        sock.sendall(b"GET /stream?n=3 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got = bytearray()
        for i in range(3):
            upstream.wait_until_waiting()  # the app sent chunk i and holds the rest back
            while f"chunk {i}\n".encode() not in got:
                got += sock.recv(65536)  # chunk i reaches us while the app still holds chunk i+1
            upstream.waiting.clear()
            upstream.set_release()
        while not got.endswith(b"0\r\n\r\n"):
            got += sock.recv(65536)
    assert b"transfer-encoding: chunked" in got.lower()


@pytest.mark.parametrize("engine", ENGINES)
def test_proxy_streams_the_upload_as_it_comes(servers, engine):
    proxy = servers[("proxy", engine)]
    with tls_connect(proxy) as sock:
        sock.sendall(b"POST /first HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
        status, _, body = read_response(sock)  # the app answered before the body ended
    assert status == 200 and json.loads(body) == {"first_chunk": 5}


@pytest.mark.parametrize("engine", ENGINES)
def test_proxy_websocket_passthrough(servers, engine):
    proxy = servers[("proxy", engine)]
    with tls_connect(proxy) as sock:
        request, accept = ws_handshake_request(f"localhost:{proxy.https_port}")
        sock.sendall(request)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += sock.recv(4096)
        head, _, rest = buf.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101") and accept.encode() in head
        replies = []
        for text in (b"hello", b"second message"):
            sock.sendall(ws_frame(text))
            while (frame := ws_parse(rest)) is None:
                rest += sock.recv(4096)
            opcode, payload, used = frame
            rest = rest[used:]
            replies.append(payload)
        sock.sendall(ws_frame(b"", opcode=8))
    assert replies == [b"echo: hello", b"echo: second message"]


# ---------------------------------------------------------------- port 80
@pytest.mark.parametrize("path,host,location", [
    ("/", "localhost", "https://localhost:{port}/"),
    ("/a/b.html?q=1&r=%20x", "example.com", "https://example.com:{port}/a/b.html?q=1&r=%20x"),
    ("/x", "example.com:80", "https://example.com:{port}/x"),
    ("/x", "[::1]:8080", "https://[::1]:{port}/x"),
    ("/x", "bad host!", "https://127.0.0.1:{port}/x"),
])
def test_port_80_redirects_with_308(servers, path, host, location):
    static = servers[("static", "native")]
    with socket.create_connection(("127.0.0.1", static.http_port), timeout=TIMEOUT) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        status, headers, _ = read_response(sock)
        sock.sendall(b"POST /again HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi")  # kept alive; any method
        again, _, _ = read_response(sock)
    assert status == 308 and again == 308
    assert headers[b"location"].decode() == location.format(port=static.https_port)
    assert b"strict-transport-security" not in headers  # HSTS is only sent over HTTPS (RFC 6797 §7.2)


def test_curl_follows_the_redirect_to_https(servers):
    static = servers[("static", "openssl")]
    r = curl("-L", "--cacert", static.cafile, "--resolve", f"localhost:{static.https_port}:127.0.0.1",
             "--resolve", f"localhost:{static.http_port}:127.0.0.1", f"http://localhost:{static.http_port}/")
    assert r.returncode == 0 and r.stdout == INDEX, r.stderr


def test_no_hsts_for_localhost_by_default(servers):
    proxy = servers[("proxy", "native")]
    r = curl_tls(proxy, "TLSv1.3", "-I", f"{proxy.url}/echo")
    assert r.stdout.split(b"\r\n")[0].endswith(b" 200 ") and b"strict-transport-security" not in r.stdout.lower()


# ------------------------------------------------------------ built-in page
@pytest.mark.parametrize("engine", ENGINES)
def test_builtin_page_shows_the_handshake_and_what_an_eavesdropper_sees(tmp_path, engine):
    with served(tmp_path, "--engine", engine, http=False) as page:
        facts = []
        for _ in range(2):  # two connections: the count goes up
            with tls_connect(page, alpn=("http/1.1",)) as sock:
                sock.sendall(b"GET /handshake.json HTTP/1.1\r\nHost: localhost\r\n\r\n")
                status, headers, body = read_response(sock)
                assert status == 200 and headers[b"cache-control"] == b"no-store"
                facts.append(json.loads(body))
        page.lines.wait_for(r'"GET /handshake.json HTTP/1.1" 200 \d+ "localhost" TLSv1\.3 TLS_A[A-Z0-9_]+')
    c, hello, seen = facts[1]["connection"], facts[1]["client_hello"], facts[1]["eavesdropper"]
    assert c["engine"] == engine and c["tls_version"] == "TLSv1.3" and c["cipher_suite"].startswith("TLS_")
    assert c["group"] and c["sni"] == "localhost" and c["alpn"] == "http/1.1"
    assert "TLSv1.3" in hello["versions"] and hello["size"] > 100 and "TLS_AES_128_GCM_SHA256" in hello["cipher_suites"]
    assert "server_name" in hello["extensions"] and hello["alpn"] == ["http/1.1"]
    assert seen["ip_address"] == "127.0.0.1" and seen["site_name"] == "localhost"
    assert seen["bytes_received"] > hello["size"] and seen["bytes_sent"] > 0
    assert facts[1]["eavesdropper"]["connection_number"] == facts[0]["eavesdropper"]["connection_number"] + 1
    if importlib.util.find_spec("port443.observe.fingerprint") is not None:
        assert set(facts[1]["fingerprints"]) == {"JA3", "JA4"}
        assert facts[1]["fingerprints"]["JA4"].startswith("t13d")


@pytest.mark.parametrize("engine", ENGINES)
def test_pipelined_requests_answered_in_order(servers, engine):
    """Simple requests (fast path) and others (h11) mixed in one write come back in order."""
    static = servers[("static", engine)]
    with tls_connect(static) as sock:
        sock.sendall(b"GET /style.css HTTP/1.1\r\nHost: localhost\r\n\r\n"
                     b"POST /index.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc"
                     b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-8\r\n\r\n"
                     b"HEAD /index.html HTTP/1.0\r\nHost: localhost\r\n\r\n")
        first, second, third = read_response(sock), read_response(sock), read_response(sock)
        sock.settimeout(TIMEOUT)
        fourth_head = b""
        while b"\r\n\r\n" not in fourth_head:
            fourth_head += sock.recv(4096)
    assert first[0] == 200 and first[2] == b"h1 { color: green }\n"
    assert second[0] == 405  # the static root answers GET and HEAD only; the body was skipped, not a reason to close
    assert third[0] == 206 and third[2] == INDEX[:9]
    assert fourth_head.startswith(b"HTTP/1.1 200") and b"content-length: %d" % len(INDEX) in fourth_head


@pytest.mark.parametrize("engine", ENGINES)
def test_a_file_changed_between_two_identical_requests_is_served_new(servers, site_root, engine):
    """The same head twice is answered from the answer cache; a change to the file shows at once."""
    static = servers[("static", engine)]
    path = site_root / f"changing-{engine}.txt"
    path.write_bytes(b"before")
    req = f"GET /{path.name} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    with tls_connect(static) as sock:
        for _ in range(2):
            sock.sendall(req)
            assert read_response(sock)[2] == b"before"
        path.write_bytes(b"after, longer")
        sock.sendall(req)
        assert read_response(sock)[2] == b"after, longer"
        path.unlink()
        sock.sendall(req)
        assert read_response(sock)[0] == 404
