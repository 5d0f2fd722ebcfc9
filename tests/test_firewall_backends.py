"""Command generation and verdicts per backend, against rule listings under tests/data/firewall/
(issue 8, acceptance point 1). tests/data/firewall/README.md says where each listing comes from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from port443.firewall.appfw import SOCKETFILTERFW, AppFirewall
from port443.firewall.firewalld import Firewalld
from port443.firewall.iptables import Iptables
from port443.firewall.model import Direction, FirewallError, Request, Verdict
from port443.firewall.nftables import Nftables
from port443.firewall.pf import Pf
from port443.firewall.ufw import Ufw
from port443.firewall.windows import Windows

DATA = Path(__file__).parent / "data" / "firewall"
BOTH = Request(443)
IN = Request(443, (Direction.IN,))


def listings(backend: str, scenario: str) -> dict[str, str]:
    """{key: text} from DATA/backend/scenario.KEY.txt."""
    found = {p.name[len(scenario) + 1:-4]: p.read_text() for p in (DATA / backend).glob(f"{scenario}.*.txt")}
    assert found, f"no listing {backend}/{scenario}"
    return found


def lines(plan) -> list[str]:
    return [c.display() for c in plan.commands]


# --- Windows: the guide's rules, rule for rule ---------------------------------------------

def test_windows_open_follows_the_guide_inbound_and_outbound():
    plan = Windows().plan_open(listings("windows", "default"), BOTH)
    assert lines(plan) == [
        'netsh advfirewall firewall add rule name="port443 HTTPS (TCP 443 In)" dir=in action=allow '
        'protocol=TCP localport=443 profile=domain,private',
        'netsh advfirewall firewall add rule name="port443 HTTPS (TCP 443 Out)" dir=out action=allow '
        'protocol=TCP localport=443 profile=domain,private',
    ]
    assert plan.persistent


def test_windows_status_blocks_inbound_by_default_policy_and_ignores_disabled_and_narrow_rules():
    report = Windows().report(listings("windows", "default"), 443)
    assert report.active and report.verdict(Direction.IN) is Verdict.BLOCKED
    assert report.verdict(Direction.OUT) is Verdict.ALLOWED
    domain = next(d for d in report.decisions[Direction.IN] if "domain" in d.where)
    assert domain.rule is None  # the policy decided: the IIS rule is disabled
    assert [r.ref for r in domain.partial] == ["Office web (HTTPS from the office)"]


def test_windows_open_twice_adds_nothing_and_status_allows_only_the_guides_profiles():
    opened = listings("windows", "opened")
    assert lines(Windows().plan_open(opened, BOTH)) == []
    report = Windows().report(opened, 443)
    verdicts = {d.where: d.verdict for d in report.decisions[Direction.IN]}
    assert verdicts == {"Windows Firewall (domain profile)": Verdict.ALLOWED,
                        "Windows Firewall (private profile)": Verdict.ALLOWED,
                        "Windows Firewall (public profile)": Verdict.BLOCKED}


def test_windows_open_with_public_profile_is_refused_to_change_silently():
    plan = Windows().plan_open(listings("windows", "opened"), Request(443, profiles=("domain", "private", "public")))
    assert lines(plan) == []
    assert any("run close, then open" in n for n in plan.notes)


def test_windows_close_deletes_our_named_rules_only():
    assert lines(Windows().plan_close(listings("windows", "opened"), BOTH)) == [
        'netsh advfirewall firewall delete rule name="port443 HTTPS (TCP 443 In)" dir=in',
        'netsh advfirewall firewall delete rule name="port443 HTTPS (TCP 443 Out)" dir=out',
    ]
    assert lines(Windows().plan_close(listings("windows", "default"), BOTH)) == []


def test_windows_block_rule_wins_and_the_note_says_how_to_disable_it():
    plan = Windows().plan_open(listings("windows", "block-rule"), IN)
    assert len(plan.commands) == 1
    assert any('name="Block HTTPS" new enable=no' in n for n in plan.notes)
    report = Windows().report(listings("windows", "block-rule"), 443)
    assert report.decisions[Direction.IN][0].rule.ref == "Block HTTPS"


def test_windows_profile_turned_off_lets_everything_in():
    report = Windows().report(listings("windows", "public-off"), 443)
    public = next(d for d in report.decisions[Direction.IN] if "public" in d.where)
    assert public.verdict is Verdict.ALLOWED and "turned off" in public.where


# --- ufw (listings recorded from ufw 0.36) ---------------------------------------------------

def test_ufw_appends_when_only_the_default_policy_blocks():
    plan = Ufw().plan_open(listings("ufw", "default-deny"), BOTH)
    assert lines(plan) == ["ufw allow in proto tcp to any port 443 comment port443"]
    assert plan.persistent


def test_ufw_prepends_when_a_rule_blocks():
    assert lines(Ufw().plan_open(listings("ufw", "deny-any-protocol"), IN)) == [
        "ufw prepend allow in proto tcp to any port 443 comment port443"]


def test_ufw_refuses_to_overwrite_the_users_rule_with_the_same_spec():
    plan = Ufw().plan_open(listings("ufw", "deny-same-rule"), IN)
    assert lines(plan) == []
    assert "ufw delete deny in proto tcp to any port 443" in plan.notes[0]


def test_ufw_open_twice_adds_nothing():
    assert lines(Ufw().plan_open(listings("ufw", "prepended"), BOTH)) == []
    report = Ufw().report(listings("ufw", "prepended"), 443)
    assert report.verdict(Direction.IN) is Verdict.ALLOWED


def test_ufw_outgoing_deny_still_lets_the_servers_replies_out():
    report = Ufw().report(listings("ufw", "deny-outgoing"), 443)
    assert report.verdict(Direction.OUT) is Verdict.ALLOWED
    assert lines(Ufw().plan_open(listings("ufw", "deny-outgoing"), BOTH)) == []


def test_ufw_status_sees_the_ipv6_copy_still_blocked_after_an_insert():
    report = Ufw().report(listings("ufw", "opened"), 443)
    by_family = {d.where: d.verdict for d in report.decisions[Direction.IN]}
    assert by_family == {"ufw (IPv4) incoming": Verdict.ALLOWED, "ufw (IPv6) incoming": Verdict.BLOCKED}
    assert lines(Ufw().plan_open(listings("ufw", "opened"), IN)) == []  # ours is there: no second rule


def test_ufw_close_deletes_our_rules_only():
    assert lines(Ufw().plan_close(listings("ufw", "opened"), BOTH)) == [
        "ufw delete allow in proto tcp to any port 443", "ufw delete allow out proto tcp from any port 443"]
    assert lines(Ufw().plan_close(listings("ufw", "deny-any-protocol"), BOTH)) == []


def test_ufw_inactive_needs_nothing():
    assert not Ufw().report(listings("ufw", "inactive"), 443).active
    assert lines(Ufw().plan_open(listings("ufw", "inactive"), BOTH)) == []


# --- firewalld ------------------------------------------------------------------------------

def test_firewalld_open_creates_our_service_and_reloads():
    plan = Firewalld().plan_open(listings("firewalld", "default"), BOTH)
    assert lines(plan) == [
        "firewall-cmd --permanent --new-service=port443-443",
        "firewall-cmd --permanent --service=port443-443 '--set-description=Opened by port443 firewall open'",
        "firewall-cmd --permanent --service=port443-443 --add-port=443/tcp",
        "firewall-cmd --permanent --zone=public --add-service=port443-443",
        "firewall-cmd --reload",
    ]
    assert any("outbound" in n for n in plan.notes)


def test_firewalld_open_twice_adds_nothing_and_https_service_already_allows():
    assert lines(Firewalld().plan_open(listings("firewalld", "opened"), BOTH)) == []
    report = Firewalld().report(listings("firewalld", "https-service"), 443)
    assert report.verdict(Direction.IN) is Verdict.ALLOWED
    assert report.decisions[Direction.IN][0].rule.text == "service https"


def test_firewalld_rich_reject_blocks_and_a_narrow_accept_is_partial():
    report = Firewalld().report(listings("firewalld", "rich-reject"), 443)
    decision = report.decisions[Direction.IN][0]
    assert decision.verdict is Verdict.BLOCKED and "reject" in decision.rule.text
    assert "10.0.0.0/8" in decision.partial[0].text


def test_firewalld_close_removes_our_service_only():
    assert lines(Firewalld().plan_close(listings("firewalld", "opened"), BOTH)) == [
        "firewall-cmd --permanent --zone=public --remove-service=port443-443",
        "firewall-cmd --permanent --delete-service=port443-443",
        "firewall-cmd --reload",
    ]
    assert lines(Firewalld().plan_close(listings("firewalld", "https-service"), BOTH)) == []


def test_firewalld_not_running_is_inactive():
    assert not Firewalld().report(listings("firewalld", "not-running"), 443).active


# --- nftables (listings recorded from nft 1.0.6) --------------------------------------------

def test_nftables_inserts_before_the_drop_rule():
    plan = Nftables().plan_open(listings("nftables", "blocked"), BOTH)
    assert lines(plan) == ["nft insert rule inet filter input position 9 tcp dport 443 accept comment port443"]
    assert not plan.persistent and "nftables.conf" in plan.notes[-1]


def test_nftables_follows_jumps_and_appends_before_a_drop_policy():
    listing = listings("nftables", "policy-drop")
    report = Nftables().report(listing, 443)
    blocked = [d for d in report.decisions[Direction.IN] if d.verdict is Verdict.BLOCKED]
    assert [d.where for d in blocked] == ["inet filter input"]
    assert "reject with tcp reset" in blocked[0].rule.text
    assert report.verdict(Direction.OUT) is Verdict.ALLOWED  # ct state established accept
    assert lines(Nftables().plan_open(listing, BOTH)) == [
        "nft insert rule inet filter input position 8 tcp dport 443 accept comment port443"]
    other = Nftables().report(listing, 8443)
    assert {d.where for d in other.decisions[Direction.IN] if d.verdict is Verdict.BLOCKED} == {
        "inet filter input", "ip extra input"}
    assert lines(Nftables().plan_open(listing, Request(8443, (Direction.IN,)))) == [
        "nft add rule inet filter input tcp dport 8443 accept comment port443",  # the policy drops: append
        "nft insert rule ip extra input position 4 tcp dport 8443 accept comment port443",
    ]


def test_nftables_open_twice_adds_nothing_and_close_deletes_our_handle():
    opened = listings("nftables", "opened")
    assert lines(Nftables().plan_open(opened, BOTH)) == []
    assert lines(Nftables().plan_close(opened, BOTH)) == ["nft delete rule inet filter input handle 10"]
    assert lines(Nftables().plan_close(listings("nftables", "blocked"), BOTH)) == []


def test_nftables_leaves_iptables_nft_tables_to_the_iptables_backend():
    report = Nftables().report(listings("nftables", "iptables-nft"), 443)
    assert not report.active
    assert "managed by iptables-nft" in report.notes[0]


def test_nftables_without_handles_is_a_one_line_error():
    no_handles = {"ruleset": re.sub(r"\s*# handle \d+", "", listings("nftables", "blocked")["ruleset"])}
    with pytest.raises(FirewallError, match="nft -a list ruleset"):
        Nftables().plan_open(no_handles, BOTH)


# --- iptables (listings recorded from iptables 1.8.9) ---------------------------------------

def test_iptables_inserts_at_the_number_of_the_drop_rule():
    assert lines(Iptables().plan_open(listings("iptables", "blocked"), BOTH)) == [
        "iptables -w -I INPUT 5 -p tcp --dport 443 -m comment --comment port443 -j ACCEPT"]


def test_iptables_inserts_before_the_jump_that_rejects():
    assert lines(Iptables().plan_open(listings("iptables", "policy-drop"), BOTH)) == [
        "iptables -w -I INPUT 3 -p tcp --dport 443 -m comment --comment port443 -j ACCEPT"]


def test_iptables_open_twice_adds_nothing_and_close_deletes_our_spec():
    opened = listings("iptables", "opened")
    assert lines(Iptables().plan_open(opened, BOTH)) == []
    assert lines(Iptables().plan_close(opened, BOTH)) == [
        "iptables -w -D INPUT -p tcp -m tcp --dport 443 -m comment --comment port443 -j ACCEPT"]


def test_ip6tables_uses_its_own_binary():
    assert lines(Iptables("ip6tables").plan_open(listings("iptables", "blocked"), IN))[0].startswith(
        "ip6tables -w -I INPUT 5 ")


def test_iptables_empty_is_inactive_and_needs_nothing():
    assert not Iptables().report(listings("iptables", "empty"), 443).active
    assert lines(Iptables().plan_open(listings("iptables", "empty"), BOTH)) == []


# --- pf and the macOS application firewall --------------------------------------------------

def test_pf_open_loads_our_anchor_with_quick_rules():
    plan = Pf().plan_open(listings("pf", "block-in"), BOTH)
    assert lines(plan) == [
        "echo 'pass in quick proto tcp from any to any port 443 flags S/SA keep state label \"port443\"\n"
        "pass out quick proto tcp from any port 443 to any keep state label \"port443\"' "
        "| pfctl -a com.apple/port443 -f -"]
    assert not plan.persistent


def test_pf_status_last_match_wins_and_narrow_pass_is_partial():
    report = Pf().report(listings("pf", "block-in"), 443)
    decision = report.decisions[Direction.IN][0]
    assert decision.verdict is Verdict.BLOCKED and decision.rule.text == "block drop in all"
    assert "192.0.2.0/24" in decision.partial[0].text
    assert Pf().report(listings("pf", "block-in"), 22).verdict(Direction.IN) is Verdict.ALLOWED


def test_pf_open_twice_keeps_one_rule_and_close_flushes_our_anchor():
    opened = listings("pf", "opened")
    assert Pf().report(opened, 443).verdict(Direction.IN) is Verdict.ALLOWED
    plan = Pf().plan_open(opened, IN)
    assert lines(plan) == []
    assert lines(Pf().plan_close(opened, IN)) == ["pfctl -a com.apple/port443 -F rules"]
    assert lines(Pf().plan_close(listings("pf", "block-in"), BOTH)) == []


def test_pf_disabled_needs_nothing():
    assert not Pf().report(listings("pf", "disabled"), 443).active
    assert lines(Pf().plan_open(listings("pf", "disabled"), BOTH)) == []


def test_appfw_allows_the_listening_program():
    found = listings("appfw", "on") | {"program": "/usr/local/sbin/nginx"}
    assert AppFirewall().report(found, 443).verdict(Direction.IN) is Verdict.BLOCKED
    assert lines(AppFirewall().plan_open(found, BOTH)) == [
        f"{SOCKETFILTERFW} --add /usr/local/sbin/nginx", f"{SOCKETFILTERFW} --unblockapp /usr/local/sbin/nginx"]
    allowed = listings("appfw", "nginx-allowed") | {"program": "/usr/local/sbin/nginx"}
    assert lines(AppFirewall().plan_open(allowed, BOTH)) == []


def test_appfw_without_a_program_says_how_and_close_removes_nothing():
    plan = AppFirewall().plan_open(listings("appfw", "on"), BOTH)
    assert lines(plan) == [] and "--program PATH" in plan.notes[0]
    assert lines(AppFirewall().plan_close(listings("appfw", "on"), BOTH)) == []
    assert AppFirewall().report(listings("appfw", "block-all"), 443).verdict(Direction.IN) is Verdict.BLOCKED
    assert not AppFirewall().report(listings("appfw", "off"), 443).active
