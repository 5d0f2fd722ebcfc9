"""A real `openssl s_server` on 127.0.0.1, on a port the kernel picks, presenting a given chain.

The server reports its port on stdout ("ACCEPT 127.0.0.1:PORT"); we wait for
that line (no sleeps), drain its output in a thread, and always stop it.
"""

from __future__ import annotations

import contextlib
import re
import select
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator

ACCEPT = re.compile(rb"ACCEPT .*:(\d+)\s*$")


@contextlib.contextmanager
def openssl_server(cert: Path, key: Path, chain: Path | None = None, *, www: bool = False,
                   timeout: float = 15.0) -> Iterator[int]:
    """Serve `cert` (+ the certificates in `chain`, sent exactly as given); yields the port."""
    argv = ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", str(cert), "-key", str(key),
            "-no-CAfile", "-no-CApath", "-no-CAstore",  # no automatic chain building from the OS store
            "-cipher", "ALL:@SECLEVEL=0"]  # serve the weak fixtures (RSA-1024, SHA-1) too
    if chain is not None:
        argv += ["-cert_chain", str(chain)]
    if www:
        argv.append("-www")
    # stdin stays open: s_server shuts down when it reads end-of-file there.
    # Unbuffered stdout: select() then sees every byte that readline() has not consumed (a buffered
    # reader could swallow the ACCEPT line together with the one before it and leave select() waiting).
    server = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              bufsize=0)
    try:
        port, seen = _wait_for_port(server, timeout)
        if port is None:
            raise RuntimeError(f"openssl s_server did not start: {seen.decode(errors='replace')}")
        threading.Thread(target=_drain, args=(server,), daemon=True).start()
        yield port
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_for_port(server: subprocess.Popen, timeout: float) -> tuple[int | None, bytes]:
    deadline = time.monotonic() + timeout
    seen = b""
    assert server.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([server.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = server.stdout.readline()
        if not line:
            break
        seen += line
        match = ACCEPT.search(line)
        if match:
            return int(match.group(1)), seen
    return None, seen


def _drain(server: subprocess.Popen) -> None:
    assert server.stdout is not None
    for _ in iter(server.stdout.readline, b""):
        pass
