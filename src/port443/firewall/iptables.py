"""iptables and ip6tables: read `iptables -S`, insert our ACCEPT before what blocks.

iptables is first-match per chain, so our rule goes in at the number of the
rule that blocks (or at the end, before the policy). `close` deletes our rules
by their full specification, which names our comment.
"""

from __future__ import annotations

import shlex

from port443.firewall.backend import Listings, listing
from port443.firewall.model import (
    TAG, Action, Chain, Command, Decision, Direction, Plan, PortReport, Request, Rule,
)
from port443.firewall.netfilter import base_chains, decide, our_rules, plan_accepts, port_rules
from port443.firewall.ports import parse_ports

BUILTIN = {"INPUT": "input", "OUTPUT": "output", "FORWARD": "forward"}
TARGETS = {"ACCEPT": Action.ACCEPT, "DROP": Action.DROP, "REJECT": Action.REJECT, "RETURN": Action.RETURN}
PORT_OPTIONS = {"--dport": "d", "--dports": "d", "--destination-port": "d", "--destination-ports": "d",
                "--sport": "s", "--sports": "s", "--source-port": "s", "--source-ports": "s"}
NARROWING = ("-s", "--source", "-d", "--destination", "-i", "--in-interface", "-o", "--out-interface")
FIELD = {Direction.IN: "--dport", Direction.OUT: "--sport"}


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _groups(spec: list[str]) -> list[tuple[bool, str, list[str]]]:
    """(negated, option, values) for each option of a rule specification."""
    groups: list[tuple[bool, str, list[str]]] = []
    negate = False
    for word in spec:
        if word == "!":
            negate = True
        elif word.startswith("-") and not (groups and groups[-1][1] in ("--comment", "--log-prefix")
                                           and not groups[-1][2]):
            groups.append((negate, word, []))
            negate = False
        elif groups:
            groups[-1][2].append(word)
    return groups


def parse_rule(spec: list[str], ref: str, user_chains: set[str]) -> Rule:
    """The options of one `-A CHAIN ...` line (without `-A CHAIN`)."""
    protocol: str | None = None
    ports: dict[str, object] = {"d": None, "s": None}
    states: frozenset[str] | None = None
    narrowed = ours = False
    action, target = Action.CONTINUE, None
    for negated, opt, values in _groups(spec):
        value = values[0] if values else ""
        if negated or opt in NARROWING or opt in ("--syn", "--tcp-flags"):
            narrowed = True
        elif opt in ("-p", "--protocol"):
            protocol = "tcp" if value in ("tcp", "6") else value or None
        elif opt in PORT_OPTIONS:
            ranges = parse_ports(value)
            narrowed = narrowed or ranges is None
            ports[PORT_OPTIONS[opt]] = ranges
        elif opt in ("--state", "--ctstate"):
            states = frozenset(v.lower() for v in value.split(","))
        elif opt == "--comment":
            ours = value == TAG
        elif opt in ("-j", "--jump", "-g", "--goto"):
            action, target = _target(opt, value, user_chains)
            break  # what follows are the target's own options (--reject-with, --log-prefix, ...)
        elif opt not in ("-m", "--match"):
            narrowed = True  # a match we do not model
    text = " ".join(shlex.quote(s) for s in spec)
    return Rule(text, action, protocol, ports["d"], ports["s"], states, narrowed, target, ours, ref)  # type: ignore[arg-type]


def _target(opt: str, value: str, user_chains: set[str]) -> tuple[Action, str | None]:
    if value in TARGETS:
        return TARGETS[value], None
    if value in user_chains:
        return (Action.GOTO if opt in ("-g", "--goto") else Action.JUMP), value
    return Action.CONTINUE, None  # LOG, MARK, ...: the next rule decides


def parse_rules(listing_text: str) -> dict[str, Chain]:
    """The chains of an `iptables -S` listing (the filter table)."""
    lines = [_split(line) for line in listing_text.splitlines() if line.strip()]
    policies = {w[1]: w[2] for w in lines if len(w) >= 3 and w[0] == "-P"}
    user_chains = {w[1] for w in lines if len(w) >= 2 and w[0] == "-N"}
    specs: dict[str, list[list[str]]] = {name: [] for name in list(policies) + sorted(user_chains)}
    for words in lines:
        if len(words) >= 2 and words[0] == "-A":
            specs.setdefault(words[1], []).append(words[2:])
    chains: dict[str, Chain] = {}
    for name, rule_specs in specs.items():
        rules = tuple(parse_rule(spec, str(n), user_chains) for n, spec in enumerate(rule_specs, 1))
        policy = TARGETS.get(policies.get(name, ""), None)
        chains[name] = Chain(name, rules, policy, BUILTIN.get(name) if name in policies else None, 0, "filter")
    return chains


class Iptables:
    platform = "linux"

    def __init__(self, binary: str = "iptables") -> None:
        self.name = self.title = self.binary = binary

    def listing_commands(self) -> dict[str, Command]:
        return {"rules": Command((self.binary, "-w", "-S"))}

    def report(self, listings: Listings, port: int) -> PortReport:
        chains = parse_rules(listing(listings, "rules"))
        active = any(c.rules or c.policy not in (None, Action.ACCEPT) for c in chains.values())
        decisions = {d: tuple(decide(chains, base, port, d) for base in base_chains(chains, d)) for d in Direction}
        rules = tuple(port_rules(chains.values(), port))
        return PortReport(self.name, active, decisions, rules)

    def plan_open(self, listings: Listings, request: Request) -> Plan:
        chains = parse_rules(listing(listings, "rules"))
        commands, notes = plan_accepts(self.name, [(self.binary, "", chains)], request, _accept)
        if commands:
            notes.append(f"{self.name} keeps these rules until the next reboot; to keep them, save them "
                         f"with `netfilter-persistent save` (Debian's iptables-persistent).")
        return Plan(self.name, tuple(commands), tuple(notes), persistent=False)

    def plan_close(self, listings: Listings, request: Request) -> Plan:
        chains = parse_rules(listing(listings, "rules"))
        commands = [Command((self.binary, "-w", "-D", chain.name) + tuple(_split(rule.text)))
                    for chain, rule in our_rules(chains.values(), request)]
        notes = () if commands else (f"no rule of ours for TCP {request.port} in {self.name}; nothing to remove",)
        return Plan(self.name, tuple(commands), notes, persistent=False)


def _accept(binary: str, chain: str, port: int, direction: Direction, decision: Decision) -> Command:
    rule = ("-p", "tcp", FIELD[direction], str(port), "-m", "comment", "--comment", TAG, "-j", "ACCEPT")
    if decision.position is None:
        return Command((binary, "-w", "-A", chain) + rule)
    return Command((binary, "-w", "-I", chain, decision.position.ref) + rule)
