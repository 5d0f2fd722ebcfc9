"""Find the firewalls of this machine, read their rules, and carry out plans.

This is the firewall package's only caller of `system.run` (through a runner
that tests can replace with recorded outputs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from port443.firewall.appfw import AppFirewall
from port443.firewall.backend import Backend
from port443.firewall.firewalld import Firewalld
from port443.firewall.iptables import Iptables
from port443.firewall.listeners import Listener, listener_commands, parse_listeners
from port443.firewall.model import Command, Direction, FirewallError, Plan, PortReport, Request, Verdict
from port443.firewall.nftables import Nftables
from port443.firewall.pf import Pf
from port443.firewall.system import Result, installed, run
from port443.firewall.ufw import Ufw
from port443.firewall.windows import Windows

Runner = Callable[[Command], Result]
FRONTENDS = ("ufw", "firewalld")  # when one is active it owns the iptables rules below it


def backends(platform: str) -> list[Backend]:
    if platform == "windows":
        return [Windows()]
    if platform == "darwin":
        return [Pf(), AppFirewall()]
    return [Ufw(), Firewalld(), Nftables(), Iptables("iptables"), Iptables("ip6tables")]


BACKEND_NAMES = ("windows", "ufw", "firewalld", "nftables", "iptables", "ip6tables", "pf", "appfw")


@dataclass
class Found:
    backend: Backend
    listings: dict[str, str] = field(default_factory=dict)
    report: PortReport | None = None
    error: str | None = None
    managed_by: str | None = None

    @property
    def usable(self) -> bool:
        """Active, readable, and ours to change (not run by ufw or firewalld)."""
        return self.report is not None and self.report.active and self.managed_by is None and not self.error


@dataclass
class Survey:
    port: int
    platform: str
    found: list[Found]
    listeners: list[Listener]
    listeners_error: str | None = None  # why we could not tell who listens

    def usable(self) -> list[Found]:
        return [f for f in self.found if f.usable]

    def unreadable(self) -> list[Found]:
        """Firewalls we could not read and that no active frontend (ufw, firewalld) runs for us."""
        return [f for f in self.found if f.error and not f.managed_by]

    def verdict(self, direction: Direction) -> Verdict:
        verdicts = [f.report.verdict(direction) for f in self.usable() if f.report]
        if Verdict.BLOCKED in verdicts:
            return Verdict.BLOCKED
        if Verdict.UNKNOWN in verdicts:
            return Verdict.UNKNOWN
        return Verdict.ALLOWED


def read_listings(backend: Backend, runner: Runner) -> tuple[dict[str, str], str | None]:
    """The outputs of the backend's listing commands, or the first error (one line)."""
    listings: dict[str, str] = {}
    for key, command in backend.listing_commands().items():
        result = runner(command)
        if not result.ok and key == "state":  # firewall-cmd --state: "not running" is an answer
            listings[key] = result.stdout
            break
        if not result.ok:
            return listings, f"{command.display()}: {result.error_line()}"
        # nft prints which tables iptables-nft manages on stderr; keep those lines with the listing.
        listings[key] = result.stdout + "".join(f"{line}\n" for line in result.stderr.splitlines()
                                                if line.startswith("# Warning:"))
    return listings, None


def survey(port: int, platform: str, runner: Runner = run, only: str | None = None,
           is_installed: Callable[[str], bool] = installed) -> Survey:
    """Read every installed firewall of the platform (or only the named one) and who listens on the port."""
    results = {key: runner(cmd) for key, cmd in listener_commands(platform).items()}
    listeners = parse_listeners(platform, {key: r.stdout for key, r in results.items()}, port)
    failed = next((r for r in results.values() if not r.ok), None)
    listeners_error = f"{failed.command.display()}: {failed.error_line()}" if failed else None
    found: list[Found] = []
    for backend in backends(platform):
        if only and backend.name != only:
            continue
        program = next(iter(backend.listing_commands().values())).argv[0]
        if not is_installed(program):
            continue
        listings, error = read_listings(backend, runner)
        if backend.name == "appfw" and listeners and listeners[0].pid:
            listings["program"] = runner(Command(("ps", "-o", "comm=", "-p", str(listeners[0].pid)))).stdout.strip()
        report = None if error else backend.report(listings, port)
        found.append(Found(backend, listings, report, error))
    owner = next((f.backend.name for f in found if f.backend.name in FRONTENDS and f.report and f.report.active), None)
    for item in found:
        if owner and item.backend.name in ("iptables", "ip6tables"):
            item.managed_by = owner
    return Survey(port, platform, found, listeners, listeners_error)


def plans(found: list[Found], request: Request, opening: bool) -> list[Plan]:
    """One plan per usable backend."""
    result = []
    for item in found:
        if not item.usable:
            continue
        planner = item.backend.plan_open if opening else item.backend.plan_close
        result.append(planner(item.listings, request))
    return result


def apply(plan: Plan, runner: Runner = run) -> list[Result]:
    """Run the plan's commands in order; stop at the first that fails."""
    results = []
    for command in plan.commands:
        result = runner(command)
        results.append(result)
        if not result.ok:
            break
    return results


def check_backend_name(name: str | None) -> None:
    if name is not None and name not in BACKEND_NAMES:
        raise FirewallError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")
