"""The observer's report: one FlowReport per TCP connection, grouped by site.

`CaptureReport.as_dict()` is the `--json` output; docs/observe.md documents
its schema (SCHEMA_VERSION). Everything here is data: rendering lives in the
CLI (text) and observe.html.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from dataclasses import dataclass, field

from port443.observe.hellos import Handshake

SCHEMA_VERSION = 1
C2S, S2C = "client_to_server", "server_to_client"


def address_scope(ip: str) -> str:
    """What an address tells an observer about where its owner is."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    if addr.is_loopback:
        return "loopback"
    if addr.is_link_local:
        return "link-local"
    if addr.is_private:
        return "private"
    if addr.is_global:
        return "public"
    return "special"


@dataclass
class Endpoint:
    ip: str
    port: int

    @property
    def scope(self) -> str:
        return address_scope(self.ip)

    def __str__(self) -> str:
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"

    def as_dict(self) -> dict:
        return {"ip": self.ip, "port": self.port, "scope": self.scope}


@dataclass
class Direction:
    """One direction's traffic as the observer measures it."""

    packets: int = 0
    wire_bytes: int | None = 0  # IP bytes incl. retransmissions; None for a live connection
    stream_bytes: int = 0  # bytes this side sent (TCP payload, each byte once)
    captured_bytes: int = 0  # of those, bytes the capture held
    retransmitted_bytes: int = 0
    lost_bytes: int = 0
    record_bytes: int = 0
    application_data_records: int = 0
    application_data_bytes: int = 0  # payload bytes of application_data records (ciphertext)
    unframed_bytes: int = 0
    records: list[tuple[float, str, int]] = field(default_factory=list)  # (seconds from start, type, size)

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["record_count"] = len(self.records)
        d["records"] = [{"t": round(t, 6), "type": kind, "size": size} for t, kind, size in self.records]
        return d


@dataclass
class FlowReport:
    index: int
    client: Endpoint
    server: Endpoint
    start: float  # epoch seconds of the first packet (0 for a live connection without timing)
    duration: float
    tls: bool
    handshake: Handshake
    c2s: Direction
    s2c: Direction
    ended: str  # "fin", "rst", or "open" (the capture stopped first)
    notes: list[str] = field(default_factory=list)

    @property
    def site(self) -> str:
        return self.handshake.sni or f"{self.server.ip} (no SNI)"

    def as_dict(self) -> dict:
        hs = self.handshake
        return {
            "index": self.index,
            "client": self.client.as_dict(),
            "server": self.server.as_dict(),
            "site": self.site,
            "start": _iso(self.start),
            "duration_s": round(self.duration, 6),
            "tls": self.tls,
            "ended": self.ended,
            "sni": hs.sni,
            "ech": hs.ech,
            "alpn_offered": hs.alpn_offered,
            "alpn": hs.alpn,
            "versions_offered": hs.versions_offered,
            "version": hs.version,
            "cipher_suite": hs.cipher_suite,
            "group": hs.group,
            "hello_retry": hs.hello_retry,
            "resumed": hs.resumed,
            "certificate": hs.certificate,
            "chain_length": hs.chain_length,
            "alerts": hs.alerts,
            "fingerprints": {"ja3": hs.ja3, "ja3_md5": hs.ja3_md5, "ja3s": hs.ja3s, "ja3s_md5": hs.ja3s_md5,
                             "ja4": hs.ja4, "ja4_r": hs.ja4_r, "ja4s": hs.ja4s, "ja4s_r": hs.ja4s_r},
            C2S: self.c2s.as_dict(),
            S2C: self.s2c.as_dict(),
            "notes": self.notes + hs.notes,
        }


@dataclass
class Site:
    name: str
    connections: int = 0
    client_to_server_bytes: int = 0
    server_to_client_bytes: int = 0
    servers: list[str] = field(default_factory=list)
    clients: list[str] = field(default_factory=list)


@dataclass
class CaptureReport:
    source: str
    format: str
    packets: int
    flows: list[FlowReport]
    notes: list[str] = field(default_factory=list)
    partial: bool = False  # the capture is damaged or truncated: the report covers what was readable

    def sites(self) -> list[Site]:
        out: dict[str, Site] = {}
        for flow in self.flows:
            if not flow.tls:
                continue
            site = out.setdefault(flow.site, Site(flow.site))
            site.connections += 1
            site.client_to_server_bytes += flow.c2s.stream_bytes
            site.server_to_client_bytes += flow.s2c.stream_bytes
            for lst, ep in ((site.servers, str(flow.server)), (site.clients, flow.client.ip)):
                if ep not in lst:
                    lst.append(ep)
        return sorted(out.values(), key=lambda s: (-s.connections, s.name))

    def as_dict(self) -> dict:
        return {
            "schema": SCHEMA_VERSION,
            "source": self.source,
            "format": self.format,
            "packets": self.packets,
            "partial": self.partial,
            "notes": self.notes,
            "connections": len(self.flows),
            "tls_connections": sum(f.tls for f in self.flows),
            "sites": [dataclasses.asdict(s) for s in self.sites()],
            "flows": [f.as_dict() for f in self.flows],
        }


def _iso(ts: float) -> str | None:
    """The capture timestamp as ISO 8601, or None when there is none or it is no date (a damaged capture)."""
    if not ts:
        return None
    try:
        return dt.datetime.fromtimestamp(ts, dt.timezone.utc).isoformat(timespec="microseconds")
    except (ValueError, OverflowError, OSError):
        return None
