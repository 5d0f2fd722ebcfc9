"""Property tests of the observer's parsers: captures, TCP reassembly, record framing, hellos.

Whatever the bytes, the capture reader raises only CaptureError (and only for
a file that is not a capture at all), the analysis always produces a report
that serialises to JSON and HTML, the record framer keeps its accounting
exact, and the fingerprint functions raise only FingerprintError.
"""

from __future__ import annotations

import functools
import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcap_factory import C2S, S2C, Frames, engine_conversation, write_pcap, write_pcapng
from port443.observe import fingerprint as fp
from port443.observe.analyze import flow_report
from port443.observe.capture import CaptureError, CaptureLog, read_segments
from port443.observe.hellos import read_handshake
from port443.observe.html import render_html
from port443.observe.live import observe_connection
from port443.observe.records import HEADER, Record, RecordFramer, handshake_messages
from port443.observe.report import CaptureReport
from port443.observe.tcp import ConnectionTable
from port443.tls.record import MAX_CIPHERTEXT_12
from tls_pairs import records as split_records

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@functools.cache
def samples() -> dict:
    conv = engine_conversation(versions=("TLSv1.2",), response=5000)
    frames = Frames(conv, mss=700).frames
    return {"conv": conv, "pcap": write_pcap(frames), "pcapng": write_pcapng(frames),
            "c2s": conv.sent(C2S), "s2c": conv.sent(S2C), "hello": conv.chunks[0][1][5:]}


@st.composite
def mutated(draw, data: bytes, keep: int = 0):
    """data with a few bytes flipped, inserted, deleted or repeated, or cut short (after `keep` bytes)."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "flip", "flip", "insert", "delete", "repeat", "cut"]))
        if len(data) <= keep:
            break
        i = draw(st.integers(keep, len(data) - 1))
        if op == "flip":
            data[i] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del data[i:i + draw(st.integers(1, 64))]
        else:
            data[i:i] = data[i:i + draw(st.integers(1, 200))]
    return bytes(data)


def analyse_bytes(data: bytes) -> CaptureReport | None:
    log, table = CaptureLog(), ConnectionTable()
    try:
        for seg in read_segments(io.BytesIO(data), log):
            table.add(seg)
    except CaptureError:
        return None
    flows = [flow_report(c, i) for i, c in enumerate(table.finish(), 1)]
    return CaptureReport("fuzz", log.format, log.packets, flows, log.notes(), log.damage is not None)


def _check_report(report: CaptureReport | None) -> None:
    if report is None:
        return
    json.dumps(report.as_dict())
    page = render_html(report)
    assert page.count("<svg") == sum(bool(f.c2s.records or f.s2c.records) for f in report.flows)
    for flow in report.flows:
        for d in (flow.c2s, flow.s2c):
            assert d.captured_bytes + d.lost_bytes == d.stream_bytes
            # Only a record still open when the capture ends can claim bytes beyond the stream.
            assert d.record_bytes + d.unframed_bytes <= d.stream_bytes + HEADER + MAX_CIPHERTEXT_12


@FUZZ
@given(st.sampled_from([("pcap", 0), ("pcapng", 0), ("pcap", 24), ("pcapng", 48)]).flatmap(
    lambda kind: mutated(samples()[kind[0]], kind[1])))
def test_mutated_captures_give_a_report_or_capture_error(data):
    _check_report(analyse_bytes(data))


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_are_not_a_capture_or_a_partial_one(data):
    _check_report(analyse_bytes(data))


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes_after_a_valid_header(data):
    for kind in ("pcap", "pcapng"):
        head = samples()[kind][: 24 if kind == "pcap" else 60]
        _check_report(analyse_bytes(head + data))


def _pieces(draw, data: bytes) -> list[tuple[str, bytes]]:
    """data cut into random chunks, some of them marked as lost."""
    cuts = sorted(set(draw(st.lists(st.integers(0, len(data)), max_size=20))))
    out, prev = [], 0
    for c in cuts + [len(data)]:
        if c > prev:
            out.append((draw(st.sampled_from(["feed", "feed", "feed", "skip"])), data[prev:c]))
            prev = c
    return out


@FUZZ
@given(st.data())
def test_framer_accounting_with_random_chunks_and_gaps(data):
    stream = samples()[data.draw(st.sampled_from(["c2s", "s2c"]))]
    framer = RecordFramer()
    pieces = _pieces(data.draw, stream)
    for kind, piece in pieces:
        framer.feed(piece, 0.0) if kind == "feed" else framer.skip(len(piece), 0.0)
    framer.finish()
    assert framer.offset == len(stream)
    prev_end = 0
    for rec in framer.records:
        assert rec.offset >= prev_end and rec.size >= HEADER
        prev_end = rec.offset + rec.size
    if all(kind == "feed" for kind, _ in pieces):
        assert [r.size for r in framer.records] == [len(r) for r in split_records(stream)]
        assert framer.unframed == 0 and framer.issues == []


@FUZZ
@given(st.binary(max_size=3000), st.lists(st.integers(1, 500), max_size=10))
def test_framer_on_random_bytes(blob, chunks):
    framer = RecordFramer()
    pos = 0
    for n in chunks:
        framer.feed(blob[pos:pos + n], 1.0)
        pos += n
    framer.feed(blob[pos:], 2.0)
    framer.finish()
    assert framer.offset == len(blob)
    assert sum(r.size - r.missing for r in framer.records) + framer.unframed <= len(blob) + HEADER


@FUZZ
@given(st.lists(st.tuples(st.integers(19, 25), st.binary(max_size=300)), max_size=8))
def test_handshake_parsing_of_arbitrary_records(recs):
    records = [Record(i * 10, 0.0, t, 0x0303, len(p), payload=p) for i, (t, p) in enumerate(recs)]
    for stop in (True, False):
        handshake_messages(records, stop)
    hs = read_handshake(records, list(reversed(records)))
    assert isinstance(hs.notes, list)


@FUZZ
@given(st.data())
def test_mutated_hellos_only_raise_fingerprint_error(data):
    raw = data.draw(mutated(samples()["hello"]))
    for fn in (fp.ja3, fp.ja4, fp.ja3s, fp.ja4s):
        try:
            fn(raw)
        except fp.FingerprintError:
            pass


@FUZZ
@given(st.data())
def test_live_observation_of_damaged_bytes(data):
    client = data.draw(mutated(samples()["c2s"]))
    server = data.draw(mutated(samples()["s2c"]))
    flow = observe_connection(client, server)
    assert flow.c2s.stream_bytes == len(client) and flow.s2c.stream_bytes == len(server)
    json.dumps(flow.as_dict())


def test_a_timestamp_past_year_9999_is_no_date_not_a_traceback():
    """pcapng timestamps are 64-bit: a damaged one can name a year datetime cannot hold."""
    data = bytearray(samples()["pcapng"])
    pos = 0
    while pos + 8 <= len(data):  # the first Enhanced Packet Block (type 6): its timestamp's high word
        kind, length = int.from_bytes(data[pos:pos + 4], "little"), int.from_bytes(data[pos + 4:pos + 8], "little")
        if kind == 6:
            data[pos + 12:pos + 16] = b"\xff\xff\xff\x7f"
            break
        pos += length
    else:
        raise AssertionError("no Enhanced Packet Block in the sample")
    report = analyse_bytes(bytes(data))
    assert report is not None and report.as_dict()["flows"][0]["start"] is None
