"""`port443 check`: audit a site's port 443 - protocols, suites, groups, certificates, HTTP, vulnerabilities, grade.

Exit codes:
  0  checked; with --fail-under, every address graded at least that
  1  --fail-under: an address graded below it (or could not be graded)
  2  bad usage or bad input (unreadable hosts file, bad HOST:PORT, bad limits)
  3  no address could be audited: unresolved, closed, filtered, unreachable or not TLS
  4  an internal error (a bug in port443: the one-line message says where; please report it)
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from port443.cli.errors import exit_codes_epilog, fail
from port443.audit.check import CheckOptions, check_host
from port443.audit.grade import GRADE_RANK, meets
from port443.audit.mass import check_many, parse_target, read_targets
from port443.audit.prober import Limits

EXIT_OK, EXIT_GRADE, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_INTERNAL = 0, 1, 2, 3, 4
GRADES = sorted(GRADE_RANK, key=GRADE_RANK.get)


def _fail(code: int, message: str) -> None:
    fail("check", code, message)


@click.command(epilog=exit_codes_epilog(__doc__))
@click.argument("target", required=False)
@click.option("--port", "-p", type=int, default=443, show_default=True, help="Port when TARGET has none.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (schema: docs/check.schema.json).")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, writable=True), help="Also write an HTML report.")
@click.option("--fail-under", type=click.Choice(GRADES), help="Exit 1 if any address grades below this "
              "(with -f, together with --full: the quick depth has no grade).")
@click.option("-f", "--file", "hosts_file", type=click.Path(dir_okay=False), help="Check every HOST[:PORT] line "
              "of this file ('-' for stdin); results stream as JSON lines, progress on stderr.")
@click.option("--concurrency", type=int, default=50, show_default=True, help="Hosts checked at once with -f.")
@click.option("--quick", is_flag=True, help="Handshake and certificate only (the default with -f; --full to override).")
@click.option("--full", is_flag=True, help="With -f: the full audit of every host.")
@click.option("--cafile", type=click.Path(exists=True, dir_okay=False), help="Trust these roots instead of Mozilla's.")
@click.option("--sni", help="Server name to send and check the certificate against (default: the host).")
@click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds per connect and per answer.")
@click.option("--budget", type=float, default=60.0, show_default=True, help="Seconds for everything about one address.")
@click.option("--max-conns", type=int, default=8, show_default=True, help="Connections open at once to one address.")
@click.option("--http-port", type=int, default=80, show_default=True, help="Port to check the redirect to https on.")
@click.option("--no-http", is_flag=True, help="Skip the port-80 redirect check.")
def check(target, port, as_json, html_file, fail_under, hosts_file, concurrency, quick, full, cafile, sni, timeout,
          budget, max_conns, http_port, no_http) -> None:
    """Audit TARGET (HOST or HOST:PORT): every address it resolves to, every protocol from SSLv2 to TLS 1.3,
    every cipher suite (370), groups, signature schemes, extensions, certificates, HSTS and the port-80
    redirect, 18 vulnerabilities, an SSL Labs-style grade with its caps, and Mozilla's profiles."""
    try:
        limits = Limits(connect_timeout=timeout, read_timeout=timeout, host_budget=budget, host_connections=max_conns)
    except ValueError as exc:
        _fail(EXIT_USAGE, f"{exc} (--timeout, --budget, --max-conns)")
    if not 1 <= http_port <= 65535:
        _fail(EXIT_USAGE, "--http-port must be between 1 and 65535")
    if (target is None) == (hosts_file is None):
        _fail(EXIT_USAGE, "give one TARGET, or -f FILE with one HOST[:PORT] per line")
    mass = hosts_file is not None
    opts = CheckOptions(limits=limits, cafile=cafile, http_port=None if no_http else http_port,
                        depth="quick" if (quick or (mass and not full)) else "full", server_name=sni)
    if mass:
        sys.exit(_check_file(hosts_file, port, opts, concurrency, fail_under))
    try:
        host, port = parse_target(target, port)
    except ValueError as exc:
        _fail(EXIT_USAGE, str(exc))
    try:
        reports = asyncio.run(check_host(host, port, opts))
    except KeyboardInterrupt:
        _fail(130, "interrupted")
    except Exception as exc:  # a bug: one line with where it happened, never a traceback
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else "?"
        _fail(EXIT_INTERNAL, f"internal error {type(exc).__name__} at {where}: {exc} (please report it)")
    if as_json:
        click.echo(json.dumps(reports if len(reports) > 1 else reports[0], indent=2))
    else:
        from port443.cli.check_render import render_report
        from port443.cli.render import console
        con = console()
        for report in reports:
            render_report(con, report)
    if html_file:
        from port443.cli.check_html import html_report
        Path(html_file).write_text(html_report(reports), encoding="utf-8")
    sys.exit(_exit_code(reports, fail_under))


def _exit_code(reports: list[dict], fail_under: str | None) -> int:
    if not any(r.get("reachability", {}).get("status") == "open" for r in reports):
        return EXIT_UNREACHABLE
    if fail_under:
        for r in reports:
            grade = (r.get("grade") or {}).get("grade")
            if grade is None or not meets(grade, fail_under):
                return EXIT_GRADE
    return EXIT_OK


def _check_file(path: str, port: int, opts: CheckOptions, concurrency: int, fail_under: str | None) -> int:
    try:
        lines = sys.stdin.read().splitlines() if path == "-" else Path(path).read_text(encoding="utf-8").splitlines()
        entries = read_targets(lines, port)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        _fail(EXIT_USAGE, f"cannot read the hosts file {path}: {exc}")
    if not 1 <= concurrency <= 10_000:
        _fail(EXIT_USAGE, "--concurrency must be between 1 and 10000")
    bad = [e for e in entries if isinstance(e, str)]
    for message in bad:
        click.echo(f"port443 check: skipped: {message}", err=True)
    targets = [e for e in entries if not isinstance(e, str)]
    from port443.cli.check_render import mass_progress

    reports: list[dict] = []

    async def run() -> None:
        with mass_progress(len(targets)) as advance:
            async for host_reports in check_many(targets, opts, concurrency):
                for report in host_reports:
                    sys.stdout.write(json.dumps(report, separators=(",", ":")) + "\n")
                sys.stdout.flush()
                reports.extend(host_reports)
                advance(host_reports[0])

    asyncio.run(run())
    if bad:
        return EXIT_USAGE
    return _exit_code(reports, fail_under) if reports else EXIT_UNREACHABLE
