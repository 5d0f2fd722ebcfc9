"""Rules from an RFC-by-RFC review of the engine, each pinned by a test.

Where a rule is about what a misbehaving peer sends, the peer is our own
server with one step patched to misbehave.
"""

from __future__ import annotations


import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from port443.pki.issue import issue_leaf
from port443.tls import AlertDescription as A
from port443.tls import (
    AlertReceived, ClientConnection, ConnectionClosed, HandshakeComplete, ServerConnection, SessionTicketReceived,
    TLSError,
)
from port443.tls import server12, server13, sigs
from port443.tls.enums import ExtensionType as ET
from port443.tls.errors import ConnectionClosedError
from port443.tls.messages import ClientHello, ServerHello
from port443.tls.record import header
from tls_pairs import client_config, handshake, pair, pki, records, server_config


def alert_of(conn, data) -> A:
    with pytest.raises(TLSError) as info:
        conn.receive_data(data)
    return info.value.alert


def first_session(client_kw=None, server_kw=None):
    client, server = pair(client_kw, server_kw)
    events, _ = handshake(client, server)
    return [e.session for e in events if isinstance(e, SessionTicketReceived)][0], server.config


# ---------------------------------------------------------------- resumption (RFC 8446 §4.6.1, RFC 7627 §5.3)
def test_a_session_is_never_offered_to_another_host():
    session, _ = first_session()
    client = ClientConnection(client_config(server_name="bank.example", session=session))
    hello = ClientHello.decode(records(client.data_to_send())[0][9:])
    assert not hello.has(ET.pre_shared_key)
    same = ClientConnection(client_config(server_name="LOCALHOST.", session=session))
    assert ClientHello.decode(records(same.data_to_send())[0][9:]).has(ET.pre_shared_key)


def test_client_aborts_when_resumption_changes_the_extended_master_secret(monkeypatch):
    session, sconf = first_session(dict(versions=("TLSv1.2",), extended_master_secret=False), dict(versions=("TLSv1.2",)))
    assert not session.extended_master_secret
    # A server that resumes even though the ClientHello now carries EMS (it must not).
    monkeypatch.setattr(server12.Server12Handshake, "_find_session",
                        lambda self, info: server12.open_ticket(self.config.ticket_keys, info.session_ticket))
    client = ClientConnection(client_config(versions=("TLSv1.2",), session=session))
    server = ServerConnection(sconf)
    server.receive_data(client.data_to_send())
    assert alert_of(client, server.data_to_send()) == A.handshake_failure


# ---------------------------------------------------------------- versions (RFC 8446 §4.1.3, §4.1.4)
def test_tls12_server_hello_after_hello_retry_request_is_refused():
    client, server = pair(client_kw=dict(groups=("secp256r1", "x25519"), key_share_groups=("secp256r1",)),
                          server_kw=dict(groups=("x25519",)))
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    sh = ServerHello(bytes(32), 0xC02B, [(ET.renegotiation_info, b"\x00")], client._hs.plan.session_id).encode()
    assert alert_of(client, header(22, len(sh)) + sh) == A.illegal_parameter


def test_both_downgrade_sentinels_are_refused():
    client = ClientConnection(client_config())
    client.data_to_send()
    sh = ServerHello(bytes(24) + b"DOWNGRD\x00", 0xC02B, [(ET.renegotiation_info, b"\x00")],
                     client._hs.plan.session_id).encode()
    assert alert_of(client, header(22, len(sh)) + sh) == A.illegal_parameter


# ---------------------------------------------------------------- alerts (RFC 8446 §6, Appendix A.1)
def test_nothing_is_sent_after_the_peers_fatal_alert():
    client, server = pair()
    handshake(client, server)
    server._send_alert(2, A.internal_error)
    client.receive_data(server.data_to_send())
    with pytest.raises(ConnectionClosedError):
        client.send(b"more")
    with pytest.raises(ConnectionClosedError):
        client.update_keys()


def test_server_learns_why_the_client_refused_its_certificate():
    from port443.pki.issue import make_ca

    stranger = issue_leaf(make_ca("stranger"), ["localhost"])
    client = ClientConnection(client_config())
    server = ServerConnection(server_config(certificate_chain=list(stranger.chain), private_key=stranger.key))
    server.receive_data(client.data_to_send())
    with pytest.raises(TLSError):
        client.receive_data(server.data_to_send())
    events = server.receive_data(client.data_to_send())
    assert AlertReceived(2, A.unknown_ca) in events and ConnectionClosed(clean=False) in events


def test_unknown_inner_content_type_is_unexpected_message():
    client, server = pair()
    handshake(client, server)
    assert alert_of(client, server._write.seal(99, b"x")) == A.unexpected_message


def test_empty_alert_is_unexpected_message():
    client, server = pair()
    handshake(client, server)
    assert alert_of(client, server._write.seal(21, b"")) == A.unexpected_message


def test_warning_before_server_hello_does_not_end_a_tls12_capable_handshake():
    client, server = pair()
    server.receive_data(client.data_to_send())
    warning = header(21, 2) + bytes((1, A.unrecognized_name))
    events = client.receive_data(warning + server.data_to_send())
    assert any(isinstance(e, HandshakeComplete) for e in events)


# ---------------------------------------------------------------- record sizes (RFC 8449, RFC 8446 §5.4)
@pytest.mark.parametrize("version", ["TLSv1.3", "TLSv1.2"])
def test_record_size_limit_we_advertise_is_enforced(version):
    client, server = pair(client_kw=dict(record_size_limit=1024, versions=(version,)))
    handshake(client, server)
    server.send(bytes(5000))
    sent = server.data_to_send()
    assert all(len(r) <= 5 + 1024 + 256 for r in records(sent))  # the server honours it
    assert sum(len(e.data) for e in client.receive_data(sent)) == 5000
    server._write_fragment = 4000  # a server that does not
    server.send(bytes(4000))
    assert alert_of(client, server.data_to_send()) == A.record_overflow


def test_inner_plaintext_over_2_14_plus_1_with_padding_is_refused():
    client, server = pair()
    handshake(client, server)
    server._write.padding_block, server._write.max_fragment = 16500, 16500
    assert alert_of(client, server._write.seal(23, b"x" * 100)) == A.record_overflow


# ---------------------------------------------------------------- certificates (RFC 8446 §4.2.3, §4.4.2)
def test_tls12_accepts_ecdsa_signatures_on_any_advertised_curve():
    key = ec.generate_private_key(ec.SECP384R1())
    sig = key.sign(b"data", ec.ECDSA(hashes.SHA256()))
    assert sigs.verify(key.public_key(), 0x0403, sig, b"data")
    assert 0x0403 not in sigs.key_schemes(key, tls13=True)


def test_rsa_pss_pss_from_an_rsa_encryption_key_is_refused(monkeypatch):
    ca, _, _ = pki()
    leaf = issue_leaf(ca, ["localhost"], key_type="rsa2048")
    real = server13.choose_certificate
    monkeypatch.setattr(server13, "choose_certificate", lambda *a, **k: (real(*a, **k)[0], 0x0809))
    client = ClientConnection(client_config())
    server = ServerConnection(server_config(certificate_chain=list(leaf.chain), private_key=leaf.key))
    server.receive_data(client.data_to_send())
    assert alert_of(client, server.data_to_send()) == A.illegal_parameter


def test_unsolicited_certificate_entry_extension_is_refused(monkeypatch):
    original = server13.Certificate13

    def with_ocsp(certificates, *rest):
        return original(certificates, b"", [[(ET.status_request, b"\x01")]] + [[] for _ in certificates[1:]])

    monkeypatch.setattr(server13, "Certificate13", with_ocsp)
    client, server = pair()
    server.receive_data(client.data_to_send())
    assert alert_of(client, server.data_to_send()) == A.unsupported_extension


def test_tls12_certificate_must_fit_the_suite():
    ca, _, _ = pki()
    rsa_leaf = issue_leaf(ca, ["localhost"], key_type="rsa2048")
    client = ClientConnection(client_config(versions=("TLSv1.2",)))
    server = ServerConnection(server_config(versions=("TLSv1.2",), certificate_chain=list(rsa_leaf.chain),
                                            private_key=rsa_leaf.key))
    server.receive_data(client.data_to_send())
    payload = records(server.data_to_send())[0][5:]  # ServerHello, Certificate, ... in one record
    end = 4 + int.from_bytes(payload[1:4], "big")
    sh = ServerHello.decode(payload[4:end])
    assert sh.cipher_suite in (0xC02F, 0xC030, 0xCCA8)  # ECDHE_RSA: fine
    sh.cipher_suite = 0xC02B  # rewritten to an ECDSA suite: the RSA certificate no longer fits
    flight = sh.encode() + payload[end:]
    assert alert_of(client, header(22, len(flight)) + flight) == A.unsupported_certificate


# ---------------------------------------------------------------- TLS 1.2 odds and ends
def test_hello_request_during_the_handshake_is_ignored():
    client, server = pair(client_kw=dict(versions=("TLSv1.2",)))
    server.receive_data(client.data_to_send())
    first, *rest = records(server.data_to_send())
    hello_request = header(22, 4) + b"\x00\x00\x00\x00"
    client.receive_data(first + hello_request + b"".join(rest))
    server.receive_data(client.data_to_send())
    client.receive_data(server.data_to_send())
    assert client.handshake_complete and server.handshake_complete


def test_ticket_lifetime_over_seven_days_is_clamped_not_fatal():
    client, server = pair()
    object.__setattr__(server.config, "ticket_lifetime", 10 * 86400)  # a server that breaks §4.6.1
    events, _ = handshake(client, server)
    sessions = [e.session for e in events if isinstance(e, SessionTicketReceived)]
    assert sessions and all(s.lifetime == 604800 for s in sessions)
    assert client.handshake_complete and not client.closed


def test_our_server_refuses_a_ticket_lifetime_over_seven_days():
    from port443.tls.config import ConfigError

    with pytest.raises(ConfigError, match="604800"):
        server_config(ticket_lifetime=8 * 86400)


# ---------------------------------------------------------------- the server's side
def edited_hello(client, **changes) -> bytes:
    """The client's (first) ClientHello record with fields or extensions changed."""
    record = [r for r in records(client.data_to_send()) if r[0] == 22][0]  # past a compatibility-mode CCS
    hello = ClientHello.decode(record[9:])
    for name, value in changes.items():
        if name == "extensions":
            hello.extensions = value(hello.extensions)
        else:
            setattr(hello, name, value)
    body = hello.encode()
    return header(22, len(body)) + body


def test_second_client_hello_may_not_change_more_than_the_rfc_allows():
    for change in (dict(compression_methods=b"\x00\x01"),
                   dict(extensions=lambda exts: [(t, d) for t, d in exts if t != ET.application_layer_protocol_negotiation]
                        + [(ET.application_layer_protocol_negotiation, b"\x00\x03\x02h2")])):
        client, server = pair(client_kw=dict(groups=("secp256r1", "x25519"), key_share_groups=("secp256r1",)),
                              server_kw=dict(groups=("x25519",), alpn_protocols=("h2",)))
        server.receive_data(client.data_to_send())
        client.receive_data(server.data_to_send())
        assert alert_of(server, edited_hello(client, **change)) == A.illegal_parameter


def test_tls12_server_needs_uncompressed_points():
    client = ClientConnection(client_config(versions=("TLSv1.2",)))
    data = edited_hello(client, extensions=lambda exts: [(t, b"\x01\x01" if t == ET.ec_point_formats else d)
                                                          for t, d in exts])
    assert alert_of(ServerConnection(server_config()), data) == A.illegal_parameter


def test_only_grease_in_supported_versions_is_protocol_version():
    client = ClientConnection(client_config())
    data = edited_hello(client, extensions=lambda exts: [(t, b"\x02\x0a\x0a" if t == ET.supported_versions else d)
                                                          for t, d in exts])
    assert alert_of(ServerConnection(server_config()), data) == A.protocol_version


def test_server_aborts_an_ems_session_resumed_without_ems():
    session, sconf = first_session(dict(versions=("TLSv1.2",)), dict(versions=("TLSv1.2",)))
    assert session.extended_master_secret
    client = ClientConnection(client_config(versions=("TLSv1.2",), session=session))
    data = edited_hello(client, extensions=lambda exts: [(t, d) for t, d in exts if t != ET.extended_master_secret])
    assert alert_of(ServerConnection(sconf), data) == A.handshake_failure


def test_tls12_server_acknowledges_sni_and_record_size_limit():
    client, server = pair(client_kw=dict(versions=("TLSv1.2",), record_size_limit=2048))
    server.receive_data(client.data_to_send())
    payload = records(server.data_to_send())[0][5:]
    sh = ServerHello.decode(payload[4:4 + int.from_bytes(payload[1:4], "big")])
    assert sh.ext(ET.server_name) == b"" and sh.has(ET.record_size_limit)
    assert server._write_fragment == 2048


def test_after_the_peers_close_notify_close_answers_and_tls13_may_still_send():
    for version in ("TLSv1.2", "TLSv1.3"):
        client, server = pair(client_kw=dict(versions=(version,)))
        handshake(client, server)
        client.close()
        assert ConnectionClosed(clean=True) in server.receive_data(client.data_to_send())
        if version == "TLSv1.3":  # a half-close: the other direction stays open
            server.send(b"still talking")
            got = [e.data for e in client.receive_data(server.data_to_send()) if hasattr(e, "data")]
            assert got == [b"still talking"]
        server.close()  # the answer RFC 5246 §7.2.1 asks for
        assert ConnectionClosed(clean=True) in client.receive_data(server.data_to_send())


def test_certificate_with_an_invalid_x509_version_is_bad_certificate():
    client, server = pair(client_kw=dict(verify=False))
    ck = server.config._certified_keys[0]
    der = ck.der_chain[0]
    bad = der.replace(b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x03", 1)  # v3 -> a version X.509 does not have
    assert bad != der
    object.__setattr__(ck, "der_chain", (bad,) + ck.der_chain[1:])
    server.receive_data(client.data_to_send())
    assert alert_of(client, server.data_to_send()) == A.bad_certificate
