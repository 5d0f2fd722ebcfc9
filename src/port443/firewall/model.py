"""The values the firewall backends share: requests, rules, verdicts, commands, plans.

Every backend turns a rule listing (text it was handed) into these values and
turns a request into a Plan of Commands. Nothing here runs a command.
"""

from __future__ import annotations

import enum
import shlex
from dataclasses import dataclass, field

# Every rule we add carries this word (as a comment, a label, a rule name or a
# service name), so that `close` can find exactly what `open` added.
TAG = "port443"

PROFILES = ("domain", "private", "public")
DEFAULT_PROFILES = ("domain", "private")  # the guide's step 7


class FirewallError(Exception):
    """A firewall listing or request that cannot be handled; the message is one line."""


class Direction(str, enum.Enum):
    IN = "in"
    OUT = "out"


class Verdict(str, enum.Enum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


class Action(str, enum.Enum):
    ACCEPT = "accept"
    DROP = "drop"
    REJECT = "reject"
    JUMP = "jump"  # into another chain, back here if it falls through
    GOTO = "goto"  # into another chain, no way back
    RETURN = "return"
    CONTINUE = "continue"  # log, counter, mark: the next rule decides



# A port set as inclusive ranges; None means every port.
PortRanges = tuple[tuple[int, int], ...]


def port_in(port: int, ranges: PortRanges | None) -> bool:
    return ranges is None or any(lo <= port <= hi for lo, hi in ranges)


def local_ports(rule: Rule, direction: Direction) -> PortRanges | None:
    """The rule's ports on our side: the destination port inbound, the source port outbound."""
    return rule.dports if direction is Direction.IN else rule.sports


def remote_ports(rule: Rule, direction: Direction) -> PortRanges | None:
    return rule.sports if direction is Direction.IN else rule.dports


@dataclass(frozen=True)
class Rule:
    """One rule of a listing, reduced to what decides a TCP connection on a port.

    `narrowed` is true when the rule also matches on something we do not model
    (a source address, an interface, a negation, a rate): it decides only for
    some connections. `states` is None when the rule does not look at conntrack;
    `dports`/`sports` are None when the rule does not look at that port.
    """

    text: str
    action: Action
    protocol: str | None = None  # "tcp", "udp", ... ; None matches every protocol
    dports: PortRanges | None = None
    sports: PortRanges | None = None
    states: frozenset[str] | None = None
    narrowed: bool = False
    target: str | None = None  # the chain of a jump or goto
    ours: bool = False
    ref: str = ""  # how the backend addresses the rule: a handle, a number, a name


@dataclass(frozen=True)
class Chain:
    name: str
    rules: tuple[Rule, ...]
    policy: Action | None = None  # None for a chain that is only jumped to
    hook: str | None = None  # "input", "output", ... for a base chain
    priority: int = 0
    table: str = ""  # "inet filter", "ip filter", ...


@dataclass(frozen=True)
class Decision:
    """What one base chain (or ruleset) does with a new connection to the port."""

    verdict: Verdict
    where: str  # "inet filter input", "ufw", "Windows Defender Firewall (domain)"
    rule: Rule | None = None  # the rule that decided; None when the policy did
    position: Rule | None = None  # the rule of the base chain at which it was decided
    partial: tuple[Rule, ...] = ()  # rules that decide only for some connections

    def describe(self) -> str:
        how = f"rule `{self.rule.text}`" if self.rule else "the chain's default policy"
        return f"{self.where}: {self.verdict.value} by {how}"


@dataclass(frozen=True)
class Command:
    """One command line; `stdin` is text piped into it (pf reads its rules that way)."""

    argv: tuple[str, ...]
    stdin: str | None = None
    shell: str = "posix"  # "posix", "cmd" or "powershell": how to display it

    def display(self) -> str:
        if self.shell == "posix":
            line = shlex.join(self.argv)
            if self.stdin is not None:
                line = f"echo {shlex.quote(self.stdin.rstrip(chr(10)))} | {line}"
            return line
        return " ".join(_windows_quote(a) for a in self.argv)


def _windows_quote(arg: str) -> str:
    if arg and not any(c in arg for c in ' "\t&|<>^'):
        return arg
    if "=" in arg and not arg.startswith('"'):  # netsh: name="a rule name"
        key, _, value = arg.partition("=")
        if " " not in key:
            return f'{key}="{value}"'
    return '"' + arg.replace('"', '\\"') + '"'


@dataclass(frozen=True)
class Request:
    port: int = 443
    directions: tuple[Direction, ...] = (Direction.IN, Direction.OUT)
    profiles: tuple[str, ...] = DEFAULT_PROFILES
    program: str | None = None  # the macOS application firewall allows programs, not ports

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535:
            raise FirewallError(f"port {self.port} is out of range; use 1 to 65535")
        bad = [p for p in self.profiles if p not in PROFILES]
        if bad or not self.profiles:
            raise FirewallError(f"unknown profile {', '.join(bad) or '(none)'}; use some of {','.join(PROFILES)}")


@dataclass(frozen=True)
class Plan:
    """The commands that carry out a request on one backend, and what to tell the user."""

    backend: str
    commands: tuple[Command, ...] = ()
    notes: tuple[str, ...] = ()
    persistent: bool = True

    @property
    def empty(self) -> bool:
        return not self.commands


@dataclass(frozen=True)
class PortReport:
    """What one backend does with TCP on the port, per direction."""

    backend: str
    active: bool
    decisions: dict[Direction, tuple[Decision, ...]] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()  # every rule that mentions the port, ours included
    notes: tuple[str, ...] = ()

    def verdict(self, direction: Direction) -> Verdict:
        decisions = self.decisions.get(direction, ())
        if not self.active or not decisions:  # nothing of this backend filters that way
            return Verdict.ALLOWED
        if any(d.verdict is Verdict.BLOCKED for d in decisions):
            return Verdict.BLOCKED
        if all(d.verdict is Verdict.ALLOWED for d in decisions):
            return Verdict.ALLOWED
        return Verdict.UNKNOWN
