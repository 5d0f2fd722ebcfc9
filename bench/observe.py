#!/usr/bin/env python3
"""`port443 observe` benchmark: analysing a capture, against tshark on the same file, same run.

The capture is made in memory (tests/pcap_factory): CONNECTIONS real TLS
connections of our engine (TLS 1.3 and 1.2 alternating, each with a response
of RESPONSE bytes), in 1448-byte TCP segments. Figures, each the median of
ROUNDS interleaved rounds:

- observe: `analyze_capture` (read, reassemble, frame, decode the hellos, JA3/JA4);
- dpkt: the floor, dpkt's own pcap reader and Ethernet/IP/TCP decode, nothing else;
- tshark: `tshark -r FILE -Y tls.handshake.type==1 -T fields -e tls.handshake.ja3`, the
  usual way to get the same fingerprints (when tshark is installed).

Prints `name: value` lines and the ratios observe/dpkt and tshark/observe.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import dpkt  # noqa: E402

from pcap_factory import Frames, engine_conversation, write_pcap  # noqa: E402

from port443.observe.analyze import analyze_capture  # noqa: E402


def build(path: Path, connections: int, response: int) -> int:
    convs = [engine_conversation(versions=(v,), response=response) for v in ("TLSv1.3", "TLSv1.2")]
    frames = []
    for i in range(connections):
        fr = Frames(convs[i % 2], client=("10.0.0.2", 20000 + i), mss=1448, t0=1_700_000_000.0 + i)
        frames += fr.frames
    path.write_bytes(write_pcap(frames))
    return len(frames)


def run_observe(path: Path) -> float:
    start = time.perf_counter()
    report = analyze_capture(path)
    assert all(f.handshake.ja4 for f in report.flows)
    return time.perf_counter() - start


def run_dpkt(path: Path) -> float:
    start = time.perf_counter()
    with open(path, "rb") as f:
        for _, buf in dpkt.pcap.Reader(f):
            dpkt.ethernet.Ethernet(buf).data.data  # noqa: B018  decode to TCP
    return time.perf_counter() - start


def run_tshark(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["tshark", "-r", str(path), "-Y", "tls.handshake.type == 1", "-T", "fields",
                    "-e", "tls.handshake.ja3"], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--connections", type=int, default=200)
    ap.add_argument("--response", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.pcap"
        packets = build(path, args.connections, args.response)
        size = path.stat().st_size
        runners = {"observe": run_observe, "dpkt": run_dpkt}
        if shutil.which("tshark"):
            runners["tshark"] = run_tshark
        times: dict[str, list[float]] = {name: [] for name in runners}
        for _ in range(args.rounds):
            for name, fn in runners.items():
                times[name].append(fn(path))
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"capture: {args.connections} connections, {packets} packets, {size / 1e6:.1f} MB")
    for name, t in med.items():
        print(f"{name}_s: {t:.3f}")
        print(f"{name}_MB_per_s: {size / 1e6 / t:.1f}")
        print(f"{name}_packets_per_s: {packets / t:.0f}")
    print(f"ratio_observe_over_dpkt_decode: {med['observe'] / med['dpkt']:.2f}")
    if "tshark" in med:
        print(f"ratio_tshark_over_observe: {med['tshark'] / med['observe']:.2f}")


if __name__ == "__main__":
    main()
