"""Bounds-checked reading and compact writing of TLS wire structures.

Reader walks a memoryview; every read checks the remaining length first and
raises DecodeError (decode_error alert) instead of reading past the end.
"""

from __future__ import annotations

from port443.tls.errors import DecodeError

_from = int.from_bytes


class Reader:
    __slots__ = ("data", "pos", "end")

    def __init__(self, data: bytes | bytearray | memoryview, start: int = 0, end: int | None = None) -> None:
        self.data = data if isinstance(data, memoryview) else memoryview(data)
        self.pos = start
        self.end = len(self.data) if end is None else end

    def remaining(self) -> int:
        return self.end - self.pos

    def _take(self, n: int, what: str) -> int:
        start = self.pos
        if n > self.end - start:
            raise DecodeError(f"truncated {what}: need {n} bytes, have {self.end - start}")
        self.pos = start + n
        return start

    def u8(self, what: str = "field") -> int:
        p = self._take(1, what)
        return self.data[p]

    def u16(self, what: str = "field") -> int:
        p = self.pos
        if self.end - p < 2:
            raise DecodeError(f"truncated {what}: need 2 bytes, have {self.end - p}")
        self.pos = p + 2
        d = self.data
        return (d[p] << 8) | d[p + 1]

    def u24(self, what: str = "field") -> int:
        p = self._take(3, what)
        return _from(self.data[p:p + 3], "big")

    def u32(self, what: str = "field") -> int:
        p = self._take(4, what)
        return _from(self.data[p:p + 4], "big")

    def raw(self, n: int, what: str = "field") -> bytes:
        p = self._take(n, what)
        return bytes(self.data[p:p + n])

    def vec8(self, what: str = "vector") -> bytes:
        return self.raw(self.u8(what), what)

    def vec16(self, what: str = "vector") -> bytes:
        p = self.pos
        end = self.end
        if end - p < 2:
            raise DecodeError(f"truncated {what}: need 2 bytes, have {end - p}")
        d = self.data
        n = (d[p] << 8) | d[p + 1]
        if n > end - p - 2:
            raise DecodeError(f"truncated {what}: need {n} bytes, have {end - p - 2}")
        self.pos = p + 2 + n
        return bytes(d[p + 2:p + 2 + n])

    def vec24(self, what: str = "vector") -> bytes:
        return self.raw(self.u24(what), what)

    def sub16(self, what: str = "vector") -> "Reader":
        """A reader over the next u16-length-prefixed vector, consumed from this one."""
        n = self.u16(what)
        p = self._take(n, what)
        return Reader(self.data, p, p + n)

    def sub8(self, what: str = "vector") -> "Reader":
        n = self.u8(what)
        p = self._take(n, what)
        return Reader(self.data, p, p + n)

    def sub24(self, what: str = "vector") -> "Reader":
        n = self.u24(what)
        p = self._take(n, what)
        return Reader(self.data, p, p + n)

    def u16_list(self, what: str, min_len: int = 0) -> list[int]:
        """A u16-length vector of u16 values (suites, groups, schemes)."""
        n = self.u16(what)
        if n % 2 or n < min_len:
            raise DecodeError(f"bad {what} length {n}")
        p = self._take(n, what)
        d = self.data
        return [(d[i] << 8) | d[i + 1] for i in range(p, p + n, 2)]

    def expect_end(self, what: str = "message") -> None:
        if self.pos != self.end:
            raise DecodeError(f"{self.end - self.pos} trailing bytes after {what}")


def u8(v: int) -> bytes:
    return bytes((v,))


def u16(v: int) -> bytes:
    return v.to_bytes(2, "big")


def u24(v: int) -> bytes:
    return v.to_bytes(3, "big")


def u32(v: int) -> bytes:
    return v.to_bytes(4, "big")


def vec8(b: bytes) -> bytes:
    if len(b) > 0xFF:
        raise ValueError("vector too long for an 8-bit length")
    return bytes((len(b),)) + b


def vec16(b: bytes) -> bytes:
    if len(b) > 0xFFFF:
        raise ValueError("vector too long for a 16-bit length")
    return len(b).to_bytes(2, "big") + b


def vec24(b: bytes) -> bytes:
    if len(b) > 0xFFFFFF:
        raise ValueError("vector too long for a 24-bit length")
    return len(b).to_bytes(3, "big") + b


def u16_list(values) -> bytes:
    body = b"".join(v.to_bytes(2, "big") for v in values)
    return vec16(body)
