"""The HTTP/1.1 answer cache (h1fast.AnswerCache): a head answered before gets the same framed bytes,
but only while the file, the second (Date) and the connection's state say they are still right."""

from __future__ import annotations

import io
import os

import pytest

from port443.http import h1fast
from port443.http.h1 import H1Server
from port443.http.h1fast import AnswerCache
from port443.http.message import Response
from port443.http.site import HSTS, AccessLog, Site
from port443.http.static import StaticFiles
from port443.net.channel import Limits


class RecordingChannel:
    """What H1Server needs of a channel, recording what it writes."""

    peer = ("127.0.0.1", 40000)
    tls = None

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def set_timeout(self, seconds, reason="idle") -> None:
        pass

    def close(self) -> None:
        self.closed = True


class CountingHandler:
    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0

    def __call__(self, req):
        self.calls += 1
        return self.inner(req)


@pytest.fixture
def site_root(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "a.txt").write_bytes(b"first")
    (tmp_path / "secret.txt").write_bytes(b"outside the root")
    return root


def ask(site: Site, head: bytes, closing: bool = False) -> tuple[bytes, RecordingChannel]:
    ch = RecordingChannel()
    server = H1Server(ch, site, Limits())
    if closing:
        server.shutdown()
        ch.closed = False
    server.data_received(head)
    return b"".join(ch.written), ch


GET_A = b"GET /a.txt HTTP/1.1\r\nHost: example.com\r\n\r\n"


def test_a_repeated_head_is_answered_from_the_cache_with_the_same_bytes(site_root):
    handler = CountingHandler(StaticFiles(site_root))
    site = Site(handler, HSTS(600))
    first, _ = ask(site, GET_A)
    second, _ = ask(site, GET_A)
    assert first == second and first.endswith(b"\r\n\r\nfirst")
    assert b"strict-transport-security: max-age=600" in first
    assert handler.calls == 1
    head, _ = ask(site, GET_A.replace(b"GET", b"HEAD"))  # another head: its own answer
    assert head.endswith(b"\r\n\r\n") and b"content-length: 5" in head and handler.calls == 2


def test_a_changed_file_is_served_new(site_root):
    handler = CountingHandler(StaticFiles(site_root))
    site = Site(handler)
    assert ask(site, GET_A)[0].endswith(b"first")
    (site_root / "a.txt").write_bytes(b"second version")
    assert ask(site, GET_A)[0].endswith(b"second version")
    os.utime(site_root / "a.txt", ns=(1, 1))  # same size, other mtime
    (site_root / "a.txt").write_bytes(b"third version!")
    os.utime(site_root / "a.txt", ns=(1, 1))  # even with the mtime put back, the ctime moved
    assert ask(site, GET_A)[0].endswith(b"third version!")


def test_a_file_swapped_for_a_symlink_out_of_the_root_is_refused(site_root, tmp_path):
    site = Site(StaticFiles(site_root))
    assert ask(site, GET_A)[0].endswith(b"first")
    os.remove(site_root / "a.txt")
    os.symlink(tmp_path / "secret.txt", site_root / "a.txt")
    answer, _ = ask(site, GET_A)
    assert answer.startswith(b"HTTP/1.1 404") and b"outside the root" not in answer


def test_a_directory_swapped_for_a_symlink_is_refused(site_root, tmp_path):
    (site_root / "sub").mkdir()
    (site_root / "sub" / "index.html").write_bytes(b"inside")
    (tmp_path / "index.html").write_bytes(b"outside the root")
    site = Site(StaticFiles(site_root))
    head = b"GET /sub/ HTTP/1.1\r\nHost: example.com\r\n\r\n"
    assert ask(site, head)[0].endswith(b"inside")
    os.rename(site_root / "sub", site_root / "sub2")
    os.symlink(tmp_path, site_root / "sub")
    answer, _ = ask(site, head)
    assert answer.startswith(b"HTTP/1.1 404") and b"outside the root" not in answer


def test_a_new_second_makes_a_new_date(site_root, monkeypatch):
    handler = CountingHandler(StaticFiles(site_root))
    site = Site(handler)
    ask(site, GET_A)
    ask(site, GET_A)
    assert handler.calls == 1
    now = h1fast.time.time()
    monkeypatch.setattr(h1fast.time, "time", lambda: now + 5)
    ask(site, GET_A)
    assert handler.calls == 2


def test_only_answers_the_handler_can_check_are_kept(site_root):
    handler = CountingHandler(lambda req: Response(200, [(b"content-length", b"2")], b"hi"))  # no `fresh`
    site = Site(handler)
    for _ in range(3):
        assert ask(site, GET_A)[0].endswith(b"hi")
    assert handler.calls == 3
    missing = CountingHandler(StaticFiles(site_root))
    site = Site(missing)
    for _ in range(2):
        assert ask(site, b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n")[0].startswith(b"HTTP/1.1 404")
    assert missing.calls == 2  # a 404 has no file to check: never kept


def test_connection_close_and_draining_still_close(site_root):
    handler = CountingHandler(StaticFiles(site_root))
    site = Site(handler)
    closing_head = b"GET /a.txt HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n"
    for _ in range(2):
        answer, ch = ask(site, closing_head)
        assert b"connection: close" in answer and ch.closed
    assert handler.calls == 1  # the second came from the cache, and still closed
    ask(site, GET_A)
    answer, ch = ask(site, GET_A, closing=True)  # SIGTERM drain: the cached keep-alive answer is not used
    assert b"connection: close" in answer and ch.closed and handler.calls == 3


def test_every_request_gets_its_access_log_line(site_root):
    stream = io.StringIO()
    site = Site(StaticFiles(site_root), None, AccessLog(stream))
    for _ in range(3):
        ask(site, GET_A)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and all('"GET /a.txt HTTP/1.1" 200 5 "example.com"' in line for line in lines)


def test_pipelined_heads_mix_hits_and_misses_in_order(site_root):
    (site_root / "b.txt").write_bytes(b"bee")
    site = Site(StaticFiles(site_root))
    ask(site, GET_A)
    both = GET_A + b"GET /b.txt HTTP/1.1\r\nHost: example.com\r\n\r\n" + GET_A
    answer, ch = ask(site, both)
    assert answer.count(b"HTTP/1.1 200 OK") == 3 and not ch.closed
    assert answer.index(b"\r\n\r\nfirst") < answer.index(b"\r\n\r\nbee") < answer.rindex(b"\r\n\r\nfirst")


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(AnswerCache, "MAX_ENTRIES", 4)
    cache = AnswerCache()
    second = int(h1fast.time.time())
    parsed = ("GET", "/", [], "h", False)
    for i in range(10):
        cache.put(b"head %d" % i, b"answer", second, lambda: True, parsed, 200, 0)
        assert len(cache._entries) <= 4
    cache.put(b"big", bytes(AnswerCache.MAX_ANSWER + 1), second, lambda: True, parsed, 200, 0)
    assert cache.get(b"big") is None
    assert cache.get(b"head 9") is not None
