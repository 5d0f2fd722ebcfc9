"""nftables: read `nft -a list ruleset`, insert our accept rule before what blocks.

In nftables an accept is final only within its own base chain: a drop in any
other base chain on the same hook still drops. So opening a port means adding
our rule to each chain that blocks it, just before the rule that blocks (or at
the end, before the policy), never a table of our own.
"""

from __future__ import annotations

from port443.firewall.backend import Listings, listing
from port443.firewall.model import (
    TAG, Command, Decision, Direction, FirewallError, Plan, PortReport, Request, Rule, Verdict,
)
from port443.firewall.netfilter import HOOK, base_chains, decide, mentions
from port443.firewall.nftables_parse import Table, parse_ruleset

FIELD = {Direction.IN: "dport", Direction.OUT: "sport"}
NOT_PERSISTENT = (
    "nftables keeps these rules until the next reboot; to keep them, add the same rule "
    "to /etc/nftables.conf (or save the ruleset there with `nft list ruleset`)."
)


class Nftables:
    name = "nftables"
    title = "nftables"
    platform = "linux"

    def listing_commands(self) -> dict[str, Command]:
        return {"ruleset": Command(("nft", "-a", "list", "ruleset"))}

    def tables(self, listings: Listings) -> list[Table]:
        return [t for t in parse_ruleset(listing(listings, "ruleset")) if t.managed_by is None]

    def report(self, listings: Listings, port: int) -> PortReport:
        all_tables = parse_ruleset(listing(listings, "ruleset"))
        tables = [t for t in all_tables if t.managed_by is None]
        notes = tuple(
            f"table {t.label} is managed by {t.managed_by}; see the {t.managed_by.split('-')[0]} report"
            for t in all_tables if t.managed_by
        )
        decisions: dict[Direction, tuple[Decision, ...]] = {}
        rules: list[Rule] = []
        active = False
        for direction in Direction:
            found: list[Decision] = []
            for table in tables:
                for base in base_chains(table.chains, direction):
                    active = True
                    found.append(decide(table.chains, base, port, direction))
            decisions[direction] = tuple(found)
        for table in tables:
            for chain in table.chains.values():
                for rule in chain.rules:
                    if rule.ours or any(mentions(rule, port, d) for d in Direction):
                        rules.append(rule)
        return PortReport(self.name, active, decisions, tuple(rules), notes)

    def plan_open(self, listings: Listings, request: Request) -> Plan:
        commands: list[Command] = []
        notes: list[str] = []
        for direction in request.directions:
            for table in self.tables(listings):
                for base in base_chains(table.chains, direction):
                    decision = decide(table.chains, base, request.port, direction)
                    where = f"{table.label} {base.name}"
                    if decision.verdict is Verdict.ALLOWED:
                        continue
                    if self._ours_in(base.rules, request.port, direction):
                        notes.append(f"our rule is already in {where}, but something before it still blocks")
                        continue
                    if decision.verdict is Verdict.UNKNOWN:
                        notes.append(f"cannot tell what {where} does with TCP {request.port}; left unchanged")
                        continue
                    commands.append(self._accept(table, base.name, request.port, direction, decision))
        if not commands and not notes:
            notes.append(f"nothing in nftables blocks TCP {request.port}; no rule needed")
        return Plan(self.name, tuple(commands), tuple(notes) + ((NOT_PERSISTENT,) if commands else ()),
                    persistent=False)

    def plan_close(self, listings: Listings, request: Request) -> Plan:
        commands: list[Command] = []
        for table in self.tables(listings):
            for chain in table.chains.values():
                directions = [d for d in request.directions if chain.hook == HOOK[d]]
                for rule in chain.rules:
                    if rule.ours and any(mentions(rule, request.port, d) for d in directions):
                        commands.append(Command(("nft", "delete", "rule", table.family, table.name,
                                                 chain.name, "handle", _handle(rule))))
        notes = () if commands else (f"no rule of ours for TCP {request.port} in nftables; nothing to remove",)
        return Plan(self.name, tuple(commands), notes, persistent=False)

    @staticmethod
    def _ours_in(rules: tuple[Rule, ...], port: int, direction: Direction) -> bool:
        return any(r.ours and mentions(r, port, direction) for r in rules)

    @staticmethod
    def _accept(table: Table, chain: str, port: int, direction: Direction, decision: Decision) -> Command:
        rule = ("tcp", FIELD[direction], str(port), "accept", "comment", TAG)
        if decision.position is None:  # the policy blocks: append, it runs before the policy
            return Command(("nft", "add", "rule", table.family, table.name, chain) + rule)
        return Command(("nft", "insert", "rule", table.family, table.name, chain,
                        "position", _handle(decision.position)) + rule)


def _handle(rule: Rule) -> str:
    if not rule.ref.isdigit():
        raise FirewallError("the nftables listing has no rule handles; list it with `nft -a list ruleset`")
    return rule.ref
