"""TCP connections out of captured segments: one byte stream per direction.

Each direction is reassembled by sequence number: segments that arrive out of
order wait (up to MAX_PENDING bytes) for the hole before them; retransmitted
bytes are counted once (the first copy wins); bytes the capture never held
(lost packets, or a snaplen cut) are passed on as a gap so the record framer
knows exactly where it is. A SYN on a 4-tuple whose connection is over starts
a new connection.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

from port443.observe.capture import Segment
from port443.observe.records import RecordFramer

MAX_PENDING = 8 << 20  # out-of-order bytes held per direction before the hole is declared lost
MAX_CONNECTIONS = 200_000
_WRAP = 1 << 32
_order = itertools.count()


@dataclass
class HalfStream:
    """One direction of a connection: its reassembly and its record framing."""

    framer: RecordFramer = field(default_factory=RecordFramer)
    base: int | None = None  # sequence number of the first payload byte
    next: int = 0  # relative offset of the next byte expected
    saw_syn: bool = False
    packets: int = 0
    wire_bytes: int = 0  # IP bytes, retransmissions included
    payload_bytes: int = 0  # unique stream bytes the capture held
    retransmitted_bytes: int = 0
    lost_bytes: int = 0
    first_ts: float | None = None
    last_ts: float | None = None
    fin_ts: float | None = None
    rst_ts: float | None = None
    _pending: list = field(default_factory=list)
    _pending_bytes: int = 0

    def add(self, seg: Segment) -> None:
        self.packets += 1
        self.wire_bytes += seg.wire_len
        self.first_ts = seg.ts if self.first_ts is None else self.first_ts
        self.last_ts = seg.ts
        if seg.syn and self.base is None:
            self.base = (seg.seq + 1) % _WRAP
            self.saw_syn = True
        if seg.rst and self.rst_ts is None:
            self.rst_ts = seg.ts
        length = len(seg.payload) + seg.missing
        if length and not seg.rst:
            if self.base is None:
                self.base = seg.seq
            start = (seg.seq + (1 if seg.syn else 0) - self.base) % _WRAP
            self._insert(self._unwrap(start), seg.payload, seg.missing, seg.ts)
        if seg.fin and self.fin_ts is None:
            self.fin_ts = seg.ts

    @property
    def stream_bytes(self) -> int:
        """Bytes this side sent, as far as the stream shows (held plus lost)."""
        return self.next

    def finish(self) -> None:
        while self._pending:
            self._skip_to_pending()
        self.framer.finish()

    # --- internals -----------------------------------------------------------

    def _unwrap(self, rel: int) -> int:
        high = self.next - self.next % _WRAP
        return min((rel + high + k * _WRAP for k in (-1, 0, 1)), key=lambda v: abs(v - self.next))

    def _insert(self, rel: int, data: bytes, missing: int, ts: float) -> None:
        if rel > self.next:
            heapq.heappush(self._pending, (rel, next(_order), data, missing, ts))
            self._pending_bytes += len(data)
            if self._pending_bytes > MAX_PENDING:
                self._skip_to_pending()
            return
        self._take(rel, data, missing, ts)
        self._drain()

    def _take(self, rel: int, data: bytes, missing: int, ts: float) -> None:
        """A segment that starts at or before the next expected byte: the new part is delivered."""
        cut = self.next - rel
        if cut >= len(data) + missing:
            self.retransmitted_bytes += len(data) + missing
            return
        if cut:
            self.retransmitted_bytes += cut
            if cut <= len(data):
                data = data[cut:]
            else:
                missing -= cut - len(data)
                data = b""
        self._deliver(data, missing, ts)

    def _deliver(self, data: bytes, missing: int, ts: float) -> None:
        if data:
            self.framer.feed(data, ts)
            self.next += len(data)
            self.payload_bytes += len(data)
        if missing:
            self.framer.skip(missing, ts)
            self.next += missing
            self.lost_bytes += missing

    def _drain(self) -> None:
        while self._pending and self._pending[0][0] <= self.next:
            rel, _, data, missing, ts = heapq.heappop(self._pending)
            self._pending_bytes -= len(data)
            self._take(rel, data, missing, ts)

    def _skip_to_pending(self) -> None:
        rel, ts = self._pending[0][0], self._pending[0][4]
        if rel > self.next:
            gap = rel - self.next
            self.framer.skip(gap, ts)
            self.lost_bytes += gap
            self.next = rel
        self._drain()


@dataclass
class Connection:
    """Both directions of one TCP connection; `a` is the endpoint of the first packet seen."""

    a: tuple[str, int]
    b: tuple[str, int]
    index: int
    a_to_b: HalfStream = field(default_factory=HalfStream)
    b_to_a: HalfStream = field(default_factory=HalfStream)
    syn_from: tuple[str, int] | None = None  # the endpoint that sent SYN without ACK
    first_ts: float = 0.0
    last_ts: float = 0.0

    def half(self, src: tuple[str, int]) -> HalfStream:
        return self.a_to_b if src == self.a else self.b_to_a

    def other(self, endpoint: tuple[str, int]) -> tuple[str, int]:
        return self.b if endpoint == self.a else self.a

    @property
    def over(self) -> bool:
        halves = (self.a_to_b, self.b_to_a)
        return any(h.rst_ts is not None for h in halves) or all(h.fin_ts is not None for h in halves)

    def finish(self) -> None:
        self.a_to_b.finish()
        self.b_to_a.finish()


class ConnectionTable:
    """Routes segments to connections; `finish()` returns them all in the order they started."""

    def __init__(self) -> None:
        self._live: dict[tuple, Connection] = {}
        self.done: list[Connection] = []
        self.dropped = 0  # segments of connections beyond MAX_CONNECTIONS
        self._count = 0

    def add(self, seg: Segment) -> None:
        src, dst = (seg.src, seg.sport), (seg.dst, seg.dport)
        key = (src, dst) if src <= dst else (dst, src)
        conn = self._live.get(key)
        fresh_syn = seg.syn and not seg.ack
        if conn is not None and fresh_syn and (conn.over or conn.half(src).payload_bytes):
            conn.finish()
            self.done.append(conn)
            conn = None
        if conn is None:
            if self._count >= MAX_CONNECTIONS:
                self.dropped += 1
                return
            conn = Connection(src, dst, self._count, first_ts=seg.ts)
            self._count += 1
            self._live[key] = conn
        if fresh_syn and conn.syn_from is None:
            conn.syn_from = src
        conn.last_ts = seg.ts
        conn.half(src).add(seg)

    def finish(self) -> list[Connection]:
        for conn in self._live.values():
            conn.finish()
            self.done.append(conn)
        self._live.clear()
        return sorted(self.done, key=lambda c: c.index)
