"""Windows Defender Firewall through `netsh advfirewall`.

Our rules follow the guide's steps rule for rule: a Port rule, TCP, the
specific local port, "Allow the connection", the Domain and Private profiles,
and a name; once inbound and once outbound. The name is our tag. In Windows
Firewall a block rule wins over any allow rule, and rules are persistent.
"""

from __future__ import annotations

import re

from port443.firewall.backend import Listings, listing
from port443.firewall.model import (
    PROFILES, TAG, Action, Command, Decision, Direction, Plan, PortReport, Request, Rule, Verdict, local_ports,
    port_in,
)
from port443.firewall.ports import parse_ports

_PROFILE_HEADER = re.compile(r"^(Domain|Private|Public) Profile Settings", re.I)
WIDE_FIELDS = ("LocalIP", "RemoteIP", "RemotePort", "Program", "Service", "InterfaceTypes")


def rule_name(port: int, direction: Direction) -> str:
    return f"{TAG} HTTPS (TCP {port} {'In' if direction is Direction.IN else 'Out'})"


def parse_profiles(text: str) -> dict[str, tuple[bool, str]]:
    """profile -> (firewall on, policy) from `netsh advfirewall show allprofiles`."""
    profiles: dict[str, tuple[bool, str]] = {}
    current = None
    for line in text.splitlines():
        header = _PROFILE_HEADER.match(line.strip())
        if header:
            current = header.group(1).lower()
            profiles[current] = (True, "BlockInbound,AllowOutbound")
            continue
        words = line.split()
        if current and len(words) >= 2 and words[0] == "State":
            profiles[current] = (words[1].upper() == "ON", profiles[current][1])
        elif current and len(words) >= 3 and words[:2] == ["Firewall", "Policy"]:
            profiles[current] = (profiles[current][0], words[2])
    return profiles


def parse_rule_blocks(text: str) -> list[dict[str, str]]:
    """Each `Rule Name:` block of `netsh advfirewall firewall show rule name=all verbose`."""
    blocks: list[dict[str, str]] = []
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep or line.startswith("-"):
            continue
        key, value = key.strip(), value.strip()
        if key == "Rule Name":
            blocks.append({"Rule Name": value})
        elif blocks and key and " " not in key.replace("Edge traversal", "Edge"):
            blocks[-1].setdefault(key, value)
    return blocks


def block_rule(block: dict[str, str]) -> tuple[Rule, Direction, frozenset[str]] | None:
    """(rule, direction, profiles) of one rule block; None for a disabled rule."""
    if block.get("Enabled", "Yes").lower() not in ("yes", "ja", "oui", "sí"):
        return None
    name = block["Rule Name"]
    direction = Direction.OUT if block.get("Direction", "In").lower().startswith("out") else Direction.IN
    protocol = block.get("Protocol", "Any").lower()
    local = block.get("LocalPort", "Any")
    ports = None if local.lower() == "any" else parse_ports(local)
    narrowed = any(block.get(f, "Any").lower() not in ("any", "") for f in WIDE_FIELDS)
    narrowed = narrowed or (local.lower() != "any" and ports is None)  # RPC, IPHTTPSIn, ...
    action = {"allow": Action.ACCEPT, "block": Action.DROP}.get(block.get("Action", "").lower(), Action.CONTINUE)
    profiles_text = block.get("Profiles", "Domain,Private,Public").lower()
    profiles = frozenset(PROFILES) if profiles_text == "any" else frozenset(p.strip() for p in profiles_text.split(","))
    rule = Rule(name, action, None if protocol == "any" else protocol,
                ports if direction is Direction.IN else None, ports if direction is Direction.OUT else None,
                narrowed=narrowed, ours=name.startswith(f"{TAG} "), ref=name)
    return rule, direction, profiles


def _covers(rule: Rule, direction: Direction, port: int) -> bool:
    return rule.protocol in (None, "tcp") and port_in(port, local_ports(rule, direction))


def decide_profile(rules: list[tuple[Rule, Direction, frozenset[str]]], profile: str, on: bool, policy: str,
                   port: int, direction: Direction) -> Decision:
    where = f"Windows Firewall ({profile} profile)"
    if not on:
        return Decision(Verdict.ALLOWED, where + ", turned off")
    found = [r for r, d, p in rules if d is direction and profile in p and _covers(r, direction, port)]
    partial = tuple(r for r in found if r.narrowed)
    whole = [r for r in found if not r.narrowed]
    for action, verdict in ((Action.DROP, Verdict.BLOCKED), (Action.ACCEPT, Verdict.ALLOWED)):
        hit = next((r for r in whole if r.action is action), None)
        if hit:
            return Decision(verdict, where, hit, hit, partial)
    default = policy.split(",")[0 if direction is Direction.IN else -1].lower()
    return Decision(Verdict.BLOCKED if default.startswith("block") else Verdict.ALLOWED, where, None, None, partial)


class Windows:
    name = "windows"
    title = "Windows Defender Firewall"
    platform = "windows"

    def listing_commands(self) -> dict[str, Command]:
        return {"profiles": Command(("netsh", "advfirewall", "show", "allprofiles"), shell="cmd"),
                "rules": Command(("netsh", "advfirewall", "firewall", "show", "rule", "name=all", "verbose"),
                                 shell="cmd")}

    def _read(self, listings: Listings):
        rules = [r for b in parse_rule_blocks(listing(listings, "rules")) if (r := block_rule(b))]
        return parse_profiles(listing(listings, "profiles")), rules

    def report(self, listings: Listings, port: int) -> PortReport:
        profiles, rules = self._read(listings)
        decisions = {d: tuple(decide_profile(rules, name, on, policy, port, d)
                              for name, (on, policy) in profiles.items()) for d in Direction}
        shown = tuple(r for r, d, _ in rules if r.ours or (_covers(r, d, port) and (r.dports or r.sports)))
        active = any(on for on, _ in profiles.values())
        return PortReport(self.name, active, decisions if active else {}, shown)

    def plan_open(self, listings: Listings, request: Request) -> Plan:
        profiles, rules = self._read(listings)
        commands, notes = [], []
        for direction in request.directions:
            name = rule_name(request.port, direction)
            existing = [(r, p) for r, d, p in rules if r.ref == name and d is direction]
            if existing:
                have = ",".join(sorted(existing[0][1]))
                if set(request.profiles) - existing[0][1]:
                    notes.append(f"rule \"{name}\" exists for profiles {have}; run close, then open to change them")
                continue
            commands.append(_add_rule(name, request, direction))
            for profile in request.profiles:
                on, policy = profiles.get(profile, (True, "BlockInbound,AllowOutbound"))
                decision = decide_profile(rules, profile, on, policy, request.port, direction)
                if decision.rule is not None and decision.verdict is Verdict.BLOCKED:
                    notes.append(f"block rule \"{decision.rule.ref}\" wins over any allow rule in the {profile} "
                                 f"profile; disable it: netsh advfirewall firewall set rule "
                                 f"name=\"{decision.rule.ref}\" new enable=no")
        return Plan(self.name, tuple(commands), tuple(dict.fromkeys(notes)), persistent=True)

    def plan_close(self, listings: Listings, request: Request) -> Plan:
        _, rules = self._read(listings)
        commands = []
        for direction in request.directions:
            name = rule_name(request.port, direction)
            if any(r.ref == name and d is direction for r, d, _ in rules):
                commands.append(Command(("netsh", "advfirewall", "firewall", "delete", "rule", f"name={name}",
                                         f"dir={direction.value}"), shell="cmd"))
        notes = () if commands else (f"no Windows Firewall rule of ours for TCP {request.port}; nothing to remove",)
        return Plan(self.name, tuple(commands), notes, persistent=True)


def _add_rule(name: str, request: Request, direction: Direction) -> Command:
    """The guide's steps 4 to 8 as one netsh command."""
    return Command((
        "netsh", "advfirewall", "firewall", "add", "rule",
        f"name={name}",  # step 8: a rule name
        f"dir={direction.value}",  # step 2: inbound rules (and again for outbound)
        "action=allow",  # step 6: allow the connection
        "protocol=TCP",  # step 5: TCP ...
        f"localport={request.port}",  # ... and specific local ports
        f"profile={','.join(request.profiles)}",  # step 7: Domain and Private
    ), shell="cmd")
