"""`port443 firewall` detection and CLI behaviour that needs no namespace.

Detection runs `survey` with a runner that answers from recorded listings, so
it is tested without touching this machine's firewall. The CLI cases here all
fail before reading any rule; real reads and changes are in test_firewall_netns.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from port443.firewall.listeners import parse_lsof, parse_netstat, parse_ss, parse_tasklist
from port443.firewall.model import Command, Direction, Request, Verdict
from port443.firewall.survey import plans, survey
from port443.firewall.system import Result
from port443.net.probe import describe_answer

DATA = Path(__file__).parent / "data" / "firewall"


def recorded(outputs: dict[tuple[str, ...], str], failing: dict[tuple[str, ...], str] | None = None):
    """A runner that answers each command from `outputs` (prefix match), like the real one would."""
    def runner(command: Command) -> Result:
        for argv, text in (failing or {}).items():
            if command.argv[:len(argv)] == argv:
                return Result(command, 1, "", text)
        for argv, text in outputs.items():
            if command.argv[:len(argv)] == argv:
                return Result(command, 0, text, "")
        return Result(command, 127, "", f"{command.argv[0]}: not installed")
    return runner


def read(path: str) -> str:
    return (DATA / path).read_text()


SS = ('LISTEN 0      511          0.0.0.0:443       0.0.0.0:*    users:(("nginx",pid=812,fd=6),("nginx",pid=811,fd=6))\n'
      'LISTEN 0      511             [::]:443          [::]:*    users:(("nginx",pid=812,fd=7))\n'
      'LISTEN 0      128        127.0.0.1:5432      0.0.0.0:*\n')


def test_survey_finds_the_active_firewall_and_who_listens():
    runner = recorded({("ss",): SS, ("nft",): read("nftables/blocked.ruleset.txt"),
                       ("iptables",): read("iptables/empty.rules.txt"), ("ip6tables",): read("iptables/empty.rules.txt"),
                       ("ufw", "status", "verbose"): read("ufw/inactive.verbose.txt"),
                       ("ufw", "status", "numbered"): read("ufw/inactive.numbered.txt")},
                      failing={("firewall-cmd", "--state"): "not running"})
    found = survey(443, "linux", runner, is_installed=lambda _: True)
    assert [(f.backend.name, bool(f.report and f.report.active)) for f in found.found] == [
        ("ufw", False), ("firewalld", False), ("nftables", True), ("iptables", False), ("ip6tables", False)]
    assert found.verdict(Direction.IN) is Verdict.BLOCKED
    assert [(x.process, x.pid, x.address) for x in found.listeners] == [
        ("nginx", 812, "0.0.0.0"), ("nginx", 811, "0.0.0.0"), ("nginx", 812, "::")]
    assert [p.backend for p in plans(found.found, Request(443), opening=True)] == ["nftables"]


def test_survey_leaves_iptables_to_an_active_ufw():
    runner = recorded({("ss",): "", ("iptables",): read("iptables/blocked.rules.txt"),
                       ("ufw", "status", "verbose"): read("ufw/default-deny.verbose.txt"),
                       ("ufw", "status", "numbered"): read("ufw/default-deny.numbered.txt")},
                      failing={("ip6tables",): "ip6tables v1.8.9 (nf_tables): chain `ufw6-user-input' in table "
                                               "`filter' is incompatible, use 'nft' tool."})
    found = survey(443, "linux", runner, only=None, is_installed=lambda p: p in ("ufw", "iptables", "ip6tables"))
    by_name = {f.backend.name: f for f in found.found}
    assert by_name["iptables"].managed_by == "ufw" and not by_name["iptables"].usable
    assert by_name["ip6tables"].error and found.unreadable() == []  # ufw's to read, not ours
    assert [p.backend for p in plans(found.found, Request(443), opening=True)] == ["ufw"]


def test_survey_reports_an_unreadable_firewall_in_one_line():
    runner = recorded({("ss",): ""}, failing={("nft",): "Error: Operation not permitted\n"})
    found = survey(443, "linux", runner, only="nftables", is_installed=lambda _: True)
    assert found.found[0].error == "nft -a list ruleset: Error: Operation not permitted"
    assert found.listeners_error is None
    no_ss = survey(443, "linux", recorded({}), only="nftables", is_installed=lambda _: False)
    assert no_ss.listeners_error == "ss -Hltnp: ss: not installed"


def test_listener_parsers_read_each_platforms_listing():
    lsof = ("COMMAND   PID USER   FD   TYPE             DEVICE SIZE/OFF NODE NAME\n"
            "nginx     501 root    6u  IPv4 0x3c1e4a5b2d7f9e11      0t0  TCP *:443 (LISTEN)\n"
            "Python   1234 me      3u  IPv6 0x3c1e4a5b2d7f9e12      0t0  TCP [::1]:8443 (LISTEN)\n")
    assert [(x.process, x.pid, x.address) for x in parse_lsof(lsof, 443)] == [("nginx", 501, "*")]
    netstat = ("\nActive Connections\n\n  Proto  Local Address          Foreign Address        State           PID\n"
               "  TCP    0.0.0.0:443            0.0.0.0:0              LISTENING       4\n"
               "  TCP    [::]:443               [::]:0                 LISTENING       4\n"
               "  TCP    10.0.0.5:50432         93.184.216.34:443      ESTABLISHED     7012\n")
    names = parse_tasklist('"System","4","Services","0","144 K"\n"chrome.exe","7012","Console","1","90,000 K"\n')
    assert [(x.process, x.address) for x in parse_netstat(netstat, 443, names)] == [("System", "0.0.0.0"),
                                                                                    ("System", "::")]
    assert parse_ss(SS, 8443) == []


@pytest.mark.parametrize("data, words", [
    (b"\x16\x03\x03\x00\x7a", "TLS handshake record"),
    (b"\x15\x03\x03\x00\x02", "TLS alert"),
    (b"HTTP/1.1 400 Bad Request\r\n", "plain HTTP (HTTP/1.1 400 Bad Request)"),
    (b"SSH-2.0-OpenSSH_9.2", "SSH banner"),
    (b"\x00\x01\x02", "not a TLS record (00 01 02)"),
])
def test_answers_are_described(data: bytes, words: str) -> None:
    assert words in describe_answer(data)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "port443", "firewall", *args], capture_output=True, text=True,
                          timeout=60)


def test_help_documents_every_exit_code():
    done = cli("--help")
    assert done.returncode == 0
    for code in ("0", "2", "3", "4", "5", "10", "11", "12", "13"):
        assert f"\n  {code} " in done.stdout.replace("\n\n", "\n")


@pytest.mark.parametrize("args, message", [
    (("open", "--profiles", "domain,office"), "unknown profile office; use some of domain,private,public"),
    (("status", "--backend", "zonealarm"), "unknown backend 'zonealarm'"),
    (("close", "--direction", "sideways"), "Invalid value for '--direction'"),
    (("open", "--port", "65536"), "Invalid value for '--port'"),
])
def test_bad_input_is_one_line_and_reads_nothing(args: tuple[str, ...], message: str) -> None:
    done = cli(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
