"""TLS 1.2 behaviour against real peers: resumption (ticket and session ID), version
negotiation, downgrade protection, TLS_FALLBACK_SCSV and refused renegotiation."""

from __future__ import annotations

import dataclasses
import socket
import ssl
import subprocess

import pytest

from peers import LOOPBACK, TIMEOUT, ThreadResult, listening_socket, openssl_server, recv_exactly
from port443.net.stream import TLSStream
from port443.tls import (
    AlertDescription as A, AlertReceived, AlertSent, ClientConfig, ClientConnection, ServerConfig, ServerConnection,
    SessionTicketReceived, TLSError,
)
from port443.tls.enums import ExtensionType as ET
from port443.tls.messages import ClientHello
from port443.tls.record import header
from tls_pairs import handshake, records

pytestmark = pytest.mark.interop


def our_client(pki, **kw) -> ClientConfig:
    return ClientConfig(**{"server_name": "localhost", "cafile": str(pki.cafile), **kw})


def our_server(pki, key_type="ecdsa-p256", **kw) -> ServerConfig:
    return ServerConfig(certificate_chain=str(pki.chain_file(key_type)), private_key=str(pki.key_file(key_type)), **kw)


def connect(port: int, config: ClientConfig) -> TLSStream:
    return TLSStream(socket.create_connection((LOOPBACK, port), timeout=TIMEOUT), ClientConnection(config))


def s_client(port, pki, *extra, stdin=b""):
    return subprocess.run(["openssl", "s_client", "-connect", f"{LOOPBACK}:{port}", "-CAfile", str(pki.cafile),
                           "-servername", "localhost", *extra], input=stdin, capture_output=True, timeout=TIMEOUT)


def finish(stream):
    stream.close()
    stream.recv_until_closed()
    return stream


def serve(listener, config, count=1, body=finish):
    out = []
    for _ in range(count):
        sock, _ = listener.accept()
        sock.settimeout(TIMEOUT)
        with sock:
            stream = TLSStream(sock, ServerConnection(config))
            try:
                stream.do_handshake()
            except TLSError as exc:
                out.append(exc)
                continue
            out.append(body(stream))
    return out


# ------------------------------------------------------------------ resumption
@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session-id"])
def test_client_resumes_with_openssl_server(test_pki, tickets):
    args = ["-tls1_2", "-rev", "-naccept", "2", *test_pki.openssl_cert_args("ecdsa-p256")]
    if not tickets:
        args.append("-no_ticket")
    with openssl_server(args) as (_, port, _lines):
        config = our_client(test_pki, versions=("TLSv1.2",))
        first = connect(port, config)
        assert not first.do_handshake().resumed
        (session,) = [e.session for e in first.events if isinstance(e, SessionTicketReceived)]
        assert bool(session.ticket) is tickets and bool(session.session_id) is not tickets
        first.sendall(b"CLOSE\n")
        first.recv_until_closed()
        first.close()
        second = connect(port, dataclasses.replace(config, session=session))
        done = second.do_handshake()
        assert done.resumed and done.peer_certificates == ()
        second.sendall(b"abc\n")
        assert second.recv_exactly(4) == b"cba\n"
        second.close()


@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session-id"])
def test_openssl_client_resumes_with_our_server(test_pki, tmp_path, tickets):
    sess = tmp_path / "sess.pem"
    extra = [] if tickets else ["-no_ticket"]
    with listening_socket() as listener:
        ours = ThreadResult(serve, listener, our_server(test_pki), 2)
        port = listener.getsockname()[1]
        first = s_client(port, test_pki, "-tls1_2", "-sess_out", str(sess), *extra)
        second = s_client(port, test_pki, "-tls1_2", "-sess_in", str(sess), *extra)
        streams = ours.result()
    assert b"New, TLSv1.2" in first.stdout and b"Reused, TLSv1.2" in second.stdout, second.stdout.decode()[-600:]
    assert [s.conn.complete_event.resumed for s in streams] == [False, True]
    if not tickets:
        assert b"TLS session ticket:" not in first.stdout


@pytest.mark.parametrize("tickets", [True, False], ids=["ticket", "session-id"])
def test_our_client_resumes_with_our_server(test_pki, tickets):
    config = our_server(test_pki, "rsa2048", session_tickets=2 if tickets else 0, versions=("TLSv1.2",))
    client = our_client(test_pki, versions=("TLSv1.2",), session_ticket=tickets)
    c1, s1 = ClientConnection(client), ServerConnection(config)
    events, _ = handshake(c1, s1)
    (session,) = [e.session for e in events if isinstance(e, SessionTicketReceived)]
    c2, s2 = ClientConnection(dataclasses.replace(client, session=session)), ServerConnection(config)
    handshake(c2, s2)
    assert c2.complete_event.resumed and s2.complete_event.resumed
    c2.send(b"after resumption")
    assert s2.receive_data(c2.data_to_send())[0].data == b"after resumption"


# ------------------------------------------------------------------ version negotiation
def test_tls13_capable_client_meets_tls12_only_openssl_server(test_pki):
    with openssl_server(["-tls1_2", "-rev", "-naccept", "1", *test_pki.openssl_cert_args("rsa2048")]) as (_, port, _l):
        stream = connect(port, our_client(test_pki))
        assert stream.do_handshake().version == "TLSv1.2"
        stream.sendall(b"x\n")
        assert stream.recv_exactly(2) == b"x\n"
        stream.close()


def test_tls12_only_openssl_client_meets_our_tls13_capable_server(test_pki):
    with listening_socket() as listener:
        ours = ThreadResult(serve, listener, our_server(test_pki))
        proc = s_client(listener.getsockname()[1], test_pki, "-tls1_2", "-verify_return_error")
        (stream,) = ours.result()
    assert proc.returncode == 0 and b"Protocol  : TLSv1.2" in proc.stdout
    assert stream.conn.complete_event.version == "TLSv1.2"
    assert stream.conn.server_random.endswith(b"DOWNGRD\x01")  # we could have done 1.3 (RFC 8446 §4.1.3)


def test_tls12_only_python_client_meets_our_server(test_pki):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(test_pki.cafile)

    def client(port):
        with socket.create_connection((LOOPBACK, port), timeout=TIMEOUT) as sock:
            with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
                version = tls.version()
                tls.sendall(b"ping")
                assert recv_exactly(tls, 4) == b"pong"
                tls.unwrap()
                return version

    with listening_socket() as listener:
        peer = ThreadResult(client, listener.getsockname()[1])
        (stream,) = serve(listener, our_server(test_pki), body=lambda s: (s.recv_exactly(4), s.sendall(b"pong"), finish(s))[2])
    assert peer.result() == "TLSv1.2" and stream.conn.complete_event.version == "TLSv1.2"


def test_tls12_only_client_meets_tls13_openssl_server(test_pki):
    with openssl_server(["-rev", "-naccept", "1", *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, _l):
        stream = connect(port, our_client(test_pki, versions=("TLSv1.2",)))
        assert stream.do_handshake().version == "TLSv1.2"
        stream.close()


# ------------------------------------------------------------------ downgrade and fallback
def strip_tls13(hello_record: bytes) -> bytes:
    """What a downgrading attacker does: remove the ClientHello's TLS 1.3 extensions."""
    hello = ClientHello.decode(records(hello_record)[0][9:])
    drop = {ET.supported_versions, ET.key_share, ET.psk_key_exchange_modes}
    hello.extensions = [(t, d) for t, d in hello.extensions if t not in drop]
    body = hello.encode()
    return header(22, len(body), 0x0301) + body


def test_client_detects_downgrade_by_openssl_server(test_pki):
    with openssl_server(["-naccept", "1", *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, _l):
        client = ClientConnection(our_client(test_pki))
        with socket.create_connection((LOOPBACK, port), timeout=TIMEOUT) as sock:
            sock.sendall(strip_tls13(client.data_to_send()))
            reply = sock.recv(65536)
        with pytest.raises(TLSError) as info:
            client.receive_data(reply)
    assert info.value.alert == A.illegal_parameter and "downgrade" in str(info.value)


def test_client_detects_downgrade_by_our_server(test_pki):
    client = ClientConnection(our_client(test_pki))
    server = ServerConnection(our_server(test_pki))
    server.receive_data(strip_tls13(client.data_to_send()))
    with pytest.raises(TLSError) as info:
        client.receive_data(server.data_to_send())
    assert info.value.alert == A.illegal_parameter


def test_our_server_refuses_openssl_fallback_scsv(test_pki):
    with listening_socket() as listener:
        ours = ThreadResult(serve, listener, our_server(test_pki))
        proc = s_client(listener.getsockname()[1], test_pki, "-tls1_2", "-fallback_scsv")
        (err,) = ours.result()
    assert isinstance(err, TLSError) and err.alert == A.inappropriate_fallback
    assert proc.returncode != 0 and b"inappropriate fallback" in proc.stderr


def test_our_client_fallback_scsv_is_refused_by_openssl(test_pki):
    with openssl_server(["-naccept", "1", *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, _l):
        stream = connect(port, our_client(test_pki, versions=("TLSv1.2",), fallback_scsv=True))
        with pytest.raises(Exception):
            stream.do_handshake()
        assert AlertReceived(2, A.inappropriate_fallback) in stream.events


def test_fallback_scsv_without_a_higher_version_is_accepted(test_pki):
    client = ClientConnection(our_client(test_pki, versions=("TLSv1.2",), fallback_scsv=True))
    server = ServerConnection(our_server(test_pki, versions=("TLSv1.2",)))
    handshake(client, server)
    assert client.complete_event.version == server.complete_event.version == "TLSv1.2"


# ------------------------------------------------------------------ renegotiation
def test_client_refuses_openssl_renegotiation_with_a_warning(test_pki):
    with openssl_server(["-tls1_2", "-naccept", "1", *test_pki.openssl_cert_args("ecdsa-p256")]) as (proc, port, lines):
        stream = connect(port, our_client(test_pki, versions=("TLSv1.2",)))
        stream.do_handshake()
        proc.stdin.write(b"r\n")  # s_server sends a HelloRequest
        proc.stdin.flush()
        stream.recv_until_closed()
        lines.wait_for("no renegotiation")
    assert AlertSent(1, A.no_renegotiation) in stream.events


def test_server_refuses_renegotiation_warning_then_fatal(test_pki):
    client = ClientConnection(our_client(test_pki, versions=("TLSv1.2",)))
    server = ServerConnection(our_server(test_pki))
    handshake(client, server)
    hello = records(ClientConnection(our_client(test_pki, versions=("TLSv1.2",))).data_to_send())[0][5:]
    client._send_handshake(hello)
    client._flush_handshake()
    events = server.receive_data(client.data_to_send())
    assert AlertSent(1, A.no_renegotiation) in events
    assert any(isinstance(e, AlertReceived) and e.description == A.no_renegotiation
               for e in client.receive_data(server.data_to_send()))
    client._send_handshake(hello)
    client._flush_handshake()
    with pytest.raises(TLSError) as info:
        server.receive_data(client.data_to_send())
    assert info.value.alert == A.unexpected_message


def test_secure_renegotiation_indication_is_exchanged(test_pki):
    with openssl_server(["-tls1_2", "-naccept", "1", *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, lines):
        stream = connect(port, our_client(test_pki, versions=("TLSv1.2",)))
        stream.do_handshake()
        assert stream.conn._hs.secure_renegotiation
        lines.wait_for("Secure Renegotiation IS supported")
        stream.close()
