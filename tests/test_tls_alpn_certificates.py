"""The engine's ALPN-chosen certificates (ServerConfig.alpn_certificates), as RFC 8737 needs.

A client offering only acme-tls/1 gets the validation certificate for its SNI
and the acme-tls/1 protocol; every other client gets the ordinary
certificate; a name without a validation certificate is refused. Both TLS 1.3
and TLS 1.2.
"""

from __future__ import annotations

import pytest

from port443.acme.tlsalpn import ACME_IDENTIFIER_OID, ALPN_PROTOCOL, acme_identifier_value, validation_certificate
from port443.tls import ClientConnection, ServerConnection, TLSError
from port443.tls.config import ConfigError, ServerConfig
from port443.tls.events import HandshakeComplete
from tls_pairs import client_config, handshake, pki, server_config

VERSIONS = ["TLSv1.3", "TLSv1.2"]


@pytest.fixture(scope="module")
def validation():
    return validation_certificate("localhost", "token.thumbprint")


def _complete(events) -> HandshakeComplete:
    return next(e for e in events if isinstance(e, HandshakeComplete))


def _run(version, validation, alpn, server_name="localhost", ordinary=True):
    kw = dict(alpn_protocols=("h2", "http/1.1"), alpn_certificates=((ALPN_PROTOCOL, validation),),
              versions=(version,))
    server_cfg = server_config(**kw) if ordinary else ServerConfig(**kw)
    client = ClientConnection(client_config(server_name=server_name, verify=False, alpn_protocols=alpn,
                                            versions=(version,)))
    server = ServerConnection(server_cfg)
    ce, _ = handshake(client, server)
    return _complete(ce)


@pytest.mark.parametrize("version", VERSIONS)
def test_acme_tls_client_gets_the_validation_certificate(version, validation):
    done = _run(version, validation, (ALPN_PROTOCOL,))
    assert done.alpn_protocol == ALPN_PROTOCOL
    leaf = done.peer_certificates[0]
    assert leaf == validation.chain[0]
    ext = leaf.extensions.get_extension_for_oid(ACME_IDENTIFIER_OID)
    assert ext.critical and ext.value.value == acme_identifier_value("token.thumbprint")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("alpn", [("h2",), ("http/1.1",), ()])
def test_other_clients_never_see_it(version, validation, alpn):
    done = _run(version, validation, alpn)
    _, leaf, _ = pki()
    assert done.peer_certificates[0] == leaf.certificate
    assert done.alpn_protocol == (alpn[0] if alpn else None)


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_name_is_refused(version, validation):
    with pytest.raises(TLSError):
        _run(version, validation, (ALPN_PROTOCOL,), server_name="other.example")


def test_alpn_only_server(validation):
    """A responder with only validation certificates answers acme-tls/1 and refuses the rest."""
    assert _run("TLSv1.3", validation, (ALPN_PROTOCOL,), ordinary=False).alpn_protocol == ALPN_PROTOCOL
    with pytest.raises(TLSError):
        _run("TLSv1.3", validation, ("h2",), ordinary=False)


def test_a_server_still_needs_some_certificate():
    with pytest.raises(ConfigError):
        ServerConfig()
