"""How netfilter decides: walk a base chain, follow jumps, fall back to the policy.

Shared by the nftables and iptables backends, which parse their listings into
Chains of Rules. A new inbound connection is conntrack state "new"; the
server's own packets going out on its local port are "established" replies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from port443.firewall.model import (
    Action, Chain, Command, Decision, Direction, Request, Rule, Verdict, local_ports, port_in, remote_ports,
)

K = TypeVar("K")

MAX_JUMP_DEPTH = 16  # deeper chains of jumps are reported as unknown

STATE = {Direction.IN: "new", Direction.OUT: "established"}
HOOK = {Direction.IN: "input", Direction.OUT: "output"}


def matches_all(rule: Rule, port: int, direction: Direction) -> bool:
    """Does the rule match every TCP packet of a connection on this local port?"""
    if rule.narrowed or remote_ports(rule, direction) is not None:
        return False
    if rule.protocol not in (None, "tcp"):
        return False
    if not port_in(port, local_ports(rule, direction)):
        return False
    return rule.states is None or STATE[direction] in rule.states


def matches_some(rule: Rule, port: int, direction: Direction) -> bool:
    """Could the rule match some connections on this port (a narrowed rule)?"""
    if rule.protocol not in (None, "tcp"):
        return False
    if rule.states is not None and STATE[direction] not in rule.states:
        return False
    return port_in(port, local_ports(rule, direction))


def mentions(rule: Rule, port: int, direction: Direction) -> bool:
    """Does the rule name this local port (not just every port)?"""
    ports = local_ports(rule, direction)
    return ports is not None and port_in(port, ports) and rule.protocol in (None, "tcp")


@dataclass
class _Walk:
    chains: Mapping[str, Chain]
    port: int
    direction: Direction
    partial: list[Rule]
    unknown: bool = False

    def run(self, chain: Chain, depth: int) -> tuple[Action, Rule, Rule] | None:
        """(verdict, deciding rule, rule of this chain where it was decided), or None on fall-through."""
        for rule in chain.rules:
            if rule.action in (Action.ACCEPT, Action.DROP, Action.REJECT) and rule.narrowed:
                if matches_some(rule, self.port, self.direction) and mentions(rule, self.port, self.direction):
                    self.partial.append(rule)
                continue
            if not matches_all(rule, self.port, self.direction) or rule.action is Action.CONTINUE:
                continue
            if rule.action is Action.RETURN:
                return None
            if rule.action in (Action.JUMP, Action.GOTO):
                target = self.chains.get(rule.target or "")
                if target is None or depth >= MAX_JUMP_DEPTH:
                    self.unknown = True
                    continue
                found = self.run(target, depth + 1)
                if found is not None:
                    return found[0], found[1], rule
                if rule.action is Action.GOTO:
                    return None
                continue
            return rule.action, rule, rule
        return None


def decide(chains: Mapping[str, Chain], base: Chain, port: int, direction: Direction) -> Decision:
    """What the base chain does with a TCP connection on the local port."""
    walk = _Walk(chains, port, direction, [])
    found = walk.run(base, 0)
    where = f"{base.table} {base.name}".strip()
    if found is not None:
        action, rule, position = found
        verdict = Verdict.ALLOWED if action is Action.ACCEPT else Verdict.BLOCKED
        return Decision(verdict, where, rule, position, tuple(walk.partial))
    if walk.unknown:
        return Decision(Verdict.UNKNOWN, where, None, None, tuple(walk.partial))
    policy = base.policy or Action.ACCEPT
    verdict = Verdict.ALLOWED if policy is Action.ACCEPT else Verdict.BLOCKED
    return Decision(verdict, where, None, None, tuple(walk.partial))


def base_chains(chains: Mapping[str, Chain], direction: Direction) -> list[Chain]:
    """The filter base chains on the direction's hook, in the order packets meet them."""
    hooked = [c for c in chains.values() if c.hook == HOOK[direction]]
    return sorted(hooked, key=lambda c: c.priority)


def port_rules(chains: Iterable[Chain], port: int) -> list[Rule]:
    """The rules a report shows: ours, and every rule that names the port."""
    return [r for c in chains for r in c.rules if r.ours or any(mentions(r, port, d) for d in Direction)]


def plan_accepts(
    backend: str,
    tables: Iterable[tuple[K, str, Mapping[str, Chain]]],
    request: Request,
    accept: Callable[[K, str, int, Direction, Decision], Command],
) -> tuple[list[Command], list[str]]:
    """The accept rules that open the port in every base chain that blocks it, and notes on the rest.

    `tables` are (key, label, chains); `accept(key, chain name, port, direction, decision)` makes the
    command that puts our rule just before the rule that decided (or at the end, before the policy).
    """
    commands: list[Command] = []
    notes: list[str] = []
    tables = list(tables)
    for direction in request.directions:
        for key, label, chains in tables:
            for base in base_chains(chains, direction):
                decision = decide(chains, base, request.port, direction)
                where = f"{label} {base.name}".strip()
                if decision.verdict is Verdict.ALLOWED:
                    continue
                if any(r.ours and mentions(r, request.port, direction) for r in base.rules):
                    notes.append(f"our rule is already in {where}, but a rule before it still blocks")
                elif decision.verdict is Verdict.UNKNOWN:
                    notes.append(f"cannot tell what {where} does with TCP {request.port}; left unchanged")
                else:
                    commands.append(accept(key, base.name, request.port, direction, decision))
    if not commands and not notes:
        notes.append(f"nothing in {backend} blocks TCP {request.port}; no rule needed")
    return commands, notes


def our_rules(chains: Iterable[Chain], request: Request) -> Iterator[tuple[Chain, Rule]]:
    """(chain, rule) for each rule we added for the port on a hook of the request's directions."""
    for chain in chains:
        directions = [d for d in request.directions if chain.hook == HOOK[d]]
        for rule in chain.rules:
            if rule.ours and any(mentions(rule, request.port, d) for d in directions):
                yield chain, rule
