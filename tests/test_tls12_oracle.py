"""No Bleichenbacher/ROBOT oracle in our server's RSA key transport (RFC 5246 §7.4.7.1).

The server (legacy profile, RSA key transport on) is fed valid, wrongly padded,
wrong-version and wrong-length premaster secrets. Each must get exactly the
same answer: the same alert at the same record, the same bytes, the same events.
"""

from __future__ import annotations

import hashlib
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import padding

from port443.pki.issue import issue_leaf
from port443.tls import AlertDescription as A
from port443.tls import ClientConnection, Entropy, HandshakeComplete, ServerConnection, TLSError
from port443.tls.messages12 import client_key_exchange
from port443.tls.record import header
from tls_pairs import client_config, pki, records, server_config

SUITE = "TLS_RSA_WITH_AES_128_GCM_SHA256"


class Counter(Entropy):
    """Deterministic 'randomness', so that every run of the server says the same bytes."""

    def __init__(self, label: bytes) -> None:
        self.label, self.n = label, 0

    def random(self, n: int) -> bytes:
        self.n += 1
        out = b""
        while len(out) < n:
            out += hashlib.sha256(self.label + self.n.to_bytes(4, "big") + len(out).to_bytes(4, "big")).digest()
        return out[:n]


@pytest.fixture(scope="module")
def rsa_leaf():
    ca, _, _ = pki()
    return issue_leaf(ca, ["localhost"], key_type="rsa2048")


def new_server(leaf) -> ServerConnection:
    config = server_config(certificate_chain=list(leaf.chain), private_key=leaf.key, versions=("TLSv1.2",),
                           cipher_suites=(SUITE,), legacy_rsa_key_exchange=True)
    return ServerConnection(config, Counter(b"server"))


def client_flights(leaf):
    """A real client's ClientHello and its second flight (CKE, CCS, Finished), from fixed randomness."""
    client = ClientConnection(client_config(versions=("TLSv1.2",), cipher_suites=(SUITE,), verify=False),
                              Counter(b"client"))
    server = new_server(leaf)
    hello = client.data_to_send()
    server.receive_data(hello)
    client.receive_data(server.data_to_send())
    return hello, records(client.data_to_send())


def raw_rsa(public_key, block: bytes) -> bytes:
    """Textbook RSA on a block we pad ourselves: how an attacker makes malformed ciphertexts."""
    nums = public_key.public_numbers()
    k = (nums.n.bit_length() + 7) // 8
    return pow(int.from_bytes(block, "big"), nums.e, nums.n).to_bytes(k, "big")


def pkcs1_block(k: int, message: bytes, first: bytes = b"\x00\x02", separator: bytes = b"\x00") -> bytes:
    pad_len = k - len(first) - len(separator) - len(message)
    filler = bytes((b % 255) + 1 for b in os.urandom(pad_len))
    return first + filler + separator + message


def variants(public_key) -> dict[str, bytes]:
    k = public_key.key_size // 8
    good = b"\x03\x03" + os.urandom(46)
    return {
        "valid premaster secret": public_key.encrypt(good, padding.PKCS1v15()),
        "wrong block type": raw_rsa(public_key, pkcs1_block(k, good, first=b"\x00\x01")),
        "no zero separator": raw_rsa(public_key, pkcs1_block(k, good, separator=b"\x01")),
        "wrong version": public_key.encrypt(b"\x03\x01" + os.urandom(46), padding.PKCS1v15()),
        "too short": public_key.encrypt(b"\x03\x03" + os.urandom(45), padding.PKCS1v15()),
        "too long": public_key.encrypt(b"\x03\x03" + os.urandom(47), padding.PKCS1v15()),
        "ciphertext one byte short": os.urandom(k - 1),
    }


def answer(leaf, hello: bytes, cke: bytes, rest: list[bytes]):
    server = new_server(leaf)
    server.receive_data(hello)
    server.data_to_send()
    message = client_key_exchange("RSA", cke)
    try:
        events = server.receive_data(header(22, len(message)) + message + b"".join(rest))
        return ("no error", tuple(type(e).__name__ for e in events), server.data_to_send())
    except TLSError as exc:
        return (exc.alert, tuple(type(e).__name__ for e in exc.events), server.data_to_send())


def test_a_real_client_completes_rsa_key_transport(rsa_leaf):
    hello, (cke, ccs, finished) = client_flights(rsa_leaf)
    server = new_server(rsa_leaf)
    server.receive_data(hello)
    server.data_to_send()
    events = server.receive_data(cke + ccs + finished)
    assert any(isinstance(e, HandshakeComplete) for e in events)


def test_every_bad_premaster_secret_gets_the_same_answer(rsa_leaf):
    hello, (_, ccs, finished) = client_flights(rsa_leaf)
    public = rsa_leaf.certificate.public_key()
    answers = {name: answer(rsa_leaf, hello, ct, [ccs, finished]) for name, ct in variants(public).items()}
    first = next(iter(answers.values()))
    assert first[0] == A.bad_record_mac  # found out only when the client's Finished fails to decrypt
    assert first[2] == b"\x15\x03\x03\x00\x02\x02\x14"
    for name, got in answers.items():
        assert got == first, f"{name} is answered differently: {got} vs {first}"


def test_premaster_decryption_draws_the_fallback_on_every_path(rsa_leaf):
    """The random fallback is taken whether or not decryption succeeds, so the
    entropy stream (and everything after it) does not depend on the padding."""
    hello, _ = client_flights(rsa_leaf)
    public = rsa_leaf.certificate.public_key()
    draws = set()
    for ct in variants(public).values():
        server = new_server(rsa_leaf)
        server.receive_data(hello)
        server.data_to_send()
        message = client_key_exchange("RSA", ct)
        server.receive_data(header(22, len(message)) + message)
        draws.add(server.entropy.n)
    assert len(draws) == 1
