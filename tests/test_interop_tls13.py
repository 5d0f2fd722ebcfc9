"""TLS 1.3 interop with real peers on loopback: openssl s_server/s_client and Python ssl.

Every combination of the three suites, three groups and three certificate
key types moves 1 MiB each way intact and closes with close_notify, in both
directions, against both peers.
"""

from __future__ import annotations

import itertools
import random
import socket
import string
import subprocess

import pytest

from peers import (
    LOOPBACK, TIMEOUT, ThreadResult, listening_socket, openssl_server, python_ssl_client_context,
    python_ssl_client_exchange, python_ssl_server_context, python_ssl_server_exchange,
)
from port443.net.stream import TLSStream
from port443.tls import AlertReceived, ClientConfig, ClientConnection, ServerConfig, ServerConnection

pytestmark = pytest.mark.interop

SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]
GROUPS = ["x25519", "secp256r1", "secp384r1"]
KEYS = ["rsa2048", "ecdsa-p256", "ed25519"]
MATRIX = list(itertools.product(SUITES, GROUPS, KEYS))
IDS = [f"{s[4:]}-{g}-{k}" for s, g, k in MATRIX]
OPENSSL_GROUP = {"x25519": "X25519", "secp256r1": "P-256", "secp384r1": "P-384"}
MiB = 1 << 20


def lines_payload(seed: int) -> bytes:
    """1 MiB of newline-terminated lines (openssl s_server -rev reverses each line)."""
    rnd = random.Random(seed)
    return b"".join(("".join(rnd.choices(string.ascii_letters, k=1023)) + "\n").encode() for _ in range(1024))


def reversed_lines(payload: bytes) -> bytes:
    return b"".join(line[::-1] + b"\n" for line in payload.split(b"\n")[:-1])


def client_config(pki, suite=None, group=None, **kw) -> ClientConfig:
    args = dict(server_name="localhost", cafile=str(pki.cafile), versions=("TLSv1.3",))
    if suite:
        args["cipher_suites"] = (suite,)
    if group:
        args["groups"] = (group,)
    args.update(kw)
    return ClientConfig(**args)


def server_config(pki, key_type, suite=None, group=None, **kw) -> ServerConfig:
    args = dict(certificate_chain=str(pki.chain_file(key_type)), private_key=str(pki.key_file(key_type)),
                versions=("TLSv1.3",))
    if suite:
        args["cipher_suites"] = (suite,)
    if group:
        args["groups"] = (group,)
    args.update(kw)
    return ServerConfig(**args)


def connect_client(port: int, config: ClientConfig) -> TLSStream:
    sock = socket.create_connection((LOOPBACK, port), timeout=TIMEOUT)
    return TLSStream(sock, ClientConnection(config))


def serve_one(listener: socket.socket, config: ServerConfig, body) -> object:
    """Accept one connection on our server and run body(stream)."""
    sock, _ = listener.accept()
    sock.settimeout(TIMEOUT)
    with sock:
        stream = TLSStream(sock, ServerConnection(config))
        stream.do_handshake()
        return body(stream)


def saw_close_notify(stream: TLSStream) -> bool:
    return any(isinstance(e, AlertReceived) and e.description == 0 for e in stream.events)


# ---------------------------------------------------------------- our client -> peers
@pytest.mark.parametrize("suite,group,key_type", MATRIX, ids=IDS)
def test_client_moves_1mib_with_openssl_server(test_pki, suite, group, key_type):
    args = ["-tls1_3", "-rev", "-naccept", "1", "-ciphersuites", suite, "-groups", OPENSSL_GROUP[group],
            *test_pki.openssl_cert_args(key_type)]
    with openssl_server(args) as (_, port, lines):
        stream = connect_client(port, client_config(test_pki, suite, group))
        done = stream.do_handshake()
        assert (done.version, done.cipher_suite.name, done.group) == ("TLSv1.3", suite, _group_id(group))
        payload = lines_payload(1)
        stream.sendall(payload)
        assert stream.recv_exactly(MiB) == reversed_lines(payload)
        stream.sendall(b"CLOSE\n")
        assert stream.recv_until_closed() == b""
        assert saw_close_notify(stream)
        stream.close()
        stream.sock.close()
        lines.wait_for("CONNECTION CLOSED")


@pytest.mark.parametrize("suite,group,key_type", MATRIX, ids=IDS)
def test_client_moves_1mib_with_python_ssl_server(test_pki, suite, group, key_type):
    ctx = python_ssl_server_context(test_pki, key_type, group)
    sent = lines_payload(2)

    with listening_socket() as listener:
        peer = ThreadResult(python_ssl_server_exchange, ctx, listener, MiB, sent)
        stream = connect_client(listener.getsockname()[1], client_config(test_pki, suite, group))
        done = stream.do_handshake()
        payload = lines_payload(3)
        stream.sendall(payload)
        assert stream.recv_exactly(MiB) == sent
        assert stream.recv_until_closed() == b"" and saw_close_notify(stream)
        stream.close()
        received, cipher = peer.result()
        stream.sock.close()
    assert received == payload
    assert cipher == suite and done.cipher_suite.name == suite and done.group == _group_id(group)


# ---------------------------------------------------------------- peers -> our server
def _exchange_as_server(stream: TLSStream, reply: bytes):
    data = stream.recv_exactly(MiB)
    stream.sendall(reply)
    stream.close()
    stream.recv_until_closed()
    return data, saw_close_notify(stream), stream.conn.complete_event


@pytest.mark.parametrize("suite,group,key_type", MATRIX, ids=IDS)
def test_openssl_client_moves_1mib_with_our_server(test_pki, tmp_path, suite, group, key_type):
    payload, reply = lines_payload(4), lines_payload(5)
    infile = tmp_path / "in.bin"
    infile.write_bytes(payload)
    with listening_socket() as listener:
        config = server_config(test_pki, key_type, suite, group)
        ours = ThreadResult(serve_one, listener, config, lambda s: _exchange_as_server(s, reply))
        port = listener.getsockname()[1]
        with open(infile, "rb") as stdin:
            proc = subprocess.run(
                ["openssl", "s_client", "-connect", f"{LOOPBACK}:{port}", "-tls1_3", "-ciphersuites", suite,
                 "-groups", OPENSSL_GROUP[group], "-CAfile", str(test_pki.cafile), "-verify_return_error",
                 "-verify_hostname", "localhost", "-servername", "localhost", "-quiet"],
                stdin=stdin, capture_output=True, timeout=TIMEOUT,
            )
        received, closed_cleanly, done = ours.result()
    assert proc.returncode == 0, proc.stderr.decode()[-1000:]
    assert received == payload
    assert proc.stdout == reply
    assert closed_cleanly
    assert (done.cipher_suite.name, done.group) == (suite, _group_id(group))


@pytest.mark.parametrize("suite,group,key_type", MATRIX, ids=IDS)
def test_python_ssl_client_moves_1mib_with_our_server(test_pki, suite, group, key_type):
    payload, reply = lines_payload(6), lines_payload(7)
    ctx = python_ssl_client_context(test_pki, group)

    with listening_socket() as listener:
        peer = ThreadResult(python_ssl_client_exchange, ctx, listener.getsockname()[1], payload, MiB)
        received, closed_cleanly, done = serve_one(
            listener, server_config(test_pki, key_type, suite, group), lambda s: _exchange_as_server(s, reply)
        )
        data, cipher = peer.result()
    assert received == payload and data == reply and closed_cleanly
    assert cipher == suite == done.cipher_suite.name


def _group_id(name: str) -> int:
    from port443.tls import NamedGroup

    return NamedGroup[name]
