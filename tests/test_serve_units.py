"""`port443 serve` pieces without a server: config and TOML, the 443 -> 8443 fallback, HSTS,
the redirect, static files (never outside the root), the HTTP/1.1 fast path against h11."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from port443.http.h1fast import frame_response, parse_simple_head
from port443.http.message import Request
from port443.http.redirect import Redirect
from port443.http.site import HSTS, is_local_name
from port443.http.static import StaticFiles, parse_range
from port443.serve import config as cfg
from port443.serve.listen import BindError, bind_preferred, bind_sockets


def request(path: str, method: str = "GET", headers=(), authority: str = "localhost") -> Request:
    return Request(method, path, list(headers), "1.1", "https", authority, ("127.0.0.1", 1), None)


# ------------------------------------------------------------------ config
def test_toml_file_holds_every_setting_and_flags_win(tmp_path):
    (tmp_path / "www").mkdir()
    conf = tmp_path / "site.toml"
    conf.write_text('host = "0.0.0.0"\nport = 8443\nhttp-port = "none"\nroot = "www"\nengine = "openssl"\n'
                    'workers = 2\nhsts = 600\nhsts_include_subdomains = true\nhsts-preload = true\n'
                    'access-log = "off"\nhttp2 = false\ntls-versions = ["TLSv1.3"]\n'
                    '[[cert]]\ncert = "a.pem"\nkey = "a-key.pem"\n[[cert]]\ncert = "b.pem"\nkey = "b-key.pem"\n'
                    '[limits]\nhandshake-timeout = 5\nmax_body_size = 1000\n')
    built = cfg.build(cfg.load_file(conf), {"port": 9443, "idle_timeout": 7.0})
    assert built.host == "0.0.0.0" and built.port == 9443 and built.http_port == "none" and not built.http_enabled
    assert built.root == tmp_path / "www" and built.engine == "openssl" and built.workers == 2
    assert (built.hsts, built.hsts_include_subdomains, built.hsts_preload) == (600, True, True)
    assert built.certs == ((tmp_path / "a.pem", tmp_path / "a-key.pem"), (tmp_path / "b.pem", tmp_path / "b-key.pem"))
    assert built.limits.handshake_timeout == 5 and built.limits.max_body_size == 1000 and built.limits.idle_timeout == 7
    assert built.access_log == "off" and built.http2 is False and built.tls_versions == ("TLSv1.3",)


@pytest.mark.parametrize("text,message", [
    ("prot = 443\n", "unknown setting 'prot'"),
    ("port = 70000\n", "between 0 and 65535"),
    ('http-port = "eighty"\n', "or 'none'"),
    ('root = "a"\nproxy = "http://127.0.0.1:1"\n', "--root and --proxy both given"),
    ('engine = "gnutls"\n', "choose native or openssl"),
    ("workers = 0\n", "give 1 or more"),
    ("[limits]\nidle = 3\n", "unknown limit 'idle'"),
    ("[limits]\nidle-timeout = -1\n", "greater than 0"),
    ('[[cert]]\ncert = "a.pem"\n', "exactly cert"),
    ("port = [\n", "not valid TOML"),
])
def test_config_errors_name_the_setting(tmp_path, text, message):
    conf = tmp_path / "bad.toml"
    conf.write_text(text)
    with pytest.raises(cfg.ServeConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        cfg.build(cfg.load_file(conf))


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path):
    env = dict(os.environ, PORT443_HOME=str(tmp_path))
    for args, text in ([["--root", str(tmp_path / "missing")], "not a directory"],
                       [["--proxy", "ftp://x"], "give an http:// URL"],
                       [["--cert", "a.pem"], "give one --key for each --cert"],
                       [["--cert", str(tmp_path / "no.pem"), "--key", str(tmp_path / "no-key.pem")], "no such file"]):
        r = subprocess.run([sys.executable, "-m", "port443", "serve", "--port", "0", "--http-port", "none", *args],
                           capture_output=True, text=True, timeout=60, env=env)
        assert r.returncode == 2 and text in r.stderr and "Traceback" not in r.stderr, r.stderr


# ---------------------------------------------------------------- ports
def refusing(refused: dict[int, int]):
    """A binder that fails for the given ports with the given errno, else binds loopback ephemeral."""
    def binder(host, port, reuse):
        if port in refused:
            raise OSError(refused[port], os.strerror(refused[port]))
        return bind_sockets("127.0.0.1", 0, reuse)
    return binder


@pytest.mark.parametrize("err,words", [(errno.EACCES, "needs privileges"), (errno.EADDRINUSE, "in use")])
def test_443_falls_back_to_8443_with_a_one_line_hint(err, words):
    bound = bind_preferred("127.0.0.1", None, 443, 8443, "--port", binder=refusing({443: err}))
    try:
        assert bound.port == 8443
        assert words in bound.hint and "\n" not in bound.hint and "--port" in bound.hint
        if err == errno.EACCES:
            assert "run as root" in bound.hint and "setcap cap_net_bind_service" in bound.hint
    finally:
        for s in bound.sockets:
            s.close()


def test_fallback_with_a_port_really_occupied():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    fallback = spare.getsockname()[1]
    spare.close()
    try:
        bound = bind_preferred("127.0.0.1", None, taken.getsockname()[1], fallback, "--port", reuse_port=False)
        assert bound.port == fallback and "in use by another process" in bound.hint
        for s in bound.sockets:
            s.close()
        with pytest.raises(BindError, match="pick another port with --port"):
            bind_preferred("127.0.0.1", taken.getsockname()[1], 443, 8443, "--port", reuse_port=False)
    finally:
        taken.close()


def test_both_ports_refused_is_a_bind_error():
    with pytest.raises(BindError, match="cannot listen on port 443 or 8443"):
        bind_preferred("127.0.0.1", None, 443, 8443, "--port", binder=refusing({443: errno.EACCES, 8443: errno.EACCES}))


def test_serve_prints_the_hint_when_443_is_refused(tmp_path, monkeypatch):
    from port443.serve.server import prepare

    monkeypatch.setenv("PORT443_HOME", str(tmp_path))
    prepared = prepare(cfg.build({}, {"http_port": "none", "host": "127.0.0.1"}),
                       binder=refusing({443: errno.EACCES}))
    try:
        assert prepared.https.port == 8443 and prepared.https_url == "https://127.0.0.1:8443/"
        assert prepared.hints and "port 443 needs privileges" in prepared.hints[0]
        assert prepared.local is not None and prepared.local.ca_created  # the local CA, made on first run
        assert os.stat(prepared.local.key).st_mode & 0o777 == 0o600
    finally:
        for s in prepared.https.sockets:
            s.close()


# ------------------------------------------------------------------ HSTS
@pytest.mark.parametrize("host,local", [("localhost", True), ("app.localhost", True), ("127.0.0.1", True),
                                        ("[::1]", True), ("intranet", True), ("site.test", True),
                                        ("example.com", False), ("www.example.org", False)])
def test_hsts_defaults_to_a_year_for_public_names_only(host, local):
    assert is_local_name(host) is local
    value = HSTS().value(host)
    assert value == (None if local else b"max-age=31536000")


def test_hsts_flags():
    assert HSTS(600, True, True).value("localhost") == b"max-age=600; includeSubDomains; preload"
    assert HSTS(0).value("example.com") is None


def test_redirect_location_keeps_path_and_query_and_drops_bad_hosts():
    r = Redirect(443)
    assert r.location(request("/a?b=1", authority="Example.COM:80")) == "https://example.com/a?b=1"
    assert r.location(request("/x", authority="evil.com/@x")) == "https://localhost/x"
    assert r.location(request("*", authority="h")) == "https://h/"
    assert Redirect(8443).location(request("/", authority="[::1]:8080")) == "https://[::1]:8443/"


# ----------------------------------------------------------------- static
@pytest.fixture
def root(tmp_path):
    site = tmp_path / "site"
    (site / "sub").mkdir(parents=True)
    (site / "index.html").write_text("<h1>home</h1>")
    (site / "sub" / "index.html").write_text("<h1>sub</h1>")
    (site / "app.js").write_text("let x = 1;")
    (site / "data.bin").write_bytes(bytes(range(256)) * 4)
    (site / "hello world.txt").write_text("spaces")
    (tmp_path / "secret.txt").write_text("outside the root")
    os.symlink(tmp_path / "secret.txt", site / "escape.txt")
    os.symlink(tmp_path, site / "up")
    os.symlink(site / "app.js", site / "inside.js")
    return site


def test_index_content_types_and_directory_redirect(root):
    files = StaticFiles(root)
    r = files(request("/"))
    assert r.status == 200 and r.body == b"<h1>home</h1>" and (b"content-type", b"text/html; charset=utf-8") in r.headers
    assert files(request("/sub/")).body == b"<h1>sub</h1>"
    moved = files(request("/sub"))
    assert moved.status == 301 and (b"location", b"/sub/") in moved.headers
    assert (b"content-type", b"text/javascript; charset=utf-8") in files(request("/app.js")).headers
    assert (b"content-type", b"application/octet-stream") in files(request("/data.bin")).headers
    assert files(request("/hello%20world.txt")).body == b"spaces"
    assert files(request("/inside.js")).body == b"let x = 1;"  # a symlink that stays inside is fine
    assert files(request("/", method="POST")).status == 405
    head = files(request("/app.js", method="HEAD"))
    assert head.status == 200 and head.body == b"" and (b"content-length", b"10") in head.headers


@pytest.mark.parametrize("path", ["/../secret.txt", "/%2e%2e/secret.txt", "/sub/../../secret.txt",
                                  "/escape.txt", "/up/secret.txt", "/..%2fsecret.txt",
                                  "/%2e%2e%2fsecret.txt", "/sub/%2E%2E/%2E%2E/secret.txt", "/..\\secret.txt",
                                  "/%00", "/%ff"])
def test_never_outside_the_root(root, path):
    files = StaticFiles(root)
    for _ in range(2):  # the second time exercises the resolved-path cache
        r = files(request(path))
        assert r.status in (400, 404) and b"outside the root" not in r.body


def test_symlink_swapped_after_caching_is_refused(root, tmp_path):
    files = StaticFiles(root)
    (root / "page.txt").write_text("inside")
    assert files(request("/page.txt")).body == b"inside"
    os.remove(root / "page.txt")
    os.symlink(tmp_path / "secret.txt", root / "page.txt")
    assert files(request("/page.txt")).status == 404
    os.remove(root / "page.txt")
    os.rename(root / "sub", root / "sub2")
    os.symlink(tmp_path, root / "sub")
    (tmp_path / "index.html").write_text("outside")
    assert files(request("/sub/")).status == 404


def test_etag_and_ranges(root):
    files = StaticFiles(root)
    r = files(request("/data.bin"))
    etag = dict(r.headers)[b"etag"]
    assert files(request("/data.bin", headers=[(b"if-none-match", etag)])).status == 304
    assert files(request("/data.bin", headers=[(b"if-none-match", b'W/' + etag + b', "x"')])).status == 304
    assert files(request("/data.bin", headers=[(b"if-none-match", b'"other"')])).status == 200
    part = files(request("/data.bin", headers=[(b"range", b"bytes=10-19")]))
    assert part.status == 206 and part.body == bytes(range(10, 20))
    assert (b"content-range", b"bytes 10-19/1024") in part.headers
    tail = files(request("/data.bin", headers=[(b"range", b"bytes=-4")]))
    assert tail.body == bytes(range(252, 256))
    assert files(request("/data.bin", headers=[(b"range", b"bytes=5000-")])).status == 416
    stale = files(request("/data.bin", headers=[(b"range", b"bytes=0-1"), (b"if-range", b'"old"')]))
    assert stale.status == 200 and len(stale.body) == 1024


@given(st.binary(max_size=40), st.integers(0, 5000))
def test_parse_range_never_goes_outside_the_file(value, size):
    got = parse_range(b"bytes=" + value, size)
    if got not in (None, False):
        start, end = got
        assert 0 <= start <= end < size


# ------------------------------------------------------- HTTP/1.1 fast path
def h11_reads(head: bytes):
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(head + b"\r\n\r\n")
    event = conn.next_event()
    assert isinstance(event, h11.Request)
    return (event.method.decode(), event.target.decode("latin-1"), [(k, v) for k, v in event.headers])


TOKEN = st.text("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_!#$%&'*+.^`|~", min_size=1, max_size=12)
VALUE = st.binary(max_size=20).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))


@settings(max_examples=400)
@given(st.sampled_from([b"GET", b"HEAD", b"POST", b"get"]),
       st.binary(max_size=20).map(lambda b: b"/" + b),
       st.lists(st.tuples(TOKEN, st.sampled_from([b":", b": ", b":\t", b" :"]), VALUE), max_size=6),
       st.booleans(), st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2"]))
def test_fast_path_accepts_only_what_h11_reads_the_same(method, target, fields, host, version):
    lines = [method + b" " + target + b" " + version]
    if host:
        lines.append(b"Host: example.com")
    lines += [name.encode() + sep + value for name, sep, value in fields]
    head = b"\r\n".join(lines)
    fast = parse_simple_head(head)
    if fast is None:
        return
    assert h11_reads(head) == (fast[0], fast[1], fast[2])


@given(st.binary(max_size=200))
def test_fast_path_on_arbitrary_bytes(head):
    fast = parse_simple_head(head)
    if fast is not None:
        assert h11_reads(head) == (fast[0], fast[1], fast[2])


def test_frame_response_defers_unsafe_headers_to_h11():
    assert frame_response(200, [(b"x", b"a\r\nb")], b"", False) is None
    assert frame_response(200, [], b"abc", True) == b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc"
    assert frame_response(200, [(b"content-length", b"3")], b"abc", False, head_only=True).endswith(b"\r\n\r\n")


def test_fast_path_takes_connection_close_and_h11_agrees():
    head = b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: close"
    fast = parse_simple_head(head)
    assert fast is not None and fast[4] is True and h11_reads(head) == (fast[0], fast[1], fast[2])
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(head + b"\r\n\r\n")
    conn.next_event()
    assert isinstance(conn.next_event(), h11.EndOfMessage)
    assert conn.their_state is h11.MUST_CLOSE  # h11 also reads it as the last request
    assert parse_simple_head(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive")[4] is False
    assert parse_simple_head(b"GET /x HTTP/1.1\r\nHost: a\r\nConnection: upgrade") is None
