"""What every firewall backend offers: pure functions from listings to reports and plans.

A backend names the commands that list its rules (`listing_commands`); the
caller runs them (or reads a recorded fixture) and hands the outputs back by
key. From those texts alone the backend reports what it does with TCP on a
port and plans the commands that open or close it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from port443.firewall.model import Command, Plan, PortReport, Request

Listings = Mapping[str, str]


class Backend(Protocol):
    name: str  # "nftables", "iptables", "ufw", "firewalld", "windows", "pf", "appfw"
    title: str  # how the report names it
    platform: str  # "linux", "windows" or "darwin"

    def listing_commands(self) -> dict[str, Command]:
        """The commands whose outputs `report` and the plans read, by key."""
        ...

    def report(self, listings: Listings, port: int) -> PortReport:
        """Is the backend active, and what does it do with TCP on the port, per direction?"""
        ...

    def plan_open(self, listings: Listings, request: Request) -> Plan:
        """The commands that let TCP on the port through, adding nothing already there."""
        ...

    def plan_close(self, listings: Listings, request: Request) -> Plan:
        """The commands that remove the rules we added for the port, and nothing else."""
        ...


def listing(listings: Listings, key: str) -> str:
    return listings.get(key, "") or ""
