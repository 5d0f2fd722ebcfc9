"""nftables: read `nft -a list ruleset`, insert our accept rule before what blocks.

In nftables an accept is final only within its own base chain: a drop in any
other base chain on the same hook still drops. So opening a port means adding
our rule to each chain that blocks it, just before the rule that blocks (or at
the end, before the policy), never a table of our own.
"""

from __future__ import annotations

from port443.firewall.backend import Listings, listing
from port443.firewall.model import (
    TAG, Command, Decision, Direction, FirewallError, Plan, PortReport, Request, Rule,
)
from port443.firewall.netfilter import base_chains, decide, our_rules, plan_accepts, port_rules
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
        active = False
        for direction in Direction:
            found: list[Decision] = []
            for table in tables:
                for base in base_chains(table.chains, direction):
                    active = True
                    found.append(decide(table.chains, base, port, direction))
            decisions[direction] = tuple(found)
        rules = tuple(r for table in tables for r in port_rules(table.chains.values(), port))
        return PortReport(self.name, active, decisions, rules, notes)

    def plan_open(self, listings: Listings, request: Request) -> Plan:
        commands, notes = plan_accepts(self.name, ((t, t.label, t.chains) for t in self.tables(listings)),
                                       request, _accept)
        return Plan(self.name, tuple(commands), tuple(notes) + ((NOT_PERSISTENT,) if commands else ()),
                    persistent=False)

    def plan_close(self, listings: Listings, request: Request) -> Plan:
        commands = [Command(("nft", "delete", "rule", table.family, table.name, chain.name, "handle", _handle(rule)))
                    for table in self.tables(listings) for chain, rule in our_rules(table.chains.values(), request)]
        notes = () if commands else (f"no rule of ours for TCP {request.port} in nftables; nothing to remove",)
        return Plan(self.name, tuple(commands), notes, persistent=False)


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
