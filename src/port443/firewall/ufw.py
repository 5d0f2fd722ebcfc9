"""ufw: read `ufw status verbose` (policies) and `ufw status numbered` (rules).

ufw keeps one rule per port and source, whatever its action: adding our allow
where a deny with the same spec exists would overwrite the user's rule, so we
refuse and say how to remove theirs. Where a rule blocks, ours is prepended
(ufw places it first for IPv4 and IPv6 alike); else appended. ufw rules are
persistent.
"""

from __future__ import annotations

import re

from port443.firewall.backend import Listings, listing
from port443.firewall.model import (
    TAG, Action, Chain, Command, Decision, Direction, Plan, PortReport, Request, Rule, Verdict, local_ports,
    remote_ports,
)
from port443.firewall.netfilter import decide, mentions
from port443.firewall.ports import parse_ports

ACTIONS = {"ALLOW": Action.ACCEPT, "LIMIT": Action.ACCEPT, "DENY": Action.DROP, "REJECT": Action.REJECT}
POLICIES = {"allow": Action.ACCEPT, "deny": Action.DROP, "reject": Action.REJECT}
# The ports of the application profiles that web servers ship (/etc/ufw/applications.d).
APP_PORTS = {"Nginx Full": "80,443", "Nginx HTTPS": "443", "Nginx HTTP": "80", "Apache Full": "80,443",
             "Apache Secure": "443", "Apache": "80", "WWW": "80", "WWW Secure": "443", "WWW Full": "80,443",
             "OpenSSH": "22"}
ESTABLISHED = Rule("ufw before-rules: packets of established connections", Action.ACCEPT,
                   states=frozenset({"established", "related"}))
_ROW = re.compile(r"^\[\s*(\d+)\]\s+(.*)$")
_PORTSPEC = re.compile(r"^([\d,:]+)(?:/(\w+))?$")
FAMILIES = ("IPv4", "IPv6")


def parse_endpoint(text: str) -> tuple[object, str | None, bool]:
    """(port ranges or None, protocol, narrowed) of a To or From column."""
    text = text.replace("(v6)", "").strip()
    narrowed = " on " in f" {text} "
    text = re.sub(r"\s+on\s+\S+$", "", text).strip()
    if text in APP_PORTS:
        return parse_ports(APP_PORTS[text]), None, narrowed
    words = text.split()
    if not words:
        return None, None, True
    spec = _PORTSPEC.match(words[-1])
    address = words[:-1] if spec else words
    if address and address != ["Anywhere"]:
        narrowed = True
    if not spec:
        return None, None, narrowed
    ranges = parse_ports(spec.group(1))
    return ranges, spec.group(2), narrowed or ranges is None


def parse_row(line: str) -> tuple[Rule, Direction, str] | None:
    """(rule, direction, family) of one `ufw status numbered` row."""
    row = _ROW.match(line.strip())
    if not row:
        return None
    number, rest = row.groups()
    comment = re.search(r"\s#\s?(.*)$", rest)
    rest = rest[: comment.start()] if comment else rest
    rest = re.sub(r"\s*\(out\)\s*$", "", rest)
    cells = re.split(r"\s{2,}", rest.strip())
    if len(cells) < 3:
        return None
    to, action_text, source = cells[0], cells[1].split(), cells[2]
    if not action_text or action_text[0] not in ACTIONS:
        return None
    direction = Direction.OUT if action_text[1:] == ["OUT"] else Direction.IN
    dports, dproto, to_narrow = parse_endpoint(to)
    sports, sproto, from_narrow = parse_endpoint(source)
    family = "IPv6" if "(v6)" in to or "(v6)" in source else "IPv4"
    rule = Rule(" ".join(c for c in cells if c) + (f"  # {comment.group(1).strip()}" if comment else ""),
                ACTIONS[action_text[0]], dproto or sproto, dports, sports,  # type: ignore[arg-type]
                narrowed=to_narrow or from_narrow or action_text[1:] == ["FWD"],
                ours=bool(comment) and comment.group(1).strip() == TAG, ref=number)
    return rule, direction, family


def parse_status(verbose: str) -> tuple[bool, dict[Direction, Action]]:
    """(active, default policy per direction) from `ufw status verbose`."""
    active = bool(re.search(r"^Status:\s*active", verbose, re.M))
    policies = {Direction.IN: Action.ACCEPT, Direction.OUT: Action.ACCEPT}
    for word, which in re.findall(r"(allow|deny|reject)\s+\((incoming|outgoing)\)", verbose):
        policies[Direction.IN if which == "incoming" else Direction.OUT] = POLICIES[word]
    return active, policies


class Ufw:
    name = "ufw"
    title = "ufw"
    platform = "linux"

    def listing_commands(self) -> dict[str, Command]:
        return {"verbose": Command(("ufw", "status", "verbose")), "numbered": Command(("ufw", "status", "numbered"))}

    def rows(self, listings: Listings) -> list[tuple[Rule, Direction, str]]:
        rows = (parse_row(line) for line in listing(listings, "numbered").splitlines())
        return [row for row in rows if row is not None]

    def decisions(self, listings: Listings, port: int) -> dict[Direction, tuple[Decision, ...]]:
        _, policies = parse_status(listing(listings, "verbose"))
        rows = self.rows(listings)
        result: dict[Direction, tuple[Decision, ...]] = {}
        for direction in Direction:
            found = []
            for family in FAMILIES:
                rules = tuple(r for r, d, f in rows if d is direction and f == family)
                if direction is Direction.OUT:
                    rules = (ESTABLISHED,) + rules
                label = "incoming" if direction is Direction.IN else "outgoing"
                chain = Chain(f"({family}) {label}", rules, policies[direction], table="ufw")
                found.append(decide({}, chain, port, direction))
            result[direction] = tuple(found)
        return result

    def report(self, listings: Listings, port: int) -> PortReport:
        active, _ = parse_status(listing(listings, "verbose"))
        rules = tuple(r for r, d, _ in self.rows(listings) if r.ours or mentions(r, port, d))
        return PortReport(self.name, active, self.decisions(listings, port) if active else {}, rules)

    def plan_open(self, listings: Listings, request: Request) -> Plan:
        active, _ = parse_status(listing(listings, "verbose"))
        if not active:
            return Plan(self.name, (), ("ufw is inactive: it blocks nothing; no rule needed",))
        commands, notes = [], []
        decisions = self.decisions(listings, request.port)
        rows = self.rows(listings)
        for direction in request.directions:
            blocked = [d for d in decisions[direction] if d.verdict is not Verdict.ALLOWED]
            if not blocked:
                continue
            if any(r.ours and d is direction and mentions(r, request.port, d) for r, d, _ in rows):
                notes.append(f"our ufw rule is there, but {blocked[0].describe()}; "
                             f"delete that rule or move ours above it")
                continue
            same = next((d.rule for d in blocked if d.rule and _same_spec(d.rule, request.port, direction)), None)
            if same is not None:
                notes.append(f"ufw rule [{same.ref}] `{same.text}` blocks TCP {request.port} and ufw keeps one rule "
                             f"per port, so ours would overwrite it: remove it with "
                             f"`{Command(_delete_argv(same.action, request.port, direction)).display()}`, then open again")
                continue
            verb = ("prepend",) if any(d.rule for d in blocked) else ()
            commands.append(Command(("ufw",) + verb + _rule_spec("allow", request.port, direction) + ("comment", TAG)))
        if not commands and not notes:
            notes.append(f"ufw already lets TCP {request.port} through; no rule needed")
        return Plan(self.name, tuple(commands), tuple(notes), persistent=True)

    def plan_close(self, listings: Listings, request: Request) -> Plan:
        rows = self.rows(listings)
        commands = []
        for direction in request.directions:
            if any(r.ours and d is direction and mentions(r, request.port, d) for r, d, _ in rows):
                commands.append(Command(_delete_argv(Action.ACCEPT, request.port, direction)))
        notes = () if commands else (f"no ufw rule of ours for TCP {request.port}; nothing to remove",)
        return Plan(self.name, tuple(commands), notes, persistent=True)


def _rule_spec(verb: str, port: int, direction: Direction) -> tuple[str, ...]:
    where = ("to", "any", "port") if direction is Direction.IN else ("from", "any", "port")
    return (verb, direction.value, "proto", "tcp") + where + (str(port),)


def _delete_argv(action: Action, port: int, direction: Direction) -> tuple[str, ...]:
    verb = {Action.ACCEPT: "allow", Action.DROP: "deny", Action.REJECT: "reject"}[action]
    return ("ufw", "delete") + _rule_spec(verb, port, direction)


def _same_spec(rule: Rule, port: int, direction: Direction) -> bool:
    """Would ufw take our rule for this one (same port, protocol and source, any action)?"""
    return (local_ports(rule, direction) == ((port, port),) and rule.protocol == "tcp"
            and remote_ports(rule, direction) is None and not rule.narrowed)
