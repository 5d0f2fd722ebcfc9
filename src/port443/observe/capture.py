"""Reading pcap and pcapng captures into TCP segments.

The file formats are walked record by record with dpkt's header classes, and
each packet is decoded with dpkt (Ethernet, Linux cooked, loopback, raw IP;
IPv4 and IPv6; TCP). The walk is our own so that a damaged file stops with a
message that says where and why (dpkt's readers silently return a cut record,
and read the whole rest of the file for a negative pcapng block length), and
everything read before that point is still reported.

Limits: a pcap record over MAX_CAPLEN bytes or a pcapng block over MAX_BLOCK
bytes is treated as damage; at most MAX_PACKETS packets are read.
"""

from __future__ import annotations

import ipaddress
import struct
from collections import Counter
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

import dpkt

MAX_CAPLEN = 262144  # the largest snaplen libpcap writes
MAX_BLOCK = 16 << 20
MAX_PACKETS = 2_000_000

_PCAP_MAGICS = {  # magic as read little-endian -> (byte order, timestamp divisor)
    0xA1B2C3D4: ("<", 1e6), 0xA1B23C4D: ("<", 1e9), 0xD4C3B2A1: (">", 1e6), 0x4D3CB2A1: (">", 1e9),
}
_PCAPNG_SHB, _PCAPNG_IDB, _PCAPNG_PB, _PCAPNG_SPB, _PCAPNG_EPB = 0x0A0D0D0A, 1, 2, 3, 6

# Link types (https://www.tcpdump.org/linktypes.html) we decode.
LINK_NAMES = {0: "BSD loopback", 1: "Ethernet", 12: "raw IP", 14: "raw IP", 101: "raw IP", 108: "OpenBSD loopback",
              113: "Linux cooked", 228: "raw IPv4", 229: "raw IPv6", 276: "Linux cooked v2"}


class CaptureError(ValueError):
    """The file is not a capture we can read at all (the message says what it is and what to do)."""


@dataclass(frozen=True)
class Segment:
    """One TCP segment as the capture holds it."""

    ts: float
    src: str
    sport: int
    dst: str
    dport: int
    seq: int
    flags: int
    payload: bytes
    missing: int = 0  # payload bytes the packet carried that the capture cut off (snaplen)
    wire_len: int = 0  # IP packet length on the wire

    @property
    def syn(self) -> bool:
        return bool(self.flags & dpkt.tcp.TH_SYN)

    @property
    def ack(self) -> bool:
        return bool(self.flags & dpkt.tcp.TH_ACK)

    @property
    def fin(self) -> bool:
        return bool(self.flags & dpkt.tcp.TH_FIN)

    @property
    def rst(self) -> bool:
        return bool(self.flags & dpkt.tcp.TH_RST)


@dataclass
class CaptureLog:
    """What the reader skipped or could not read; `damage` means the report is partial."""

    format: str = ""
    packets: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> packets
    damage: str | None = None

    def notes(self) -> list[str]:
        out = [f"{n} packet{'s' if n != 1 else ''} skipped: {why}" for why, n in sorted(self.skipped.items())]
        if self.damage:
            out.insert(0, self.damage)
        return out


def _decode_link(linktype: int, frame: bytes):
    if linktype == 1:
        return dpkt.ethernet.Ethernet(frame).data
    if linktype == 113:
        return dpkt.sll.SLL(frame).data
    if linktype == 276:
        return dpkt.sll2.SLL2(frame).data
    if linktype in (0, 108):
        return dpkt.loopback.Loopback(frame).data
    if linktype in (12, 14, 101, 228, 229):
        if not frame:
            return None
        return dpkt.ip.IP(frame) if frame[0] >> 4 == 4 else dpkt.ip6.IP6(frame)
    raise KeyError(linktype)


def decode_packet(ts: float, linktype: int, frame: bytes, orig_len: int, log: CaptureLog) -> Segment | None:
    """The TCP segment in one captured frame, or None (and the reason counted in log.skipped)."""
    try:
        ip = _decode_link(linktype, frame)
    except KeyError:
        log.skipped[f"link type {linktype} is not one port443 decodes ({', '.join(sorted(set(LINK_NAMES.values())))})"] += 1
        return None
    except (dpkt.UnpackError, struct.error, ValueError, IndexError):
        log.skipped["frame too short or malformed at the link layer"] += 1
        return None
    if isinstance(ip, dpkt.ip.IP):
        if ip.mf or ip.offset:
            log.skipped["IPv4 fragment (not reassembled)"] += 1
            return None
        header = ip.hl * 4
        declared = ip.len - header
        src, dst = ipaddress.IPv4Address(ip.src), ipaddress.IPv4Address(ip.dst)
        wire = ip.len
    elif isinstance(ip, dpkt.ip6.IP6):
        declared = ip.plen - sum(h.length for h in getattr(ip, "all_extension_headers", []))
        src, dst = ipaddress.IPv6Address(ip.src), ipaddress.IPv6Address(ip.dst)
        wire = 40 + ip.plen
    else:
        log.skipped["not IP"] += 1
        return None
    tcp = ip.data
    if not isinstance(tcp, dpkt.tcp.TCP):
        log.skipped["IP but not TCP (UDP, ICMP, ...)"] += 1
        return None
    payload = bytes(tcp.data)
    expected = max(declared - tcp.off * 4, 0)
    if orig_len > len(frame):  # cut by the capture's snaplen
        missing = max(expected - len(payload), 0)
    else:
        missing = 0
        if len(payload) > expected and declared > 0:
            payload = payload[:expected]  # Ethernet padding after a short IP packet
    return Segment(ts, str(src), tcp.sport, str(dst), tcp.dport, tcp.seq, tcp.flags, payload, missing, wire)


def _read_exact(f: BinaryIO, n: int) -> bytes:
    return f.read(n) if n > 0 else b""


def _pcap_packets(f: BinaryIO, head: bytes, log: CaptureLog) -> Iterator[tuple[float, int, bytes, int]]:
    order, divisor = _PCAP_MAGICS[struct.unpack("<I", head)[0]]
    rest = _read_exact(f, 20)
    if len(rest) < 20:
        log.damage = "the pcap file header is cut short: the file is truncated"
        return
    hdr = (dpkt.pcap.FileHdr if order == ">" else dpkt.pcap.LEFileHdr)(head + rest)
    linktype = hdr.linktype & 0x0FFFFFFF
    pkt_hdr = dpkt.pcap.PktHdr if order == ">" else dpkt.pcap.LEPktHdr
    n = 0
    while True:
        raw = f.read(16)
        if not raw:
            return
        n += 1
        if len(raw) < 16:
            log.damage = f"the capture is truncated: record {n} has {len(raw)} of its 16 header bytes"
            return
        ph = pkt_hdr(raw)
        if ph.caplen > MAX_CAPLEN:
            log.damage = (f"record {n} claims {ph.caplen} captured bytes (over {MAX_CAPLEN}): the file is damaged "
                          f"from here on")
            return
        frame = f.read(ph.caplen)
        if len(frame) < ph.caplen:
            log.damage = (f"the capture is truncated: record {n} has {len(frame)} of its {ph.caplen} bytes "
                          f"(was the capture still being written?)")
            return
        yield ph.tv_sec + ph.tv_usec / divisor, linktype, frame, ph.len


def _idb_resolution(idb) -> float:
    divisor = 1e6
    for opt in getattr(idb, "opts", []):
        if opt.code == dpkt.pcapng.PCAPNG_OPT_IF_TSRESOL and opt.data:
            value = opt.data[0]
            divisor = float((2 if value & 0x80 else 10) ** (value & 0x7F))
    return divisor


def _pcapng_packets(f: BinaryIO, head: bytes, log: CaptureLog) -> Iterator[tuple[float, int, bytes, int]]:
    interfaces: list[tuple[int, float]] = []
    le = True
    pending = head
    n = 0
    while True:
        raw = pending + _read_exact(f, 8 - len(pending))
        pending = b""
        if not raw:
            return
        n += 1
        if len(raw) < 8:
            log.damage = f"the capture is truncated inside block {n}'s header"
            return
        block_type = struct.unpack("<I", raw[:4])[0]
        if block_type == _PCAPNG_SHB:
            bom = _read_exact(f, 4)
            if len(bom) < 4 or bom not in (b"\x4d\x3c\x2b\x1a", b"\x1a\x2b\x3c\x4d"):
                log.damage = f"section header {n} has no valid byte-order magic: the file is damaged"
                return
            le = bom == b"\x4d\x3c\x2b\x1a"
            raw += bom
            interfaces = []
        fmt = "<I" if le else ">I"
        block_type, length = struct.unpack(fmt, raw[:4])[0], struct.unpack(fmt, raw[4:8])[0]
        if length < 12 or length % 4 or length > MAX_BLOCK:
            log.damage = f"block {n} has an impossible length ({length} bytes): the file is damaged from here on"
            return
        body = _read_exact(f, length - len(raw))
        if len(body) < length - len(raw):
            log.damage = (f"the capture is truncated: block {n} has {len(raw) + len(body)} of its {length} bytes "
                          f"(was the capture still being written?)")
            return
        block = raw + body
        try:
            if block_type == _PCAPNG_IDB:
                idb = (dpkt.pcapng.InterfaceDescriptionBlockLE if le else dpkt.pcapng.InterfaceDescriptionBlock)(block)
                interfaces.append((idb.linktype, _idb_resolution(idb)))
            elif block_type in (_PCAPNG_EPB, _PCAPNG_PB):
                cls = {(_PCAPNG_EPB, True): dpkt.pcapng.EnhancedPacketBlockLE, (_PCAPNG_EPB, False): dpkt.pcapng.EnhancedPacketBlock,
                       (_PCAPNG_PB, True): dpkt.pcapng.PacketBlockLE, (_PCAPNG_PB, False): dpkt.pcapng.PacketBlock}
                pb = cls[(block_type, le)](block)
                iface = pb.iface_id if block_type == _PCAPNG_EPB else pb.iface_id & 0xFFFF
                if iface >= len(interfaces):
                    log.skipped["packet block names an interface the file never described"] += 1
                    continue
                linktype, divisor = interfaces[iface]
                yield ((pb.ts_high << 32) | pb.ts_low) / divisor, linktype, bytes(pb.pkt_data), pb.pkt_len
            elif block_type == _PCAPNG_SPB:
                log.skipped["simple packet block (no timestamp)"] += 1
        except (dpkt.UnpackError, struct.error, ValueError, IndexError) as exc:
            log.damage = f"block {n} (type {block_type}) is malformed ({exc or type(exc).__name__}): the file is damaged from here on"
            return


def read_segments(f: BinaryIO, log: CaptureLog) -> Iterator[Segment]:
    """Every TCP segment of a pcap or pcapng stream, in file order.

    Raises CaptureError only when the very first bytes are not a capture;
    damage later on ends the iteration and is described in `log.damage`.
    """
    head = f.read(4)
    if len(head) < 4:
        raise CaptureError("the file is empty or shorter than any capture header: record with "
                           "`tshark -w FILE` or `tcpdump -w FILE`")
    magic = struct.unpack("<I", head)[0]
    if magic in _PCAP_MAGICS:
        log.format, packets = "pcap", _pcap_packets(f, head, log)
    elif magic == _PCAPNG_SHB:
        log.format, packets = "pcapng", _pcapng_packets(f, head, log)
    else:
        raise CaptureError(f"not a pcap or pcapng capture (first bytes {head.hex()}): record one with "
                           "`tshark -i IFACE -w FILE.pcapng` or `tcpdump -i IFACE -w FILE.pcap`")
    for ts, linktype, frame, orig_len in packets:
        log.packets += 1
        if log.packets > MAX_PACKETS:
            log.damage = f"stopped after {MAX_PACKETS} packets (port443's limit): the rest of the capture is not reported"
            return
        seg = decode_packet(ts, linktype, frame, orig_len, log)
        if seg is not None:
            yield seg
