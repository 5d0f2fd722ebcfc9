"""Each rule for bad input sends the RFC's alert, and raises only TLSError carrying it."""

from __future__ import annotations

import pytest

from port443.tls import AlertDescription as A
from port443.tls import AlertSent, ClientConnection, ServerConnection, TLSError
from port443.tls.codec import u16, vec8
from port443.tls.enums import ExtensionType as ET
from port443.tls.messages import ClientHello, ServerHello, frame
from port443.tls.record import header
from tls_pairs import client_config, handshake, pair, records, server_config


def expect_alert(conn, data: bytes, alert: A) -> TLSError:
    with pytest.raises(TLSError) as info:
        conn.receive_data(data)
    err = info.value
    assert err.alert == alert, f"{err} (expected {alert.name})"
    assert AlertSent(2, alert) in err.events
    out = records(conn.data_to_send())
    assert out and out[-1][0] in (21, 23), "the alert record was not queued last"
    with pytest.raises(TLSError):  # the connection stays failed
        conn.receive_data(b"\x16\x03\x03\x00\x00")
    return err


def client_hello_record(**kw) -> bytes:
    client = ClientConnection(client_config(**kw))
    return client.data_to_send()


def edit_client_hello(drop=(), replace=None) -> bytes:
    raw = records(client_hello_record())[0][5:]
    hello = ClientHello.decode(raw[4:])
    hello.extensions = [(t, (replace or {}).get(t, d)) for t, d in hello.extensions if t not in drop]
    body = hello.encode()
    return header(22, len(body), 0x0301) + body


# --------------------------------------------------------------------- record layer
def test_plaintext_record_over_2_14_gets_record_overflow():
    server = ServerConnection(server_config())
    expect_alert(server, header(22, (1 << 14) + 1) + bytes((1 << 14) + 1), A.record_overflow)


def test_encrypted_record_over_2_14_plus_256_gets_record_overflow():
    client, server = pair()
    server.receive_data(client.data_to_send())
    flight = server.data_to_send()
    client.receive_data(records(flight)[0])  # ServerHello: the client now expects encrypted records
    expect_alert(client, header(23, (1 << 14) + 257) + bytes(10), A.record_overflow)


def test_tampered_record_gets_bad_record_mac():
    client, server = pair()
    server.receive_data(client.data_to_send())
    flight = bytearray(server.data_to_send())
    flight[-3] ^= 0x40
    expect_alert(client, bytes(flight), A.bad_record_mac)


def test_unknown_content_type_gets_unexpected_message():
    server = ServerConnection(server_config())
    expect_alert(server, b"\x63\x03\x03\x00\x01\x00", A.unexpected_message)


def test_plain_http_gets_an_alert_not_a_hang():
    server = ServerConnection(server_config())
    err = expect_alert(server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", A.unexpected_message)
    assert "TLS" in str(err)


# --------------------------------------------------------------------- handshake layer
def test_oversized_handshake_message_is_refused():
    server = ServerConnection(server_config(max_handshake_message=1024))
    msg = frame(1, bytes(2000))
    expect_alert(server, header(22, 1000) + msg[:1000], A.illegal_parameter)


def test_unexpected_handshake_message_gets_unexpected_message():
    server = ServerConnection(server_config())
    finished = frame(20, bytes(32))
    expect_alert(server, header(22, len(finished)) + finished, A.unexpected_message)


def test_application_data_before_handshake_gets_unexpected_message():
    server = ServerConnection(server_config())
    expect_alert(server, header(23, 5) + b"hello", A.unexpected_message)


def test_truncated_client_hello_gets_decode_error():
    raw = records(client_hello_record())[0][5:]
    cut = frame(1, raw[4:40])
    expect_alert(ServerConnection(server_config()), header(22, len(cut)) + cut, A.decode_error)


def test_client_hello_without_key_share_gets_missing_extension():
    data = edit_client_hello(drop=(ET.key_share,))
    expect_alert(ServerConnection(server_config()), data, A.missing_extension)


def test_client_hello_without_signature_algorithms_gets_missing_extension():
    data = edit_client_hello(drop=(ET.signature_algorithms,))
    expect_alert(ServerConnection(server_config()), data, A.missing_extension)


def test_duplicate_extension_gets_illegal_parameter():
    raw = records(client_hello_record())[0][5:]
    hello = ClientHello.decode(raw[4:])
    hello.extensions.append(hello.extensions[0])
    body = hello.encode()
    expect_alert(ServerConnection(server_config()), header(22, len(body)) + body, A.illegal_parameter)


def test_no_common_version_gets_protocol_version():
    data = client_hello_record(versions=("TLSv1.2",))
    expect_alert(ServerConnection(server_config(versions=("TLSv1.3",))), data, A.protocol_version)


def test_no_common_suite_gets_handshake_failure():
    data = client_hello_record(cipher_suites=("TLS_AES_256_GCM_SHA384",), versions=("TLSv1.3",))
    server = ServerConnection(server_config(cipher_suites=("TLS_AES_128_GCM_SHA256",)))
    expect_alert(server, data, A.handshake_failure)


def test_no_common_alpn_gets_no_application_protocol():
    data = client_hello_record(alpn_protocols=("h2",))
    expect_alert(ServerConnection(server_config(alpn_protocols=("http/1.1",))), data, A.no_application_protocol)


# --------------------------------------------------------------------- HelloRetryRequest rules
def hrr_pair():
    return pair(client_kw=dict(groups=("secp256r1", "x25519"), key_share_groups=("secp256r1",)),
                server_kw=dict(groups=("x25519",)))


def test_second_hello_retry_request_gets_unexpected_message():
    client, server = hrr_pair()
    server.receive_data(client.data_to_send())
    hrr = server.data_to_send()
    client.receive_data(hrr)
    client.data_to_send()
    expect_alert(client, hrr, A.unexpected_message)


def test_suite_changed_after_hello_retry_request_gets_illegal_parameter():
    client, server = pair(
        client_kw=dict(groups=("secp256r1", "x25519"), key_share_groups=("secp256r1",),
                       cipher_suites=("TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256")),
        server_kw=dict(groups=("x25519",)),
    )
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    server.receive_data(client.data_to_send())
    sh_record = records(server.data_to_send())[0]
    sh = ServerHello.decode(sh_record[9:])
    sh.cipher_suite = 0x1303
    body = sh.encode()
    expect_alert(client, header(22, len(body)) + body, A.illegal_parameter)


def test_second_client_hello_without_the_requested_share_gets_illegal_parameter():
    client, server = hrr_pair()
    first = client.data_to_send()
    server.receive_data(first)
    server.data_to_send()
    raw = records(first)[0][5:]
    hello = ClientHello.decode(raw[4:])  # the same hello again, with the cookie it never got
    hello.extensions.insert(-1, (ET.cookie, u16(2) + b"xx"))
    body = hello.encode()
    expect_alert(server, header(22, len(body)) + body, A.illegal_parameter)


def test_server_hello_without_key_share_gets_missing_extension():
    client, server = pair()
    server.receive_data(client.data_to_send())
    sh_record = records(server.data_to_send())[0]
    sh = ServerHello.decode(sh_record[9:])
    sh.extensions = [(t, d) for t, d in sh.extensions if t != ET.key_share]
    body = sh.encode()
    expect_alert(client, header(22, len(body)) + body, A.missing_extension)


def test_server_choosing_unoffered_suite_gets_illegal_parameter():
    client, server = pair(client_kw=dict(cipher_suites=("TLS_AES_128_GCM_SHA256",)))
    server.receive_data(client.data_to_send())
    sh = ServerHello.decode(records(server.data_to_send())[0][9:])
    sh.cipher_suite = 0x1302
    body = sh.encode()
    expect_alert(client, header(22, len(body)) + body, A.illegal_parameter)


def test_downgrade_sentinel_is_refused():
    client = ClientConnection(client_config())
    client.data_to_send()
    random = bytes(24) + b"DOWNGRD\x01"
    sh = ServerHello(random, 0xC02B, [(ET.renegotiation_info, vec8(b""))], client._hs.plan.session_id)
    body = sh.encode()
    expect_alert(client, header(22, len(body)) + body, A.illegal_parameter)


# --------------------------------------------------------------------- certificates
def test_untrusted_certificate_gets_unknown_ca_with_a_reason():
    from port443.pki.issue import issue_leaf, make_ca

    other = make_ca("somebody else")
    leaf = issue_leaf(other, ["localhost"])
    client = ClientConnection(client_config())
    server = ServerConnection(server_config(certificate_chain=list(leaf.chain), private_key=leaf.key))
    server.receive_data(client.data_to_send())
    err = expect_alert(client, server.data_to_send(), A.unknown_ca)
    assert "trusted root" in str(err)


def test_wrong_host_gets_bad_certificate_naming_the_problem():
    client = ClientConnection(client_config(server_name="example.org"))
    server = ServerConnection(server_config())
    server.receive_data(client.data_to_send())
    err = expect_alert(client, server.data_to_send(), A.bad_certificate)
    assert "host name" in str(err)


def test_expired_certificate_gets_certificate_expired():
    import time

    client = ClientConnection(client_config(clock=lambda: time.time() + 5 * 365 * 86400))
    server = ServerConnection(server_config())
    server.receive_data(client.data_to_send())
    expect_alert(client, server.data_to_send(), A.certificate_expired)


def test_wrong_finished_gets_decrypt_error():
    client, server = pair()
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    # Re-seal a corrupted client Finished under the right key to get past the MAC.
    hs = client._hs
    bad = frame(20, bytes(32))
    from port443.tls.record import Tls13Protection

    key, iv = hs.ks.traffic_key_iv(hs.client_hs)
    record = Tls13Protection(hs.suite.cipher, key, iv).seal(22, bad)
    expect_alert(server, record, A.decrypt_error)


def test_peer_alert_ends_the_connection_without_an_exception():
    client, server = pair()
    ce, se = handshake(client, server)
    server._send_alert(2, A.internal_error)
    events = client.receive_data(server.data_to_send())
    assert [type(e).__name__ for e in events] == ["AlertReceived", "ConnectionClosed"]
    assert client.closed
