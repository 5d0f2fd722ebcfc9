#!/usr/bin/env python3
"""Audit benchmark: a full `port443 check` of a loopback nginx vs sslyze, sslscan and testssl.sh, same run.

nginx (Debian's, foreground, our config in a temp dir) serves TLS 1.2 and 1.3 with an
ECDSA P-256 chain on 127.0.0.1. Each tool audits it at its default depth:
  port443 check --json (full depth: 6 protocols, 370 suites, groups, schemes, extensions,
                resumption, certificates, HSTS, 18 vulnerabilities, grade, Mozilla profiles)
  sslyze 127.0.0.1:PORT          (PyPI; its own venv: SSLYZE=/path/to/sslyze, or on PATH)
  sslscan 127.0.0.1:PORT         (Debian)
  testssl.sh 127.0.0.1:PORT      (Debian `testssl`; slow: --skip-testssl leaves it out)
A tool that is not installed is skipped with a note. Prints `name: value` lines: each
tool's median wall time over --rounds runs (testssl.sh: one run), and the ratios
tool/port443. port443 is timed both as the CLI (a fresh interpreter, what a user
waits for) and in-process (the audit itself, interpreter start excluded).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from nginx_server import nginx_server  # noqa: E402
from peers import make_test_pki  # noqa: E402

NGINX_TLS = "ssl_protocols TLSv1.2 TLSv1.3; add_header Strict-Transport-Security 'max-age=63072000' always;"


def wall(cmd: list[str], timeout: float = 600) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    return time.perf_counter() - start, proc.returncode


def port443_script() -> str:
    """The console script beside this interpreter (not a version-manager shim, which adds its own start-up)."""
    beside = Path(sys.executable).parent / "port443"
    return str(beside) if beside.exists() else shutil.which("port443") or "port443"


def find_sslyze() -> str | None:
    for candidate in (os.environ.get("SSLYZE"), shutil.which("sslyze"), "/opt/sslyze-venv/bin/sslyze"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--skip-testssl", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-check-"))
    pki = make_test_pki(work)
    from port443.audit.check import CheckOptions, run_check

    with nginx_server(work / "nginx", pki.chain_file("ecdsa-p256"), pki.key_file("ecdsa-p256"), NGINX_TLS) as port:
        target = f"127.0.0.1:{port}"
        ours_cli = [port443_script(), "check", target, "--json", "--cafile", str(pki.cafile), "--sni", "localhost",
                    "--no-http"]
        opts = CheckOptions(cafile=str(pki.cafile), http_port=None, server_name="localhost")
        report = run_check("127.0.0.1", port, opts)[0]  # warm-up, and the depth we claim
        print(f"port443 depth: {sum(len(s['accepted']) for s in report['suites'].values())} suites accepted of "
              f"370 probed, {len(report['vulnerabilities'])} vulnerabilities, {report['connections']} connections, "
              f"grade {report['grade']['grade']}")
        times: dict[str, list[float]] = {"port443 (CLI)": [], "port443 (in-process)": []}
        tools = {"sslyze": [find_sslyze(), target], "sslscan": [shutil.which("sslscan"), target]}
        for name, cmd in tools.items():
            if cmd[0] is None:
                print(f"note: {name} is not installed; skipped (Debian/PyPI: see bench/README or docs/check.md)")
            else:
                times[name] = []
        for _ in range(args.rounds):  # interleaved, so machine noise hits every tool alike
            times["port443 (CLI)"].append(wall(ours_cli)[0])
            start = time.perf_counter()
            run_check("127.0.0.1", port, opts)
            times["port443 (in-process)"].append(time.perf_counter() - start)
            for name, cmd in tools.items():
                if name in times:
                    times[name].append(wall(cmd)[0])
        testssl = shutil.which("testssl") or shutil.which("testssl.sh")
        if args.skip_testssl:
            print("note: testssl.sh skipped (--skip-testssl)")
        elif testssl is None:
            print("note: testssl.sh is not installed; skipped (apt-get install testssl.sh)")
        else:
            times["testssl.sh"] = [wall([testssl, "--quiet", "--color", "0", "--warnings", "off", target])[0]]
    shutil.rmtree(work, ignore_errors=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name} seconds: {value:.3f}")
    base = medians["port443 (CLI)"]
    for name, value in medians.items():
        if not name.startswith("port443"):
            print(f"{name} / port443 (CLI): {value / base:.1f}x")
    print(f"target port443 (CLI) <= 0.3 s: {'met' if base <= 0.3 else 'not met'} ({base:.3f} s)")


if __name__ == "__main__":
    main()
