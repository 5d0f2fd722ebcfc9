"""Cipher suites: the IANA code points the engine knows, and how each one works.

Each suite the engine can run has a SuiteInfo: its key exchange, the
authentication it needs, the AEAD or CBC cipher and its key and IV sizes, and
the hash of its key schedule or PRF (RFC 8446 §B.4, RFC 5288, RFC 7905,
RFC 5246 appendix A.5, RFC 5289).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from cryptography.hazmat.primitives import hashes


class CipherSuite(IntEnum):
    TLS_AES_128_GCM_SHA256 = 0x1301
    TLS_AES_256_GCM_SHA384 = 0x1302
    TLS_CHACHA20_POLY1305_SHA256 = 0x1303
    TLS_AES_128_CCM_SHA256 = 0x1304
    TLS_AES_128_CCM_8_SHA256 = 0x1305
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xC02B
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xC02C
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xC02F
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xC030
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA8
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA9
    TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCAA
    TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 = 0x009E
    TLS_DHE_RSA_WITH_AES_256_GCM_SHA384 = 0x009F
    TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009C
    TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009D
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xC009
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xC00A
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xC013
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xC014
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xC023
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = 0xC024
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xC027
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xC028
    TLS_DHE_RSA_WITH_AES_128_CBC_SHA = 0x0033
    TLS_DHE_RSA_WITH_AES_256_CBC_SHA = 0x0039
    TLS_DHE_RSA_WITH_AES_128_CBC_SHA256 = 0x0067
    TLS_DHE_RSA_WITH_AES_256_CBC_SHA256 = 0x006B
    TLS_RSA_WITH_AES_128_CBC_SHA = 0x002F
    TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035
    TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003C
    TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003D
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF
    TLS_FALLBACK_SCSV = 0x5600


@dataclass(frozen=True)
class SuiteInfo:
    suite: CipherSuite
    tls13: bool
    kx: str  # "TLS1.3" (negotiated by key_share), "ECDHE", "DHE", "RSA"
    auth: str  # "any" (TLS 1.3), "ECDSA", "RSA"
    cipher: str  # "AESGCM", "CHACHA20", "AESCBC"
    key_len: int
    iv_len: int  # implicit IV / salt length carried in the key block
    hash: type[hashes.HashAlgorithm]  # key schedule (1.3) or PRF (1.2)
    mac_hash: type[hashes.HashAlgorithm] | None = None  # CBC suites only

    @property
    def name(self) -> str:
        return self.suite.name

    @property
    def hash_len(self) -> int:
        return self.hash.digest_size



def _s13(suite: CipherSuite, cipher: str, key_len: int, h: type[hashes.HashAlgorithm]) -> SuiteInfo:
    return SuiteInfo(suite, True, "TLS1.3", "any", cipher, key_len, 12, h)


def _s12(suite: CipherSuite, kx: str, auth: str, cipher: str, key_len: int,
         h: type[hashes.HashAlgorithm], mac: type[hashes.HashAlgorithm] | None = None) -> SuiteInfo:
    iv_len = {"AESGCM": 4, "CHACHA20": 12, "AESCBC": 16}[cipher]
    return SuiteInfo(suite, False, kx, auth, cipher, key_len, iv_len, h, mac)


S = CipherSuite
_256, _384, _1 = hashes.SHA256, hashes.SHA384, hashes.SHA1

SUITES: dict[int, SuiteInfo] = {
    info.suite: info
    for info in (
        _s13(S.TLS_AES_128_GCM_SHA256, "AESGCM", 16, _256),
        _s13(S.TLS_AES_256_GCM_SHA384, "AESGCM", 32, _384),
        _s13(S.TLS_CHACHA20_POLY1305_SHA256, "CHACHA20", 32, _256),
        _s12(S.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE", "ECDSA", "AESGCM", 16, _256),
        _s12(S.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE", "ECDSA", "AESGCM", 32, _384),
        _s12(S.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE", "RSA", "AESGCM", 16, _256),
        _s12(S.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE", "RSA", "AESGCM", 32, _384),
        _s12(S.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE", "ECDSA", "CHACHA20", 32, _256),
        _s12(S.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE", "RSA", "CHACHA20", 32, _256),
        _s12(S.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, "DHE", "RSA", "AESGCM", 16, _256),
        _s12(S.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, "DHE", "RSA", "AESGCM", 32, _384),
        _s12(S.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "DHE", "RSA", "CHACHA20", 32, _256),
        _s12(S.TLS_RSA_WITH_AES_128_GCM_SHA256, "RSA", "RSA", "AESGCM", 16, _256),
        _s12(S.TLS_RSA_WITH_AES_256_GCM_SHA384, "RSA", "RSA", "AESGCM", 32, _384),
        _s12(S.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE", "ECDSA", "AESCBC", 16, _256, _1),
        _s12(S.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE", "ECDSA", "AESCBC", 32, _256, _1),
        _s12(S.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE", "RSA", "AESCBC", 16, _256, _1),
        _s12(S.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE", "RSA", "AESCBC", 32, _256, _1),
        _s12(S.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE", "ECDSA", "AESCBC", 16, _256, _256),
        _s12(S.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, "ECDHE", "ECDSA", "AESCBC", 32, _384, _384),
        _s12(S.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE", "RSA", "AESCBC", 16, _256, _256),
        _s12(S.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, "ECDHE", "RSA", "AESCBC", 32, _384, _384),
        _s12(S.TLS_DHE_RSA_WITH_AES_128_CBC_SHA, "DHE", "RSA", "AESCBC", 16, _256, _1),
        _s12(S.TLS_DHE_RSA_WITH_AES_256_CBC_SHA, "DHE", "RSA", "AESCBC", 32, _256, _1),
        _s12(S.TLS_DHE_RSA_WITH_AES_128_CBC_SHA256, "DHE", "RSA", "AESCBC", 16, _256, _256),
        _s12(S.TLS_DHE_RSA_WITH_AES_256_CBC_SHA256, "DHE", "RSA", "AESCBC", 32, _256, _256),
        _s12(S.TLS_RSA_WITH_AES_128_CBC_SHA, "RSA", "RSA", "AESCBC", 16, _256, _1),
        _s12(S.TLS_RSA_WITH_AES_256_CBC_SHA, "RSA", "RSA", "AESCBC", 32, _256, _1),
        _s12(S.TLS_RSA_WITH_AES_128_CBC_SHA256, "RSA", "RSA", "AESCBC", 16, _256, _256),
        _s12(S.TLS_RSA_WITH_AES_256_CBC_SHA256, "RSA", "RSA", "AESCBC", 32, _256, _256),
    )
}


# What a client offers by default, most preferred first (TLS 1.3, then 1.2 AEAD with forward secrecy).
DEFAULT_CLIENT_SUITES: tuple[CipherSuite, ...] = (
    S.TLS_AES_128_GCM_SHA256,
    S.TLS_AES_256_GCM_SHA384,
    S.TLS_CHACHA20_POLY1305_SHA256,
    S.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    S.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    S.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    S.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    S.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    S.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
)

# Server order: the same AEAD suites; RSA key transport only in the legacy profile.
DEFAULT_SERVER_SUITES = DEFAULT_CLIENT_SUITES



def parse_suite(value: "int | str | CipherSuite") -> CipherSuite:
    """A suite from its IANA name, its OpenSSL-independent hex code, or the enum."""
    if isinstance(value, str):
        key = value.strip()
        if key in CipherSuite.__members__:
            return CipherSuite[key]
        try:
            return CipherSuite(int(key, 16))
        except ValueError:
            raise ValueError(f"unknown cipher suite {value!r}; use an IANA name such as TLS_AES_128_GCM_SHA256") from None
    return CipherSuite(value)
