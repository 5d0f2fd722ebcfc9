#!/usr/bin/env python3
"""Mass-mode benchmark: `port443 check -f` over 1,000 loopback targets, hosts per second.

A child process serves port443's own engine (TLS 1.3 and 1.2, ECDSA P-256 chain)
on 1,000 listeners: 250 addresses of 127.0.0.0/8 (127.1.0.1 ...) with 4 ports each,
all picked by the kernel. The parent runs `port443 check -f hosts.txt --concurrency N`
at handshake-and-certificate depth (the mass default) and reads the JSON lines.
Prints `name: value` lines: targets, seconds, hosts/s, and how many were open with a
trusted chain (every one must be).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def serve(addresses: int, ports: int, directory: Path) -> None:
    """Child: listen, print the targets as one JSON line, serve until stdin closes."""
    from engine_servers import engine_servers
    from peers import make_test_pki
    from port443.tls import ServerConfig

    pki = make_test_pki(directory)
    config = ServerConfig(certificate_chain=str(pki.chain_file("ecdsa-p256")),
                          private_key=str(pki.key_file("ecdsa-p256")), session_tickets=0)
    hosts = [f"127.1.{i // 250}.{i % 250 + 1}" for i in range(addresses)]
    with engine_servers(config, [h for h in hosts for _ in range(ports)]) as bound:
        print(json.dumps({"cafile": str(pki.cafile), "targets": [f"{a}:{p}" for a, p in bound]}), flush=True)
        sys.stdin.read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--addresses", type=int, default=250)
    ap.add_argument("--ports", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=100)
    ap.add_argument("--serve", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.addresses, args.ports, Path(args.serve))
        return
    work = Path(tempfile.mkdtemp(prefix="bench-mass-"))
    child = subprocess.Popen([sys.executable, __file__, "--serve", str(work), "--addresses", str(args.addresses),
                              "--ports", str(args.ports)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(child.stdout.readline())
        hosts = work / "hosts.txt"
        hosts.write_text("\n".join(info["targets"]) + "\n")
        start = time.perf_counter()
        out = subprocess.run(["port443", "check", "-f", str(hosts), "--concurrency", str(args.concurrency),
                              "--cafile", info["cafile"], "--sni", "localhost"],
                             capture_output=True, text=True, timeout=900)
        seconds = time.perf_counter() - start
    finally:
        child.stdin.close()
        child.wait(60)
    reports = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    good = sum(1 for r in reports if r.get("reachability", {}).get("status") == "open"
               and r.get("handshake", {}).get("ok") and all(c["trusted"] for c in r.get("certificates", [])))
    print(f"targets: {len(info['targets'])}")
    print(f"reports: {len(reports)}")
    print(f"open with a trusted chain: {good}")
    print(f"seconds: {seconds:.2f}")
    print(f"hosts/s: {len(reports) / seconds:.0f}")


if __name__ == "__main__":
    main()
