"""TLS 1.2 interop with openssl s_server/s_client and Python ssl, both directions.

Every suite the engine speaks moves 1 MiB each way: ECDHE (ECDSA and RSA
certificates; AES-GCM and ChaCha20), the guide's RSA key transport, and on
the client side only DHE and CBC (with and without encrypt-then-MAC).
"""

from __future__ import annotations

import socket
import ssl
import subprocess

import pytest

from peers import (
    LOOPBACK, TIMEOUT, ThreadResult, listening_socket, openssl_server, python_ssl_client_exchange,
    python_ssl_server_exchange,
)
from port443.net.stream import TLSStream
from port443.tls import ClientConfig, ClientConnection, ServerConfig, ServerConnection
from test_interop_tls13 import MiB, lines_payload, reversed_lines, saw_close_notify

pytestmark = pytest.mark.interop

# (IANA name, OpenSSL name, certificate key type)
SERVER_SUITES = [
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", "ecdsa-p256"),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384", "ecdsa-p256"),
    ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305", "ecdsa-p256"),
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "rsa2048"),
    ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "rsa2048"),
    ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305", "rsa2048"),
    ("TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256", "rsa2048"),
    ("TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384", "rsa2048"),
]
CLIENT_ONLY_SUITES = [
    ("TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "DHE-RSA-AES128-GCM-SHA256", "rsa2048"),
    ("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE-RSA-AES256-GCM-SHA384", "rsa2048"),
    ("TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "DHE-RSA-CHACHA20-POLY1305", "rsa2048"),
    ("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA", "ecdsa-p256"),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "ECDHE-ECDSA-AES256-SHA384", "ecdsa-p256"),
    ("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA", "rsa2048"),
    ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "ECDHE-RSA-AES128-SHA256", "rsa2048"),
    ("TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA", "rsa2048"),
    ("TLS_RSA_WITH_AES_256_CBC_SHA256", "AES256-SHA256", "rsa2048"),
    ("TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "DHE-RSA-AES128-SHA256", "rsa2048"),
]
ALL_CLIENT = SERVER_SUITES + CLIENT_ONLY_SUITES


def ids(suites):
    return [s[0][4:] for s in suites]


def client12(pki, suite: str, **kw) -> ClientConfig:
    return ClientConfig(server_name="localhost", cafile=str(pki.cafile), versions=("TLSv1.2",),
                        cipher_suites=(suite,), **kw)


def server12(pki, suite: str, key_type: str, **kw) -> ServerConfig:
    return ServerConfig(certificate_chain=str(pki.chain_file(key_type)), private_key=str(pki.key_file(key_type)),
                        versions=("TLSv1.2",), cipher_suites=(suite,),
                        legacy_rsa_key_exchange=suite.startswith("TLS_RSA_"), **kw)


def expected_kind(suite: str) -> str:
    if suite.startswith("TLS_RSA_"):
        return "RSA-encrypted premaster secret"
    return "DHE share" if suite.startswith("TLS_DHE_") else "ECDHE share"


# CBC suites run with encrypt-then-MAC and without; AEAD suites have no such choice.
CLIENT_CASES = [(*s, etm) for s in ALL_CLIENT for etm in ((True, False) if "_CBC_" in s[0] else (True,))]
CLIENT_IDS = [f"{s[0][4:]}{'' if '_CBC_' not in s[0] else ('-etm' if etm else '-mac-then-encrypt')}"
              for *s, etm in CLIENT_CASES]


# ------------------------------------------------------------------ our client
@pytest.mark.parametrize("suite,ossl,key_type,etm", CLIENT_CASES, ids=CLIENT_IDS)
def test_client_with_openssl_server(test_pki, suite, ossl, key_type, etm):
    cbc = "_CBC_" in suite
    args = ["-tls1_2", "-rev", "-naccept", "1", "-cipher", ossl, *test_pki.openssl_cert_args(key_type)]
    if not etm:
        args.append("-no_etm")
    with openssl_server(args) as (_, port, lines):
        sock = socket.create_connection((LOOPBACK, port), timeout=TIMEOUT)
        stream = TLSStream(sock, ClientConnection(client12(test_pki, suite)))
        done = stream.do_handshake()
        assert (done.version, done.cipher_suite.name, done.key_exchange) == ("TLSv1.2", suite, expected_kind(suite))
        if cbc:
            assert stream.conn._hs.etm is etm
        payload = lines_payload(21)
        stream.sendall(payload)
        assert stream.recv_exactly(MiB) == reversed_lines(payload)
        stream.sendall(b"CLOSE\n")
        assert stream.recv_until_closed() == b"" and saw_close_notify(stream)
        stream.close()
        sock.close()
        lines.wait_for("CONNECTION CLOSED")


def ffdhe2048_pem(directory) -> str:
    """RFC 7919's ffdhe2048 as PKCS#3 PEM, for Python ssl servers (they have no DH parameters otherwise)."""
    from cryptography.hazmat.primitives.serialization import Encoding, ParameterFormat

    from port443.tls.ffdhe import FFDHE_PRIMES
    from port443.tls.kex import dh_parameters

    path = directory / "ffdhe2048.pem"
    params = dh_parameters(FFDHE_PRIMES[256], 2)
    path.write_bytes(params.parameter_bytes(Encoding.PEM, ParameterFormat.PKCS3))
    return str(path)


@pytest.mark.parametrize("suite,ossl,key_type", ALL_CLIENT, ids=ids(ALL_CLIENT))
def test_client_with_python_ssl_server(test_pki, tmp_path, suite, ossl, key_type):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(test_pki.chain_file(key_type), test_pki.key_file(key_type))
    ctx.set_ciphers(ossl)
    if "_DHE_" in suite:
        ctx.load_dh_params(ffdhe2048_pem(tmp_path))
    reply = lines_payload(22)

    with listening_socket() as listener:
        peer = ThreadResult(python_ssl_server_exchange, ctx, listener, MiB, reply)
        sock = socket.create_connection((LOOPBACK, listener.getsockname()[1]), timeout=TIMEOUT)
        stream = TLSStream(sock, ClientConnection(client12(test_pki, suite)))
        assert stream.do_handshake().cipher_suite.name == suite
        payload = lines_payload(23)
        stream.sendall(payload)
        assert stream.recv_exactly(MiB) == reply
        assert stream.recv_until_closed() == b""
        stream.close()
        data, cipher = peer.result()
        sock.close()
    assert data == payload and cipher == ossl


# ------------------------------------------------------------------ our server
def serve_once(listener, config, reply: bytes):
    sock, _ = listener.accept()
    sock.settimeout(TIMEOUT)
    with sock:
        stream = TLSStream(sock, ServerConnection(config))
        stream.do_handshake()
        data = stream.recv_exactly(MiB)
        stream.sendall(reply)
        stream.close()
        stream.recv_until_closed()
        return data, stream


@pytest.mark.parametrize("suite,ossl,key_type", SERVER_SUITES, ids=ids(SERVER_SUITES))
def test_openssl_client_with_our_server(test_pki, tmp_path, suite, ossl, key_type):
    payload, reply = lines_payload(24), lines_payload(25)
    infile = tmp_path / "in.bin"
    infile.write_bytes(payload)
    with listening_socket() as listener:
        ours = ThreadResult(serve_once, listener, server12(test_pki, suite, key_type), reply)
        with open(infile, "rb") as stdin:
            proc = subprocess.run(
                ["openssl", "s_client", "-connect", f"{LOOPBACK}:{listener.getsockname()[1]}", "-tls1_2",
                 "-cipher", ossl, "-CAfile", str(test_pki.cafile), "-verify_return_error",
                 "-verify_hostname", "localhost", "-quiet"],
                stdin=stdin, capture_output=True, timeout=TIMEOUT)
        data, stream = ours.result()
    assert proc.returncode == 0, proc.stderr.decode()[-800:]
    assert data == payload and proc.stdout == reply and saw_close_notify(stream)
    done = stream.conn.complete_event
    assert (done.version, done.cipher_suite.name, done.key_exchange) == ("TLSv1.2", suite, expected_kind(suite))


@pytest.mark.parametrize("suite,ossl,key_type", SERVER_SUITES, ids=ids(SERVER_SUITES))
def test_python_ssl_client_with_our_server(test_pki, suite, ossl, key_type):
    payload, reply = lines_payload(26), lines_payload(27)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(test_pki.cafile)
    ctx.set_ciphers(ossl)

    with listening_socket() as listener:
        peer = ThreadResult(python_ssl_client_exchange, ctx, listener.getsockname()[1], payload, MiB)
        data, stream = serve_once(listener, server12(test_pki, suite, key_type), reply)
        got, cipher = peer.result()
    assert data == payload and got == reply and cipher == ossl
    assert stream.conn.complete_event.cipher_suite.name == suite
