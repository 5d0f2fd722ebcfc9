"""Every parser of rule listings takes any text: it returns rules or nothing, never raises, never hangs.

Inputs are random text, and recorded listings with random damage (lines cut,
dropped, duplicated, bytes flipped), so the fuzz reaches deep into each format.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from port443.firewall import firewalld, iptables, listeners, nftables_parse, pf, ufw, windows
from port443.firewall.appfw import AppFirewall, parse_apps
from port443.firewall.firewalld import Firewalld
from port443.firewall.iptables import Iptables
from port443.firewall.model import Direction, FirewallError, Request
from port443.firewall.nftables import Nftables
from port443.firewall.pf import Pf
from port443.firewall.ufw import Ufw
from port443.firewall.windows import Windows
from port443.net.probe import describe_answer, is_tls_record

DATA = Path(__file__).parent / "data" / "firewall"
SAMPLES = [p.read_text() for p in sorted(DATA.glob("*/*.txt"))]
EXAMPLES = int(os.environ.get("PORT443_FUZZ_EXAMPLES", "150"))  # raise it for a longer hunt
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def damaged_listing(draw) -> str:
    lines = draw(st.sampled_from(SAMPLES)).splitlines()
    for _ in range(draw(st.integers(0, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["cut", "drop", "dup", "noise", "brace"]))
        if kind == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
        elif kind == "drop":
            del lines[i]
        elif kind == "dup":
            lines.insert(i, lines[i])
        elif kind == "noise":
            lines[i] += draw(st.text(max_size=20))
        else:
            lines.insert(i, draw(st.sampled_from(["{", "}", '"', "table", "chain x {", "[ 1]", "Rule Name:"])))
    return "\n".join(lines)


listing_text = st.one_of(st.text(max_size=400), damaged_listing())
ports = st.integers(1, 65535)


@FUZZ
@given(listing_text, ports)
def test_every_backend_reports_and_plans_on_any_listing(text: str, port: int) -> None:
    request = Request(port)
    backends = [(Nftables(), "ruleset"), (Iptables(), "rules"), (Windows(), "rules"), (Windows(), "profiles"),
                (Firewalld(), "zones"), (Pf(), "rules"), (Pf(), "anchor"), (AppFirewall(), "listapps")]
    for backend, key in backends:
        found = {"state": "running", "info": "Status: Enabled", "getglobalstate": "Firewall is enabled.",
                 "verbose": "Status: active", key: text}
        report = backend.report(found, port)
        assert set(report.decisions) <= set(Direction)
        for planner in (backend.plan_open, backend.plan_close):
            try:
                plan = planner(found, request)
            except FirewallError as exc:  # the documented one-line refusal (e.g. nft without handles)
                assert "\n" not in str(exc)
                continue
            assert all(isinstance(c.display(), str) for c in plan.commands)
    for key in ("numbered", "verbose"):
        found = {"verbose": "Status: active\nDefault: deny (incoming), allow (outgoing)", key: text}
        Ufw().report(found, port)
        Ufw().plan_open(found, request)


@FUZZ
@given(listing_text)
def test_rule_parsers_return_rules_or_nothing(text: str) -> None:
    for table in nftables_parse.parse_ruleset(text):
        assert all(isinstance(r.text, str) for c in table.chains.values() for r in c.rules)
    iptables.parse_rules(text)
    windows.parse_profiles(text)
    for block in windows.parse_rule_blocks(text):
        if "Rule Name" in block:
            windows.block_rule(block)
    firewalld.parse_zones(text)
    for zone in firewalld.parse_zones(text):
        firewalld.zone_rules(zone)
    parse_apps(text)
    for i, line in enumerate(text.splitlines()):
        nftables_parse.parse_rule(line)
        ufw.parse_row(line)
        pf.parse_rule(line, i)
    ufw.parse_status(text)


@FUZZ
@given(listing_text, ports)
def test_listener_parsers_take_any_text(text: str, port: int) -> None:
    for platform in ("linux", "darwin", "windows"):
        for listener in listeners.parse_listeners(platform, {"ss": text, "lsof": text, "netstat": text,
                                                             "tasklist": text}, port):
            assert listener.port == port


@FUZZ
@given(st.binary(max_size=64))
def test_answer_classifier_takes_any_bytes(data: bytes) -> None:
    assert isinstance(describe_answer(data), str)
    if data[:1] == b"\x16" and data[1:2] in (b"", b"\x03"):
        assert is_tls_record(data[:2])
