"""Reading captures: link types, reassembly (out of order, retransmits, lost segments), damaged files.

The TLS bytes are real (our client and server in memory, tests/pcap_factory);
the TCP/IP framing around them is written with dpkt so each test can damage
the capture in a known way and compare the report with the truth.
"""

from __future__ import annotations

import functools
import json
import random

import pytest
from click.testing import CliRunner

from pcap_factory import C2S, S2C, Frame, Frames, engine_conversation, write_pcap, write_pcapng
from port443.cli.observe import observe
from port443.observe.analyze import analyze_capture
from port443.observe.capture import CaptureError
from port443.tls.messages import ClientHello
from tls_pairs import records as split_records


@functools.cache
def conversation(version: str = "TLSv1.3"):
    return engine_conversation(versions=(version,))


def truth_sizes(conv, direction) -> list[int]:
    return [len(r) for r in split_records(conv.sent(direction))]


def analyse(tmp_path, data: bytes, name: str = "c.pcap"):
    path = tmp_path / name
    path.write_bytes(data)
    return analyze_capture(path)


def sizes(direction) -> list[int]:
    return [n for _, _, n in direction.records]


@pytest.mark.parametrize("link", ["ethernet", "sll", "raw", "loop"])
@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_every_link_type_and_format_gives_the_same_report(tmp_path, link, fmt):
    conv = conversation()
    frames = Frames(conv).frames
    data = write_pcap(frames, link) if fmt == "pcap" else write_pcapng(frames, link)
    report = analyse(tmp_path, data)
    assert report.format == fmt and not report.partial and report.notes == []
    (flow,) = report.flows
    assert (str(flow.client), str(flow.server)) == ("10.0.0.2:50123", "10.0.0.1:443")
    assert flow.tls and flow.ended == "fin" and flow.notes == []
    assert flow.handshake.sni == "localhost" and flow.handshake.version == "TLSv1.3"
    assert flow.c2s.stream_bytes == len(conv.sent(C2S)) and flow.s2c.stream_bytes == len(conv.sent(S2C))
    assert sizes(flow.c2s) == truth_sizes(conv, C2S) and sizes(flow.s2c) == truth_sizes(conv, S2C)
    assert flow.c2s.packets == len([f for f in frames if f.src == ("10.0.0.2", 50123)])


def test_ipv6(tmp_path):
    conv = conversation()
    report = analyse(tmp_path, write_pcap(Frames(conv, client=("fd00::2", 50000), server=("fd00::1", 443)).frames))
    (flow,) = report.flows
    assert str(flow.client) == "[fd00::2]:50000" and flow.client.scope == "private"
    assert flow.s2c.stream_bytes == len(conv.sent(S2C)) and flow.handshake.sni == "localhost"


def test_out_of_order_and_retransmitted_segments_are_reassembled(tmp_path):
    conv = conversation()
    fr = Frames(conv, mss=300)
    rng = random.Random(7)
    frames = fr.frames[:]
    for i in range(3, len(frames) - 4, 3):  # swap neighbours all along both streams
        frames[i], frames[i + 1] = frames[i + 1], frames[i]
    repeats = [frames[i] for i in rng.sample(range(2, len(frames) - 2), 12) if frames[i].payload]
    for f in repeats:  # retransmissions, some of them long after the original
        frames.insert(rng.randrange(len(frames)), f)
    overlapping = next(f for f in fr.frames if f.payload and len(f.payload) == 300)
    frames.append(Frame(overlapping.ts, overlapping.src, overlapping.dst, overlapping.seq + 100, overlapping.flags,
                        overlapping.payload[100:]))  # a partial retransmission
    (flow,) = analyse(tmp_path, write_pcap(frames)).flows
    assert sizes(flow.c2s) == truth_sizes(conv, C2S) and sizes(flow.s2c) == truth_sizes(conv, S2C)
    assert flow.c2s.stream_bytes == len(conv.sent(C2S)) and flow.s2c.stream_bytes == len(conv.sent(S2C))
    resent = sum(len(f.payload) for f in repeats) + 200
    assert flow.c2s.retransmitted_bytes + flow.s2c.retransmitted_bytes == resent
    assert flow.c2s.lost_bytes == flow.s2c.lost_bytes == 0
    assert flow.handshake.ja4 and flow.handshake.version == "TLSv1.3"


def test_a_lost_segment_inside_a_record_costs_only_its_bytes(tmp_path):
    conv = conversation()
    fr = Frames(conv, mss=1000)
    # The response is 30000 bytes in ~16 KiB records: drop a segment that is inside one.
    down = fr.data_frames(S2C)
    victim = down[-6]
    lost = len(fr.frames[victim].payload)
    frames = [f for i, f in enumerate(fr.frames) if i != victim]
    (flow,) = analyse(tmp_path, write_pcap(frames)).flows
    assert sizes(flow.s2c) == truth_sizes(conv, S2C)
    assert flow.s2c.lost_bytes == lost and flow.s2c.stream_bytes == len(conv.sent(S2C))
    assert flow.s2c.captured_bytes == len(conv.sent(S2C)) - lost
    assert any(f"{lost} bytes were not in the capture" in n for n in flow.notes)


def test_a_lost_segment_that_hides_headers_resynchronises(tmp_path):
    conv = conversation()
    fr = Frames(conv, mss=50)
    down = fr.data_frames(S2C)
    truth = truth_sizes(conv, S2C)
    # Find the segment holding the header of the first 16 KiB application_data record and drop it.
    offset = sum(truth[:truth.index(max(truth))])
    pos, victim = 0, None
    for i in down:
        n = len(fr.frames[i].payload)
        if pos <= offset < pos + n:
            victim = i
            break
        pos += n
    frames = [f for i, f in enumerate(fr.frames) if i != victim]
    (flow,) = analyse(tmp_path, write_pcap(frames)).flows
    k = truth.index(max(truth))
    # The record whose header was lost cannot be counted; framing resumes at the very next one.
    assert sizes(flow.s2c) == truth[:k] + truth[k + 1:]
    assert flow.s2c.unframed_bytes == truth[k] - len(fr.frames[victim].payload)
    assert any("hide a record header" in n for n in flow.notes)


def test_snaplen_cut_frames_are_reported_as_missing_bytes(tmp_path):
    conv = conversation()
    report = analyse(tmp_path, write_pcap(Frames(conv).frames, snaplen=400))
    (flow,) = report.flows
    assert flow.s2c.stream_bytes == len(conv.sent(S2C))
    assert flow.s2c.lost_bytes > 0 and flow.s2c.captured_bytes < len(conv.sent(S2C))
    assert flow.handshake.sni == "localhost"  # the ClientHello fits in 400 bytes


def test_capture_that_starts_mid_connection(tmp_path):
    conv = conversation()
    report = analyse(tmp_path, write_pcap(Frames(conv, syn=False).frames))
    (flow,) = report.flows
    assert str(flow.client) == "10.0.0.2:50123"  # told by who sent the ClientHello
    assert flow.handshake.sni == "localhost"
    assert any("began before the capture" in n for n in flow.notes)


def test_port_reuse_makes_two_connections_and_sites_count_them(tmp_path):
    conv = conversation()
    first = Frames(conv).frames
    second = Frames(conv, t0=1_700_000_100.0).frames
    report = analyse(tmp_path, write_pcap(first + second))
    assert len(report.flows) == 2
    (site,) = report.sites()
    assert site.name == "localhost" and site.connections == 2
    assert site.server_to_client_bytes == 2 * len(conv.sent(S2C))


def test_plain_http_is_called_out(tmp_path):
    from pcap_factory import Conversation

    conv = Conversation([(C2S, b"GET / HTTP/1.1\r\nHost: example\r\n\r\n"), (S2C, b"HTTP/1.1 200 OK\r\n\r\nhello")])
    report = analyse(tmp_path, write_pcap(Frames(conv, server=("10.0.0.1", 80)).frames))
    (flow,) = report.flows
    assert not flow.tls and report.sites() == []
    assert any("plain text 'GET / HTTP/1.1" in n and "not encrypted" in n for n in flow.notes)


def test_tls12_certificate_is_read_in_the_clear(tmp_path, test_pki):
    conv = conversation("TLSv1.2")
    (flow,) = analyse(tmp_path, write_pcap(Frames(conv).frames)).flows
    hs = flow.handshake
    assert hs.version == "TLSv1.2" and hs.alpn == "http/1.1"
    assert hs.certificate["subject"] == "CN=localhost"
    assert hs.certificate["names"] == ["localhost", "127.0.0.1"]
    assert hs.chain_length == 1 and hs.group == "x25519"
    assert hs.ja3s.startswith("771,") and hs.ja4s.startswith("t12")


def test_hello_retry_request_and_ech_extension(tmp_path):
    def add_ech(data: bytes) -> bytes:
        # Append an encrypted_client_hello extension (0xfe0d) to the first ClientHello, as a GREASE ECH would.
        body = memoryview(data)[5 + 4:]
        hello = ClientHello.decode(body)
        hello.extensions.insert(0, (0xFE0D, b"\x00" + bytes(40)))
        msg = hello.encode()
        return bytes((22, 3, 1)) + len(msg).to_bytes(2, "big") + msg

    conv = engine_conversation(client_kw=dict(groups=("x25519", "secp256r1"), key_share_groups=("x25519",)),
                               server_kw=dict(groups=("secp256r1",)))
    (flow,) = analyse(tmp_path, write_pcap(Frames(conv).frames)).flows
    assert flow.handshake.hello_retry and flow.handshake.group == "secp256r1"
    assert not flow.handshake.ech
    hello = conv.chunks[0][1]
    assert flow.handshake.client_hello_size == len(hello) - 5
    from pcap_factory import Conversation

    (flow,) = analyse(tmp_path, write_pcap(Frames(Conversation([(C2S, add_ech(hello))])).frames)).flows
    assert flow.handshake.ech and flow.handshake.sni == "localhost"
    assert flow.handshake.version is None and flow.handshake.ja4.startswith("t13d")


# --- damaged captures: a clear message, a partial report, never a traceback ----------------------------

def run_cli(path, *extra):
    return CliRunner().invoke(observe, ["--pcap", str(path), *extra])


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
@pytest.mark.parametrize("keep", [0.3, 0.6, 0.97])
def test_truncated_capture_gives_a_partial_report(tmp_path, fmt, keep):
    conv = conversation()
    data = (write_pcap if fmt == "pcap" else write_pcapng)(Frames(conv, mss=500).frames)
    cut = int(len(data) * keep)
    path = tmp_path / f"cut.{fmt}"
    path.write_bytes(data[:cut])
    result = run_cli(path)
    assert result.exit_code == 3, result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stdout + result.stderr
    assert "truncated" in result.stderr and "partial" in result.stderr
    assert "Connection 1: 10.0.0.2:50123 → 10.0.0.1:443" in result.stdout
    report = analyze_capture(path)
    assert report.partial and "truncated" in report.notes[0]
    (flow,) = report.flows
    assert flow.ended == "open" and 0 < flow.s2c.stream_bytes < len(conv.sent(S2C))
    assert flow.handshake.sni == "localhost"  # what was read before the cut is still reported
    as_json = json.loads(run_cli(path, "--json").stdout)
    assert as_json["partial"] is True and as_json["flows"][0]["sni"] == "localhost"


def test_damaged_record_header_in_the_middle(tmp_path):
    conv = conversation()
    data = bytearray(write_pcap(Frames(conv).frames))
    # Record 6's header: 24 bytes file header + 5 records; claim an absurd caplen.
    pos = 24
    for _ in range(5):
        pos += 16 + int.from_bytes(data[pos + 8:pos + 12], "little")
    data[pos + 8:pos + 12] = (10 ** 9).to_bytes(4, "little")
    path = tmp_path / "damaged.pcap"
    path.write_bytes(bytes(data))
    result = run_cli(path)
    assert result.exit_code == 3
    assert "record 6 claims 1000000000 captured bytes" in result.stderr
    assert "Connection 1" in result.stdout


def test_damaged_pcapng_block(tmp_path):
    data = bytearray(write_pcapng(Frames(conversation()).frames))
    pos = 0
    for _ in range(8):  # section header, interface description, then packet blocks
        pos += int.from_bytes(data[pos + 4:pos + 8], "little")
    data[pos + 4:pos + 8] = (7).to_bytes(4, "little")
    path = tmp_path / "damaged.pcapng"
    path.write_bytes(bytes(data))
    result = run_cli(path)
    assert result.exit_code == 3 and "Traceback" not in result.stderr
    assert "block 9 has an impossible length (7 bytes)" in result.stderr
    assert "Connection 1" in result.stdout


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"GIF89a\x00\x00 not a capture at all", "not a pcap or pcapng capture"),
    (b"\xd4\xc3\xb2\xa1\x02\x00", None),  # a pcap header cut short: partial (empty) report
])
def test_not_a_capture(tmp_path, content, message):
    path = tmp_path / "x.pcap"
    path.write_bytes(content)
    result = run_cli(path)
    assert "Traceback" not in result.stderr + result.stdout
    if message is None:
        assert result.exit_code == 3 and "truncated" in result.stderr
    else:
        assert result.exit_code == 1
        assert result.stderr.startswith("port443 observe: error: ") and message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        with pytest.raises(CaptureError):
            analyze_capture(path)


def test_missing_file_and_directory(tmp_path):
    for path in (tmp_path / "nope.pcap", tmp_path):
        result = run_cli(path)
        assert result.exit_code in (1, 2) and "Traceback" not in result.stderr
        assert str(path) in result.stderr or "nope.pcap" in result.stderr


# --- output forms ------------------------------------------------------------------------------------

def test_json_and_html_outputs(tmp_path):
    conv = conversation("TLSv1.2")
    path = tmp_path / "c.pcapng"
    path.write_bytes(write_pcapng(Frames(conv).frames))
    page = tmp_path / "report.html"
    result = run_cli(path, "--json", "--html", str(page))
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["schema"] == 1 and doc["connections"] == doc["tls_connections"] == 1
    assert doc["sites"] == [{"name": "localhost", "connections": 1,
                             "client_to_server_bytes": len(conv.sent(C2S)),
                             "server_to_client_bytes": len(conv.sent(S2C)),
                             "servers": ["10.0.0.1:443"], "clients": ["10.0.0.2"]}]
    flow = doc["flows"][0]
    assert flow["certificate"]["subject"] == "CN=localhost"
    assert flow["server_to_client"]["record_count"] == len(truth_sizes(conv, S2C))
    assert [r["size"] for r in flow["server_to_client"]["records"]] == truth_sizes(conv, S2C)
    html = page.read_text()
    assert html.count("<svg") == 1 and html.count("<rect") == len(truth_sizes(conv, C2S)) + len(truth_sizes(conv, S2C))
    assert "<script" not in html and "src=" not in html and "href=\"http" not in html
    text = run_cli(path)
    assert text.exit_code == 0
    for expected in ("localhost", "TLSv1.2", "CN=localhost", "JA3", "JA4", "Connections per site"):
        assert expected in text.stdout


def test_hostile_sni_is_escaped_in_html(tmp_path):
    def evil_sni(data: bytes) -> bytes:
        hello = ClientHello.decode(memoryview(data)[9:])
        name = b"<script>alert(1)</script>.example"
        hello.extensions[0] = (0, len(name + b"...").to_bytes(2, "big") + b"\x00" + len(name).to_bytes(2, "big") + name)
        msg = hello.encode()
        return bytes((22, 3, 1)) + len(msg).to_bytes(2, "big") + msg

    from pcap_factory import Conversation

    conv = conversation()
    path = tmp_path / "evil.pcap"
    path.write_bytes(write_pcap(Frames(Conversation([(C2S, evil_sni(conv.chunks[0][1]))])).frames))
    page = tmp_path / "evil.html"
    result = run_cli(path, "--html", str(page))
    assert result.exit_code == 0, result.stderr
    html = page.read_text()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;.example" in html


def test_every_json_member_is_documented(tmp_path):
    """docs/observe.md lists every member the JSON report has, and no member it does not have."""
    from pathlib import Path

    doc = (Path(__file__).parents[1] / "docs" / "observe.md").read_text()
    report = analyse(tmp_path, write_pcap(Frames(conversation("TLSv1.2")).frames)).as_dict()
    flow = report["flows"][0]
    members = (set(report) | set(report["sites"][0]) | set(flow) | set(flow["client"]) | set(flow["certificate"])
               | set(flow["fingerprints"]) | set(flow["client_to_server"]) | set(flow["client_to_server"]["records"][0]))
    undocumented = sorted(m for m in members if f"`{m}`" not in doc and f"`{m}[]`" not in doc)
    assert undocumented == []


def test_tls12_alert_in_clear_shows_a_rejected_certificate(tmp_path):
    """In TLS 1.2 a client's refusal of the certificate goes out before encryption: an observer sees it."""
    from pcap_factory import Conversation
    from port443.pki.issue import make_ca
    from port443.pki.trust import TrustStore
    from port443.tls import TLSError
    from tls_pairs import pair

    stranger = TrustStore([make_ca("someone else's root").certificate])
    client, server = pair(dict(versions=("TLSv1.2",), trust_store=stranger), dict(versions=("TLSv1.2",)))
    hello = client.data_to_send()
    server.receive_data(hello)
    flight = server.data_to_send()
    with pytest.raises(TLSError):
        client.receive_data(flight)
    conv = Conversation([(C2S, hello), (S2C, flight), (C2S, client.data_to_send())])
    (flow,) = analyse(tmp_path, write_pcap(Frames(conv).frames)).flows
    assert flow.handshake.alerts == ["client sent fatal alert unknown_ca"]
    assert flow.handshake.certificate["subject"] == "CN=localhost"
