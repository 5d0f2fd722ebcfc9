"""Capturing our own loopback traffic with tshark, and reading tshark's view of it.

`loopback_capture(port, path)` runs `tshark -i lo -f "tcp port PORT" -w PATH`,
waits for its "Capturing on" line and then for "Capture started" (the first
comes before dumpcap really captures: connections made right after it were
missed in 8 of 8 tries, none after the second), and on exit waits (with a
deadline) until the file holds the expected connections, then stops tshark
with SIGINT and waits for it. Only loopback, only the test's own port.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import subprocess
import time
from pathlib import Path

from peers import TIMEOUT, Lines
from port443.observe.analyze import analyze_capture


@functools.cache
def tshark_fields() -> set[str]:
    out = subprocess.run(["tshark", "-G", "fields"], capture_output=True, text=True, timeout=60).stdout
    return {line.split("\t")[2] for line in out.splitlines() if line.startswith("F\t")}


class Capture:
    def __init__(self, path: Path) -> None:
        self.path = path

    def wait_until_complete(self, connections: int, timeout: float = TIMEOUT) -> None:
        """Wait until the file shows at least `connections` TLS connections, all of them over.

        tshark writes packets in batches; this polls the file (a growing
        capture reads as a truncated one) until the last FIN/RST is in it.
        """
        deadline = time.monotonic() + timeout
        while True:
            report = analyze_capture(self.path) if self.path.exists() else None
            if report is not None:
                tls = [f for f in report.flows if f.tls]
                if len(tls) >= connections and all(f.ended != "open" for f in report.flows):
                    return
            if time.monotonic() > deadline:
                state = [(str(f.client), f.tls, f.ended) for f in report.flows] if report else "no file"
                raise TimeoutError(f"capture never showed {connections} finished TLS connections: {state}")
            time.sleep(0.05)  # polling the file, bounded by the deadline above


def stop_process(proc: subprocess.Popen, lines: Lines, sig: int) -> None:
    """Ask a process we started to stop (sig), kill it if it does not, and collect its output thread."""
    proc.send_signal(sig)
    try:
        proc.wait(TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(TIMEOUT)
    lines.join()
    proc.stdout.close()


@contextlib.contextmanager
def loopback_capture(port: int, path: Path):
    cmd = ["tshark", "-i", "lo", "-f", f"tcp port {port}", "-w", str(path)]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = Lines(proc.stdout)
    try:
        lines.wait_for(r"Capturing on")
        lines.wait_for(r"Capture started")
        yield Capture(path)
    finally:
        stop_process(proc, lines, signal.SIGINT)


HELLO_FIELDS = ["tcp.srcport", "tcp.dstport", "tls.handshake.type", "tls.handshake.version", "tls.handshake.ciphersuite",
                "tls.handshake.extension.type", "tls.handshake.sig_hash_alg", "tls.handshake.extensions_alpn_str",
                "tls.handshake.extensions.supported_version", "tls.handshake.extensions_server_name",
                "tls.handshake.ja3_full", "tls.handshake.ja3", "tls.handshake.ja3s_full", "tls.handshake.ja3s",
                "tls.handshake.ja4", "tls.handshake.ja4_r"]


def tshark_hellos(path: Path) -> list[dict[str, list[str]]]:
    """tshark's own dissection of every ClientHello and ServerHello frame in the capture."""
    fields = [f for f in HELLO_FIELDS if f in tshark_fields()]
    cmd = ["tshark", "-r", str(path), "-Y", "tls.handshake.type == 1 || tls.handshake.type == 2", "-T", "fields",
           "-E", "separator=/t", "-E", "aggregator=|", "-E", "occurrence=a"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout
    rows = []
    for line in out.splitlines():
        values = line.split("\t")
        rows.append({f: (v.split("|") if v else []) for f, v in zip(fields, values)})
    return rows
