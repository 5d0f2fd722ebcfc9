#!/usr/bin/env python3
"""Serving benchmark: port443 serve (native and OpenSSL engines) vs nginx and uvicorn, same run.

wrk (Debian) drives each server on loopback with one thread and 32
connections: keep-alive requests/s for a tiny response, and new TLS
connections/s (`Connection: close`, so every request is a new TCP connection
and a full handshake). Each server runs one worker with TLS 1.3, an ECDSA
P-256 certificate and its access log off: nginx in the foreground with its
own config in a temporary directory, uvicorn with --ssl-certfile (PyPI, a
bench-only dependency: `pip install uvicorn`; it runs on uvloop when that is
installed, and says which loop it chose in the printed `uvicorn_loop`).

Prints `name: value` lines and the ratios against nginx and uvicorn. With
--profile, the native server also runs under cProfile during one keep-alive
measurement and the time is summed by layer (where the time goes).
"""

from __future__ import annotations

import argparse
import os
import pstats
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from peers import make_test_pki  # noqa: E402

BODY = b"hello, world"
ASGI_APP = '''
BODY = b"hello, world"
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"12")]})
    await send({"type": "http.response.body", "body": BODY})
'''
NGINX_CONF = '''
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}; proxy_temp_path {dir}; fastcgi_temp_path {dir};
  uwsgi_temp_path {dir}; scgi_temp_path {dir};
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert}; ssl_certificate_key {key};
    ssl_protocols TLSv1.3;
    root {root};
  }}
}}
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early: {proc.args}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on {port}")


class Server:
    def __init__(self, name: str, cmd: list[str], port: int, path: str, env: dict | None = None) -> None:
        self.name, self.cmd, self.port, self.path, self.env = name, cmd, port, path, env
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=dict(os.environ, **(self.env or {})))
        wait_port(self.port, self.proc)
        return self

    def __exit__(self, *exc) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}{self.path}"


def wrk(url: str, seconds: float, close: bool) -> float:
    cmd = ["wrk", "-t1", "-c32", f"-d{max(1, round(seconds))}s", "--timeout", "5s"]
    if close:
        cmd += ["-H", "Connection: close"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m is None or bad:
        raise RuntimeError(f"wrk failed against {url}:\n{out}")
    return float(m.group(1))


def servers(tmp: Path, pki, only: set[str] | None):
    root = tmp / "www"
    root.mkdir()
    (root / "hello.txt").write_bytes(BODY)
    cert, key = str(pki.chain_file("ecdsa-p256")), str(pki.key_file("ecdsa-p256"))
    home = tmp / "home"
    out = []
    for engine in ("native", "openssl"):
        port = free_port()
        out.append(Server(f"port443_{engine}", [sys.executable, "-m", "port443", "serve", "--engine", engine,
                                                 "--host", "127.0.0.1", "--port", str(port), "--http-port", "none",
                                                 "--root", str(root), "--cert", cert, "--key", key,
                                                 "--access-log", "off"], port, "/hello.txt",
                          {"PORT443_HOME": str(home)}))
    if shutil.which("nginx"):
        port = free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=tmp, port=port, cert=cert, key=key, root=root))
        out.append(Server("nginx", ["nginx", "-c", str(conf)], port, "/hello.txt"))
    if shutil.which("uvicorn") or _has_module("uvicorn"):
        port = free_port()
        (tmp / "asgi_hello.py").write_text(ASGI_APP)
        out.append(Server("uvicorn", [sys.executable, "-m", "uvicorn", "--app-dir", str(tmp), "asgi_hello:app",
                                      "--host", "127.0.0.1", "--port", str(port), "--ssl-certfile", cert,
                                      "--ssl-keyfile", key, "--no-access-log", "--log-level", "warning",
                                      "--workers", "1"], port, "/"))
    return [s for s in out if only is None or s.name in only]


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


LAYERS = [
    ("TLS engine (port443.tls)", "/port443/tls/"),
    ("HTTP/1.1 (port443.http.h1, h1fast)", "/port443/http/h1"),
    ("h11", "/h11/"),
    ("static files", "/port443/http/static"),
    ("site headers and log", "/port443/http/site"),
    ("net channel (port443.net)", "/port443/net/"),
    ("asyncio event loop", "/asyncio/"),
]


def profile(tmp: Path, pki, seconds: float) -> None:
    """Run the native server under cProfile through one keep-alive measurement; sum self time by layer."""
    out = tmp / "serve.prof"
    root = tmp / "www"
    port = free_port()
    cmd = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "port443", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--http-port", "none", "--root", str(root), "--cert",
           str(pki.chain_file("ecdsa-p256")), "--key", str(pki.key_file("ecdsa-p256")), "--access-log", "off"]
    with Server("profiled", cmd, port, "/hello.txt", {"PORT443_HOME": str(tmp / "home")}) as srv:
        wrk(srv.url, 1, close=False)
        rate = wrk(srv.url, seconds, close=False)
    stats = pstats.Stats(str(out)).stats  # type: ignore[attr-defined]
    totals: dict[str, float] = {}
    for (filename, _, func), (_, _, self_time, _, _) in stats.items():
        if func == "<method 'poll' of 'select.epoll' objects>":
            continue  # waiting, not working
        layer = next((name for name, part in LAYERS if part in filename), None)
        if layer is None:
            layer = "socket send/recv (C)" if "socket" in func else ("crypto (AES-GCM, C)" if "AESGCM" in func
                                                                      or "ChaCha" in func else "other")
        totals[layer] = totals.get(layer, 0.0) + self_time
    busy = sum(totals.values())
    print(f"profile_keepalive_req_per_s_under_cprofile: {rate:.0f}")
    for layer, t in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"profile_share[{layer}]: {100 * t / busy:.1f}%")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="wrk duration per measurement")
    ap.add_argument("--rounds", type=int, default=2, help="measurements per server and metric (median)")
    ap.add_argument("--only", help="comma-separated server names (port443_native, port443_openssl, nginx, uvicorn)")
    ap.add_argument("--profile", action="store_true", help="also profile the native server under load")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        print("bench/serve.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        pki = make_test_pki(tmp)
        chosen = servers(tmp, pki, set(args.only.split(",")) if args.only else None)
        results: dict[tuple[str, str], list[float]] = {}
        for rnd in range(args.rounds):  # interleaved rounds: machine noise hits every server alike
            for srv in chosen:
                with srv:
                    wrk(srv.url, 1, close=False)  # warm-up
                    for metric, close in (("keepalive_req_per_s", False), ("new_tls_conn_per_s", True)):
                        results.setdefault((srv.name, metric), []).append(wrk(srv.url, args.seconds, close))
        med = {k: statistics.median(v) for k, v in results.items()}
        if any(s.name == "uvicorn" for s in chosen):
            print(f"uvicorn_loop: {'uvloop' if _has_module('uvloop') else 'asyncio'}")
        for (name, metric), value in sorted(med.items()):
            print(f"{name}_{metric}: {value:.0f}")
        for metric in ("keepalive_req_per_s", "new_tls_conn_per_s"):
            for ours in ("port443_native", "port443_openssl"):
                for anchor in ("nginx", "uvicorn"):
                    if (ours, metric) in med and (anchor, metric) in med:
                        print(f"ratio_{ours}_vs_{anchor}_{metric}: {med[(ours, metric)] / med[(anchor, metric)]:.2f}")
        if args.profile:
            profile(tmp, pki, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
