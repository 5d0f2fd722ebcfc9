"""From a capture file (or reassembled connections) to the observer's report."""

from __future__ import annotations

import os

from port443.observe.capture import CaptureError, CaptureLog, read_segments
from port443.observe.hellos import read_handshake
from port443.observe.report import CaptureReport, Direction, Endpoint, FlowReport
from port443.observe.tcp import Connection, ConnectionTable, HalfStream
from port443.tls.enums import ContentType

TLS_PORT = 443


def analyze_capture(path: str | os.PathLike[str]) -> CaptureReport:
    """Read a pcap/pcapng file and report every TCP connection in it.

    Raises CaptureError when the file cannot be opened or is not a capture;
    a damaged or truncated capture gives a partial report (`partial`, `notes`).
    """
    log = CaptureLog()
    table = ConnectionTable()
    try:
        with open(path, "rb") as f:
            for seg in read_segments(f, log):
                table.add(seg)
    except IsADirectoryError:
        raise CaptureError(f"{path} is a directory: give the capture file itself") from None
    except OSError as exc:
        raise CaptureError(f"cannot read {path}: {exc.strerror or exc}") from None
    conns = table.finish()
    notes = log.notes()
    if table.dropped:
        notes.append(f"{table.dropped} segments of connections beyond port443's limit were not analysed")
    if log.damage is None and not conns:
        notes.append("no TCP connections in this capture (was the capture filter right?)")
    flows = [flow_report(conn, i) for i, conn in enumerate(conns, 1)]
    return CaptureReport(str(path), log.format, log.packets, flows, notes, partial=log.damage is not None)


def client_endpoint(conn: Connection) -> tuple[str, int]:
    """Who opened the connection: the SYN's sender, else who sent a ClientHello, else not the port-443 side."""
    if conn.syn_from is not None:
        return conn.syn_from
    for ep, half in ((conn.a, conn.a_to_b), (conn.b, conn.b_to_a)):
        recs = half.framer.records
        if recs and recs[0].content_type == ContentType.handshake and (recs[0].payload or b"")[:1] == b"\x01":
            return ep
    if conn.a[1] == TLS_PORT or (conn.b[1] != TLS_PORT and conn.a[1] < conn.b[1]):
        return conn.b
    return conn.a


def direction_stats(half: HalfStream, start: float, live: bool = False) -> Direction:
    d = Direction(
        packets=half.packets, wire_bytes=None if live else half.wire_bytes, stream_bytes=half.stream_bytes,
        captured_bytes=half.payload_bytes, retransmitted_bytes=half.retransmitted_bytes,
        lost_bytes=half.lost_bytes, unframed_bytes=half.framer.unframed,
    )
    for rec in half.framer.records:
        d.record_bytes += rec.size
        if rec.content_type == ContentType.application_data:
            d.application_data_records += 1
            d.application_data_bytes += rec.length
        d.records.append((rec.ts - start, rec.type_name, rec.size))
    return d


def _ended(conn: Connection) -> str:
    if conn.a_to_b.rst_ts is not None or conn.b_to_a.rst_ts is not None:
        return "rst"
    if conn.a_to_b.fin_ts is not None and conn.b_to_a.fin_ts is not None:
        return "fin"
    return "open"


def flow_report(conn: Connection, index: int, live: bool = False) -> FlowReport:
    client = client_endpoint(conn)
    server = conn.other(client)
    up, down = conn.half(client), conn.half(server)
    start = conn.first_ts
    notes: list[str] = []
    for name, half in (("client → server", up), ("server → client", down)):
        notes += [f"{name}: {issue}" for issue in half.framer.issues]
        if half.lost_bytes:
            notes.append(f"{name}: {half.lost_bytes} bytes were not in the capture (lost packets or snaplen)")
    if not live and conn.syn_from is None:
        notes.append("the capture does not show this connection's SYN: it began before the capture did")
    tls = bool(up.framer.records or down.framer.records) and "not_tls" not in (up.framer.state, down.framer.state)
    if not up.stream_bytes and not down.stream_bytes:
        notes.append("no data was exchanged (the connection was refused, failed, or idle)")
    handshake = read_handshake(up.framer.records, down.framer.records)
    return FlowReport(
        index=index, client=Endpoint(*client), server=Endpoint(*server), start=start,
        duration=max(conn.last_ts - start, 0.0), tls=tls, handshake=handshake,
        c2s=direction_stats(up, start, live), s2c=direction_stats(down, start, live),
        ended=_ended(conn), notes=notes,
    )
