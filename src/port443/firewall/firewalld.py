"""firewalld: read `firewall-cmd --list-all-zones`; open with a service of our own.

firewalld has no comments on ports, so our tag is a service named
`port443-<port>` holding the port: `close` removes that service from the zones
and deletes it, and never touches a port or service the user added. Changes
are made permanent and then loaded with `--reload`. Zones filter inbound only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from port443.firewall.backend import Listings, listing
from port443.firewall.model import (
    TAG, Action, Command, Decision, Direction, Plan, PortReport, Request, Rule, Verdict,
)
from port443.firewall.ports import parse_ports

# Ports of the services firewalld ships that carry HTTPS or HTTP (/usr/lib/firewalld/services).
SERVICE_PORTS = {"https": "443/tcp", "http": "80/tcp", "http3": "443/udp", "ssh": "22/tcp", "kube-api": "6443/tcp"}
_ZONE = re.compile(r"^(\S+)(?:\s+\(([^)]*)\))?\s*$")
_RICH_PORT = re.compile(r'port\s+port="([^"]+)"\s+protocol="(\w+)"')
_RICH_ACTION = re.compile(r"\b(accept|reject|drop)\b")


@dataclass
class Zone:
    name: str
    default: bool = False
    active: bool = False
    fields: dict[str, str] = field(default_factory=dict)
    rich: list[str] = field(default_factory=list)

    def words(self, key: str) -> list[str]:
        return self.fields.get(key, "").split()


def service_name(port: int) -> str:
    return f"{TAG}-{port}"


def parse_zones(text: str) -> list[Zone]:
    zones: list[Zone] = []
    in_rich = False
    for raw in text.splitlines():
        if not raw.strip():
            continue
        if not raw[0].isspace():
            match = _ZONE.match(raw.strip())
            if match:
                flags = (match.group(2) or "").replace(" ", "").split(",")
                zones.append(Zone(match.group(1), "default" in flags, "active" in flags))
            in_rich = False
        elif zones:
            key, sep, value = raw.strip().partition(":")
            if sep and not raw.startswith("\t\t") and key in ZONE_KEYS:
                zones[-1].fields[key] = value.strip()
                in_rich = key == "rich rules"
            elif in_rich:
                zones[-1].rich.append(raw.strip())
    return zones


ZONE_KEYS = ("target", "icmp-block-inversion", "interfaces", "sources", "services", "ports", "protocols",
             "forward", "masquerade", "forward-ports", "source-ports", "icmp-blocks", "rich rules")


def _port_rule(spec: str, text: str, ours: bool = False) -> Rule | None:
    number, _, protocol = spec.partition("/")
    ranges = parse_ports(number)
    if ranges is None:
        return None
    return Rule(text, Action.ACCEPT, protocol or None, ranges, ours=ours, ref=text)


def zone_rules(zone: Zone) -> list[Rule]:
    """The zone's ports, services and rich rules as Rules (services we do not know are left out)."""
    rules = [r for p in zone.words("ports") if (r := _port_rule(p, f"port {p}"))]
    for service in zone.words("services"):
        ours = service.startswith(f"{TAG}-") and service[len(TAG) + 1:].isdigit()
        spec = f"{service[len(TAG) + 1:]}/tcp" if ours else SERVICE_PORTS.get(service)
        if spec and (rule := _port_rule(spec, f"service {service}", ours)):
            rules.append(rule)
    for text in zone.rich:
        port, action = _RICH_PORT.search(text), _RICH_ACTION.search(text)
        if port and action:
            narrowed = "source " in text or "destination " in text
            base = _port_rule(f"{port.group(1)}/{port.group(2)}", f"rich rule {text}")
            if base:
                act = {"accept": Action.ACCEPT, "reject": Action.REJECT, "drop": Action.DROP}[action.group(1)]
                rules.append(Rule(base.text, act, base.protocol, base.dports, narrowed=narrowed, ref=base.ref))
    return rules


def decide_zone(zone: Zone, port: int) -> Decision:
    where = f"firewalld zone {zone.name}"
    rules = zone_rules(zone)
    matching = [r for r in rules if r.protocol == "tcp" and r.dports and any(lo <= port <= hi for lo, hi in r.dports)]
    partial = tuple(r for r in matching if r.narrowed)
    whole = [r for r in matching if not r.narrowed]
    blocking = [r for r in whole if r.action is not Action.ACCEPT]
    if blocking:  # rich rules that deny come before those that allow
        return Decision(Verdict.BLOCKED, where, blocking[0], blocking[0], partial)
    if whole:
        return Decision(Verdict.ALLOWED, where, whole[0], whole[0], partial)
    target = zone.fields.get("target", "default").upper()
    verdict = Verdict.ALLOWED if target == "ACCEPT" else Verdict.BLOCKED
    return Decision(verdict, where, None, None, partial)


class Firewalld:
    name = "firewalld"
    title = "firewalld"
    platform = "linux"

    def listing_commands(self) -> dict[str, Command]:
        return {"state": Command(("firewall-cmd", "--state")),
                "zones": Command(("firewall-cmd", "--list-all-zones")),
                "services": Command(("firewall-cmd", "--permanent", "--get-services"))}

    def zones(self, listings: Listings) -> list[Zone]:
        zones = parse_zones(listing(listings, "zones"))
        active = [z for z in zones if z.active]
        return active or [z for z in zones if z.default]

    def report(self, listings: Listings, port: int) -> PortReport:
        running = listing(listings, "state").strip() == "running"
        zones = self.zones(listings)
        decisions = {Direction.IN: tuple(decide_zone(z, port) for z in zones),
                     Direction.OUT: (Decision(Verdict.ALLOWED, "firewalld (outbound is not filtered by zones)"),)}
        rules = tuple(r for z in zones for r in zone_rules(z)
                      if r.ours or (r.dports and any(lo <= port <= hi for lo, hi in r.dports)))
        return PortReport(self.name, running, decisions if running else {}, rules)

    def plan_open(self, listings: Listings, request: Request) -> Plan:
        if listing(listings, "state").strip() != "running":
            return Plan(self.name, (), ("firewalld is not running: it blocks nothing; no rule needed",))
        name = service_name(request.port)
        notes = []
        if Direction.OUT in request.directions:
            notes.append("firewalld zones do not filter outbound traffic; no outbound rule needed")
        if Direction.IN not in request.directions:
            return Plan(self.name, (), tuple(notes))
        commands: list[Command] = []
        if name not in listing(listings, "services").split():
            commands += [_cmd("--permanent", f"--new-service={name}"),
                         _cmd("--permanent", f"--service={name}", f"--set-description=Opened by {TAG} firewall open"),
                         _cmd("--permanent", f"--service={name}", f"--add-port={request.port}/tcp")]
        for zone in self.zones(listings):
            decision = decide_zone(zone, request.port)
            if name in zone.words("services"):
                if decision.verdict is Verdict.BLOCKED:
                    notes.append(f"our service is in zone {zone.name}, but {decision.describe()}")
                continue
            if decision.verdict is Verdict.ALLOWED:
                continue
            commands.append(_cmd("--permanent", f"--zone={zone.name}", f"--add-service={name}"))
        if any(c.argv[-1].startswith("--add-service") for c in commands):
            commands.append(_cmd("--reload"))
            notes.append("`firewall-cmd --reload` also drops runtime-only changes not made permanent")
        else:
            commands = []
        if not commands and len(notes) == (Direction.OUT in request.directions):
            notes.append(f"firewalld already lets TCP {request.port} in; no rule needed")
        return Plan(self.name, tuple(commands), tuple(notes), persistent=True)

    def plan_close(self, listings: Listings, request: Request) -> Plan:
        name = service_name(request.port)
        commands = [_cmd("--permanent", f"--zone={z.name}", f"--remove-service={name}")
                    for z in parse_zones(listing(listings, "zones")) if name in z.words("services")]
        if name in listing(listings, "services").split():
            commands.append(_cmd("--permanent", f"--delete-service={name}"))
        if commands:
            commands.append(_cmd("--reload"))
        notes = () if commands else (f"no firewalld service of ours for TCP {request.port}; nothing to remove",)
        return Plan(self.name, tuple(commands), notes, persistent=True)


def _cmd(*args: str) -> Command:
    return Command(("firewall-cmd",) + args)
