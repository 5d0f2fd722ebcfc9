"""In-memory client/server pairs of our engine, for tests that tamper with the bytes between them."""

from __future__ import annotations

import functools

from port443.pki.issue import issue_leaf, make_ca
from port443.pki.trust import TrustStore
from port443.tls import ClientConfig, ClientConnection, ServerConfig, ServerConnection


@functools.cache
def pki():
    ca = make_ca("pairs root")
    leaf = issue_leaf(ca, ["localhost", "127.0.0.1"])
    return ca, leaf, TrustStore([ca.certificate])


def client_config(**kw) -> ClientConfig:
    _, _, store = pki()
    args = dict(server_name="localhost", trust_store=store)
    args.update(kw)
    return ClientConfig(**args)


def server_config(**kw) -> ServerConfig:
    _, leaf, _ = pki()
    args = dict(certificate_chain=list(leaf.chain), private_key=leaf.key)
    args.update(kw)
    return ServerConfig(**args)


def handshake(client: ClientConnection, server: ServerConnection, rounds: int = 8):
    """Pump until both sides are done; returns (client events, server events)."""
    ce, se = client.pop_events(), []
    for _ in range(rounds):
        data = client.data_to_send()
        if data:
            se += server.receive_data(data)
        data = server.data_to_send()
        if data:
            ce += client.receive_data(data)
        if client.handshake_complete and server.handshake_complete:
            break
    return ce, se


def pair(client_kw=None, server_kw=None):
    return ClientConnection(client_config(**(client_kw or {}))), ServerConnection(server_config(**(server_kw or {})))


def records(data: bytes) -> list[bytes]:
    """Split a byte stream into whole TLS records."""
    out, pos = [], 0
    while pos + 5 <= len(data):
        n = int.from_bytes(data[pos + 3:pos + 5], "big")
        out.append(data[pos:pos + 5 + n])
        pos += 5 + n
    return out
