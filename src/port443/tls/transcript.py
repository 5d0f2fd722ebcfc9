"""The handshake transcript hash (RFC 8446 §4.4.1).

Until the cipher suite fixes the hash, the transcript keeps the raw messages;
after that it keeps a running hash. A HelloRetryRequest replaces ClientHello1
with the synthetic message_hash message.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes

from port443.tls.key_schedule import digest
from port443.tls.messages import message_hash


class Transcript:
    __slots__ = ("_messages", "_hash", "algorithm")

    def __init__(self) -> None:
        self._messages: list[bytes] = []
        self._hash: hashes.Hash | None = None
        self.algorithm: hashes.HashAlgorithm | None = None

    def add(self, message: bytes) -> None:
        if self._hash is None:
            self._messages.append(bytes(message))
        else:
            self._hash.update(message)

    def start_hash(self, algorithm: hashes.HashAlgorithm) -> None:
        """Fix the hash (at ServerHello) and fold in the messages so far."""
        self.algorithm = algorithm
        self._hash = hashes.Hash(algorithm)
        for m in self._messages:
            self._hash.update(m)
        self._messages = []

    def digest(self) -> bytes:
        assert self._hash is not None
        return self._hash.copy().finalize()

    def digest_with(self, extra: bytes) -> bytes:
        """The hash as if `extra` were appended, leaving the transcript unchanged."""
        assert self._hash is not None
        h = self._hash.copy()
        h.update(extra)
        return h.finalize()

    def restart_after_hello_retry(self, algorithm: hashes.HashAlgorithm) -> None:
        """Replace ClientHello1 (the only message so far) by message_hash(Hash(CH1))."""
        if self._hash is not None:  # the server fixed the hash before the retry
            first = self._hash.finalize()
        else:  # the client learns the hash from the HelloRetryRequest
            first = digest(algorithm, b"".join(self._messages))
        self.algorithm = algorithm
        self._hash = hashes.Hash(algorithm)
        self._hash.update(message_hash(first))
        self._messages = []
