"""Rendering shared by the commands: handshake steps as a readable trace, certificate diagnoses.

In a terminal: rich, with one arrow per message; otherwise plain text.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from port443.pki.codes import Diagnosis
from port443.trace import C2S, S2C, Step

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, highlight=False, soft_wrap=False, emoji=False)


def _arrow(direction: str) -> str:
    return {C2S: "client ──▶ server", S2C: "client ◀── server"}.get(direction, f"{direction:^17}")


def render_steps(con: Console, steps: list[Step]) -> None:
    for step in steps:
        when = f"{step.elapsed_ms:8.2f} ms" if step.elapsed_ms is not None else " " * 11
        head = Text()
        head.append(when + "  ", style="dim")
        head.append(_arrow(step.direction) + "  ", style="cyan")
        head.append(step.title, style="bold")
        if step.note:
            head.append(f"  — {step.note}", style="dim")
        con.print(head, soft_wrap=True)
        width = max((len(k) for k, _ in step.fields), default=0)
        for key, value in step.fields:
            con.print(f"{'':13}{escape(key):<{width}}  {escape(str(value))}", soft_wrap=True)


def render_diagnoses(con: Console, diagnoses: Iterable[Diagnosis | dict], indent: int = 0,
                     soft_wrap: bool | None = None) -> None:
    """Each certificate diagnosis (a Diagnosis or its dict): severity, code and message; below it the fix."""
    for d in diagnoses:
        item = d if isinstance(d, dict) else dataclasses.asdict(d)
        line = Text(" " * indent)
        line.append(f"{item['severity'].upper():8}", style=SEVERITY_STYLE[item["severity"]])
        line.append(f"{item['code']}: ", style="bold")
        line.append(item["message"])
        con.print(line, soft_wrap=soft_wrap)
        con.print(Text(f"{'':{indent + 8}}fix: {item['fix']}", style="dim"), soft_wrap=soft_wrap)
