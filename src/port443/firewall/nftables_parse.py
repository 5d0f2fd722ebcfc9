"""Parse `nft -a list ruleset` into tables of Chains of Rules.

Only what decides a TCP connection on a port is modelled; any statement we do
not understand makes its rule "narrowed" (it may decide for some connections),
never silently "matches everything".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from port443.firewall.model import TAG, Action, Chain, PortRanges, Rule
from port443.firewall.ports import parse_ports

FAMILIES = ("ip", "ip6", "inet")  # the families whose chains filter local TCP
FILTER_TYPES = ("filter", "route")
PRIORITY_NAMES = {"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100}
L4_PROTOCOLS = ("tcp", "udp", "udplite", "sctp", "dccp", "th")
VERDICTS = {"accept": Action.ACCEPT, "drop": Action.DROP, "reject": Action.REJECT,
            "return": Action.RETURN, "continue": Action.CONTINUE}
BLOCK_KEYWORDS = ("set", "map", "flowtable", "counter", "quota", "limit", "ct", "secmark", "synproxy")

_TOKEN = re.compile(r'"[^"]*"|!=|[{},]|[^\s{},"]+')
_HANDLE = re.compile(r"\s*#\s*handle\s+(\d+)\s*$")
_TABLE = re.compile(r"^table\s+(\S+)\s+(\S+)\s*\{")
_CHAIN = re.compile(r"^chain\s+(\S+)\s*\{")
_HOOK = re.compile(r"type\s+(\w+)\s+hook\s+(\w+)(?:\s+device\s+\S+)?\s+priority\s+([a-z]+|-?\d+)(?:\s*([+-])\s*(\d+))?")
_POLICY = re.compile(r"policy\s+(accept|drop)")
_MANAGED = re.compile(r"table\s+(\S+)\s+(\S+)\s+is managed by iptables-nft")


@dataclass
class Table:
    family: str
    name: str
    chains: dict[str, Chain] = field(default_factory=dict)
    managed_by: str | None = None  # "iptables-nft", "firewalld": not ours to edit

    @property
    def label(self) -> str:
        return f"{self.family} {self.name}"


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _read_value(toks: list[str], i: int) -> tuple[str, int, bool]:
    """The value at toks[i] (a word or a { set }), the index after it, and whether it was negated."""
    negated = False
    if i < len(toks) and toks[i] in ("!=", "=="):
        negated = toks[i] == "!="
        i += 1
    if i < len(toks) and toks[i] == "{":
        end = toks.index("}", i) if "}" in toks[i:] else len(toks)
        return " ".join(toks[i:end + 1]), end + 1, negated
    if i >= len(toks):
        return "", i, negated
    words = [toks[i]]
    i += 1
    while i + 1 < len(toks) and toks[i] == ",":  # ct state established,related
        words.append(toks[i + 1])
        i += 2
    return ",".join(words), i, negated


def _set_words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s{},]+", value) if w]


class _RuleReader:
    def __init__(self, text: str, ref: str) -> None:
        self.text, self.ref = text, ref
        self.toks = tokens(text)
        self.protocol: str | None = None
        self.ports: dict[str, PortRanges | None] = {"dport": None, "sport": None}
        self.states: frozenset[str] | None = None
        self.narrowed = False
        self.action = Action.CONTINUE
        self.target: str | None = None
        self.ours = False

    def read(self) -> Rule:
        i = 0
        while i < len(self.toks):
            i = self._step(i)
        return Rule(self.text, self.action, self.protocol, self.ports["dport"], self.ports["sport"],
                    self.states, self.narrowed, self.target, self.ours, self.ref)

    def _protocol(self, value: str, negated: bool) -> None:
        names = _set_words(value)
        if negated:
            self.narrowed = True
        elif "tcp" in names or "6" in names:
            self.protocol = "tcp"
        else:
            self.protocol = names[0] if names else None

    def _step(self, i: int) -> int:
        toks, tok = self.toks, self.toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if tok in L4_PROTOCOLS and nxt in ("dport", "sport"):
            if tok != "th":
                self.protocol = tok
            value, j, negated = _read_value(toks, i + 2)
            ranges = None if value.startswith("@") else parse_ports(value)
            if negated or ranges is None:
                self.narrowed = True
            else:
                self.ports[nxt] = ranges
            return j
        if (tok, nxt) in (("meta", "l4proto"), ("ip", "protocol"), ("ip6", "nexthdr")):
            value, j, negated = _read_value(toks, i + 2)
            self._protocol(value, negated)
            return j
        if (tok, nxt) == ("ct", "state"):
            value, j, negated = _read_value(toks, i + 2)
            if negated:
                self.narrowed = True
            else:
                self.states = frozenset(_set_words(value))
            return j
        if tok == "counter":
            return i + 5 if nxt == "packets" else i + 1
        if tok == "log":
            j = i + 1
            while j + 1 < len(toks) and toks[j] in ("prefix", "level", "flags", "group", "snaplen", "queue-threshold"):
                j += 2
            return j
        if tok == "comment":
            self.ours = nxt.strip('"') == TAG
            return i + 2
        if tok in VERDICTS:
            self.action = VERDICTS[tok]
            if tok == "reject" and nxt == "with":
                j = i + 1
                while j < len(toks) and toks[j] != "comment":
                    j += 1
                return j
            return i + 1
        if tok in ("jump", "goto"):
            self.action = Action.JUMP if tok == "jump" else Action.GOTO
            self.target = nxt.strip('"')
            return i + 2
        if tok == "{":
            self.narrowed = True
            return toks.index("}", i) + 1 if "}" in toks[i:] else len(toks)
        self.narrowed = True  # a statement we do not model
        return i + 1


def parse_rule(line: str) -> Rule:
    """One rule line of `nft -a list ...`."""
    handle = _HANDLE.search(line)
    text = _HANDLE.sub("", line).strip()
    text = re.sub(r"\s+counter packets \d+ bytes \d+", " counter", text)
    return _RuleReader(text, handle.group(1) if handle else "").read()


def _priority(match: re.Match[str]) -> int:
    base, sign, offset = match.group(3), match.group(4), match.group(5)
    value = PRIORITY_NAMES.get(base, 0) if not base.lstrip("-").isdigit() else int(base)
    if sign and offset:
        value += int(offset) if sign == "+" else -int(offset)
    return value


def _brace_delta(line: str) -> int:
    bare = re.sub(r'"[^"]*"', "", line).split("#", 1)[0]
    return bare.count("{") - bare.count("}")


def parse_ruleset(listing: str) -> list[Table]:
    """Every table of a ruleset listing, with its chains; iptables-nft tables are marked."""
    managed = {(m.group(1), m.group(2)) for m in _MANAGED.finditer(listing)}
    tables: list[Table] = []
    table: Table | None = None
    chain: dict | None = None
    skip_depth = 0  # inside a set/map/... block we do not read
    depth = 0
    for raw in listing.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        delta = _brace_delta(line)
        if skip_depth:
            skip_depth += delta
            depth += delta
            continue
        if depth == 0 and (m := _TABLE.match(line)):
            table = Table(m.group(1), m.group(2))
            if (table.family, table.name) in managed:
                table.managed_by = "iptables-nft"
            elif table.name == "firewalld":
                table.managed_by = "firewalld"
            tables.append(table)
        elif depth == 1 and table is not None and (m := _CHAIN.match(line)):
            chain = {"name": m.group(1), "rules": [], "hook": None, "priority": 0, "policy": None, "type": None}
        elif depth == 1 and line.split()[0] in BLOCK_KEYWORDS and delta > 0:
            skip_depth = delta
        elif depth == 2 and chain is not None and line != "}":
            _chain_line(chain, line)
        elif depth == 2 and chain is not None and table is not None:
            table.chains[chain["name"]] = _make_chain(chain, table)
            chain = None
        depth = max(depth + delta, 0)
        if depth == 0:
            if table is not None and table.chains and _looks_like_iptables(table):
                table.managed_by = table.managed_by or "iptables-nft"
            table, chain = None, None
    return tables


def _looks_like_iptables(table: Table) -> bool:
    """iptables-nft's tables: ip/ip6 filter (or nat, ...) whose chains are all named in capitals."""
    return (table.family in ("ip", "ip6") and table.name in ("filter", "nat", "mangle", "raw", "security")
            and all(name.isupper() for name in table.chains))


def _chain_line(chain: dict, line: str) -> None:
    if m := _HOOK.search(line):
        chain["type"], chain["hook"], chain["priority"] = m.group(1), m.group(2), _priority(m)
        if p := _POLICY.search(line):
            chain["policy"] = VERDICTS[p.group(1)]
    elif line.startswith("comment ") or line.startswith("policy ") or line.startswith("devices "):
        if p := _POLICY.search(line):
            chain["policy"] = VERDICTS[p.group(1)]
    else:
        chain["rules"].append(parse_rule(line))


def _make_chain(spec: dict, table: Table) -> Chain:
    filtering = spec["type"] in FILTER_TYPES and table.family in FAMILIES
    return Chain(
        name=spec["name"],
        rules=tuple(spec["rules"]),
        policy=spec["policy"] if filtering else None,
        hook=spec["hook"] if filtering else None,
        priority=spec["priority"],
        table=table.label,
    )
