"""The TLS 1.3 key schedule (RFC 8446 §7.1) and traffic keys (§7.3).

HKDF-Extract and HKDF-Expand are `cryptography`'s; this module only lays out
the labels and the order in which secrets are derived.
"""

from __future__ import annotations

import hmac as _hmac_cmp

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

from port443.tls.suites import SuiteInfo


def hkdf_expand_label(algorithm: hashes.HashAlgorithm, secret: bytes, label: bytes, context: bytes, length: int) -> bytes:
    """HKDF-Expand-Label (RFC 8446 §7.1)."""
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes((len(full),)) + full + bytes((len(context),)) + context
    return HKDFExpand(algorithm, length, info).derive(secret)


def hkdf_extract(algorithm: hashes.HashAlgorithm, salt: bytes, ikm: bytes) -> bytes:
    return HKDF.extract(algorithm, salt, ikm)


def hmac_digest(algorithm: hashes.HashAlgorithm, key: bytes, *parts: bytes) -> bytes:
    """HMAC of the concatenated parts (cryptography's HMAC)."""
    h = hmac.HMAC(key, algorithm)
    for part in parts:
        h.update(part)
    return h.finalize()


def constant_time_equal(a: bytes, b: bytes) -> bool:
    return _hmac_cmp.compare_digest(a, b)


class KeySchedule:
    """One connection's TLS 1.3 secrets, derived stage by stage."""

    def __init__(self, suite: SuiteInfo, psk: bytes | None = None) -> None:
        self.suite = suite
        self.algorithm = suite.hash()
        self.hash_len = suite.hash_len
        zeros = bytes(self.hash_len)
        self.early_secret = hkdf_extract(self.algorithm, zeros, psk if psk is not None else zeros)
        self.handshake_secret = b""
        self.master_secret = b""
        self._empty_hash = _EMPTY_HASH[self.hash_len]

    # -- Derive-Secret ---------------------------------------------------------
    def expand(self, secret: bytes, label: bytes, context: bytes, length: int | None = None) -> bytes:
        return hkdf_expand_label(self.algorithm, secret, label, context, length or self.hash_len)

    def derive_secret(self, secret: bytes, label: bytes, transcript_hash: bytes) -> bytes:
        return self.expand(secret, label, transcript_hash)

    # -- Early secret stage ----------------------------------------------------
    def binder_key(self) -> bytes:
        """The resumption binder key (our PSKs are all resumption PSKs, never external)."""
        return self.derive_secret(self.early_secret, b"res binder", self._empty_hash)

    def compute_binder(self, truncated_hello_hash: bytes) -> bytes:
        return self.finished_mac(self.binder_key(), truncated_hello_hash)

    # -- Handshake stage -------------------------------------------------------
    def derive_handshake_secrets(self, shared_secret: bytes, hello_hash: bytes) -> tuple[bytes, bytes]:
        """(client, server) handshake traffic secrets from the (EC)DHE secret and Transcript(CH..SH)."""
        derived = self.derive_secret(self.early_secret, b"derived", self._empty_hash)
        self.handshake_secret = hkdf_extract(self.algorithm, derived, shared_secret)
        return (
            self.derive_secret(self.handshake_secret, b"c hs traffic", hello_hash),
            self.derive_secret(self.handshake_secret, b"s hs traffic", hello_hash),
        )

    # -- Application stage -----------------------------------------------------
    def derive_application_secrets(self, server_finished_hash: bytes) -> tuple[bytes, bytes, bytes]:
        """(client, server, exporter) secrets from Transcript(CH..server Finished)."""
        derived = self.derive_secret(self.handshake_secret, b"derived", self._empty_hash)
        self.master_secret = hkdf_extract(self.algorithm, derived, bytes(self.hash_len))
        return (
            self.derive_secret(self.master_secret, b"c ap traffic", server_finished_hash),
            self.derive_secret(self.master_secret, b"s ap traffic", server_finished_hash),
            self.derive_secret(self.master_secret, b"exp master", server_finished_hash),
        )

    def resumption_master_secret(self, client_finished_hash: bytes) -> bytes:
        return self.derive_secret(self.master_secret, b"res master", client_finished_hash)

    def resumption_psk(self, resumption_master: bytes, nonce: bytes) -> bytes:
        return self.expand(resumption_master, b"resumption", nonce)

    # -- Keys from a traffic secret -----------------------------------------------
    def traffic_key_iv(self, secret: bytes) -> tuple[bytes, bytes]:
        return (
            self.expand(secret, b"key", b"", self.suite.key_len),
            self.expand(secret, b"iv", b"", 12),
        )

    def finished_key(self, secret: bytes) -> bytes:
        return self.expand(secret, b"finished", b"")

    def finished_mac(self, base_key: bytes, transcript_hash: bytes) -> bytes:
        return hmac_digest(self.algorithm, self.finished_key(base_key), transcript_hash)

    def next_traffic_secret(self, secret: bytes) -> bytes:
        return self.expand(secret, b"traffic upd", b"")


def digest(algorithm: hashes.HashAlgorithm, data: bytes) -> bytes:
    """One hash of `data`."""
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


_EMPTY_HASH = {32: digest(hashes.SHA256(), b""), 48: digest(hashes.SHA384(), b"")}
