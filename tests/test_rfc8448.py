"""RFC 8448 example handshakes, byte for byte.

With the RFC's randoms and ephemeral keys injected (an Entropy that replays
them), our client's and our server's records must equal the RFC's, and every
secret our key schedule hands the keylog callback must equal the RFC's
intermediate values. Sections: 3 (simple 1-RTT, both roles), 5
(HelloRetryRequest, client role: the server's cookie is NSS's own), 7
(compatibility mode, both roles).
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, x25519

from port443.tls import (
    ApplicationData, ClientConfig, ClientConnection, ConnectionClosed, Entropy, HandshakeComplete, ServerConfig,
    ServerConnection, SessionTicketReceived,
)
from port443.tls import server13
from port443.tls.enums import NamedGroup as G
from port443.tls.sigs import verify as verify_signature
from vectors import rfc8448 as V

# The NSS client of RFC 8448 offers these, in this order.
RFC_GROUPS = ("x25519", "secp256r1", "secp384r1", "secp521r1", "ffdhe2048", "ffdhe3072", "ffdhe4096",
              "ffdhe6144", "ffdhe8192")
RFC_SCHEMES = (0x0403, 0x0503, 0x0603, 0x0203, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0201,
               0x0402, 0x0502, 0x0602, 0x0202)
RFC_SUITES = (0x1301, 0x1303, 0x1302)
KEYLOG_NAMES = {
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET": "client_handshake_traffic_secret",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET": "server_handshake_traffic_secret",
    "CLIENT_TRAFFIC_SECRET_0": "client_application_traffic_secret",
    "SERVER_TRAFFIC_SECRET_0": "server_application_traffic_secret",
    "EXPORTER_SECRET": "exporter_master_secret",
}


class Replay(Entropy):
    """Hands out the RFC's randoms and private keys in the order the engine asks."""

    def __init__(self, randoms: list[bytes], keys: dict[int, list]) -> None:
        self.randoms = list(randoms)
        self.keys = {g: list(v) for g, v in keys.items()}

    def random(self, n: int) -> bytes:
        value = self.randoms.pop(0)
        assert len(value) == n
        return value

    def private_key(self, group: int):
        return self.keys[group].pop(0)


def x25519_key(raw: bytes):
    return x25519.X25519PrivateKey.from_private_bytes(raw)


def p256_key(raw: bytes):
    return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())


def client_random(vec: dict) -> bytes:
    return (vec.get("client_hello") or vec["client_hello_1"])[6:38]


def server_random(vec: dict) -> bytes:
    return vec["server_hello"][6:38]


class Keylog:
    def __init__(self) -> None:
        self.secrets: dict[str, bytes] = {}
        self.randoms: set[str] = set()

    def __call__(self, line: str) -> None:
        label, rnd, secret = line.split()
        self.secrets[label] = bytes.fromhex(secret)
        self.randoms.add(rnd)

    def check(self, vec: dict) -> None:
        assert self.randoms == {client_random(vec).hex()}
        for label, name in KEYLOG_NAMES.items():
            assert self.secrets[label] == vec[name], label


def rfc_client(vec: dict, keylog: Keylog, *, compat: bool, session_ticket: bool) -> ClientConnection:
    config = ClientConfig(
        server_name="server", verify=False, versions=("TLSv1.3",), cipher_suites=RFC_SUITES,
        groups=RFC_GROUPS[:3] if vec is V.HRR else RFC_GROUPS, signature_algorithms=RFC_SCHEMES,
        compatibility_mode=compat, session_ticket=session_ticket, record_size_limit=0x4001, keylog=keylog,
    )
    keys = {G.x25519: [x25519_key(vec["client_x25519_private"])]}
    if "client_secp256r1_private" in vec:
        keys[G.secp256r1] = [p256_key(vec["client_secp256r1_private"])]
    randoms = [client_random(vec)] + ([vec["legacy_session_id"]] if compat else [])
    return ClientConnection(config, Replay(randoms, keys))


def rfc_server(vec: dict, keylog: Keylog) -> ServerConnection:
    config = ServerConfig(
        certificate_chain=V.SERVER_CERTIFICATE_DER, private_key=V.server_rsa_private_key(),
        versions=("TLSv1.3",), cipher_suites=RFC_SUITES, groups=RFC_GROUPS, signature_algorithms=RFC_SCHEMES[4:7],
        session_tickets=1 if "new_session_ticket" in vec else 0, keylog=keylog,
    )
    keys = {G.x25519: [x25519_key(vec["server_x25519_private"])]}
    return ServerConnection(config, Replay([server_random(vec), bytes(4)], keys))


def check_schedule(ks, vec: dict) -> None:
    """The key schedule's own stages and keys, beyond what the keylog shows."""
    assert ks.early_secret == vec["early_secret"]
    assert ks.handshake_secret == vec["handshake_secret"]
    assert ks.master_secret == vec["master_secret"]
    for side in ("client", "server"):
        for stage, secret in (("handshake", f"{side}_handshake_traffic_secret"),
                              ("application", f"{side}_application_traffic_secret")):
            assert ks.traffic_key_iv(vec[secret]) == (vec[f"{side}_{stage}_key"], vec[f"{side}_{stage}_iv"])
        assert ks.finished_key(vec[f"{side}_handshake_traffic_secret"]) == vec[f"{side}_finished_key"]


@pytest.fixture
def replay_rfc_signature(monkeypatch):
    """RSA-PSS is randomized, so the server's CertificateVerify cannot be re-made
    byte for byte. Instead, check that the RFC's signature verifies over exactly
    the content our server asks to sign (proving the transcripts are equal), and
    send the RFC's signature."""
    def install(vec: dict):
        signature = vec["certificate_verify"][8:]
        public = V.server_rsa_private_key().public_key()

        def sign(key, scheme, content):
            assert scheme == 0x0804
            assert verify_signature(public, scheme, signature, content), "our CertificateVerify input differs"
            return signature

        monkeypatch.setattr(server13, "sign", sign)
    return install


@pytest.mark.parametrize("vec,compat,ticket_ext", [(V.SIMPLE_1RTT, False, True), (V.COMPAT, True, False)],
                         ids=["section3", "section7"])
def test_client_reproduces_rfc8448(vec, compat, ticket_ext):
    keylog = Keylog()
    client = rfc_client(vec, keylog, compat=compat, session_ticket=ticket_ext)
    assert client.data_to_send() == vec["client_hello_record"]
    server_records = vec["server_hello_record"] + vec.get("server_change_cipher_spec_record", b"") + vec["server_flight_record"]
    events = client.receive_data(server_records)
    assert any(isinstance(e, HandshakeComplete) for e in events)
    assert client.data_to_send() == vec.get("client_change_cipher_spec_record", b"") + vec["client_finished_record"]
    keylog.check(vec)
    check_schedule(client._hs.ks, vec)
    assert client._hs.resumption_master == vec["resumption_master_secret"]
    if "new_session_ticket_record" in vec:
        (ticket,) = [e for e in client.receive_data(vec["new_session_ticket_record"]) if isinstance(e, SessionTicketReceived)]
        assert ticket.session.secret == vec["resumption_psk"] and ticket.session.ticket == vec["ticket"]
        client.send(vec["client_application_data"])
        assert client.data_to_send() == vec["client_application_data_record"]
        assert client.receive_data(vec["server_application_data_record"]) == [ApplicationData(vec["server_application_data"])]
    client.close()
    assert client.data_to_send() == vec["client_alert_record"]
    assert any(isinstance(e, ConnectionClosed) for e in client.receive_data(vec["server_alert_record"]))


@pytest.mark.parametrize("vec", [V.SIMPLE_1RTT, V.COMPAT], ids=["section3", "section7"])
def test_server_reproduces_rfc8448(vec, replay_rfc_signature):
    replay_rfc_signature(vec)
    keylog = Keylog()
    server = rfc_server(vec, keylog)
    server.receive_data(vec["client_hello_record"])
    expected = vec["server_hello_record"] + vec.get("server_change_cipher_spec_record", b"") + vec["server_flight_record"]
    assert server.data_to_send() == expected
    finish = vec.get("client_change_cipher_spec_record", b"") + vec["client_finished_record"]
    assert any(isinstance(e, HandshakeComplete) for e in server.receive_data(finish))
    keylog.check(vec)
    check_schedule(server._hs.ks, vec)
    assert server._hs.resumption_master == vec["resumption_master_secret"]
    server.data_to_send()  # our own NewSessionTicket (its ticket is ours, not NSS's)
    if "client_application_data_record" in vec:
        assert server.receive_data(vec["client_application_data_record"]) == [ApplicationData(vec["client_application_data"])]
        server.send(vec["server_application_data"])
        assert server.data_to_send() == vec["server_application_data_record"]
    server.close()
    assert server.data_to_send() == vec["server_alert_record"]


def test_client_reproduces_rfc8448_hello_retry_request():
    vec = V.HRR
    keylog = Keylog()
    client = rfc_client(vec, keylog, compat=False, session_ticket=False)
    assert client.data_to_send() == vec["client_hello_1_record"]
    client.receive_data(vec["hello_retry_request_record"])
    assert client.data_to_send() == vec["client_hello_2_record"]
    events = client.receive_data(vec["server_hello_record"] + vec["server_flight_record"])
    done = [e for e in events if isinstance(e, HandshakeComplete)]
    assert done and done[0].group == G.secp256r1
    assert client.data_to_send() == vec["client_finished_record"]
    keylog.check(vec)
    check_schedule(client._hs.ks, vec)
    assert client._hs.resumption_master == vec["resumption_master_secret"]
    client.close()
    assert client.data_to_send() == vec["client_alert_record"]
