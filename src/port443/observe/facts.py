"""The observer's view of one connection as labelled facts, for the text and HTML reports.

`flow_facts` returns (label, value) pairs in reading order; the CLI renders
them with rich, observe.html as a table. Plain strings only.
"""

from __future__ import annotations

from port443.observe.report import Direction, FlowReport

ARROWS = {"client_to_server": "▲", "server_to_client": "▼"}
SCOPES = {"public": "public address: its owner and rough location are public record",
          "private": "private network address", "loopback": "loopback (this machine)",
          "link-local": "link-local address"}
SHOWN_RECORDS = 16
RECORDS_LABEL = "records (bytes)"


def size(n: int | None) -> str:
    if n is None:
        return "?"
    if n < 10_000:
        return f"{n} B"
    return f"{n / 1000:.1f} kB" if n < 10_000_000 else f"{n / 1e6:.1f} MB"


def _traffic(d: Direction) -> str:
    wire = f", {size(d.wire_bytes)} on the wire" if d.wire_bytes is not None else ""
    text = (f"{size(d.stream_bytes)} in {len(d.records)} records ({d.application_data_records} application data, "
            f"{size(d.application_data_bytes)}), {d.packets} packet{'' if d.packets == 1 else 's'}{wire}")
    extra = [f"{size(v)} {k}" for k, v in (("retransmitted", d.retransmitted_bytes), ("not captured", d.lost_bytes),
                                            ("not framed", d.unframed_bytes)) if v]
    return text + (f"; {', '.join(extra)}" if extra else "")


def _record_strip(flow: FlowReport) -> str:
    merged = sorted([(t, ARROWS["client_to_server"], kind, n) for t, kind, n in flow.c2s.records]
                    + [(t, ARROWS["server_to_client"], kind, n) for t, kind, n in flow.s2c.records],
                    key=lambda r: r[0])  # stable: each direction keeps its stream order
    parts = [f"{arrow}{n}{'' if kind == 'application_data' else ' ' + kind.split('_')[0]}"
             for _, arrow, kind, n in merged[:SHOWN_RECORDS]]
    more = len(merged) - SHOWN_RECORDS
    return "  ".join(parts) + (f"  … {more} more" if more > 0 else "")


def flow_facts(flow: FlowReport) -> list[tuple[str, str]]:
    hs = flow.handshake
    rows: list[tuple[str, str]] = []
    rows.append(("client", f"{flow.client} ({SCOPES.get(flow.client.scope, flow.client.scope)})"))
    rows.append(("server", f"{flow.server} ({SCOPES.get(flow.server.scope, flow.server.scope)})"))
    if not flow.tls:
        rows.append(("protocol", "not TLS, or no data"))
    if hs.client_hello_raw is not None:
        name = hs.sni or "none sent (the server's IP address is all the observer has)"
        ech = ("present: a real or GREASE Encrypted Client Hello; the name above is the outer one"
               if hs.ech else "not used: the name is sent in the clear")
        rows += [("site (SNI)", name), ("ECH", ech)]
        rows.append(("ALPN", f"offered {', '.join(hs.alpn_offered) or 'nothing'} → {hs.alpn or 'none chosen'}"))
        rows.append(("versions offered", ", ".join(hs.versions_offered)))
    if hs.version:
        detail = ", ".join(x for x in (hs.version, hs.cipher_suite, hs.group) if x)
        rows.append(("negotiated", detail + (" (resumed session)" if hs.resumed else "")
                     + (" after a HelloRetryRequest" if hs.hello_retry else "")))
        if hs.certificate:
            c = hs.certificate
            rows.append(("certificate", f"{c['subject']} for {', '.join(c['names']) or 'no SAN names'}; "
                                        f"issued by {c['issuer']}; valid until {c['not_after']}"))
        elif hs.version == "TLSv1.3":
            rows.append(("certificate", "encrypted (TLS 1.3); its size shows in the first server records"))
        elif hs.resumed:
            rows.append(("certificate", "not sent (resumed session)"))
    if hs.ja3:
        rows.append(("JA3", f"{hs.ja3_md5}  {hs.ja3}"))
        rows.append(("JA4", hs.ja4 or ""))
    if hs.ja3s:
        rows.append(("JA3S / JA4S", f"{hs.ja3s_md5}  /  {hs.ja4s}"))
    for alert in hs.alerts:
        rows.append(("alert in clear", alert))
    rows.append(("client → server", _traffic(flow.c2s)))
    rows.append(("server → client", _traffic(flow.s2c)))
    if flow.c2s.records or flow.s2c.records:
        rows.append((RECORDS_LABEL, _record_strip(flow)))
    for note in flow.notes + hs.notes:
        rows.append(("note", note))
    return rows
