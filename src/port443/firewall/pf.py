"""pf on macOS: read `pfctl -s info` and `pfctl -s rules`; open with rules in our own anchor.

macOS's /etc/pf.conf evaluates every anchor under "com.apple/", so our rules go
in `com.apple/port443`, marked `quick` (the first quick match ends pf's
evaluation) and labelled with our tag. Loading an anchor replaces its rules,
so open and close reload it whole. Anchors loaded at run time do not survive a
reboot.
"""

from __future__ import annotations

import re

from port443.firewall.backend import Listings, listing
from port443.firewall.model import (
    TAG, Action, Command, Decision, Direction, Plan, PortReport, Request, Rule, Verdict, local_ports, port_in,
    remote_ports,
)
from port443.firewall.ports import parse_ports

ANCHOR = f"com.apple/{TAG}"
_PORT = re.compile(r"\bport\s*(=|!=|<>|><|>=|<=|>|<)?\s*(\{[^}]*\}|\S+)(?:\s*:\s*(\S+))?")


def our_rule(port: int, direction: Direction) -> str:
    if direction is Direction.IN:
        return f'pass in quick proto tcp from any to any port {port} flags S/SA keep state label "{TAG}"'
    return f'pass out quick proto tcp from any port {port} to any keep state label "{TAG}"'


def _ports(text: str) -> tuple[object, bool]:
    """(port ranges or None, narrowed) of the text after `from` or `to`."""
    match = _PORT.search(text)
    if not match:
        return None, False
    op, value, upper = match.group(1) or "=", match.group(2), match.group(3)
    if upper and op == "=":
        return parse_ports(f"{value}:{upper}"), False
    if op == "=":
        ranges = parse_ports(value.replace(" ", ","))
        return ranges, ranges is None
    if op in (">", ">=", "<", "<=") and value.isdigit():
        n = int(value)
        bounds = {">": (n + 1, 65535), ">=": (n, 65535), "<": (0, n - 1), "<=": (0, n)}[op]
        return (bounds,), False
    return None, True


def parse_rule(line: str, index: int) -> tuple[Rule, Direction, bool] | None:
    """(rule, direction, quick) of a `pass` or `block` line of `pfctl -s rules`."""
    words = line.split()
    if not words or words[0] not in ("pass", "block"):
        return None
    direction = Direction.OUT if " out " in f" {line} " else Direction.IN
    action = Action.ACCEPT if words[0] == "pass" else Action.DROP
    proto = re.search(r"\bproto\s+(\S+)", line)
    protocol = proto.group(1) if proto and not proto.group(1).startswith("{") else None
    if proto and proto.group(1).startswith("{"):
        protocol = "tcp" if "tcp" in line[proto.start():].split("}")[0] else "other"
    narrowed = bool(re.search(r"\bon\s+\S+|\buser\b|\bgroup\b|\bos\b", line))
    source, dest, sports, dports = "any", "any", None, None
    if " all" in f" {line}" and " from " not in line:
        pass
    else:
        parts = re.split(r"\bto\b", line.split(" from ", 1)[1] if " from " in line else "", maxsplit=1)
        source, dest = parts[0], parts[1] if len(parts) > 1 else "any"
        sports, s_narrow = _ports(source)
        dports, d_narrow = _ports(dest)
        narrowed = narrowed or s_narrow or d_narrow
        for side in (source, dest):
            host = side.split("port")[0].strip()
            if host.split() and host.split()[0] not in ("any", "self"):
                narrowed = True
    ours = f'label "{TAG}"' in line
    rule = Rule(line.strip(), action, protocol, dports, sports, narrowed=narrowed, ours=ours, ref=str(index))  # type: ignore[arg-type]
    return rule, direction, " quick " in f" {line} "


def decide_pf(rules: list[tuple[Rule, Direction, bool]], port: int, direction: Direction, where: str) -> Decision:
    """pf's last match wins, unless a `quick` rule matched first."""
    decided: Rule | None = None
    partial = []
    for rule, rule_direction, quick in rules:
        if rule_direction is not direction or rule.protocol not in (None, "tcp"):
            continue
        local = local_ports(rule, direction)
        if not port_in(port, local):
            continue
        if rule.narrowed or remote_ports(rule, direction) is not None:
            if local is not None:
                partial.append(rule)
            continue
        decided = rule
        if quick:
            break
    if decided is None:
        return Decision(Verdict.ALLOWED, where, None, None, tuple(partial))  # pf passes what no rule matches
    verdict = Verdict.ALLOWED if decided.action is Action.ACCEPT else Verdict.BLOCKED
    return Decision(verdict, where, decided, decided, tuple(partial))


class Pf:
    name = "pf"
    title = "pf (packet filter)"
    platform = "darwin"

    def listing_commands(self) -> dict[str, Command]:
        return {"info": Command(("pfctl", "-s", "info")), "rules": Command(("pfctl", "-s", "rules")),
                "anchor": Command(("pfctl", "-a", ANCHOR, "-s", "rules"))}

    @staticmethod
    def enabled(listings: Listings) -> bool:
        return bool(re.search(r"^Status:\s*Enabled", listing(listings, "info"), re.M))

    @staticmethod
    def _rules(listings: Listings, key: str):
        lines = listing(listings, key).splitlines()
        return [r for i, line in enumerate(lines, 1) if (r := parse_rule(line, i))]

    def report(self, listings: Listings, port: int) -> PortReport:
        active = self.enabled(listings)
        main, ours = self._rules(listings, "rules"), self._rules(listings, "anchor")
        # Our anchor is evaluated where the main ruleset names "com.apple/*"; quick rules there end it.
        combined = ours + main if ours else main
        decisions = {d: (decide_pf(combined, port, d, "pf"),) for d in Direction}
        shown = tuple(r for r, d, _ in combined if r.ours or (r.dports or r.sports) and
                      decide_pf([(r, d, True)], port, d, "").rule is not None)
        return PortReport(self.name, active, decisions if active else {}, shown)

    def plan_open(self, listings: Listings, request: Request) -> Plan:
        if not self.enabled(listings):
            return Plan(self.name, (), ("pf is disabled: it blocks nothing; no rule needed",))
        current = self._rules(listings, "anchor")
        missing = [our_rule(request.port, d) for d in request.directions
                   if not any(_ours_for(r, rd, request.port, d) for r, rd, _ in current)]
        if not missing:
            return Plan(self.name, (), (f"our pf rules for TCP {request.port} are loaded already",), persistent=False)
        return Plan(self.name, (_load([r.text for r, _, _ in current] + missing),),
                    ("pf anchors loaded at run time do not survive a reboot; run open again after one",),
                    persistent=False)

    def plan_close(self, listings: Listings, request: Request) -> Plan:
        current = self._rules(listings, "anchor")
        keep = [r.text for r, rd, _ in current
                if not any(_ours_for(r, rd, request.port, d) for d in request.directions)]
        if len(keep) == len(current):
            return Plan(self.name, (), (f"no pf rule of ours for TCP {request.port}; nothing to remove",), False)
        if keep:
            return Plan(self.name, (_load(keep),), (), persistent=False)
        return Plan(self.name, (Command(("pfctl", "-a", ANCHOR, "-F", "rules")),), (), persistent=False)


def _ours_for(rule: Rule, rule_direction: Direction, port: int, direction: Direction) -> bool:
    return rule.ours and rule_direction is direction and local_ports(rule, direction) == ((port, port),)


def _load(lines: list[str]) -> Command:
    return Command(("pfctl", "-a", ANCHOR, "-f", "-"), stdin="\n".join(lines) + "\n")
