"""`port443 firewall`: open port 443 in the firewall, or find out why it is closed.

Exit codes (all `firewall` commands):
  0   done: status read; commands printed (dry run) or applied; probe: open (a TLS server answered)
  2   bad usage or bad input (port, profiles, host, backend name)
  3   a firewall could not be read, or the named backend is not here
  4   not privileged: refused, nothing read or changed (the message says what to run instead)
  5   --apply: a firewall command failed (the commands before it ran; the message names it)
  10  probe: closed (TCP reset)
  11  probe: filtered (no answer within the timeout)
  12  probe: reachable but not TLS
  13  probe: unreachable (ICMP host or network unreachable)
"""

from __future__ import annotations

import json
import shlex
import sys

import click

from port443.cli import errors
from port443.cli.errors import exit_codes_epilog, fail
from port443.firewall.model import DEFAULT_PROFILES, Direction, FirewallError, Request
from port443.firewall.system import platform_name, privileged
from port443.net.probe import CONNECT_TIMEOUT, ProbeError, ProbeResult

EXIT_BAD_INPUT, EXIT_UNREADABLE, EXIT_PRIVILEGES, EXIT_APPLY_FAILED = 2, 3, 4, 5
EXIT_PROBE = {ProbeResult.OPEN: 0, ProbeResult.CLOSED: 10, ProbeResult.FILTERED: 11,
              ProbeResult.NOT_TLS: 12, ProbeResult.UNREACHABLE: 13}
DIRECTIONS = {"in": (Direction.IN,), "out": (Direction.OUT,), "both": (Direction.IN, Direction.OUT)}


class Refused(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _fail(code: int, message: str) -> None:
    fail("firewall", code, message)


# Our errors become one line on stderr and the documented exit code; never a traceback.
one_line_errors = errors.one_line_errors(
    "firewall", ((Refused,), lambda exc: exc.code), ((FirewallError, ProbeError), EXIT_BAD_INPUT))


def _rerun_line() -> str:
    return shlex.join(["port443", *sys.argv[1:]])


def require_privileges(needed: bool) -> None:
    """Refuse, in one line with the command to run instead, when this process may not do the job."""
    if not needed or privileged():
        return
    if platform_name() == "windows":
        raise Refused(EXIT_PRIVILEGES, "changing Windows Firewall needs an elevated prompt; nothing was changed. "
                                       f"Open one (Run as administrator) and run: {_rerun_line()}")
    raise Refused(EXIT_PRIVILEGES, "reading and changing the firewall needs root; nothing was read or changed. "
                                   f"Run instead: sudo {_rerun_line()}")


def _survey(port: int, backend: str | None):
    from port443.firewall.survey import check_backend_name, survey

    check_backend_name(backend)
    found = survey(port, platform_name(), only=backend)
    if backend and not found.found:
        raise Refused(EXIT_UNREADABLE, f"{backend} is not installed here; drop --backend to use what is")
    return found


port_option = click.option("--port", "-p", type=click.IntRange(1, 65535), default=443, show_default=True,
                           help="TCP port.")
backend_option = click.option("--backend", metavar="NAME",
                              help="Only this firewall: windows, ufw, firewalld, nftables, iptables, ip6tables, "
                                   "pf or appfw.")
direction_option = click.option("--direction", type=click.Choice(list(DIRECTIONS)), default="both",
                                show_default=True,
                                help="in: connections to the local port; out: the server's packets leaving "
                                     "from it (the guide's outbound rule).")
apply_option = click.option("--apply", is_flag=True, help="Run the commands (default: print them, a dry run).")


@click.group(epilog=exit_codes_epilog(__doc__, "Exit codes (all `firewall` commands):"))
def firewall() -> None:
    """Open a port in the firewall (Windows Firewall, ufw, firewalld, nftables, iptables, pf), or find
    out why a site does not answer: closed, filtered, or not TLS."""


@firewall.command()
@port_option
@backend_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@one_line_errors
def status(port: int, backend: str | None, as_json: bool) -> None:
    """Which firewalls are active, whether they let TCP on the port in and out (and by which
    rule), and what listens on the port here."""
    from port443.cli.firewall_render import console, show_survey, survey_json

    require_privileges(platform_name() != "windows")
    found = _survey(port, backend)
    if as_json:
        click.echo(json.dumps(survey_json(found), indent=2))
    else:
        show_survey(console(), found)
    unreadable = found.unreadable()
    if unreadable:
        _fail(EXIT_UNREADABLE, f"{unreadable[0].error}; check that the firewall service runs, then try again")


def _change(opening: bool, port: int, direction: str, profiles: str, backend: str | None, apply: bool,
            program: str | None = None) -> None:
    from port443.cli.firewall_render import console, show_plans, show_survey
    from port443.firewall.survey import apply as run_plan, plans

    require_privileges(apply or platform_name() != "windows")
    request = Request(port, DIRECTIONS[direction], _profiles(profiles), program)
    found = _survey(port, backend)
    unreadable = found.unreadable()
    if unreadable:
        raise Refused(EXIT_UNREADABLE, f"{unreadable[0].error}; nothing was changed")
    todo = plans(found.found, request, opening)
    out = console()
    if not todo:
        names = ", ".join(f.backend.name for f in found.found) or "none installed"
        out.print(f"No active firewall here (checked: {names}); nothing blocks TCP {port}, nothing to change.")
        return
    show_plans(out, todo, apply)
    if not apply:
        return
    for plan in todo:
        for result in run_plan(plan):
            if not result.ok:
                _fail(EXIT_APPLY_FAILED, f"`{result.command.display()}` failed: {result.error_line()}")
            out.print(f"  ran: {result.command.display()}")
    out.print("[bold]After:[/]")
    show_survey(out, _survey(port, backend))


def _profiles(text: str) -> tuple[str, ...]:
    return tuple(p.strip().lower() for p in text.split(",") if p.strip())


@firewall.command(name="open")
@port_option
@direction_option
@click.option("--profiles", default=",".join(DEFAULT_PROFILES), show_default=True,
              help="Windows Firewall profiles (the guide's step 7): domain, private, public.")
@click.option("--program", metavar="PATH", help="macOS application firewall: the server program to allow "
                                                "(default: the one listening on the port).")
@backend_option
@apply_option
@one_line_errors
def open_(port: int, direction: str, profiles: str, program: str | None, backend: str | None, apply: bool) -> None:
    """Let TCP on the port through every active firewall that blocks it. Prints the exact
    commands (a dry run) unless --apply; opening twice adds one rule; our rules carry the tag
    `port443` so that close finds them."""
    _change(True, port, direction, profiles, backend, apply, program)


@firewall.command()
@port_option
@direction_option
@backend_option
@apply_option
@one_line_errors
def close(port: int, direction: str, backend: str | None, apply: bool) -> None:
    """Remove the rules that open added for the port, and nothing else. A dry run unless --apply."""
    _change(False, port, direction, ",".join(DEFAULT_PROFILES), backend, apply)


@firewall.command()
@click.argument("host")
@port_option
@click.option("--timeout", type=click.FloatRange(0.1, 60), default=CONNECT_TIMEOUT, show_default=True,
              help="Seconds to wait for the TCP handshake, and again for the first answer to our ClientHello.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@one_line_errors
def probe(host: str, port: int, timeout: float, as_json: bool) -> None:
    """Test HOST's port from this machine: open (a TLS server answered), closed (reset),
    filtered (no answer), or reachable but not TLS; and what each usually means."""
    from port443.cli.firewall_render import console, probe_json, show_probe
    from port443.net.probe import probe as run_probe

    report = run_probe(host, port, connect_timeout=timeout, answer_timeout=timeout)
    if as_json:
        click.echo(json.dumps(probe_json(report), indent=2))
    else:
        show_probe(console(), report)
    sys.exit(EXIT_PROBE[report.result])
