"""TLS 1.2 key material: master secret, key block, record protections, Finished.

Shared by client12 and server12.
"""

from __future__ import annotations

from port443.tls import prf
from port443.tls.record12 import Tls12AeadProtection, Tls12CbcProtection
from port443.tls.suites import SuiteInfo


class Tls12Keys:
    def __init__(self, suite: SuiteInfo, client_random: bytes, server_random: bytes) -> None:
        self.suite = suite
        self.algorithm = suite.hash()
        self.client_random = client_random
        self.server_random = server_random
        self.master = b""

    def derive_master(self, premaster: bytes, session_hash: bytes | None) -> bytes:
        """session_hash set: the extended master secret (RFC 7627)."""
        if session_hash is not None:
            self.master = prf.extended_master_secret(self.algorithm, premaster, session_hash)
        else:
            self.master = prf.master_secret(self.algorithm, premaster, self.client_random, self.server_random)
        return self.master

    def protections(self, etm: bool, random) -> tuple[object, object]:
        """(client write, server write) record protections from the key block."""
        s = self.suite
        mac_len = s.mac_hash.digest_size if s.mac_hash else 0
        iv_len = 0 if s.cipher == "AESCBC" else s.iv_len
        size = 2 * (mac_len + s.key_len + iv_len)
        block = prf.key_block(self.algorithm, self.master, self.client_random, self.server_random, size)
        parts, pos = [], 0
        for n in (mac_len, mac_len, s.key_len, s.key_len, iv_len, iv_len):
            parts.append(block[pos:pos + n])
            pos += n
        c_mac, s_mac, c_key, s_key, c_iv, s_iv = parts
        if s.cipher == "AESCBC":
            return (Tls12CbcProtection(c_key, c_mac, s.mac_hash, etm, random),
                    Tls12CbcProtection(s_key, s_mac, s.mac_hash, etm, random))
        return Tls12AeadProtection(s.cipher, c_key, c_iv), Tls12AeadProtection(s.cipher, s_key, s_iv)

    def finished(self, client: bool, handshake_hash: bytes) -> bytes:
        return prf.verify_data(self.algorithm, self.master, client, handshake_hash)
