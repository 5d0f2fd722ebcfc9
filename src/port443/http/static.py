"""Static files from a root directory: index.html, content types, ranges, ETags.

Never outside the root: the percent-decoded path is split into segments
(".." refused), joined under the root, resolved with every symlink followed
(os.path.realpath), and served only when the result is still inside the
resolved root. A symlink pointing out of the root is answered 404, as if the
file did not exist. No directory listings.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import stat
from email.utils import formatdate
from functools import partial
from urllib.parse import unquote

from port443.http.message import FileBody, Request, Response, text_response

log = logging.getLogger("port443.serve")

PLAIN_ENTRIES = 4096
META_ENTRIES = 4096
SMALL_FILE = 256 * 1024  # bodies up to this size are read whole (and cached); larger ones stream
CACHE_BYTES = 32 * 1024 * 1024
TEXT_TYPES = ("application/javascript", "application/json", "application/xml", "image/svg+xml")
EXTRA_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
               ".webp": "image/webp", ".woff2": "font/woff2", ".woff": "font/woff", ".md": "text/markdown"}


def content_type(path: str) -> bytes:
    ext = os.path.splitext(path)[1].lower()
    kind = EXTRA_TYPES.get(ext) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind in TEXT_TYPES:
        kind += "; charset=utf-8"
    return kind.encode()


def parse_range(value: bytes, size: int) -> tuple[int, int] | None | bool:
    """One `bytes=a-b` range as (start, end inclusive); None: ignore the header; False: unsatisfiable."""
    try:
        unit, _, spec = value.decode("ascii").partition("=")
    except UnicodeDecodeError:
        return None
    if unit.strip().lower() != "bytes" or "," in spec:
        return None  # other units and multiple ranges: RFC 9110 lets us send the whole file
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if first == "":
        if last == "" or int(last) == 0:
            return False
        n = min(int(last), size)
        return (size - n, size - 1) if size else False
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return False
    return start, end


def _lstat_chain(chain: tuple[str, ...]) -> os.stat_result | None:
    """lstat of each path: directories down to a regular file, no symlink anywhere; else None."""
    try:
        for p in chain[:-1]:
            if not stat.S_ISDIR(os.lstat(p).st_mode):
                return None
        st = os.lstat(chain[-1])
    except OSError:
        return None
    return st if stat.S_ISREG(st.st_mode) else None


def _stamp(st: os.stat_result) -> tuple[int, int, int, int]:
    return st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size


def _unchanged(chain: tuple[str, ...], stamp: tuple[int, int, int, int]) -> bool:
    """The file is still the same regular file, reached through the same directories, none a symlink."""
    st = _lstat_chain(chain)
    return st is not None and (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size) == stamp


def etag_matches(header: bytes, etag: bytes) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 §13.1.2)."""
    if header.strip() == b"*":
        return True
    for tag in header.split(b","):
        tag = tag.strip()
        if tag.startswith(b"W/"):
            tag = tag[2:]
        if tag == etag:
            return True
    return False


class StaticFiles:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        real = os.path.realpath(root)
        if not os.path.isdir(real):
            raise ValueError(f"--root {root}: not a directory; give the folder that holds the site")
        self.root = real
        self._prefix = real.rstrip(os.sep) + os.sep
        self._cache: dict[str, tuple[tuple[int, int, int, int], bytes]] = {}  # path -> (stamp, bytes)
        self._cached = 0
        # request path -> the paths from the root to its file, none a symlink: lstat() of each re-checks that
        # (as strictly as realpath) for a fraction of realpath's cost
        self._plain: dict[str, tuple[str, ...]] = {}
        self._meta: dict[tuple[str, int, int], tuple[bytes, bytes, bytes]] = {}  # etag, last-modified, type

    def __call__(self, req: Request) -> Response:
        if req.method not in ("GET", "HEAD"):
            return text_response(405, "Static files answer GET and HEAD only.", [(b"allow", b"GET, HEAD")])
        found = self.resolve(req.path)
        if isinstance(found, Response):
            return found
        real, st, chain = found
        resp = self._file(req, real, st)
        if chain is not None and resp.file is None:
            resp.fresh = partial(_unchanged, chain, _stamp(st))
        return resp

    def resolve(self, path: str) -> tuple[str, os.stat_result, tuple[str, ...] | None] | Response:
        """The file for a request path: (real path, its stat, the paths from the root down to it when none is a
        symlink, else None), or the error response."""
        chain = self._plain.get(path)
        if chain is not None:
            st = _lstat_chain(chain)
            if st is not None:
                return chain[-1], st, chain
            del self._plain[path]
        found = self._resolve(path)
        if type(found) is not tuple:
            return found
        chain = self._chain_of(found[0])
        if chain is not None:
            if len(self._plain) >= PLAIN_ENTRIES:
                self._plain.clear()
            self._plain[path] = chain
        return found[0], found[1], chain

    def _chain_of(self, real: str) -> tuple[str, ...] | None:
        """The paths from the root down to `real`, when none of them is a symlink now."""
        parts = os.path.relpath(real, self.root).split(os.sep)
        chain, current = [], self.root
        for part in parts:
            current = os.path.join(current, part)
            chain.append(current)
        return tuple(chain) if _lstat_chain(tuple(chain)) is not None else None

    def _resolve(self, path: str) -> tuple[str, os.stat_result] | Response:
        try:
            decoded = unquote(path, errors="strict")
        except UnicodeDecodeError:
            return text_response(400, "The path is not valid UTF-8 after percent-decoding.")
        if "\x00" in decoded or not decoded.startswith("/"):
            return text_response(400, "The path must start with / and hold no NUL byte.")
        parts = [p for p in decoded.split("/") if p and p != "."]
        if ".." in parts or any("\\" in p for p in parts):
            return text_response(404, "No such file.")
        real = self._inside(os.path.join(self.root, *parts))
        if real is None:
            return text_response(404, "No such file.")
        try:
            st = os.stat(real)
            if stat.S_ISDIR(st.st_mode):
                if not decoded.endswith("/"):
                    location = "/" + path.lstrip("/") + "/"  # never "//host": that would leave the site
                    return Response(301, [(b"location", location.encode("latin-1")), (b"content-length", b"0")])
                real = self._inside(os.path.join(real, "index.html"))
                if real is None:
                    return text_response(404, "No such file.")
                st = os.stat(real)
        except (FileNotFoundError, NotADirectoryError):
            return text_response(404, "No such file.")
        except PermissionError:
            return text_response(403, "The server may not read this file.")
        except OSError:
            return text_response(404, "No such file.")
        if not stat.S_ISREG(st.st_mode):
            return text_response(404, "No such file.")
        return real, st

    def _inside(self, candidate: str) -> str | None:
        real = os.path.realpath(candidate)
        if real == self.root or real.startswith(self._prefix):
            return real
        log.info("refused %s: it resolves outside the root (%s)", candidate, real)
        return None

    def _file(self, req: Request, real: str, st: os.stat_result) -> Response:
        size = st.st_size
        key = (real, st.st_mtime_ns, size)
        meta = self._meta.get(key)
        if meta is None:
            if len(self._meta) >= META_ENTRIES:
                self._meta.clear()
            meta = self._meta[key] = (b'"%x-%x"' % (st.st_mtime_ns, size),
                                      formatdate(st.st_mtime, usegmt=True).encode(), content_type(real))
        etag = meta[0]
        headers = [(b"etag", etag), (b"last-modified", meta[1]), (b"accept-ranges", b"bytes")]
        inm = req.header(b"if-none-match")
        if inm is not None and etag_matches(inm, etag):
            return Response(304, headers)
        headers.append((b"content-type", meta[2]))
        start, end, status = 0, size - 1, 200
        rng = req.header(b"range") if req.method == "GET" else None
        if rng is not None:
            if_range = req.header(b"if-range")
            if if_range is None or if_range.strip() == etag:
                chosen = parse_range(rng, size)
                if chosen is False:
                    return Response(416, headers + [(b"content-range", b"bytes */%d" % size),
                                                    (b"content-length", b"0")])
                if chosen is not None:
                    start, end = chosen
                    status = 206
                    headers.append((b"content-range", b"bytes %d-%d/%d" % (start, end, size)))
        length = end - start + 1 if size else 0
        headers.append((b"content-length", str(length).encode()))
        if req.method == "HEAD" or length == 0:
            return Response(status, headers)
        try:
            if length <= SMALL_FILE:
                data = self._read_small(real, st) if size <= SMALL_FILE else None
                if data is not None:
                    return Response(status, headers, data[start:end + 1] if status == 206 else data)
                with open(real, "rb") as f:
                    f.seek(start)
                    return Response(status, headers, f.read(length))
            with open(real, "rb"):  # readable now; it is streamed from a new open
                pass
        except PermissionError:
            return text_response(403, "The server may not read this file.")
        except OSError:
            return text_response(404, "No such file.")
        return Response(status, headers, file=FileBody(real, start, length))

    def _read_small(self, real: str, st: os.stat_result) -> bytes | None:
        """The whole file, from memory while its inode, times and size are unchanged (a chmod changes
        the ctime, so a file made unreadable is read again, and refused)."""
        stamp = _stamp(st)
        hit = self._cache.get(real)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        with open(real, "rb") as f:
            data = f.read(SMALL_FILE + 1)
        if len(data) != st.st_size:
            return None  # changing under us: serve what the next request finds
        if self._cached + len(data) > CACHE_BYTES:
            self._cache.clear()
            self._cached = 0
        if hit is not None:
            self._cached -= len(hit[1])
        self._cache[real] = (stamp, data)
        self._cached += len(data)
        return data
