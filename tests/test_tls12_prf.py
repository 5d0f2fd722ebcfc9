"""The TLS 1.2 PRF against published vectors, and the extended master secret against OpenSSL's.

PRF vectors: the TLS 1.2 PRF test vectors posted to the IETF TLS working
group (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html),
SHA-256 (100 bytes) and SHA-384 (148 bytes).
"""

from __future__ import annotations

import socket
import ssl

import pytest
from cryptography.hazmat.primitives import hashes

from peers import LOOPBACK, TIMEOUT, ThreadResult, listening_socket
from port443.net.stream import TLSStream
from port443.tls import ServerConfig, ServerConnection
from port443.tls.prf import extended_master_secret, master_secret, prf

SHA256_OUT = bytes.fromhex(
    "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af"
    "0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
    "87347b66")
SHA384_OUT = bytes.fromhex(
    "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0"
    "e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425"
    "9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e099070"
    "3d73e56f")


def test_prf_sha256_published_vector():
    secret = bytes.fromhex("9bbe436ba940f017b17652849a71db35")
    seed = bytes.fromhex("a0ba9f936cda311827a6f796ffd5198c")
    assert prf(hashes.SHA256(), secret, b"test label", seed, 100) == SHA256_OUT


def test_prf_sha384_published_vector():
    secret = bytes.fromhex("b80b733d6ceefcdc71566ea48e5567df")
    seed = bytes.fromhex("cd665cf6a8447dd6ff8b27555edb7465")
    assert prf(hashes.SHA384(), secret, b"test label", seed, 148) == SHA384_OUT


def test_master_secret_shapes():
    pms = bytes(48)
    assert len(master_secret(hashes.SHA256(), pms, bytes(32), bytes(32))) == 48
    assert master_secret(hashes.SHA256(), pms, bytes(32), bytes(32)) != extended_master_secret(hashes.SHA256(), pms, bytes(32))


@pytest.mark.interop
@pytest.mark.parametrize("ems", [True, False], ids=["extended", "classic"])
@pytest.mark.parametrize("suite", ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"])
def test_master_secret_equals_openssls(test_pki, tmp_path, suite, ems):
    """Python's ssl (OpenSSL) logs its master secret; ours must be the same bytes."""
    keylog = tmp_path / "openssl.keys"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(test_pki.cafile)
    ctx.keylog_filename = str(keylog)
    if not ems:
        ctx.options |= getattr(ssl, "OP_NO_EXTENDED_MASTER_SECRET", 0x1)
    ours: list[str] = []
    config = ServerConfig(certificate_chain=str(test_pki.chain_file("ecdsa-p256")),
                          private_key=str(test_pki.key_file("ecdsa-p256")), cipher_suites=(suite,), keylog=ours.append)

    def serve(listener):
        sock, _ = listener.accept()
        with sock:
            stream = TLSStream(sock, ServerConnection(config))
            stream.do_handshake()
            stream.sendall(stream.recv_exactly(4))
            stream.close()
            return stream.conn._hs.ems

    with listening_socket() as listener:
        peer = ThreadResult(serve, listener)
        with socket.create_connection((LOOPBACK, listener.getsockname()[1]), timeout=TIMEOUT) as sock:
            with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
                tls.sendall(b"ping")
                assert tls.recv(4) == b"ping"
        used_ems = peer.result()
    assert used_ems == ems
    theirs = [line.strip() for line in keylog.read_text().splitlines() if line.startswith("CLIENT_RANDOM")]
    assert theirs == ours and len(ours) == 1
