"""`port443 observe`: what HTTPS does not hide, read from a packet capture.

Exit codes:
  0  the report is complete
  1  the file cannot be read as a capture (the reason is printed), or the HTML file cannot be written
  2  bad usage (click)
  3  the capture is damaged or truncated: the report covers what could be read, and says where it stops
"""

from __future__ import annotations

import json
import sys

import click

from port443.cli.errors import exit_codes_epilog, fail
from port443.cli.observe_render import show_report
from port443.cli.render import console
from port443.observe.analyze import analyze_capture
from port443.observe.capture import CaptureError
from port443.observe.html import render_html

EXIT_OK, EXIT_UNREADABLE, EXIT_PARTIAL = 0, 1, 3


@click.command(epilog=exit_codes_epilog(__doc__))
@click.option("--pcap", "pcap", required=True, type=click.Path(dir_okay=False),
              help="A pcap or pcapng capture (tshark -w, tcpdump -w, Wireshark).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (schema in docs/observe.md).")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write a self-contained HTML report with a timeline of record sizes per connection.")
def observe(pcap: str, as_json: bool, html_file: str | None) -> None:
    """Show what an eavesdropper learns from HTTPS traffic in a capture.

    For every TCP connection: client and server address and port, the site
    name (SNI, and the certificate when TLS 1.2 sends it in the clear), ALPN,
    versions and cipher suite, the JA3/JA3S/JA4/JA4S fingerprints, whether
    Encrypted Client Hello was used, and the bytes and records each way with
    their sizes and times; then the number of connections per site. Nothing
    is decrypted: this is what anyone on the path sees.

    Record one with, e.g.: tshark -i any -f 'tcp port 443' -w capture.pcapng
    """
    try:
        report = analyze_capture(pcap)
    except CaptureError as exc:
        fail("observe", EXIT_UNREADABLE, str(exc))
    if html_file:
        try:
            with open(html_file, "w", encoding="utf-8") as f:
                f.write(render_html(report))
        except OSError as exc:
            fail("observe", EXIT_UNREADABLE, f"cannot write {html_file}: {exc.strerror or exc}")
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        show_report(console(), report)
        if html_file:
            click.echo(f"HTML report written to {html_file}")
    if report.partial:
        click.echo("port443 observe: the capture is damaged or truncated; the report above is partial "
                   f"({report.notes[0]})", err=True)
        sys.exit(EXIT_PARTIAL)
    sys.exit(EXIT_OK)
