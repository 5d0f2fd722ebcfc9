"""How `port443 cert` shows things on a terminal (rich). Only the CLI imports this."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from port443.cli.render import render_diagnoses


def console() -> Console:
    """A console that wraps for a terminal, and keeps lines whole in a pipe or file."""
    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=200, soft_wrap=True)
    return out


def show_report(report: dict[str, Any]) -> None:
    """The chain (one table per certificate), then the verdict and every diagnosis."""
    out = console()
    where = report["target"] + (f" ({report['address']}, {report['tls_version']})" if report.get("address") else "")
    out.print(Text(f"Chain from {where}: {len(report['certificates'])} certificate(s)", style="bold"))
    for index, cert in enumerate(report["certificates"]):
        out.print(_certificate_table(index, cert))
    name = report.get("server_name")
    checked = f" for {name}" if name and report.get("name_checked") else ""
    if report["trusted"]:
        out.print(Text(f"Trusted{checked} by {report['trust_store']}.", style="bold green"))
    else:
        out.print(Text(f"Not trusted{checked} by {report['trust_store']}: {report['reason']}", style="bold red"))
    if not report["diagnoses"]:
        out.print(Text("No problems found.", style="green"))
    render_diagnoses(out, report["diagnoses"])


def _certificate_table(index: int, cert: dict[str, Any]) -> Table:
    role = "leaf" if index == 0 else f"#{index}"
    table = Table(title=f"[{role}] {cert['subject']}", title_justify="left", show_header=False, box=None,
                  padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    days = cert["days_left"]
    left = f"expired {-days} days ago" if days < 0 else f"{days} days left"
    rows = [
        ("issuer", cert["issuer"]),
        ("valid", f"{cert['not_before'][:19]} to {cert['not_after'][:19]} UTC ({left})"),
        ("names", ", ".join(cert["names"]) or "(no subjectAltName)"),
        ("key", cert["key"] + ("  [CA]" if cert["ca"] else "") + ("  [self-signed]" if cert["self_signed"] else "")),
        ("signature", cert["signature"]),
        ("serial", cert["serial"]),
        ("SHA-256", cert["sha256"]),
        ("SHA-1", cert["sha1"]),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def show_lines(lines: list[tuple[str, str]]) -> None:
    """Label: value lines, for what `cert ca`, `issue` and `csr` made."""
    out = console()
    for label, value in lines:
        line = Text()
        line.append(f"{label}: ", style="bold")
        line.append(value)
        out.print(line)


def show_steps(steps: list[Any], dry_run: bool) -> None:
    out = console()
    for step in steps:
        if dry_run:
            out.print(Text(step.shell()))
        else:
            out.print(Text(f"{step.why}: {step.shell()}", style="dim"))
