"""One-line errors for every command: `port443 COMMAND: error: what and the fix`, then the exit code."""

from __future__ import annotations

import functools
import sys
from typing import Callable, NoReturn

import click


def exit_codes_epilog(doc: str, heading: str = "Exit codes:") -> str:
    """The "Exit codes" part of a command module's docstring, as a click epilog
    (one paragraph per code, so click keeps each on its own line)."""
    return "Exit codes:\n\n" + doc.split(heading + "\n", 1)[1].replace("\n", "\n\n")


def fail(command: str, code: int, message: str) -> NoReturn:
    click.echo(f"port443 {command}: error: {message}", err=True)
    sys.exit(code)


def one_line_errors(command: str, *mapping: tuple[tuple[type[BaseException], ...], "int | Callable"]):
    """A decorator: each listed exception becomes one line and its exit code (an int, or a
    function of the exception); anything else propagates. Never a traceback for ours."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except BaseException as exc:
                for kinds, code in mapping:
                    if isinstance(exc, kinds):
                        fail(command, code(exc) if callable(code) else code, str(exc))
                raise
        return wrapper
    return decorate
