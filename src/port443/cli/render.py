"""Rendering shared by the commands: handshake steps as a readable trace.

In a terminal: rich, with one arrow per message; otherwise plain text.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from port443.trace import C2S, S2C, Step


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
