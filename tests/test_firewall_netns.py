"""Real rules in real network namespaces (issue 8, acceptance points 2 and 3).

Each test makes two namespaces joined by a veth pair on a private /30 that
exists only inside them: a "server" namespace with a TLS listener on 443
(`openssl s_server`, certificate from our own CA) and the firewall rules, and a
"client" namespace the probe and the handshake run from. No packet leaves the
namespaces. Finalizers stop the server and delete both namespaces, which takes
every rule and the veth pair with them, even when a test fails.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from peers import write_pem

from port443.pki.issue import issue_leaf, make_ca

SERVER_IP, CLIENT_IP = "10.203.44.1", "10.203.44.2"  # 10.203.44.0/30, inside our namespaces only
PREFIX = 30
PROBE_TIMEOUT = "1"  # seconds: how long "filtered" waits
LISTEN_DEADLINE = 10.0  # seconds for openssl s_server to accept, or to be gone
COMMAND_TIMEOUT = 60
_names = itertools.count()

HANDSHAKE = (
    "import socket, sys\n"
    "from port443.tls import ClientConfig, ClientConnection\n"
    "from port443.tls.events import AlertReceived, HandshakeComplete\n"
    "conn = ClientConnection(ClientConfig(server_name=sys.argv[2], cafile=sys.argv[1]))\n"
    "with socket.create_connection((sys.argv[2], 443), timeout=5) as sock:\n"
    "    sock.sendall(conn.data_to_send())\n"
    "    while data := sock.recv(65536):\n"
    "        events = conn.receive_data(data)\n"
    "        sock.sendall(conn.data_to_send())\n"
    "        for event in events:\n"
    "            if isinstance(event, (AlertReceived, HandshakeComplete)):\n"
    "                sys.exit(print(event) or (0 if isinstance(event, HandshakeComplete) else 1))\n"
    "sys.exit('closed before the handshake completed')\n"
)
HANDSHAKE = (
    "import socket, ssl, sys\n"
    "ctx = ssl.create_default_context(cafile=sys.argv[1])\n"
    "with socket.create_connection((sys.argv[2], 443), timeout=5) as raw:\n"
    "    with ctx.wrap_socket(raw, server_hostname=sys.argv[2]) as tls:\n"
    "        print(tls.version())\n"
)


def run(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=check)


@dataclass
class Namespaces:
    tag: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def server(self) -> str:
        return f"p443fw-s{self.tag}"

    @property
    def client(self) -> str:
        return f"p443fw-c{self.tag}"

    def create(self) -> None:
        run("ip", "netns", "add", self.server)
        run("ip", "netns", "add", self.client)
        run("ip", "link", "add", f"p4s{self.tag}", "netns", self.server, "type", "veth",
            "peer", "name", f"p4c{self.tag}", "netns", self.client)
        for ns, dev, ip in ((self.server, f"p4s{self.tag}", SERVER_IP), (self.client, f"p4c{self.tag}", CLIENT_IP)):
            run("ip", "-n", ns, "addr", "add", f"{ip}/{PREFIX}", "dev", dev)
            run("ip", "-n", ns, "link", "set", dev, "up")
            run("ip", "-n", ns, "link", "set", "lo", "up")

    def destroy(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        for ns in (self.server, self.client):
            run("ip", "netns", "delete", ns, check=False)

    def exec(self, ns: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run("ip", "netns", "exec", ns, *argv, check=check)

    def port443(self, ns: str, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        return run("ip", "netns", "exec", ns, *prefix, sys.executable, "-m", "port443", "firewall", *args,
                   check=False)

    def listening(self) -> bool:
        return "LISTEN" in self.exec(self.server, "ss", "-Hltn", "sport = :443").stdout

    def start_server(self, certs: Path) -> subprocess.Popen:
        proc = subprocess.Popen(
            ["ip", "netns", "exec", self.server, "openssl", "s_server", "-accept", "443", "-www", "-quiet",
             "-cert", str(certs / "cert.pem"), "-key", str(certs / "key.pem")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        self.processes.append(proc)
        wait_for(lambda: self.listening() or proc.poll() is not None, "openssl s_server to listen on 443")
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "s_server exited"
        return proc

    def stop_server(self, proc: subprocess.Popen) -> None:
        proc.terminate()
        proc.wait(timeout=LISTEN_DEADLINE)
        wait_for(lambda: not self.listening(), "port 443 to stop listening")

    def probe(self) -> tuple[int, dict]:
        done = self.port443(self.client, "probe", SERVER_IP, "--timeout", PROBE_TIMEOUT, "--json")
        return done.returncode, json.loads(done.stdout)

    def handshake(self, certs: Path, script: str = HANDSHAKE) -> subprocess.CompletedProcess[str]:
        return self.exec(self.client, sys.executable, "-c", script, str(certs / "ca.pem"), SERVER_IP, check=False)

    def port443_handshake(self, certs: Path) -> subprocess.CompletedProcess[str]:
        """`port443 handshake` from the client namespace, trusting our CA."""
        return self.exec(self.client, sys.executable, "-m", "port443", "handshake", SERVER_IP, "--cafile",
                         str(certs / "ca.pem"), "--timeout", "5", "--json", check=False)


def wait_for(condition, what: str) -> None:
    """Poll until the condition holds, up to LISTEN_DEADLINE."""
    deadline = time.monotonic() + LISTEN_DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {LISTEN_DEADLINE:g} s waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def netns():
    pair = Namespaces(f"{os.getpid() % 100000}{next(_names)}")
    try:
        pair.create()
        yield pair
    finally:
        pair.destroy()


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    """ca.pem, and cert.pem (chain) with key.pem for SERVER_IP."""
    folder = tmp_path_factory.mktemp("fwcerts")
    ca = make_ca("port443 firewall test CA")
    (folder / "ca.pem").write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    chain, key = write_pem(issue_leaf(ca, [SERVER_IP]), folder, "cert")
    key.rename(folder / "key.pem")
    return folder


@dataclass(frozen=True)
class Variant:
    name: str
    block: tuple[tuple[str, ...], ...]  # the user's own firewall: a drop rule for TCP 443
    drop_text: str  # how `status` names that rule
    listing: tuple[str, ...]  # lists the rules, to count ours and compare before/after

    def ours(self, listing: str) -> int:
        return sum(1 for line in listing.splitlines() if "port443" in line)


NFTABLES = Variant(
    "nftables",
    (("nft", "add", "table", "inet", "hostfw"),
     ("nft", "add", "chain", "inet", "hostfw", "input", "{ type filter hook input priority 0; policy accept; }"),
     ("nft", "add", "rule", "inet", "hostfw", "input", "ct", "state", "established,related", "accept"),
     ("nft", "add", "rule", "inet", "hostfw", "input", "tcp", "dport", "443", "drop")),
    "tcp dport 443 drop",
    ("nft", "-a", "list", "ruleset"),
)
IPTABLES = Variant(
    "iptables",
    (("iptables", "-w", "-A", "INPUT", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"),
     ("iptables", "-w", "-A", "INPUT", "-p", "tcp", "--dport", "443", "-j", "DROP")),
    "-p tcp -m tcp --dport 443 -j DROP",
    ("iptables", "-w", "-S"),
)


def rules_of(netns: Namespaces, variant: Variant) -> str:
    return netns.exec(netns.server, *variant.listing).stdout


@pytest.mark.parametrize("variant", [NFTABLES, IPTABLES], ids=lambda v: v.name)
def test_real_rules_status_probe_open_close(netns: Namespaces, certs: Path, variant: Variant) -> None:
    for command in variant.block:
        netns.exec(netns.server, *command)
    server = netns.start_server(certs)

    # status reports the drop rule, and says inbound is blocked
    status = netns.port443(netns.server, "status")
    assert status.returncode == 0, status.stderr
    assert variant.drop_text in status.stdout
    assert "Inbound TCP 443 overall: blocked" in status.stdout
    assert "listening: openssl (pid" in status.stdout  # who listens
    assert "on every address (*), port 443" in status.stdout  # and where: s_server binds them all
    report = json.loads(netns.port443(netns.server, "status", "--json").stdout)
    blocking = [b for b in report["backends"] if b["verdicts"].get("in") == "blocked"]
    assert [b["name"] for b in blocking] == [variant.name]
    assert any(d["rule"] and d["rule"]["text"] == variant.drop_text for d in blocking[0]["decisions"])

    # from the other namespace: filtered
    code, result = netns.probe()
    assert (code, result["result"]) == (11, "filtered")

    # the dry run prints the command and changes nothing
    before = rules_of(netns, variant)
    dry = netns.port443(netns.server, "open")
    assert dry.returncode == 0, dry.stderr
    assert "Dry run" in dry.stdout and "port443" in dry.stdout
    assert rules_of(netns, variant) == before

    # open --apply: the probe says open and a real TLS handshake succeeds
    opened = netns.port443(netns.server, "open", "--apply")
    assert opened.returncode == 0, opened.stderr
    assert "Inbound TCP 443 overall: allowed" in opened.stdout
    code, result = netns.probe()
    assert (code, result["result"]) == (0, "open")
    handshake = netns.handshake(certs)
    assert handshake.returncode == 0, handshake.stderr
    assert handshake.stdout.strip() in ("TLSv1.3", "TLSv1.2")
    ours = netns.port443_handshake(certs)
    assert ours.returncode == 0, ours.stdout + ours.stderr  # 0: secure, the padlock
    report = json.loads(ours.stdout)
    assert report["verdict"]["secure"] and report["connections"][0]["negotiated"]["version"] == "TLSv1.3"

    # opening twice adds one rule
    assert variant.ours(rules_of(netns, variant)) == 1
    again = netns.port443(netns.server, "open", "--apply")
    assert again.returncode == 0, again.stderr
    assert variant.ours(rules_of(netns, variant)) == 1

    # with no listener (the port allowed), the probe says closed
    netns.stop_server(server)
    code, result = netns.probe()
    assert (code, result["result"]) == (10, "closed")

    # close removes our rule only: the user's drop rule stays, filtered is back
    closed = netns.port443(netns.server, "close", "--apply")
    assert closed.returncode == 0, closed.stderr
    after = rules_of(netns, variant)
    assert variant.ours(after) == 0
    assert after == before
    code, result = netns.probe()
    assert (code, result["result"]) == (11, "filtered")


NO_CAPABILITIES = ("setpriv", "--bounding-set=-all", "--inh-caps=-all", "--ambient-caps=-all")


@pytest.mark.parametrize("args", [("status",), ("open",), ("open", "--apply"), ("close", "--apply")],
                         ids=" ".join)
def test_without_privileges_refuses_in_one_line_and_changes_nothing(netns: Namespaces, args: tuple[str, ...]) -> None:
    for command in NFTABLES.block:
        netns.exec(netns.server, *command)
    netns.exec(netns.server, "nft", "insert", "rule", "inet", "hostfw", "input", "tcp", "dport", "443",
               "accept", "comment", "port443")  # something close --apply would remove
    before = rules_of(netns, NFTABLES)

    done = netns.port443(netns.server, *args, prefix=NO_CAPABILITIES)

    assert done.returncode == 4
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert "needs root" in lines[0] and "nothing was" in lines[0]
    assert lines[0].endswith(f"Run instead: sudo port443 firewall {' '.join(args)}")
    assert rules_of(netns, NFTABLES) == before
