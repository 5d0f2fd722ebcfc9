"""Captures made in memory: real TLS bytes from our engine, wrapped in TCP/IP frames by dpkt.

`engine_conversation()` runs one of our clients against one of our servers in
memory and returns what each side wrote, in order. `Frames` turns such a
conversation into TCP segments (SYN, data in MSS-sized segments, FIN), which
tests reorder, repeat, drop or cut before `write_pcap`/`write_pcapng` store them.
"""

from __future__ import annotations

import io
import socket
from dataclasses import dataclass, field

import dpkt

from tls_pairs import pair

C2S, S2C = "c2s", "s2c"
REQUEST = b"GET /page HTTP/1.1\r\nHost: localhost\r\n\r\n"


@dataclass
class Conversation:
    chunks: list[tuple[str, bytes]]  # (direction, bytes written), in order

    def sent(self, direction: str) -> bytes:
        return b"".join(d for w, d in self.chunks if w == direction)


def engine_conversation(versions=("TLSv1.3",), response: int = 30000, client_kw=None, server_kw=None,
                        hello_hook=None) -> Conversation:
    """A whole TLS connection between our client and server: handshake, one request, a response, close."""
    ckw = dict(alpn_protocols=("h2", "http/1.1"), versions=versions, **(client_kw or {}))
    skw = dict(alpn_protocols=("http/1.1",), versions=versions, **(server_kw or {}))
    client, server = pair(ckw, skw)
    chunks: list[tuple[str, bytes]] = []

    def move(src, dst, direction, hook=None):
        data = src.data_to_send()
        if data:
            if hook is not None:
                data = hook(data)
            chunks.append((direction, data))
            dst.receive_data(data)

    move(client, server, C2S, hello_hook)
    for _ in range(6):
        move(server, client, S2C)
        move(client, server, C2S)
        if client.handshake_complete and server.handshake_complete:
            break
    move(server, client, S2C)  # TLS 1.3 tickets
    client.send(REQUEST)
    move(client, server, C2S)
    server.send(bytes(response))
    move(server, client, S2C)
    client.close()
    move(client, server, C2S)
    server.close()
    move(server, client, S2C)
    return Conversation(chunks)


@dataclass
class Frame:
    ts: float
    src: tuple[str, int]
    dst: tuple[str, int]
    seq: int
    flags: int
    payload: bytes = b""


@dataclass
class Frames:
    """A TCP connection's segments for a conversation; edit `frames` to damage it."""

    conversation: Conversation
    client: tuple[str, int] = ("10.0.0.2", 50123)
    server: tuple[str, int] = ("10.0.0.1", 443)
    mss: int = 1400
    t0: float = 1_700_000_000.0
    frames: list[Frame] = field(default_factory=list)
    syn: bool = True

    def __post_init__(self) -> None:
        isn = {C2S: 1000, S2C: 900000}
        t = self.t0
        ends = {C2S: (self.client, self.server), S2C: (self.server, self.client)}
        if self.syn:
            self.frames.append(Frame(t, self.client, self.server, isn[C2S], dpkt.tcp.TH_SYN))
            self.frames.append(Frame(t + 0.0001, self.server, self.client, isn[S2C], dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK))
        seq = {C2S: isn[C2S] + 1, S2C: isn[S2C] + 1}
        for direction, data in self.conversation.chunks:
            t += 0.001
            src, dst = ends[direction]
            for i in range(0, len(data), self.mss):
                piece = data[i:i + self.mss]
                self.frames.append(Frame(t, src, dst, seq[direction], dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH, piece))
                seq[direction] += len(piece)
                t += 0.00001
        for direction in (C2S, S2C):
            t += 0.001
            src, dst = ends[direction]
            self.frames.append(Frame(t, src, dst, seq[direction], dpkt.tcp.TH_FIN | dpkt.tcp.TH_ACK))

    def data_frames(self, direction: str) -> list[int]:
        src = self.client if direction == C2S else self.server
        return [i for i, f in enumerate(self.frames) if f.payload and f.src == src]


def ip_packet(f: Frame) -> bytes:
    tcp = dpkt.tcp.TCP(sport=f.src[1], dport=f.dst[1], seq=f.seq & 0xFFFFFFFF, flags=f.flags, win=65535, data=f.payload)
    if ":" in f.src[0]:
        ip = dpkt.ip6.IP6(src=socket.inet_pton(socket.AF_INET6, f.src[0]), dst=socket.inet_pton(socket.AF_INET6, f.dst[0]),
                          nxt=dpkt.ip.IP_PROTO_TCP, hlim=64, data=tcp, plen=len(bytes(tcp)))
        return bytes(ip)
    ip = dpkt.ip.IP(src=socket.inet_aton(f.src[0]), dst=socket.inet_aton(f.dst[0]), p=dpkt.ip.IP_PROTO_TCP, ttl=64,
                    data=tcp)
    ip.len = 20 + len(bytes(tcp))
    return bytes(ip)


LINKTYPES = {"ethernet": dpkt.pcap.DLT_EN10MB, "sll": dpkt.pcap.DLT_LINUX_SLL, "raw": 101, "loop": dpkt.pcap.DLT_NULL}


def link_frame(f: Frame, link: str) -> bytes:
    ip = ip_packet(f)
    v6 = ":" in f.src[0]
    if link == "ethernet":
        return bytes(dpkt.ethernet.Ethernet(src=b"\x02" * 6, dst=b"\x04" * 6,
                                            type=dpkt.ethernet.ETH_TYPE_IP6 if v6 else dpkt.ethernet.ETH_TYPE_IP)) + ip
    if link == "sll":
        return bytes(dpkt.sll.SLL(type=0, hrd=1, hlen=6, hdr=b"\x02" * 6 + b"\0\0",
                                  ethtype=0x86DD if v6 else 0x0800)) + ip
    if link == "loop":
        return (30 if v6 else 2).to_bytes(4, "little") + ip
    return ip


def write_pcap(frames: list[Frame], link: str = "ethernet", snaplen: int = 65535) -> bytes:
    out = io.BytesIO()
    w = dpkt.pcap.Writer(out, snaplen=snaplen, linktype=LINKTYPES[link])
    for f in frames:
        data = link_frame(f, link)
        if len(data) > snaplen:
            # Write a record cut by the snaplen by hand: caplen < len.
            hdr = dpkt.pcap.LEPktHdr(tv_sec=int(f.ts), tv_usec=int(round(f.ts % 1 * 1e6)), caplen=snaplen, len=len(data))
            out.write(bytes(hdr) + data[:snaplen])
        else:
            w.writepkt(data, ts=f.ts)
    return out.getvalue()


def write_pcapng(frames: list[Frame], link: str = "ethernet") -> bytes:
    out = io.BytesIO()
    w = dpkt.pcapng.Writer(out, linktype=LINKTYPES[link])
    for f in frames:
        w.writepkt(link_frame(f, link), ts=f.ts)
    return out.getvalue()
