"""The HTTP/1.1 answer cache (h1fast.AnswerCache): a head answered before gets the same framed bytes,
but only while the file, the second (Date) and the connection's state say they are still right."""

from __future__ import annotations

import asyncio
import io
import os

import pytest

from port443.http import h1fast
from port443.http.h1 import H1Server
from port443.http.h1fast import Answer, AnswerCache
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
        self.write_paused = False
        self.reading = True

    def pause_reading(self) -> None:
        self.reading = False

    def resume_reading(self) -> None:
        self.reading = True

    async def drain(self) -> None:
        while self.write_paused and not self.closed:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter

    def client_read_everything(self) -> None:
        self.write_paused = False
        if getattr(self, "_waiter", None) is not None and not self._waiter.done():
            self._waiter.set_result(None)

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
    path = site_root / "a.txt"
    path.write_bytes(b"second version")
    os.utime(path, ns=(1, 1))
    assert ask(site, GET_A)[0].endswith(b"second version")
    before = os.stat(path).st_ctime_ns
    while os.stat(path).st_ctime_ns == before:  # same size, mtime put back: only the ctime tells (it is coarse)
        path.write_bytes(b"third version!")
        os.utime(path, ns=(1, 1))
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
    (tmp_path / "out").mkdir()
    os.link(site_root / "sub" / "index.html", tmp_path / "out" / "index.html")  # the same inode, outside
    site = Site(StaticFiles(site_root))
    head = b"GET /sub/index.html HTTP/1.1\r\nHost: example.com\r\n\r\n"
    assert ask(site, head)[0].endswith(b"inside")
    os.rename(site_root / "sub", site_root / "sub2")  # the file's inode, size and times do not change
    os.symlink(tmp_path / "out", site_root / "sub")
    answer, _ = ask(site, head)
    assert answer.startswith(b"HTTP/1.1 404")  # only the directory check can see this


def test_a_new_second_makes_a_new_date(site_root, monkeypatch):
    handler = CountingHandler(StaticFiles(site_root))
    site = Site(handler)
    ask(site, GET_A)
    ask(site, GET_A)
    assert handler.calls == 1
    first, _ = ask(site, GET_A)
    now = h1fast.time.time()
    monkeypatch.setattr(h1fast.time, "time", lambda: now + 5)  # the clock module: site's Date sees it too
    later, _ = ask(site, GET_A)
    assert handler.calls == 2
    date = [line for line in first.split(b"\r\n") if line.startswith(b"date: ")]
    assert date and date[0] not in later


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
        cache.put(b"head %d" % i, Answer(b"answer", second, lambda: True, parsed, 200, 0, "https"))
        assert len(cache._entries) <= 4
    cache.put(b"big", Answer(bytes(AnswerCache.MAX_ANSWER + 1), second, lambda: True, parsed, 200, 0, "https"))
    assert cache.get(b"big", "https") is None
    assert cache.get(b"head 9", "https") is not None
    assert cache.get(b"head 9", "http") is None  # an answer for https is not one for the port-80 site
    monkeypatch.setattr(AnswerCache, "MAX_ENTRIES", 1024)
    monkeypatch.setattr(AnswerCache, "MAX_BYTES", 100_000)
    cache = AnswerCache()
    for i in range(40):
        cache.put(b"head %d" % i, Answer(bytes(10_000), second, lambda: True, parsed, 200, 0, "https"))
        assert cache._bytes <= 100_000 and cache._bytes == sum(len(h) + len(e[0]) for h, e in cache._entries.items())
    cache.put(b"next second", Answer(b"x", second + 1, lambda: True, parsed, 200, 0, "https"))
    assert list(cache._entries) == [b"next second"]  # a new second starts over: old Date headers go at once
    cache.put(b"late", Answer(b"x", second, lambda: True, parsed, 200, 0, "https"))
    assert cache.get(b"late", "https") is None  # begun in a second already over: not kept


class PausingChannel(RecordingChannel):
    """Pauses writing, as a transport does, once more than `high` bytes wait unread."""

    def __init__(self, high: int = 256 * 1024) -> None:
        super().__init__()
        self.high, self.unread = high, 0
        self.deadline_set: list = []

    def write(self, data: bytes) -> None:
        super().write(data)
        self.unread += len(data)
        if self.unread > self.high:
            self.write_paused = True

    def set_timeout(self, seconds, reason="idle") -> None:
        self.deadline_set.append(seconds)

    def client_read_everything(self) -> None:
        self.unread = 0
        super().client_read_everything()


@pytest.mark.parametrize("extra", [b"", b"Content-Length: 0\r\n"], ids=["fast-path", "h11"])
def test_a_client_that_does_not_read_holds_back_its_pipelined_requests(site_root, extra):
    """Answers are queued up to the high-water mark; then reading stops until the client has read them,
    and what arrives meanwhile is held, in order, not answered. The same for requests the fast path
    leaves to h11 (a Content-Length header)."""
    (site_root / "big.txt").write_bytes(b"x" * 60_000)
    site = Site(StaticFiles(site_root))
    head = b"GET /big.txt HTTP/1.1\r\nHost: example.com\r\n" + extra + b"\r\n"

    async def scenario():
        ch = PausingChannel()
        server = H1Server(ch, site, Limits())
        server.data_received(head * 100)
        queued = sum(map(len, ch.written))
        assert 0 < queued < 400_000 and not ch.reading and server.task is not None
        assert ch.deadline_set[-1] is None  # waiting for the client to read: no read deadline meanwhile
        server.data_received(head * 100)  # what was already decrypted waits behind
        await asyncio.sleep(0)
        assert sum(map(len, ch.written)) == queued and not server.task.done()
        while server.task is not None:  # the client reads; each budget's worth goes out in its own turn
            ch.client_read_everything()
            await server.task
        answers = b"".join(ch.written)
        assert answers.count(b"HTTP/1.1 200 OK") == 200 and ch.reading and not ch.closed

    asyncio.run(scenario())


def test_the_end_of_input_waits_behind_held_requests(site_root):
    """A close from the client that arrives with requests still held back: they are answered first."""
    (site_root / "big.txt").write_bytes(b"z" * 100_000)
    site = Site(StaticFiles(site_root))
    head = b"GET /big.txt HTTP/1.1\r\nHost: example.com\r\n\r\n"

    async def scenario():
        ch = PausingChannel()
        server = H1Server(ch, site, Limits())
        server.data_received(head * 10)
        server.eof_received()
        assert not ch.closed
        while server.task is not None:
            ch.client_read_everything()
            await server.task
        assert b"".join(ch.written).count(b"HTTP/1.1 200 OK") == 10 and ch.closed

    asyncio.run(scenario())
