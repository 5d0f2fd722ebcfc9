"""The observer's view of one live connection, from the bytes each side sent.

`port443 handshake --observe` and `port443 serve`'s page call this with what
crossed the socket; the analysis is the same as for a captured connection
(observe.analyze.flow_report), so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

from port443.observe.analyze import flow_report
from port443.observe.capture import Segment
from port443.observe.report import FlowReport
from port443.observe.tcp import Connection

C2S, S2C = "c2s", "s2c"
_ACK = 0x10


def observe_connection(
    client_bytes: bytes,
    server_bytes: bytes,
    timing: Sequence[tuple[float, str, int]] | None = None,
    *,
    client: tuple[str, int] = ("127.0.0.1", 0),
    server: tuple[str, int] = ("127.0.0.1", 443),
    start: float = 0.0,
) -> FlowReport:
    """What a passive observer learns from one TLS connection.

    client_bytes / server_bytes: everything each side wrote to the socket, in
    order. timing: optional (seconds since `start`, "c2s" or "s2c", byte count)
    for each write, in the order they happened; the counts of each direction
    must add up to its bytes. Without timing every record is at t=0.
    The report's wire_bytes are None: the IP/TCP overhead of a live socket is
    not known here.
    """
    if client == server:
        raise ValueError("the client and server endpoints must differ")
    if timing is None:
        timing = [(0.0, C2S, len(client_bytes)), (0.0, S2C, len(server_bytes))]
    data = {C2S: client_bytes, S2C: server_bytes}
    sums = {C2S: 0, S2C: 0}
    for t, direction, n in timing:
        if direction not in data:
            raise ValueError(f"timing direction must be {C2S!r} or {S2C!r}, not {direction!r}")
        if n < 0:
            raise ValueError("timing byte counts cannot be negative")
        sums[direction] += n
    for direction, total in sums.items():
        if total != len(data[direction]):
            raise ValueError(f"timing says {total} bytes {direction} but {len(data[direction])} were given")
    conn = Connection(client, server, 0, syn_from=client, first_ts=start, last_ts=start)
    offsets = {C2S: 0, S2C: 0}
    for t, direction, n in timing:
        if not n:
            continue
        src, dst = (client, server) if direction == C2S else (server, client)
        pos = offsets[direction]
        seg = Segment(start + t, src[0], src[1], dst[0], dst[1], pos, _ACK, bytes(data[direction][pos:pos + n]))
        offsets[direction] = pos + n
        conn.last_ts = max(conn.last_ts, seg.ts)
        conn.half(src).add(seg)
    conn.finish()
    return flow_report(conn, 1, live=True)


def observe_chunks(
    chunks: Sequence[tuple[float, str, bytes]],
    *,
    client: tuple[str, int] = ("127.0.0.1", 0),
    server: tuple[str, int] = ("127.0.0.1", 443),
    start: float = 0.0,
) -> FlowReport:
    """observe_connection for a log of socket I/O: (seconds since start, "c2s" or "s2c", bytes), in order."""
    client_bytes = b"".join(data for _, d, data in chunks if d == C2S)
    server_bytes = b"".join(data for _, d, data in chunks if d == S2C)
    timing = [(t, d, len(data)) for t, d, data in chunks]
    return observe_connection(client_bytes, server_bytes, timing, client=client, server=server, start=start)
