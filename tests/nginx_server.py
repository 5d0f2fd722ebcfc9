"""A real nginx (Debian's) on 127.0.0.1, in the foreground, with a config of our own in a temp dir.

The port is one the kernel picked (bind port 0, read it, close); every path
nginx writes (pid, logs, temp) is inside the directory, its error log goes
to stderr, where we wait for "start worker process" (no sleeps); the process
is always stopped by the context manager that started it.
"""

from __future__ import annotations

import contextlib
import grp
import os
import socket
import subprocess
from pathlib import Path
from typing import Iterator

from peers import Lines

TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _user_line() -> str:
    if os.geteuid() != 0:
        return ""
    group = "nogroup"
    try:
        grp.getgrnam(group)
    except KeyError:
        group = "nobody"
    return f"user nobody {group};"


def write_config(directory: Path, port: int, cert: Path | None, key: Path | None, tls: str) -> Path:
    """`tls`: extra ssl_* directives for the server block (protocols, ciphers, curves); no cert: plain HTTP."""
    temp = directory / "temp"
    temp.mkdir(exist_ok=True)
    config = directory / "nginx.conf"
    config.write_text(f"""
{_user_line()}
worker_processes 1;
pid {directory}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 64; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        {_listen(port, cert, key, tls)}
        server_name localhost;
        location / {{
            default_type text/plain;
            return 200 "hello from nginx over TLS\\n";
        }}
    }}
}}
""")
    return config


def _listen(port: int, cert: Path | None, key: Path | None, tls: str) -> str:
    if cert is None:
        return f"listen 127.0.0.1:{port};"
    return f"listen 127.0.0.1:{port} ssl http2; ssl_certificate {cert}; ssl_certificate_key {key}; {tls}"


@contextlib.contextmanager
def nginx_server(directory: Path, cert: Path | None = None, key: Path | None = None, tls: str = "") -> Iterator[int]:
    """nginx serving `cert` (a full chain file) over TLS on 127.0.0.1, or plain HTTP without one; yields the
    port."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = write_config(directory, port, cert, key, tls)
    proc = subprocess.Popen(["nginx", "-c", str(config), "-e", "stderr", "-g", "daemon off;"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = Lines(proc.stdout)
    try:
        lines.wait_for(r"start worker process \d+", TIMEOUT)  # the master has bound the port by then
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        lines.join()
        proc.stdout.close()
