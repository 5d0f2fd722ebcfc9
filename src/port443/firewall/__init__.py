"""Firewalls: read their rules, say what they do with a TCP port, plan the commands that open it.

Each backend module is pure (listing text in, reports and plans out):
windows (netsh), ufw, firewalld, nftables, iptables, pf and appfw (macOS).
`survey` runs the listing commands and plans on this machine; nothing here prints.
"""

from port443.firewall.model import (
    TAG, Command, Decision, Direction, FirewallError, Plan, PortReport, Request, Rule, Verdict,
)

__all__ = ["TAG", "Command", "Decision", "Direction", "FirewallError", "Plan", "PortReport", "Request", "Rule",
           "Verdict"]
