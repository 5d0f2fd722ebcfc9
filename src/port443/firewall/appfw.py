"""The macOS application firewall (socketfilterfw): it allows programs, not ports.

Opening means allowing the program that listens on the port. It keeps no tag,
so `close` cannot tell a program we allowed from one the user allowed: it
removes nothing and says how to remove one by hand.
"""

from __future__ import annotations

import re

from port443.firewall.backend import Listings, listing
from port443.firewall.model import Action, Command, Decision, Direction, Plan, PortReport, Request, Rule, Verdict

SOCKETFILTERFW = "/usr/libexec/ApplicationFirewall/socketfilterfw"
_APP = re.compile(r"^\s*\d+\s*:\s*(.+?)\s*$")
_MODE = re.compile(r"\(\s*(Allow|Block) incoming connections\s*\)", re.I)


def parse_apps(text: str) -> list[Rule]:
    """Programs and their verdicts from `socketfilterfw --listapps`."""
    apps: list[Rule] = []
    path = None
    for line in text.splitlines():
        app = _APP.match(line)
        if app and not line.strip().startswith("ALF"):
            path = app.group(1)
            continue
        mode = _MODE.search(line)
        if mode and path:
            action = Action.ACCEPT if mode.group(1).lower() == "allow" else Action.DROP
            apps.append(Rule(path, action, narrowed=True, ref=path))
            path = None
    return apps


def _flag(text: str, word: str) -> bool:
    """True when a socketfilterfw answer says `word` is enabled."""
    text = text.lower()
    return word in text and ("enabled" in text or "state = 1" in text or "on" in text.split())


class AppFirewall:
    name = "appfw"
    title = "macOS application firewall"
    platform = "darwin"

    def listing_commands(self) -> dict[str, Command]:
        return {key: Command((SOCKETFILTERFW, f"--{key}")) for key in ("getglobalstate", "getblockall", "listapps")}

    def report(self, listings: Listings, port: int) -> PortReport:
        program = listing(listings, "program") or None  # the listening program's path, when known
        enabled = _flag(listing(listings, "getglobalstate"), "firewall is enabled")
        apps = tuple(parse_apps(listing(listings, "listapps")))
        if not enabled:
            return PortReport(self.name, False, {}, apps)
        decisions = {Direction.IN: (self.decide(listings, program),),
                     Direction.OUT: (Decision(Verdict.ALLOWED, "application firewall (filters inbound only)"),)}
        return PortReport(self.name, True, decisions, apps,
                          ("the application firewall allows programs, not ports",))

    def decide(self, listings: Listings, program: str | None) -> Decision:
        where = "macOS application firewall"
        if "block all" in listing(listings, "getblockall").lower() and _flag(listing(listings, "getblockall"), "block all"):
            return Decision(Verdict.BLOCKED, where + " (block all incoming connections)")
        app = next((a for a in parse_apps(listing(listings, "listapps")) if a.ref == program), None)
        if app is None:
            return Decision(Verdict.UNKNOWN, where + (f": {program} is not listed" if program else
                                                      ": no program listens on the port"))
        return Decision(Verdict.ALLOWED if app.action is Action.ACCEPT else Verdict.BLOCKED, where, app, app)

    def plan_open(self, listings: Listings, request: Request) -> Plan:
        if not _flag(listing(listings, "getglobalstate"), "firewall is enabled"):
            return Plan(self.name, (), ("the application firewall is off: it blocks nothing; no rule needed",))
        if Direction.IN not in request.directions:
            return Plan(self.name, (), ("the application firewall filters inbound only; no rule needed",))
        program = request.program or listing(listings, "program")
        if not program:
            return Plan(self.name, (), ("the application firewall allows programs, not ports: start your server "
                                        "and run open again, or name it with --program PATH",))
        if self.decide(listings, program).verdict is Verdict.ALLOWED:
            return Plan(self.name, (), (f"{program} is allowed already; no rule needed",))
        return Plan(self.name, (Command((SOCKETFILTERFW, "--add", program)),
                                Command((SOCKETFILTERFW, "--unblockapp", program))), (), persistent=True)

    def plan_close(self, listings: Listings, request: Request) -> Plan:
        return Plan(self.name, (), ("the application firewall keeps no tag of who allowed a program, so close leaves "
                                    f"it alone; to remove one: sudo {SOCKETFILTERFW} --remove PATH",))
