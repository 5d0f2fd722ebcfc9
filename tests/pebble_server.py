"""Debian's pebble (an ACME test CA) and pebble-challtestsrv (its DNS), on loopback only.

`pebble_ca(tmp, http_port=..., tls_port=...)` starts pebble-challtestsrv as the
DNS server (every name resolves to 127.0.0.1, no AAAA) and pebble with its
validation ports pointed at ours, its ACME and management interfaces on
127.0.0.1 behind a throwaway CA of ours (`.cafile`, handed to the ACME client:
TLS verification stays on). Both are waited for by their own log lines and
always stopped.

Ports: those the processes bind are reserved first (`reserve_port`: a bound,
never listening SO_REUSEADDR socket keeps the port ours until the process
listens on it), so nothing is picked and then raced for. The DNS port is UDP
and cannot be held that way: a clash there makes challtestsrv exit at once,
and it is started again on another port.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from peers import LOOPBACK, TIMEOUT, Lines, write_pem
from port443.pki.issue import issue_leaf, make_ca

START_TIMEOUT = 60.0


def reserve_port() -> socket.socket:
    """A socket bound to a free loopback port with SO_REUSEADDR, never listening: the port stays ours,
    and a server that also sets SO_REUSEADDR (Go, and port443 serve) can still bind and listen on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    return sock


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = START_TIMEOUT) -> None:
    """Until `port` accepts connections: pebble logs its addresses just before it starts listening on them."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((LOOPBACK, port), timeout=TIMEOUT).close()
            return
        except ConnectionRefusedError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.01)  # polling the port's state, not waiting for time to pass


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@dataclass
class Pebble:
    directory: str
    management: str
    cafile: Path  # trust for pebble's own HTTPS (ACME and management)
    lines: Lines
    proc: subprocess.Popen

    def fetch(self, path: str) -> bytes:
        ctx = ssl.create_default_context(cafile=str(self.cafile))
        with urllib.request.urlopen(self.management + path, context=ctx, timeout=TIMEOUT) as resp:
            return resp.read()

    def root(self) -> x509.Certificate:
        """Pebble's issuing root, from its management interface (new on every start)."""
        return x509.load_pem_x509_certificate(self.fetch("/roots/0"))

    def root_file(self, directory: Path) -> Path:
        path = directory / "pebble-root.pem"
        path.write_bytes(self.root().public_bytes(serialization.Encoding.PEM))
        return path

    def stop(self) -> None:
        _stop(self.proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=TIMEOUT)


@contextlib.contextmanager
def _process(cmd: list[str], env: dict | None = None):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    lines = Lines(proc.stdout)
    try:
        yield proc, lines
    finally:
        _stop(proc)
        lines.join()
        proc.stdout.close()


@contextlib.contextmanager
def challtestsrv():
    """pebble-challtestsrv as a DNS server only; yields its port."""
    for attempt in range(3):
        port = free_udp_port()
        with reserve_port() as mgmt:
            cmd = ["pebble-challtestsrv", "-dns01", f"{LOOPBACK}:{port}", "-http01", "", "-https01", "",
                   "-tlsalpn01", "", "-management", f"{LOOPBACK}:{mgmt.getsockname()[1]}",
                   "-defaultIPv4", LOOPBACK, "-defaultIPv6", ""]
            with _process(cmd) as (proc, lines):
                try:
                    lines.wait_for(r"Starting management server", timeout=START_TIMEOUT)
                except EOFError:
                    if attempt == 2:
                        raise
                    continue
                mgmt.close()
                yield port
                return


@contextlib.contextmanager
def pebble_ca(tmp: Path, *, http_port: int, tls_port: int, validity: int | None = None,
              dns_port: int | None = None, env: dict | None = None):
    """pebble validating on 127.0.0.1:http_port (http-01) and :tls_port (tls-alpn-01); yields a Pebble."""
    tmp.mkdir(parents=True, exist_ok=True)
    ca = make_ca("pebble's HTTPS test CA")
    leaf = issue_leaf(ca, ["localhost", LOOPBACK])
    chain, key = write_pem(leaf, tmp, "pebble-https")
    cafile = tmp / "pebble-https-ca.pem"
    cafile.write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    with contextlib.ExitStack() as stack:
        if dns_port is None:
            dns_port = stack.enter_context(challtestsrv())
        listen, mgmt = reserve_port(), reserve_port()
        stack.callback(listen.close)
        stack.callback(mgmt.close)
        config = {"pebble": {
            "listenAddress": f"{LOOPBACK}:{listen.getsockname()[1]}",
            "managementListenAddress": f"{LOOPBACK}:{mgmt.getsockname()[1]}",
            "certificate": str(chain), "privateKey": str(key),
            "httpPort": http_port, "tlsPort": tls_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": False,
        }}
        if validity is not None:
            config["pebble"]["certificateValidityPeriod"] = validity
        (tmp / "pebble.json").write_text(json.dumps(config))
        environ = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0", PEBBLE_AUTHZREUSE="0",
                       **(env or {}))
        cmd = ["pebble", "-config", str(tmp / "pebble.json"), "-dnsserver", f"{LOOPBACK}:{dns_port}", "-strict=false"]
        proc, lines = stack.enter_context(_process(cmd, environ))
        directory = lines.wait_for(r"ACME directory available at: (\S+)", timeout=START_TIMEOUT).group(1)
        management = f"https://{LOOPBACK}:{mgmt.getsockname()[1]}"
        for reserved in (listen, mgmt):
            wait_listening(reserved.getsockname()[1], proc)
            reserved.close()
        yield Pebble(directory, management, cafile, lines, proc)
