"""How `port443 observe` (and `handshake --observe`) show the observer's view as text (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from port443.observe.facts import flow_facts, size
from port443.observe.report import CaptureReport, FlowReport


def show_flow(out: Console, flow: FlowReport, title: str) -> None:
    out.print(f"[bold]{escape(title)}[/]  [dim]{flow.duration:.3f} s, ended: {flow.ended}[/]")
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="cyan", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, value in flow_facts(flow):
        grid.add_row(escape(key), escape(value))
    out.print(grid)


def show_report(out: Console, report: CaptureReport) -> None:
    tls = sum(f.tls for f in report.flows)
    out.print(f"[bold]What a passive observer sees in {escape(report.source)}[/] "
              f"[dim]({report.format}, {report.packets} packets, {len(report.flows)} TCP connections, {tls} TLS)[/]")
    for note in report.notes:
        out.print(f"[yellow]capture:[/] {escape(note)}")
    sites = report.sites()
    if sites:
        table = Table(title="Connections per site", title_justify="left", title_style="bold")
        for col in ("site", "connections", "client → server", "server → client", "server", "clients"):
            table.add_column(col, overflow="fold")
        for s in sites:
            table.add_row(escape(s.name), str(s.connections), size(s.client_to_server_bytes),
                          size(s.server_to_client_bytes), escape(", ".join(s.servers)), escape(", ".join(s.clients)))
        out.print(table)
    for flow in report.flows:
        out.print()
        what = flow.site if flow.tls else "not TLS"
        show_flow(out, flow, f"Connection {flow.index}: {flow.client} → {flow.server}  {what}")
    out.print()
    out.print("[dim]HTTPS hid the content. It did not hide: the addresses (and so the rough location), the site "
              "name, how many connections were made, how much was sent each way and when, and the JA3/JA4 "
              "fingerprint that tells which software connected.[/]")


def observe_traced(run) -> list[FlowReport]:
    """`handshake --observe`: the observer's view of each connection the trace made, from its socket log."""
    from port443.observe.live import observe_chunks

    flows = []
    for trace in run.connections:
        if not trace.wire:
            continue
        server = (trace.address or run.target.host, run.target.port)
        client = trace.local or ("unknown", 0)
        flow = observe_chunks([(ms / 1000, d, data) for ms, d, data in trace.wire], client=client, server=server)
        flow.index = len(flows) + 1
        flows.append(flow)
    return flows


def show_observed(out: Console, flows: list[FlowReport]) -> None:
    out.print()
    out.print("[bold]What a passive observer saw of these connections[/] [dim](port443 observe; nothing decrypted)[/]")
    for flow in flows:
        show_flow(out, flow, f"Connection {flow.index}: {flow.client} → {flow.server}  {flow.site}")
