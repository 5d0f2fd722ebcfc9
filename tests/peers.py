"""Real peers for interop tests: openssl s_server/s_client and Python ssl, on loopback.

Every peer listens on 127.0.0.1 with an ephemeral port, is waited for by
reading its own output (never by sleeping), and is stopped by the context
manager that started it.
"""

from __future__ import annotations

import contextlib
import queue
import re
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from port443.pki.issue import Issued, issue_leaf, make_ca

LOOPBACK = "127.0.0.1"
TIMEOUT = 20.0


def write_pem(issued: Issued, directory: Path, stem: str) -> tuple[Path, Path]:
    """Write a chain and its key as PEM files; the key file is created with mode 0600."""
    import os

    chain = directory / f"{stem}.pem"
    key = directory / f"{stem}-key.pem"
    chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in issued.chain))
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(issued.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
    return chain, key


@dataclass
class TestPKI:
    """A CA with an intermediate, and localhost leaves of every key type, on disk."""

    directory: Path
    root: Issued = None
    intermediate: Issued = None
    leaves: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)

    @property
    def cafile(self) -> Path:
        return self.directory / "ca.pem"

    def leaf(self, key_type: str) -> Issued:
        if key_type not in self.leaves:
            leaf = issue_leaf(self.intermediate, ["localhost", "127.0.0.1"], key_type=key_type)
            self.leaves[key_type] = leaf
            self.files[key_type] = write_pem(leaf, self.directory, f"leaf-{key_type}")
        return self.leaves[key_type]

    def chain_file(self, key_type: str) -> Path:
        self.leaf(key_type)
        return self.files[key_type][0]

    def key_file(self, key_type: str) -> Path:
        self.leaf(key_type)
        return self.files[key_type][1]

    def leaf_only_file(self, key_type: str) -> Path:
        """The leaf alone (for `openssl s_server -cert`, with -cert_chain for the rest)."""
        path = self.directory / f"leaf-{key_type}-only.pem"
        if not path.exists():
            path.write_bytes(self.leaf(key_type).certificate.public_bytes(serialization.Encoding.PEM))
        return path

    @property
    def intermediate_file(self) -> Path:
        return self.directory / "intermediate.pem"

    def openssl_cert_args(self, key_type: str, suffix: str = "") -> list[str]:
        return [f"-cert{suffix}", str(self.leaf_only_file(key_type)), f"-key{suffix}", str(self.key_file(key_type))] + (
            ["-cert_chain", str(self.intermediate_file)] if not suffix else []
        )


def make_test_pki(directory: Path) -> TestPKI:
    root = make_ca("port443 test root")
    inter = make_ca("port443 test intermediate", issuer=root)
    pki = TestPKI(directory, root, inter)
    pki.cafile.write_bytes(root.certificate.public_bytes(serialization.Encoding.PEM))
    pki.intermediate_file.write_bytes(inter.certificate.public_bytes(serialization.Encoding.PEM))
    return pki


class Lines:
    """Collects a process's output lines on a thread so tests can wait for one."""

    def __init__(self, stream) -> None:
        self.q: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self._t = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._t.start()

    def _run(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            self.q.put(raw.decode("latin-1", "replace"))
        self.q.put(None)

    def wait_for(self, pattern: str, timeout: float = TIMEOUT) -> re.Match:
        rx = re.compile(pattern)
        for line in self.seen:
            m = rx.search(line)
            if m:
                return m
        while True:
            try:
                line = self.q.get(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"no line matching {pattern!r}; output so far: {''.join(self.seen)[-2000:]}") from None
            if line is None:
                raise EOFError(f"process ended before {pattern!r}; output: {''.join(self.seen)[-2000:]}")
            self.seen.append(line)
            m = rx.search(line)
            if m:
                return m

    def join(self) -> None:
        self._t.join(TIMEOUT)

    def text(self) -> str:
        while True:
            try:
                line = self.q.get_nowait()
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
        return "".join(self.seen)


@contextlib.contextmanager
def openssl_server(args: list[str]):
    """`openssl s_server -accept 127.0.0.1:0 ARGS`; yields (process, port, lines)."""
    cmd = ["openssl", "s_server", "-accept", f"{LOOPBACK}:0", *args]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = Lines(proc.stdout)
    try:
        port = int(lines.wait_for(r"ACCEPT .*:(\d+)").group(1))
        yield proc, port, lines
    finally:
        proc.kill()
        proc.wait(timeout=TIMEOUT)
        lines.join()
        proc.stdout.close()
        proc.stdin.close()


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((LOOPBACK, 0))
    sock.listen(16)
    sock.settimeout(TIMEOUT)
    return sock


class ThreadResult:
    """Runs fn on a thread; .result() re-raises its exception in the test."""

    def __init__(self, fn, *args) -> None:
        self._value = None
        self._error: BaseException | None = None
        self._t = threading.Thread(target=self._run, args=(fn, *args), daemon=True)
        self._t.start()

    def _run(self, fn, *args) -> None:
        try:
            self._value = fn(*args)
        except BaseException as exc:  # re-raised in the test thread
            self._error = exc

    def result(self, timeout: float = TIMEOUT):
        self._t.join(timeout)
        if self._t.is_alive():
            raise TimeoutError("peer thread did not finish")
        if self._error is not None:
            raise self._error
        return self._value


def python_ssl_server_context(pki: TestPKI, key_type: str, group: str | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_cert_chain(pki.chain_file(key_type), pki.key_file(key_type))
    if group:
        ctx.set_ecdh_curve({"x25519": "X25519", "secp256r1": "prime256v1", "secp384r1": "secp384r1"}[group])
    return ctx


def python_ssl_client_context(pki: TestPKI, group: str | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    ctx.load_verify_locations(pki.cafile)
    if group:
        ctx.set_ecdh_curve({"x25519": "X25519", "secp256r1": "prime256v1", "secp384r1": "secp384r1"}[group])
    return ctx


def recv_exactly(sock, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(65536, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def python_ssl_server_exchange(ctx: ssl.SSLContext, listener: socket.socket, expect: int, reply: bytes):
    """A Python ssl server for one client on `listener`: read `expect` bytes, send reply, close with
    close_notify (and wait for the client's). Returns (what it read, negotiated cipher name)."""
    sock, _ = listener.accept()
    with ctx.wrap_socket(sock, server_side=True) as tls:
        data = recv_exactly(tls, expect)
        tls.sendall(reply)
        cipher = tls.cipher()[0]
        tls.unwrap()
        return data, cipher


def python_ssl_client_exchange(ctx: ssl.SSLContext, port: int, payload: bytes, reply_len: int):
    """A Python ssl client: send payload, read reply_len bytes, close with close_notify.

    Returns (reply, negotiated cipher name)."""
    with socket.create_connection((LOOPBACK, port), timeout=TIMEOUT) as sock:
        with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
            tls.sendall(payload)
            data = recv_exactly(tls, reply_len)
            cipher = tls.cipher()[0]
            tls.unwrap()
            return data, cipher
