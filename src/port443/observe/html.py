"""The observer's report as one self-contained HTML page (inline CSS and SVG, no script, no CDN).

Each connection gets a timeline: one bar per TLS record, above the axis for
client → server and below it for server → client, its height the record's
size on a log scale, its colour the content type. Every string from the
capture is escaped: a hostile SNI cannot inject markup.
"""

from __future__ import annotations

import html
import math

from port443.observe.facts import RECORDS_LABEL, flow_facts
from port443.observe.report import CaptureReport, FlowReport

MAX_BARS = 4000  # records drawn per connection; the rest are counted in the caption
WIDTH, HALF, LEFT, RIGHT, BAR = 880, 70, 56, 16, 3
COLOURS = {"handshake": "#1f77b4", "change_cipher_spec": "#8c8c8c", "alert": "#d62728",
           "application_data": "#2ca02c", "heartbeat": "#9467bd"}
CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:.2em .7em;text-align:left;vertical-align:top}
th{background:#f0f0f0}tr+tr td{border-top:1px solid #eee}
.kv td:first-child{color:#555;white-space:nowrap}.note{color:#8a5a00}.mono{font-family:ui-monospace,monospace;font-size:.9em}
.legend span{display:inline-block;margin-right:1.2em}.legend i{display:inline-block;width:.8em;height:.8em;margin-right:.3em}
svg{background:#fafafa;border:1px solid #ddd}
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _scale(n: int, top: int) -> float:
    return max(1.0, HALF * math.log10(max(n, 1) + 1) / math.log10(top + 1))


def timeline_svg(flow: FlowReport) -> str:
    """An inline SVG of the connection's records over time."""
    duration = max(flow.duration, max((t for d in (flow.c2s, flow.s2c) for t, _, _ in d.records), default=0.0))
    top = max([n for d in (flow.c2s, flow.s2c) for _, _, n in d.records] + [16384 + 256])
    inner = WIDTH - LEFT - RIGHT
    height = 2 * HALF + 46
    mid = HALF + 16
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="record sizes over time">',
             f'<text x="{LEFT}" y="11" font-size="11">▲ client → server</text>',
             f'<text x="{LEFT}" y="{height - 4}" font-size="11">▼ server → client</text>']
    for size in (100, 1000, 10000):
        dy = _scale(size, top)
        for y in (mid - dy, mid + dy):
            parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e4e4e4"/>')
            parts.append(f'<text x="{LEFT - 4}" y="{y + 3:.1f}" font-size="9" text-anchor="end">{size}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{mid}" x2="{WIDTH - RIGHT}" y2="{mid}" stroke="#444"/>')
    for quarter in (1, 2, 3, 4):
        x = LEFT + inner * quarter / 4
        parts.append(f'<line x1="{x:.1f}" y1="{mid - 3}" x2="{x:.1f}" y2="{mid + 3}" stroke="#444"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 4}" font-size="10" text-anchor="end">'
                     f'{duration * quarter / 4 * 1000:.1f} ms</text>')
    for sign, d, label in ((-1, flow.c2s, "client → server"), (1, flow.s2c, "server → client")):
        last_x = -10.0
        for t, kind, n in d.records[:MAX_BARS]:
            x = LEFT + (inner * t / duration if duration > 0 else 0)
            x = min(max(x, last_x + BAR + 1), WIDTH - RIGHT)
            last_x = x
            h = _scale(n, top)
            y = mid - h if sign < 0 else mid
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{BAR}" height="{h:.1f}" '
                         f'fill="{COLOURS.get(kind, "#333")}"><title>{t * 1000:.3f} ms  {label}  {_e(kind)}  '
                         f'{n} bytes</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def _flow_section(flow: FlowReport) -> str:
    rows = "".join(f"<tr><td>{_e(k)}</td><td class=\"{'note' if k == 'note' else ''}\">{_e(v)}</td></tr>"
                   for k, v in flow_facts(flow) if k != RECORDS_LABEL)
    total = len(flow.c2s.records) + len(flow.s2c.records)
    more = total - min(len(flow.c2s.records), MAX_BARS) - min(len(flow.s2c.records), MAX_BARS)
    caption = f"{total} records" + (f" ({more} not drawn)" if more > 0 else "")
    what = flow.site if flow.tls else "not TLS"
    head = (f'<h2 id="c{flow.index}">Connection {flow.index}: {_e(flow.client)} → {_e(flow.server)} '
            f'— {_e(what)}</h2><table class="kv">{rows}</table>')
    if not total:
        return head
    return (head + f"<p>{_e(caption)} in {flow.duration * 1000:.1f} ms; each bar is one record, its height the "
            f"record's size (log scale), placed at the time it was seen.</p>{timeline_svg(flow)}")


def render_html(report: CaptureReport) -> str:
    sites = "".join(
        f"<tr><td>{_e(s.name)}</td><td>{s.connections}</td><td>{s.client_to_server_bytes}</td>"
        f"<td>{s.server_to_client_bytes}</td><td>{_e(', '.join(s.servers))}</td><td>{_e(', '.join(s.clients))}</td></tr>"
        for s in report.sites())
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in report.notes)
    legend = "".join(f'<span><i style="background:{c}"></i>{_e(k)}</span>' for k, c in COLOURS.items())
    flows = "".join(_flow_section(f) for f in report.flows)
    tls = sum(f.tls for f in report.flows)
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>port443 observe — {_e(report.source)}</title><style>{CSS}</style></head><body>"
        f"<h1>What a passive observer sees</h1><p>{_e(report.source)}: {_e(report.format)}, {report.packets} packets, "
        f"{len(report.flows)} TCP connections, {tls} of them TLS.</p>{notes}"
        "<p>HTTPS encrypted the content. Everything below was readable without breaking it: the addresses "
        "(and so the rough location), the site name, the number of connections, the sizes and timing of "
        "every record, and the JA3/JA4 fingerprints that identify the software.</p>"
        "<h2>Connections per site</h2><table><tr><th>site</th><th>connections</th><th>bytes client → server</th>"
        f"<th>bytes server → client</th><th>servers</th><th>clients</th></tr>{sites}</table>"
        f'<p class="legend">{legend}</p>{flows}</body></html>'
    )
