"""The TLS 1.2 PRF and what it derives (RFC 5246 §5, §6.3, §7.4.9; RFC 7627).

P_hash is HMAC chained as RFC 5246 §5 lays it out; HMAC itself is
`cryptography`'s.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes

from port443.tls.key_schedule import hmac_digest


def prf(algorithm: hashes.HashAlgorithm, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """PRF(secret, label, seed) = P_hash(secret, label + seed), first `length` bytes."""
    seed = label + seed
    out = bytearray()
    a = seed
    while len(out) < length:
        a = hmac_digest(algorithm, secret, a)
        out += hmac_digest(algorithm, secret, a, seed)
    return bytes(out[:length])


def master_secret(algorithm, premaster: bytes, client_random: bytes, server_random: bytes) -> bytes:
    return prf(algorithm, premaster, b"master secret", client_random + server_random, 48)


def extended_master_secret(algorithm, premaster: bytes, session_hash: bytes) -> bytes:
    """RFC 7627 §4: bound to the hash of the handshake through ClientKeyExchange."""
    return prf(algorithm, premaster, b"extended master secret", session_hash, 48)


def key_block(algorithm, master: bytes, client_random: bytes, server_random: bytes, length: int) -> bytes:
    return prf(algorithm, master, b"key expansion", server_random + client_random, length)


def verify_data(algorithm, master: bytes, client: bool, handshake_hash: bytes) -> bytes:
    label = b"client finished" if client else b"server finished"
    return prf(algorithm, master, label, handshake_hash, 12)
