"""The rest of TLS 1.3's groups and certificate keys, and record padding.

x448 and ECDSA P-384 against OpenSSL; X25519MLKEM768, secp521r1 and ffdhe2048
between our client and our server (OpenSSL 3.0 on this machine has no ML-KEM).
"""

from __future__ import annotations

import subprocess

import pytest

from peers import LOOPBACK, TIMEOUT, ThreadResult, listening_socket, openssl_server
from port443.tls import ApplicationData, NamedGroup
from test_interop_tls13 import client_config, connect_client, serve_one, server_config
from tls_pairs import handshake, pair, records


@pytest.mark.interop
def test_x448_with_openssl_server(test_pki):
    args = ["-tls1_3", "-rev", "-naccept", "1", "-groups", "X448", *test_pki.openssl_cert_args("ecdsa-p256")]
    with openssl_server(args) as (_, port, _lines):
        stream = connect_client(port, client_config(test_pki, groups=("x448", "x25519"), key_share_groups=("x448",)))
        assert stream.do_handshake().group == NamedGroup.x448
        stream.sendall(b"abc\n")
        assert stream.recv_exactly(4) == b"cba\n"
        stream.close()


@pytest.mark.interop
def test_ecdsa_p384_certificate_with_openssl_both_ways(test_pki):
    args = ["-tls1_3", "-rev", "-naccept", "1", *test_pki.openssl_cert_args("ecdsa-p384")]
    with openssl_server(args) as (_, port, _lines):
        stream = connect_client(port, client_config(test_pki))
        assert stream.do_handshake().signature_scheme == 0x0503
        stream.close()
    with listening_socket() as listener:
        ours = ThreadResult(serve_one, listener, server_config(test_pki, "ecdsa-p384"), lambda s: (s.close(), s)[1])
        proc = subprocess.run(["openssl", "s_client", "-connect", f"{LOOPBACK}:{listener.getsockname()[1]}", "-tls1_3",
                               "-CAfile", str(test_pki.cafile), "-verify_return_error"],
                              input=b"", capture_output=True, timeout=TIMEOUT)
        ours.result()
    assert proc.returncode == 0 and b"Peer signature type: ECDSA" in proc.stdout


@pytest.mark.parametrize("group", ["X25519MLKEM768", "secp521r1", "ffdhe2048", "x448"])
def test_our_client_and_server_agree_on(group):
    client, server = pair(client_kw=dict(groups=(group,)), server_kw=dict(groups=(group,)))
    handshake(client, server)
    assert client.complete_event.group == server.complete_event.group == NamedGroup[group]
    client.send(b"over " + group.encode())
    assert server.receive_data(client.data_to_send()) == [ApplicationData(b"over " + group.encode())]


def test_hybrid_group_is_chosen_when_both_prefer_it():
    client, server = pair(client_kw=dict(groups=("X25519MLKEM768", "x25519"), key_share_groups=("X25519MLKEM768", "x25519")),
                          server_kw=dict(groups=("X25519MLKEM768", "x25519")))
    ce, _ = handshake(client, server)
    kx = [e for e in ce if type(e).__name__ == "KeyExchange"][0]
    assert kx.group == NamedGroup.X25519MLKEM768 and kx.our_public_length == 1216 and kx.peer_public_length == 1120


def test_record_padding_hides_lengths():
    client, server = pair(client_kw=dict(padding_block=256))
    handshake(client, server)
    for size in (1, 100, 255, 1000):
        client.send(bytes(size))
        (record,) = records(client.data_to_send())
        assert (len(record) - 5 - 16) % 256 == 0  # inner plaintext padded to a multiple of 256
        assert server.receive_data(record) == [ApplicationData(bytes(size))]
