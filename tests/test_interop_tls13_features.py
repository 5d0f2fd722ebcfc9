"""TLS 1.3 features against real peers: HelloRetryRequest, resumption, KeyUpdate, ALPN, SNI."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest

from peers import LOOPBACK, TIMEOUT, ThreadResult, listening_socket, openssl_server
from port443.pki.issue import issue_leaf
from port443.tls import (
    CertifiedKey, HelloRetryRequestReceived, HelloRetryRequestSent, KeyUpdated, NamedGroup, SessionTicketReceived,
)
from test_interop_tls13 import (
    MiB, client_config, connect_client, lines_payload, reversed_lines, saw_close_notify, serve_one, server_config,
)

pytestmark = pytest.mark.interop


def s_client(port: int, pki, *extra: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        ["openssl", "s_client", "-connect", f"{LOOPBACK}:{port}", "-CAfile", str(pki.cafile),
         "-verify_return_error", *extra],
        input=stdin, capture_output=True, timeout=TIMEOUT,
    )


def finish(stream):
    """Close with close_notify and wait for the peer's."""
    stream.close()
    stream.recv_until_closed()
    return stream


# ------------------------------------------------------------------ HelloRetryRequest
def test_client_retries_when_openssl_server_wants_another_group(test_pki):
    args = ["-tls1_3", "-rev", "-naccept", "1", "-groups", "X25519", *test_pki.openssl_cert_args("ecdsa-p256")]
    with openssl_server(args) as (_, port, _lines):
        config = client_config(test_pki, groups=("secp256r1", "x25519"), key_share_groups=("secp256r1",))
        stream = connect_client(port, config)
        done = stream.do_handshake()
        assert done.group == NamedGroup.x25519
        assert any(isinstance(e, HelloRetryRequestReceived) and e.group == NamedGroup.x25519 for e in stream.events)
        payload = lines_payload(11)
        stream.sendall(payload)
        assert stream.recv_exactly(MiB) == reversed_lines(payload)
        stream.close()
        stream.sock.close()


def test_server_retries_when_openssl_client_shares_another_group(test_pki):
    with listening_socket() as listener:
        config = server_config(test_pki, "ecdsa-p256", groups=("x25519",))
        ours = ThreadResult(serve_one, listener, config, finish)
        proc = s_client(listener.getsockname()[1], test_pki, "-tls1_3", "-groups", "P-384:X25519", "-brief",
                        "-verify_hostname", "localhost")
        stream = ours.result()
    assert proc.returncode == 0, proc.stderr.decode()[-800:]
    assert any(isinstance(e, HelloRetryRequestSent) and e.group == NamedGroup.x25519 for e in stream.events)
    assert stream.conn.complete_event.group == NamedGroup.x25519


# ------------------------------------------------------------------ resumption
def test_client_resumes_with_openssl_server(test_pki):
    args = ["-tls1_3", "-rev", "-naccept", "2", *test_pki.openssl_cert_args("ecdsa-p256")]
    with openssl_server(args) as (_, port, _lines):
        config = client_config(test_pki)
        first = connect_client(port, config)
        assert not first.do_handshake().resumed
        first.sendall(b"hello\n")
        assert first.recv_exactly(6) == b"olleh\n"  # tickets arrive with or before the reply
        tickets = [e.session for e in first.events if isinstance(e, SessionTicketReceived)]
        assert tickets
        first.close()
        first.sock.close()
        second = connect_client(port, dataclasses.replace(config, session=tickets[0]))
        done = second.do_handshake()
        assert done.resumed and done.peer_certificates == ()
        second.sendall(b"again\n")
        assert second.recv_exactly(6) == b"niaga\n"
        second.close()
        second.sock.close()


def test_openssl_client_resumes_with_our_server(test_pki, tmp_path):
    sess = tmp_path / "session.pem"
    config = server_config(test_pki, "ecdsa-p256")

    def serve_two(listener):
        out = []
        for _ in range(2):
            out.append(serve_one(listener, config, lambda s: (s.sendall(b"hi\n"), finish(s))[1]))
        return out

    with listening_socket() as listener:
        ours = ThreadResult(serve_two, listener)
        port = listener.getsockname()[1]
        first = s_client(port, test_pki, "-tls1_3", "-sess_out", str(sess), "-ign_eof", "-servername", "localhost")
        second = s_client(port, test_pki, "-tls1_3", "-sess_in", str(sess), "-ign_eof", "-servername", "localhost")
        streams = ours.result()
    assert first.returncode == 0 and second.returncode == 0, second.stderr.decode()[-800:]
    assert b"New, TLSv1.3" in first.stdout
    assert b"Reused, TLSv1.3" in second.stdout
    assert [s.conn.complete_event.resumed for s in streams] == [False, True]


def test_our_client_resumes_with_our_server(test_pki):
    config = server_config(test_pki, "rsa2048")
    with listening_socket() as listener:
        ours = ThreadResult(lambda: [serve_one(listener, config, lambda s: (s.sendall(b"x"), finish(s))[1]) for _ in range(2)])
        port = listener.getsockname()[1]
        cconf = client_config(test_pki)
        first = connect_client(port, cconf)
        first.do_handshake()
        assert first.recv_exactly(1) == b"x"
        session = [e.session for e in first.events if isinstance(e, SessionTicketReceived)][0]
        first.close()
        second = connect_client(port, dataclasses.replace(cconf, session=session))
        assert second.do_handshake().resumed
        assert second.recv_exactly(1) == b"x"
        second.close()
        servers = ours.result()
    assert [s.conn.complete_event.resumed for s in servers] == [False, True]


# ------------------------------------------------------------------ KeyUpdate
def test_key_update_both_ways_with_openssl_server(test_pki):
    args = ["-tls1_3", "-rev", "-naccept", "1", *test_pki.openssl_cert_args("ed25519")]
    with openssl_server(args) as (_, port, _lines):
        stream = connect_client(port, client_config(test_pki))
        stream.do_handshake()
        payload = lines_payload(12)
        half = len(payload) // 2
        stream.sendall(payload[:half])
        stream.update_keys(request_peer_update=True)
        stream.sendall(payload[half:])
        assert stream.recv_exactly(MiB) == reversed_lines(payload)
        kinds = [(e.direction, e.update_requested) for e in stream.events if isinstance(e, KeyUpdated)]
        assert ("send", True) in kinds and ("receive", False) in kinds
        stream.sendall(b"CLOSE\n")
        stream.recv_until_closed()
        assert saw_close_notify(stream)
        stream.sock.close()


def test_key_update_from_our_server_to_openssl_client(test_pki):
    def body(stream):
        stream.sendall(b"before\n")
        stream.update_keys(request_peer_update=True)
        stream.sendall(b"after\n")
        stream.close()
        stream.recv_until_closed()
        return stream

    with listening_socket() as listener:
        ours = ThreadResult(serve_one, listener, server_config(test_pki, "ecdsa-p256"), body)
        proc = s_client(listener.getsockname()[1], test_pki, "-tls1_3", "-quiet")
        stream = ours.result()
    # OpenSSL answers a requested update only when it next writes; s_client here never does.
    assert proc.stdout == b"before\nafter\n"
    assert [(e.direction, e.update_requested) for e in stream.events if isinstance(e, KeyUpdated)] == [("send", True)]


# ------------------------------------------------------------------ ALPN and SNI
def test_alpn_with_openssl_server(test_pki):
    args = ["-tls1_3", "-rev", "-naccept", "1", "-alpn", "http/1.1", *test_pki.openssl_cert_args("ecdsa-p256")]
    with openssl_server(args) as (_, port, _lines):
        stream = connect_client(port, client_config(test_pki, alpn_protocols=("h2", "http/1.1")))
        assert stream.do_handshake().alpn_protocol == "http/1.1"
        stream.close()
        stream.sock.close()


def test_alpn_with_openssl_client(test_pki):
    with listening_socket() as listener:
        config = server_config(test_pki, "ecdsa-p256", alpn_protocols=("h2", "http/1.1"))
        ours = ThreadResult(serve_one, listener, config, finish)
        proc = s_client(listener.getsockname()[1], test_pki, "-tls1_3", "-alpn", "http/1.1,h2")
        stream = ours.result()
    assert stream.conn.complete_event.alpn_protocol == "h2"
    assert b"ALPN protocol: h2" in proc.stdout + proc.stderr


def test_sni_selects_certificate_on_our_server(test_pki):
    other = issue_leaf(test_pki.intermediate, ["other.test"], key_type="ecdsa-p256")
    config = server_config(test_pki, "ecdsa-p256", certificates=(CertifiedKey.load(list(other.chain), other.key),))
    with listening_socket() as listener:
        ours = ThreadResult(lambda: [serve_one(listener, config, finish) for _ in range(2)])
        port = listener.getsockname()[1]
        a = s_client(port, test_pki, "-tls1_3", "-servername", "other.test", "-verify_hostname", "other.test")
        b = s_client(port, test_pki, "-tls1_3", "-servername", "localhost", "-verify_hostname", "localhost")
        streams = ours.result()
    assert a.returncode == 0 and b.returncode == 0
    assert b"CN = other.test" in a.stdout and b"CN = localhost" in b.stdout
    assert [s.conn.complete_event.server_name for s in streams] == ["other.test", "localhost"]


def test_sni_sent_by_our_client_selects_openssl_certificate(test_pki):
    # s_server sends no chain with -cert2, so this leaf comes straight from the root.
    other = issue_leaf(test_pki.root, ["other.test"], key_type="ecdsa-p256")
    from peers import write_pem

    chain, key = write_pem(other, test_pki.directory, "other")
    args = ["-tls1_3", "-rev", "-naccept", "1", *test_pki.openssl_cert_args("ecdsa-p256"),
            "-servername", "other.test", "-cert2", str(chain), "-key2", str(key)]
    with openssl_server(args) as (_, port, _lines):
        stream = connect_client(port, client_config(test_pki, server_name="other.test"))
        done = stream.do_handshake()
        assert done.peer_certificates[0].subject.rfc4514_string() == "CN=other.test"
        stream.close()
        stream.sock.close()
