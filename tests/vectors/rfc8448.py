"""Test vectors from RFC 8448, "Example Handshake Traces for TLS 1.3" (January 2019).

Source: RFC 8448, https://www.rfc-editor.org/rfc/rfc8448
  Section 2  Private Keys (the server's RSA key) and the server certificate
             (carried in the Certificate messages of Sections 3, 5 and 7)
  Section 3  Simple 1-RTT Handshake                       -> SIMPLE_1RTT
  Section 4  Resumed 0-RTT Handshake                      -> RESUMED_0RTT
  Section 5  HelloRetryRequest                            -> HRR
  Section 7  Compatibility Mode                           -> COMPAT
(Section 6, Client Authentication, is not included.)

Every value is the RFC's hex, written as bytes.  All handshakes use
TLS_AES_128_GCM_SHA256 (SHA-256 transcript hash, AES-128-GCM, 16-octet keys,
12-octet IVs).  To avoid repeating long runs, a few messages are assembled
from shared pieces (the Section 3 ticket, the Section 5 cookie and P-256
shares, the Section 7 session id, the certificate) and plaintext records are
written as their 5-octet header plus the message; the results are the RFC's
octets.

Provenance.  The values were taken from published copies of the RFC 8448
trace and cross-checked between independent copies.  For the following, no
second copy was at hand, so they were reproduced from the trace's other
values with the RFC 8446 key schedule (and, for the client Finished
messages, by decrypting the RFC's own client Finished records):
  HRR:    server_finished_key, client_finished_key,
          client_finished_verify_data (client_finished),
          transcript_hash_client_finished
  COMPAT: ecdhe_shared_secret, transcript_hash_server_hello, master_secret,
          server_finished_key, client_finished_key,
          client_finished_verify_data (client_finished),
          transcript_hash_server_finished, transcript_hash_client_finished
Each of them is consistent with the rest of the trace: the RFC's records
decrypt under the listed keys and the RFC's resumption master secrets follow.

Module-level names
------------------
SERVER_RSA_MODULUS, SERVER_RSA_PUBLIC_EXPONENT, SERVER_RSA_PRIVATE_EXPONENT,
SERVER_RSA_PRIME1, SERVER_RSA_PRIME2, SERVER_RSA_EXPONENT1 (d mod p-1),
SERVER_RSA_EXPONENT2 (d mod q-1), SERVER_RSA_COEFFICIENT (q^-1 mod p)
    Section 2, big-endian integers as octets.
server_rsa_private_key()
    A `cryptography` RSAPrivateKey built from those numbers.
SERVER_CERTIFICATE_DER
    The server's self-signed RSA certificate (CN=rsa), the cert_data of the
    CertificateEntry in the Certificate message of Sections 3, 5 and 7.
CERTIFICATE_MESSAGE
    That Certificate handshake message (445 octets, with header); shared by
    SIMPLE_1RTT, HRR and COMPAT.
EMPTY_HASH
    SHA-256 of the empty string (the "hash" in every "tls13 derived" step).

Keys of the section dicts
-------------------------
Naming: a "message" key is a handshake message with its 4-octet header; a
"*_record" key is the complete TLS record as sent (5-octet header included;
for protected records, the ciphertext as on the wire).  "*_payload" is the
plaintext content of a protected record without the inner content type octet.

Key exchange
  client_x25519_private, client_x25519_public,
  server_x25519_private, server_x25519_public        (x25519 shares)
  client_secp256r1_private, client_secp256r1_public,
  server_secp256r1_private, server_secp256r1_public  (HRR only; the private
      key is the 32-octet scalar, the public key the 65-octet uncompressed point)
  ecdhe_shared_secret        the (EC)DHE output, IKM of the "handshake" extract

Handshake messages and plaintext records
  client_hello, client_hello_record, server_hello, server_hello_record
  ticket (SIMPLE_1RTT, RESUMED_0RTT), cookie (HRR),
  legacy_session_id (COMPAT)
  HRR: client_hello_1, client_hello_1_record, hello_retry_request,
       hello_retry_request_record, client_hello_2, client_hello_2_record
  RESUMED_0RTT: client_hello_prefix (ClientHello truncated before the binders,
       the input to the binder hash), end_of_early_data
  encrypted_extensions, certificate, certificate_verify, server_finished,
  client_finished, new_session_ticket (SIMPLE_1RTT only)
  COMPAT: server_change_cipher_spec_record, client_change_cipher_spec_record

Key schedule (RFC 8446 Section 7.1)
  psk                               (RESUMED_0RTT: the resumption PSK of SIMPLE_1RTT)
  early_secret
  binder_hash, binder_key, binder_finished_key, binder   (RESUMED_0RTT)
  transcript_hash_client_hello      (RESUMED_0RTT: hash of the full ClientHello)
  client_early_traffic_secret, early_exporter_master_secret,
  client_early_key, client_early_iv                       (RESUMED_0RTT)
  derived_for_handshake             Derive-Secret(early_secret, "derived", "")
  handshake_secret
  transcript_hash_server_hello      hash of ClientHello..ServerHello (HRR: of
                                    message_hash(CH1), HRR, CH2, ServerHello)
  client_handshake_traffic_secret, server_handshake_traffic_secret
  derived_for_master                Derive-Secret(handshake_secret, "derived", "")
  master_secret
  server_handshake_key, server_handshake_iv,
  client_handshake_key, client_handshake_iv
  server_finished_key, server_finished_verify_data
  transcript_hash_server_finished   hash of ClientHello..server Finished
  client_application_traffic_secret, server_application_traffic_secret,
  exporter_master_secret
  server_application_key, server_application_iv,
  client_application_key, client_application_iv
  client_finished_key, client_finished_verify_data
  transcript_hash_client_finished   hash of ClientHello..client Finished
  resumption_master_secret
  ticket_nonce, resumption_psk      (SIMPLE_1RTT: HKDF-Expand-Label(
                                    resumption_master_secret, "resumption",
                                    ticket_nonce, 32))

Protected records
  server_flight_payload, server_flight_record
      EncryptedExtensions..server Finished, sent in one record under the
      server handshake traffic key
  client_finished_record
  new_session_ticket_record                               (SIMPLE_1RTT)
  early_application_data, early_application_data_record,
  end_of_early_data_record                                (RESUMED_0RTT)
  client_application_data, client_application_data_record,
  server_application_data, server_application_data_record (SIMPLE_1RTT,
      RESUMED_0RTT)
  alert (the close_notify alert, 01 00), client_alert_record,
  server_alert_record
"""

from __future__ import annotations

__all__ = [
    "EMPTY_HASH",
    "SERVER_RSA_MODULUS",
    "SERVER_RSA_PUBLIC_EXPONENT",
    "SERVER_RSA_PRIVATE_EXPONENT",
    "SERVER_RSA_PRIME1",
    "SERVER_RSA_PRIME2",
    "SERVER_RSA_EXPONENT1",
    "SERVER_RSA_EXPONENT2",
    "SERVER_RSA_COEFFICIENT",
    "server_rsa_private_key",
    "SERVER_CERTIFICATE_DER",
    "CERTIFICATE_MESSAGE",
    "SIMPLE_1RTT",
    "RESUMED_0RTT",
    "HRR",
    "COMPAT",
]


def _h(s: str) -> bytes:
    """Hex as printed in the RFC (with spaces and line breaks) to bytes."""
    return bytes.fromhex("".join(s.split()))


EMPTY_HASH = _h(
    """
    e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24
    27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 55
    """
)

# ---------------------------------------------------------------------------
# RFC 8448 Section 2: Private Keys
# ---------------------------------------------------------------------------

SERVER_RSA_MODULUS = _h(
    """
    b4 bb 49 8f 82 79 30 3d 98 08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8
    26 d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a 95 13 7a ce 6c 1a f1
    9e aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e e0 cc b0 52 4b 1b 01 8c 3e
    0b 63 26 4d 44 9a 6d 38 e2 2a 5f da 43 08 46 74 80 30 53 0e f0 46 1c 8c
    a9 d9 ef bf ae 8e a6 d1 d0 3e 2b d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3
    5a 8d 88 d7 9f 7f 1e 3f
    """
)

SERVER_RSA_PUBLIC_EXPONENT = _h("01 00 01")

SERVER_RSA_PRIVATE_EXPONENT = _h(
    """
    04 de a7 05 d4 3a 6e a7 20 9d d8 07 21 11 a8 3c 81 e3 22 a5 92 78 b3 34
    80 64 1e af 7c 0a 69 85 b8 e3 1c 44 f6 de 62 e1 b4 c2 30 9f 61 26 e7 7b
    7c 41 e9 23 31 4b bf a3 88 13 05 dc 12 17 f1 6c 81 9c e5 38 e9 22 f3 69
    82 8d 0e 57 19 5d 8c 84 88 46 02 07 b2 fa a7 26 bc f7 08 bb d7 db 7f 67
    9f 89 34 92 fc 2a 62 2e 08 97 0a ac 44 1c e4 e0 c3 08 8d f2 5a e6 79 23
    3d f8 a3 bd a2 ff 99 41
    """
)

SERVER_RSA_PRIME1 = _h(
    """
    e4 35 fb 7c c8 37 37 75 6d ac ea 96 ab 7f 59 a2 cc 10 69 db 7d eb 19 0e
    17 e3 3a 53 2b 27 3f 30 a3 27 aa 0a aa bc 58 cd 67 46 6a f9 84 5f ad c6
    75 fe 09 4a f9 2c 4b d1 f2 c1 bc 33 dd 2e 05 15
    """
)

SERVER_RSA_PRIME2 = _h(
    """
    ca bd 3b c0 e0 43 86 64 c8 d4 cc 9f 99 97 7a 94 d9 bb fe ad 8e 43 87 0a
    ba e3 f7 eb 8b 4e 0e ee 8a f1 d9 b4 71 9b a6 19 6c f2 cb ba ee eb f8 b3
    49 0a fe 9e 9f fa 74 a8 8a a5 1f c6 45 62 93 03
    """
)

SERVER_RSA_EXPONENT1 = _h(
    """
    3f 57 34 5c 27 fe 1b 68 7e 6e 76 16 27 b7 8b 1b 82 64 33 dd 76 0f a0 be
    a6 a6 ac f3 94 90 aa 1b 47 cd a4 86 9d 68 f5 84 dd 5b 50 29 bd 32 09 3b
    82 58 66 1f e7 15 02 5e 5d 70 a4 5a 08 d3 d3 19
    """
)

SERVER_RSA_EXPONENT2 = _h(
    """
    18 3d a0 13 63 bd 2f 28 85 ca cb dc 99 64 bf 47 64 f1 51 76 36 f8 64 01
    28 6f 71 89 3c 52 cc fe 40 a6 c2 3d 0d 08 6b 47 c6 fb 10 d8 fd 10 41 e0
    4d ef 7e 9a 40 ce 95 7c 41 77 94 e1 04 12 d1 39
    """
)

SERVER_RSA_COEFFICIENT = _h(
    """
    83 9c a9 a0 85 e4 28 6b 2c 90 e4 66 99 7a 2c 68 1f 21 33 9a a3 47 78 14
    e4 de c1 18 33 05 0e d5 0d d1 3c c0 38 04 8a 43 c5 9b 2a cc 41 68 89 c0
    37 66 5f e5 af a6 05 96 9f 8c 01 df a5 ca 96 9d
    """
)


def server_rsa_private_key():
    """The Section 2 server key as a cryptography RSAPrivateKey."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    def _int(b: bytes) -> int:
        return int.from_bytes(b, "big")

    public = rsa.RSAPublicNumbers(
        e=_int(SERVER_RSA_PUBLIC_EXPONENT), n=_int(SERVER_RSA_MODULUS)
    )
    private = rsa.RSAPrivateNumbers(
        p=_int(SERVER_RSA_PRIME1),
        q=_int(SERVER_RSA_PRIME2),
        d=_int(SERVER_RSA_PRIVATE_EXPONENT),
        dmp1=_int(SERVER_RSA_EXPONENT1),
        dmq1=_int(SERVER_RSA_EXPONENT2),
        iqmp=_int(SERVER_RSA_COEFFICIENT),
        public_numbers=public,
    )
    return private.private_key()


# The certificate as it appears in the Certificate message of Section 3
# (octets 11..442 of that message: the 432-octet cert_data).
SERVER_CERTIFICATE_DER = _h(
    """
    30 82 01 ac 30 82 01 15 a0 03 02 01 02 02 01 02 30 0d 06 09 2a 86 48
    86 f7 0d 01 01 0b 05 00 30 0e 31 0c 30 0a 06 03 55 04 03 13 03
    72 73 61 30 1e 17 0d 31 36 30 37 33 30 30 31 32 33 35 39 5a 17
    0d 32 36 30 37 33 30 30 31 32 33 35 39 5a 30 0e 31 0c 30 0a 06
    03 55 04 03 13 03 72 73 61 30 81 9f 30 0d 06 09 2a 86 48 86 f7
    0d 01 01 01 05 00 03 81 8d 00 30 81 89 02 81 81 00 b4 bb 49 8f
    82 79 30 3d 98 08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26
    d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a 95 13 7a ce 6c
    1a f1 9e aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e e0 cc b0 52
    4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38 e2 2a 5f da 43 08 46 74
    80 30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0 3e 2b d1 93
    ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e 3f 02 03
    01 00 01 a3 1a 30 18 30 09 06 03 55 1d 13 04 02 30 00 30 0b 06
    03 55 1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86 f7 0d 01
    01 0b 05 00 03 81 81 00 85 aa d2 a0 e5 b9 27 6b 90 8c 65 f7 3a
    72 67 17 06 18 a5 4c 5f 8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea
    e8 f8 a5 8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a 03 01
    51 56 72 60 96 fd 33 5e 5e 67 f2 db f1 02 70 2e 60 8c ca e6 be
    c1 fc 63 a4 2a 99 be 5c 3e b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b
    1c 3b 84 e0 a8 b2 f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8 f8
    96 12 29 ac 91 87 b4 2b 4d e1
    """
)

# Certificate handshake message (Sections 3, 5 and 7 use the same one):
# header 0b 00 01 b9, empty certificate_request_context, 3-octet list length,
# 3-octet cert_data length, the certificate, empty extensions (00 00).
CERTIFICATE_MESSAGE = (
    _h("0b 00 01 b9 00 00 01 b5 00 01 b0") + SERVER_CERTIFICATE_DER + _h("00 00")
)


# ---------------------------------------------------------------------------
# RFC 8448 Section 3: Simple 1-RTT Handshake
# ---------------------------------------------------------------------------

# The session ticket issued in Section 3 (the identity resumed in Section 4).
_S3_TICKET = _h(
    """
    2c 03 5d 82 93 59 ee 5f f7 af 4e c9 00 00 00 00 26 2a 64 94 dc 48 6d 2c
    8a 34 cb 33 fa 90 bf 1b 00 70 ad 3c 49 88 83 c9 36 7c 09 a2 be 78 5a bc
    55 cd 22 60 97 a3 a9 82 11 72 83 f8 2a 03 a1 43 ef d3 ff 5d d3 6d 64 e8
    61 be 7f d6 1d 28 27 db 27 9c ce 14 50 77 d4 54 a3 66 4d 4e 6d a4 d2 9e
    e0 37 25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51 3e 3d a2 67 7f a5 90 6c
    5b 3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2 97 b5 ae a6 17 64 6f
    ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f 7d e6 50 5e 5b fb c3 88 e9
    33 43 69 40 93 93 4a e4 d3 57
    """
)

# The application data both sides send in Sections 3 and 4 (50 octets).
_APPLICATION_DATA = _h(
    """
    00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 15 16 17
    18 19 1a 1b 1c 1d 1e 1f 20 21 22 23 24 25 26 27 28 29 2a 2b 2c 2d 2e 2f
    30 31
    """
)

# close_notify: level warning(1), description close_notify(0).
_CLOSE_NOTIFY = _h("01 00")

_S3_CLIENT_HELLO = _h(
    """
    01 00 00 c0 03 03 cb 34 ec b1 e7 81 63 ba 1c 38 c6 da cb 19 6a 6d ff a2
    1a 8d 99 12 ec 18 a2 ef 62 83 02 4d ec e7 00 00 06 13 01 13 03 13 02 01
    00 00 91 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00
    0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00
    23 00 00 00 33 00 26 00 24 00 1d 00 20 99 38 1d e5 60 e4 bd 43 d2 3d 8e
    43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d 54 13 69 1e 52 9a af 2c 00 2b 00
    03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06
    04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c
    00 02 40 01
    """
)

_S3_SERVER_HELLO = _h(
    """
    02 00 00 56 03 03 a6 af 06 a4 12 18 60 dc 5e 6e 60 24 9c d3 4c 95 93 0c
    8a c5 cb 14 34 da c1 55 77 2e d3 e2 69 28 00 13 01 00 00 2e 00 33 00 24
    00 1d 00 20 c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25
    3b 83 3d f1 dd 69 b1 b0 4e 75 1f 0f 00 2b 00 02 03 04
    """
)

_S3_ENCRYPTED_EXTENSIONS = _h(
    """
    08 00 00 24 00 22 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01
    01 02 01 03 01 04 00 1c 00 02 40 01 00 00 00 00
    """
)

_S3_CERTIFICATE_VERIFY = _h(
    """
    0f 00 00 84 08 04 00 80 5a 74 7c 5d 88 fa 9b d2 e5 5a b0 85 a6 10 15 b7
    21 1f 82 4c d4 84 14 5a b3 ff 52 f1 fd a8 47 7b 0b 7a bc 90 db 78 e2 d3
    3a 5c 14 1a 07 86 53 fa 6b ef 78 0c 5e a2 48 ee aa a7 85 c4 f3 94 ca b6
    d3 0b be 8d 48 59 ee 51 1f 60 29 57 b1 54 11 ac 02 76 71 45 9e 46 44 5c
    9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27 84 09 d3 be 15 2a 3d a5 04 3e
    06 3d da 65 cd f5 ae a2 0d 53 df ac d4 2f 74 f3
    """
)

_S3_SERVER_FINISHED_VERIFY_DATA = _h(
    """
    9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da 4a b4 2c 30 95 72 cb 7f
    ff ee 54 54 b7 8f 07 18
    """
)

_S3_CLIENT_FINISHED_VERIFY_DATA = _h(
    """
    a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9 85
    27 b6 42 f2 ed d5 ce 61
    """
)

_S3_NEW_SESSION_TICKET = (
    _h("04 00 00 c9 00 00 00 1e fa d6 aa c5 02 00 00 00 b2")
    + _S3_TICKET
    + _h("00 08 00 2a 00 04 00 00 04 00")
)

SIMPLE_1RTT = {
    # {client} create an ephemeral x25519 key pair
    "client_x25519_private": _h(
        """
        49 af 42 ba 7f 79 94 85 2d 71 3e f2 78 4b cb ca a7 91 1d e2 6a dc 56 42
        cb 63 45 40 e7 ea 50 05
        """
    ),
    "client_x25519_public": _h(
        """
        99 38 1d e5 60 e4 bd 43 d2 3d 8e 43 5a 7d ba fe b3 c0 6e 51 c1 3c ae 4d
        54 13 69 1e 52 9a af 2c
        """
    ),
    # {client} construct a ClientHello handshake message / send handshake record
    "client_hello": _S3_CLIENT_HELLO,
    "client_hello_record": _h("16 03 01 00 c4") + _S3_CLIENT_HELLO,
    # {server} extract secret "early" (salt 0, IKM 32 zero octets)
    "early_secret": _h(
        """
        33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 10 ad f3 00 aa 1f 26 60
        e1 b2 2e 10 f1 70 f9 2a
        """
    ),
    # {server} create an ephemeral x25519 key pair
    "server_x25519_private": _h(
        """
        b1 58 0e ea df 6d d5 89 b8 ef 4f 2d 56 52 57 8c c8 10 e9 98 01 91 ec 8d
        05 83 08 ce a2 16 a2 1e
        """
    ),
    "server_x25519_public": _h(
        """
        c9 82 88 76 11 20 95 fe 66 76 2b db f7 c6 72 e1 56 d6 cc 25 3b 83 3d f1
        dd 69 b1 b0 4e 75 1f 0f
        """
    ),
    # {server} construct a ServerHello handshake message / send handshake record
    "server_hello": _S3_SERVER_HELLO,
    "server_hello_record": _h("16 03 03 00 5a") + _S3_SERVER_HELLO,
    # {server} derive secret for handshake "tls13 derived"
    "derived_for_handshake": _h(
        """
        6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97 16 c0 76 18 9c 48 25 0c
        eb ea c3 57 6c 36 11 ba
        """
    ),
    # {server} extract secret "handshake": IKM is the x25519 shared secret
    "ecdhe_shared_secret": _h(
        """
        8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75 63 ef
        d4 62 72 90 0f 89 49 2d
        """
    ),
    "handshake_secret": _h(
        """
        1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2
        21 a9 f0 ca 04 3f be ac
        """
    ),
    # the "hash" input of "tls13 c hs traffic" / "tls13 s hs traffic"
    "transcript_hash_server_hello": _h(
        """
        86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f
        02 ed 06 3c f0 e1 ca d8
        """
    ),
    # {server} derive secret "tls13 c hs traffic"
    "client_handshake_traffic_secret": _h(
        """
        b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96
        00 74 6a 0e 27 a5 5a 21
        """
    ),
    # {server} derive secret "tls13 s hs traffic"
    "server_handshake_traffic_secret": _h(
        """
        b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d
        42 be fd 59 d3 91 ad 38
        """
    ),
    # {server} derive secret for master "tls13 derived"
    "derived_for_master": _h(
        """
        43 de 77 e0 c7 77 13 85 9a 94 4d b9 db 25 90 b5 31 90 a6 5b 3e e2 e4 f1
        2d d7 a0 bb 7c e2 54 b4
        """
    ),
    # {server} extract secret "master"
    "master_secret": _h(
        """
        18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47 80 01 bc 4d 4c 62 79 84
        d5 a4 1d a8 d0 40 29 19
        """
    ),
    # {server} derive write traffic keys for handshake data
    "server_handshake_key": _h("3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc"),
    "server_handshake_iv": _h("5d 31 3e b2 67 12 76 ee 13 00 0b 30"),
    # {server} construct EncryptedExtensions / Certificate / CertificateVerify
    "encrypted_extensions": _S3_ENCRYPTED_EXTENSIONS,
    "certificate": CERTIFICATE_MESSAGE,
    "certificate_verify": _S3_CERTIFICATE_VERIFY,
    # {server} calculate finished "tls13 finished"
    "server_finished_key": _h(
        """
        00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 bf 49 2c 65 2f 01
        f2 88 a1 d8 cd c1 9f c8
        """
    ),
    "server_finished_verify_data": _S3_SERVER_FINISHED_VERIFY_DATA,
    # {server} construct a Finished handshake message
    "server_finished": _h("14 00 00 20") + _S3_SERVER_FINISHED_VERIFY_DATA,
    # {server} send handshake record (payload 657 octets, record 679 octets)
    "server_flight_payload": (
        _S3_ENCRYPTED_EXTENSIONS
        + CERTIFICATE_MESSAGE
        + _S3_CERTIFICATE_VERIFY
        + _h("14 00 00 20")
        + _S3_SERVER_FINISHED_VERIFY_DATA
    ),
    "server_flight_record": _h(
        """
        17 03 03 02 a2 d1 ff 33 4a 56 f5 bf f6 59 4a 07 cc 87 b5 80 23 3f 50 0f
        45 e4 89 e7 f3 3a f3 5e df 78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca
        07 61 2e f9 f9 45 cb 96 0b 40 68 90 51 23 ea 78 b1 11 b4 29 ba 91 91 cd
        05 d2 a3 89 28 0f 52 61 34 aa dc 7f c7 8c 4b 72 9d f8 28 b5 ec f7 b1 3b
        d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79 02 07 16 cf b9 b1 18 3e
        f3 ab 20 e3 7d 57 a6 b9 d7 47 76 09 ae e6 e1 22 a4 cf 51 42 73 25 25 0c
        7d 0e 50 92 89 44 4c 9b 3a 64 8f 1d 71 03 5d 2e d6 5b 0e 3c dd 0c ba e8
        bf 2d 0b 22 78 12 cb b3 60 98 72 55 cc 74 41 10 c4 53 ba a4 fc d6 10 92
        8d 80 98 10 e4 b7 ed 1a 8f d9 91 f0 6a a6 24 82 04 79 7e 36 a6 a7 3b 70
        a2 55 9c 09 ea d6 86 94 5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8
        94 41 ac 66 27 2f d8 fb 33 0e f8 19 05 79 b3 68 45 96 c9 60 bd 59 6e ea
        52 0a 56 a8 d6 50 f5 63 aa d2 74 09 96 0d ca 63 d3 e6 88 61 1e a5 e2 2f
        44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26 4e d6 54 0c 84 83 8d 89
        f7 2c 24 46 1a ad 6d 26 f5 9e ca ba 9a cb bb 31 7b 66 d9 02 f4 f2 92 a3
        6a c1 b6 39 c6 37 ce 34 31 17 b6 59 62 22 45 31 7b 49 ee da 0c 62 58 f1
        00 d7 d9 61 ff b1 38 64 7e 92 ea 33 0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e
        1b 7a 6c 71 78 af 36 87 90 18 e3 f2 52 10 7f 24 3d 24 3d c7 33 9d 56 84
        c8 b0 37 8b f3 02 44 da 8c 87 c8 43 f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c
        f9 3b 16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4 61 e6 6f 99 88 2b d8 9f
        c5 08 00 be cc a6 2d 6c 74 11 6d bd 29 72 fd a1 fa 80 f8 5d f8 81 ed be
        5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69 18 a3 96 fa 48 a1 81 d6 b6
        fa 4f 9d 62 d5 13 af bb 99 2f 2b 99 2f 67 f8 af e6 7f 76 91 3f a3 88 cb
        56 30 c8 ca 01 e0 c6 5d 11 c6 6a 1e 2a c4 c8 59 77 b7 c7 a6 99 9b bf 10
        dc 35 ae 69 f5 51 56 14 63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38
        eb ba 42 f3 b3 8e dc 03 99 f3 a9 f2 3f aa 63 97 8c 31 7f c9 fa 66 a7 3f
        60 f0 50 4d e9 3b 5b 84 5e 27 55 92 c1 23 35 ee 34 0b bc 4f dd d5 02 78
        40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5 d2 af 93 98 28 fd 4a e3
        79 4e 44 f9 4d f5 a6 31 ed e4 2c 17 19 bf da bf 02 53 fe 51 75 be 89 8e
        75 0e dc 53 37 0d 2b
        """
    ),
    # the "hash" input of "tls13 c ap traffic", "tls13 s ap traffic",
    # "tls13 exp master"
    "transcript_hash_server_finished": _h(
        """
        96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a 00 0e aa da 3d aa e4 77
        7a 76 86 c9 ff 83 df 13
        """
    ),
    # {server} derive secret "tls13 c ap traffic"
    "client_application_traffic_secret": _h(
        """
        9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87
        f7 92 eb b7 c1 75 04 a5
        """
    ),
    # {server} derive secret "tls13 s ap traffic"
    "server_application_traffic_secret": _h(
        """
        a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a
        4b 4f 1f 3f cb 63 16 43
        """
    ),
    # {server} derive secret "tls13 exp master"
    "exporter_master_secret": _h(
        """
        fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8
        ae 31 1b 43 09 d3 cf 50
        """
    ),
    # {server} derive write traffic keys for application data
    "server_application_key": _h("9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56"),
    "server_application_iv": _h("cf 78 2b 88 dd 83 54 9a ad f1 e9 84"),
    # {server} derive read traffic keys for handshake data
    "client_handshake_key": _h("db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01"),
    "client_handshake_iv": _h("5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f"),
    # {client} calculate finished "tls13 finished"
    "client_finished_key": _h(
        """
        b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d 6b f8 3f 84 82 1d 1f 87 fd c7
        d3 c7 5b 5a 7b 42 d9 c4
        """
    ),
    "client_finished_verify_data": _S3_CLIENT_FINISHED_VERIFY_DATA,
    # {client} construct a Finished handshake message
    "client_finished": _h("14 00 00 20") + _S3_CLIENT_FINISHED_VERIFY_DATA,
    # {client} send handshake record
    "client_finished_record": _h(
        """
        17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c 56 cc 77 b0
        51 7f e9 b9 3c 7a 4b fc 44 d8 7f 38 f8 03 38 ac 98 fc 46 de b3 84 bd 1c
        ae ac ab 68 67 d7 26 c4 05 46
        """
    ),
    # {client} derive write traffic keys for application data
    "client_application_key": _h("17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51"),
    "client_application_iv": _h("5b 78 92 3d ee 08 57 90 33 e5 23 d9"),
    # the "hash" input of "tls13 res master"
    "transcript_hash_client_finished": _h(
        """
        20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26 84 65 8d 60 49 e8 64 29
        42 6d b8 7c 54 ad 14 3d
        """
    ),
    # {server} derive secret "tls13 res master"
    "resumption_master_secret": _h(
        """
        7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d
        5a ba 46 c4 34 ec 19 6c
        """
    ),
    # {server} generate resumption secret "tls13 resumption"
    "ticket_nonce": _h("00 00"),
    "resumption_psk": _h(
        """
        4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5 85 1a 27 7f d4 13 11 c9
        e6 2d 2c 94 92 e1 c4 f3
        """
    ),
    # {server} construct a NewSessionTicket handshake message
    "ticket": _S3_TICKET,
    "new_session_ticket": _S3_NEW_SESSION_TICKET,
    # {server} send handshake record (first record under the server
    # application traffic key)
    "new_session_ticket_record": _h(
        """
        17 03 03 00 de 3a 6b 8f 90 41 4a 97 d6 95 9c 34 87 68 0d e5 13 4a 2b 24
        0e 6c ff ac 11 6e 95 d4 1d 6a f8 f6 b5 80 dc f3 d1 1d 63 c7 58 db 28 9a
        01 59 40 25 2f 55 71 3e 06 1d c1 3e 07 88 91 a3 8e fb cf 57 53 ad 8e f1
        70 ad 3c 73 53 d1 6d 9d a7 73 b9 ca 7f 2b 9f a1 b6 c0 d4 a3 d0 3f 75 e0
        9c 30 ba 1e 62 97 2a c4 6f 75 f7 b9 81 be 63 43 9b 29 99 ce 13 06 46 15
        13 98 91 d5 e4 c5 b4 06 f1 6e 3f c1 81 a7 7c a4 75 84 00 25 db 2f 0a 77
        f8 1b 5a b0 5b 94 c0 13 46 75 5f 69 23 2c 86 51 9d 86 cb ee ac 87 aa c3
        47 d1 43 f9 60 5d 64 f6 50 db 4d 02 3e 70 e9 52 ca 49 fe 51 37 12 1c 74
        bc 26 97 68 7e 24 87 46 d6 df 35 30 05 f3 bc e1 86 96 12 9c 81 53 55 6b
        3b 6c 67 79 b3 7b f1 59 85 68 4f
        """
    ),
    # {client} send application_data record
    "client_application_data": _APPLICATION_DATA,
    "client_application_data_record": _h(
        """
        17 03 03 00 43 a2 3f 70 54 b6 2c 94 d0 af fa fe 82 28 ba 55 cb ef ac ea
        42 f9 14 aa 66 bc ab 3f 2b 98 19 a8 a5 b4 6b 39 5b d5 4a 9a 20 44 1e 2b
        62 97 4e 1f 5a 62 92 a2 97 70 14 bd 1e 3d ea e6 3a ee bb 21 69 49 15 e4
        """
    ),
    # {server} send application_data record
    "server_application_data": _APPLICATION_DATA,
    "server_application_data_record": _h(
        """
        17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc
        32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8
        fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 ab f3 32 54 0d d0 32 e1 67 c2 95 5d
        """
    ),
    # {client} send alert record / {server} send alert record
    "alert": _CLOSE_NOTIFY,
    "client_alert_record": _h(
        """
        17 03 03 00 13 c9 87 27 60 65 56 66 b7 4d 7f f1 15 3e fd 6d b6 d0 b0 e3
        """
    ),
    "server_alert_record": _h(
        """
        17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9
        """
    ),
}


# ---------------------------------------------------------------------------
# RFC 8448 Section 4: Resumed 0-RTT Handshake
# (resumes the Section 3 session with its ticket and resumption PSK)
# ---------------------------------------------------------------------------

# ClientHello up to and including the PSK identities (the "ClientHello prefix"
# hashed for the binder): ... psk_key_exchange_modes, record_size_limit,
# padding (87 zero octets), then pre_shared_key with the Section 3 ticket and
# obfuscated_ticket_age fa d6 aa cb.
_S4_CLIENT_HELLO_PREFIX = (
    _h(
        """
        01 00 01 fc 03 03 1b c3 ce b6 bb e3 9c ff 93 83 55 b5 a5 0a db 6d b2 1b
        7a 6a f6 49 d7 b4 bc 41 9d 78 76 48 7d 95 00 00 06 13 01 13 03 13 02 01
        00 01 cd 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00
        0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00
        33 00 26 00 24 00 1d 00 20 e4 ff b6 8a c0 5f 8d 96 c9 9d a2 66 98 34 6c
        6b e1 64 82 ba dd da fe 05 1a 66 b4 f1 8d 66 8f 0b 00 2a 00 00 00 2b 00
        03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06
        04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c
        00 02 40 01
        """
    )
    + _h("00 15 00 57" + " 00" * 87)
    + _h("00 29 00 dd 00 b8 00 b2")
    + _S3_TICKET
    + _h("fa d6 aa cb")
)

_S4_BINDER = _h(
    """
    3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8 8d ae 99 01 41 c5 92 4d
    57 bb 6f a3 1b 9e 5f 9d
    """
)

# Full ClientHello: prefix + binders list (00 21) with one 32-octet binder (20).
_S4_CLIENT_HELLO = _S4_CLIENT_HELLO_PREFIX + _h("00 21 20") + _S4_BINDER

_S4_SERVER_HELLO = _h(
    """
    02 00 00 5c 03 03 3c cf d2 de c8 90 22 27 63 47 2a e8 13 67 77 c9 d7 35
    87 77 bb 66 e9 1e a5 12 24 95 f5 59 ea 2d 00 13 01 00 00 34 00 29 00 02
    00 00 00 33 00 24 00 1d 00 20 12 17 61 ee 42 c3 33 e1 b9 e7 7b 60 dd 57
    c2 05 3c d9 45 12 ab 47 f1 15 e8 6e ff 50 94 2c ea 31 00 2b 00 02 03 04
    """
)

# EncryptedExtensions with supported_groups, record_size_limit, server_name
# and early_data (00 2a 00 00).
_S4_ENCRYPTED_EXTENSIONS = _h(
    """
    08 00 00 28 00 26 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00 01 01
    01 02 01 03 01 04 00 1c 00 02 40 01 00 00 00 00 00 2a 00 00
    """
)

_S4_SERVER_FINISHED_VERIFY_DATA = _h(
    """
    48 d3 e0 e1 b3 d9 07 c6 ac ff 14 5e 16 09 03 88 c7 7b 05 c0 50 b6 34 ab
    1a 88 bb d0 dd 1a 34 b2
    """
)

_S4_CLIENT_FINISHED_VERIFY_DATA = _h(
    """
    72 30 a9 c9 52 c2 5c d6 13 8f c5 e6 62 83 08 c4 1c 53 35 dd 81 b9 f9 6b
    ce a5 0f d3 2b da 41 6d
    """
)

RESUMED_0RTT = {
    # {server} generate resumption secret "tls13 resumption" (Section 3)
    "psk": SIMPLE_1RTT["resumption_psk"],
    "ticket": _S3_TICKET,
    # {client} create an ephemeral x25519 key pair
    "client_x25519_private": _h(
        """
        bf f9 11 88 28 38 46 dd 6a 21 34 ef 71 80 ca 2b 0b 14 fb 10 dc e7 07 b5
        09 8c 0d dd c8 13 b2 df
        """
    ),
    "client_x25519_public": _h(
        """
        e4 ff b6 8a c0 5f 8d 96 c9 9d a2 66 98 34 6c 6b e1 64 82 ba dd da fe 05
        1a 66 b4 f1 8d 66 8f 0b
        """
    ),
    # {client} extract secret "early" (salt 0, IKM = PSK)
    "early_secret": _h(
        """
        9b 21 88 e9 b2 fc 6d 64 d7 1d c3 29 90 0e 20 bb 41 91 50 00 f6 78 aa 83
        9c bb 79 7c b7 d8 33 2c
        """
    ),
    # {client} construct a ClientHello handshake message (477 octets shown,
    # binders not yet filled in)
    "client_hello_prefix": _S4_CLIENT_HELLO_PREFIX,
    # {client} calculate PSK binder: "binder hash" = H(client_hello_prefix);
    # PRK = binder key (Derive-Secret(early_secret, "res binder", ""));
    # expanded = finished key; finished = the binder
    "binder_hash": _h(
        """
        63 22 4b 2e 45 73 f2 d3 45 4c a8 4b 9d 00 9a 04 f6 be 9e 05 71 1a 83 96
        47 3a ef a0 1e 92 4a 14
        """
    ),
    "binder_key": _h(
        """
        69 fe 13 1a 3b ba d5 d6 3c 64 ee bc c3 0e 39 5b 9d 81 07 72 6a 13 d0 74
        e3 89 db c8 a4 e4 72 56
        """
    ),
    "binder_finished_key": _h(
        """
        55 88 67 3e 72 cb 59 c8 7d 22 0c af fe 94 f2 de a9 a3 b1 60 9f 7d 50 e9
        0a 48 22 7d b9 ed 7e aa
        """
    ),
    "binder": _S4_BINDER,
    # {client} send handshake record (payload 512 octets, record 517 octets)
    "client_hello": _S4_CLIENT_HELLO,
    "client_hello_record": _h("16 03 01 02 00") + _S4_CLIENT_HELLO,
    # hash of the full ClientHello: the "hash" of "tls13 c e traffic" and
    # "tls13 e exp master"
    "transcript_hash_client_hello": _h(
        """
        08 ad 0f a0 5d 7c 72 33 b1 77 5b a2 ff 9f 4c 5b 8b 59 27 6b 7f 22 7f 13
        a9 76 24 5f 5d 96 09 13
        """
    ),
    # {client} derive secret "tls13 c e traffic"
    "client_early_traffic_secret": _h(
        """
        3f bb e6 a6 0d eb 66 c3 0a 32 79 5a ba 0e ff 7e aa 10 10 55 86 e7 be 5c
        09 67 8d 63 b6 ca ab 62
        """
    ),
    # {client} derive secret "tls13 e exp master"
    "early_exporter_master_secret": _h(
        """
        b2 02 68 66 61 09 37 d7 42 3e 5b e9 08 62 cc f2 4c 0e 60 91 18 6d 34 f8
        12 08 9f f5 be 2e f7 df
        """
    ),
    # {client} derive write traffic keys for early application data
    "client_early_key": _h("92 02 05 a5 b7 bf 21 15 e6 fc 5c 29 42 83 4f 54"),
    "client_early_iv": _h("6d 47 5f 09 93 c8 e5 64 61 0d b2 b9"),
    # {client} send application_data record (0-RTT, sequence number 0)
    "early_application_data": _h("41 42 43 44 45 46"),
    "early_application_data_record": _h(
        """
        17 03 03 00 17 ab 1d f4 20 e7 5c 45 7a 7c c5 d2 84 4f 76 d5 ae e4 b4 ed
        bf 04 9b e0
        """
    ),
    # {server} create an ephemeral x25519 key pair
    "server_x25519_private": _h(
        """
        de 5b 44 76 e7 b4 90 b2 65 2d 33 8a cb f2 94 80 66 f2 55 f9 44 0e 23 b9
        8f c6 98 35 29 8d c1 07
        """
    ),
    "server_x25519_public": _h(
        """
        12 17 61 ee 42 c3 33 e1 b9 e7 7b 60 dd 57 c2 05 3c d9 45 12 ab 47 f1 15
        e8 6e ff 50 94 2c ea 31
        """
    ),
    # {server} construct a ServerHello handshake message (pre_shared_key
    # selected identity 0) / send handshake record
    "server_hello": _S4_SERVER_HELLO,
    "server_hello_record": _h("16 03 03 00 60") + _S4_SERVER_HELLO,
    # {server} derive secret for handshake "tls13 derived"
    "derived_for_handshake": _h(
        """
        5f 17 90 bb d8 2c 5e 7d 37 6e d2 e1 e5 2f 8e 60 38 c9 34 6d b6 1b 43 be
        9a 52 f7 7e f3 99 8e 80
        """
    ),
    # {server} extract secret "handshake"
    "ecdhe_shared_secret": _h(
        """
        f4 41 94 75 6f f9 ec 9d 25 18 06 35 d6 6e a6 82 4c 6a b3 bf 17 99 77 be
        37 f7 23 57 0e 7c cb 2e
        """
    ),
    "handshake_secret": _h(
        """
        00 5c b1 12 fd 8e b4 cc c6 23 bb 88 a0 7c 64 b3 ed e1 60 53 63 fc 7d 0d
        f8 c7 ce 4f f0 fb 4a e6
        """
    ),
    "transcript_hash_server_hello": _h(
        """
        f7 36 cb 34 fe 25 e7 01 55 1b ee 6f d2 4c 1c c7 10 2a 7d af 94 05 cb 15
        d9 7a af e1 6f 75 7d 03
        """
    ),
    # {server} derive secret "tls13 c hs traffic"
    "client_handshake_traffic_secret": _h(
        """
        2f aa c0 8f 85 1d 35 fe a3 60 4f cb 4d e8 2d c6 2c 9b 16 4a 70 97 4d 04
        62 e2 7f 1a b2 78 70 0f
        """
    ),
    # {server} derive secret "tls13 s hs traffic"
    "server_handshake_traffic_secret": _h(
        """
        fe 92 7a e2 71 31 2e 8b f0 27 5b 58 1c 54 ee f0 20 45 0d c4 ec ff aa 05
        a1 a3 5d 27 51 8e 78 03
        """
    ),
    # {server} derive secret for master "tls13 derived"
    "derived_for_master": _h(
        """
        e2 f1 60 30 25 1d f0 87 4b a1 9b 9a ba 25 76 10 bc 6d 53 1c 1d d2 06 df
        0c a6 e8 4a e2 a2 67 42
        """
    ),
    # {server} extract secret "master"
    "master_secret": _h(
        """
        e2 d3 2d 4e d6 6d d3 78 97 a0 e8 0c 84 10 75 03 ce 58 bf 8a ad 4c b5 5a
        50 02 d7 7e cb 89 0e ce
        """
    ),
    # {server} derive write traffic keys for handshake data
    "server_handshake_key": _h("27 c6 bd c0 a3 dc ea 39 a4 73 26 d7 9b c9 e4 ee"),
    "server_handshake_iv": _h("95 69 ec dd 4d 05 36 70 5e 9e f7 25"),
    # {server} construct an EncryptedExtensions handshake message
    "encrypted_extensions": _S4_ENCRYPTED_EXTENSIONS,
    # {server} calculate finished "tls13 finished"
    "server_finished_key": _h(
        """
        4b b7 4c ae 7a 5d c8 91 46 04 c0 bf be 2f 0c 06 23 96 88 39 22 be c8 a1
        5e 2a 9b 53 2a 5d 39 2c
        """
    ),
    "server_finished_verify_data": _S4_SERVER_FINISHED_VERIFY_DATA,
    # {server} construct a Finished handshake message
    "server_finished": _h("14 00 00 20") + _S4_SERVER_FINISHED_VERIFY_DATA,
    # {server} send handshake record (payload 80 octets, record 102 octets)
    "server_flight_payload": (
        _S4_ENCRYPTED_EXTENSIONS + _h("14 00 00 20") + _S4_SERVER_FINISHED_VERIFY_DATA
    ),
    "server_flight_record": _h(
        """
        17 03 03 00 61 dc 48 23 7b 4b 87 9f 50 d0 d4 d2 62 ea 8b 47 16 eb 40 dd
        c1 eb 95 7e 11 12 6e 8a 71 49 c2 d0 12 d3 7a 71 15 95 7e 64 ce 30 00 8b
        9e 03 23 f2 c0 5a 9c 1c 77 b4 f3 78 49 a6 95 ab 25 50 60 a3 3f ee 77 0c
        a9 5c b8 48 6b fd 08 43 b8 70 24 86 5c a3 5c c4 1c 4e 51 5c 64 dc b1 36
        9f 98 63 5b c7 a5
        """
    ),
    "transcript_hash_server_finished": _h(
        """
        b0 ae ff c4 6a 2c fe 33 11 4e 6f d7 d5 1f 9f 04 b1 ca 3c 49 7d ab 08 93
        4a 77 4a 9d 9a d7 db f3
        """
    ),
    # {server} derive secret "tls13 c ap traffic"
    "client_application_traffic_secret": _h(
        """
        2a bb f2 b8 e3 81 d2 3d be be 1d d2 a7 d1 6a 8b f4 84 cb 49 50 d2 3f b7
        fb 7f a8 54 70 62 d9 a1
        """
    ),
    # {server} derive secret "tls13 s ap traffic"
    "server_application_traffic_secret": _h(
        """
        cc 21 f1 bf 8f eb 7d d5 fa 50 5b d9 c4 b4 68 a9 98 4d 55 4a 99 3d c4 9e
        6d 28 55 98 fb 67 26 91
        """
    ),
    # {server} derive secret "tls13 exp master"
    "exporter_master_secret": _h(
        """
        3f d9 3d 4f fd dc 98 e6 4b 14 dd 10 7a ed f8 ee 4a dd 23 f4 51 0f 58 a4
        59 2d 0b 20 1b ee 56 b4
        """
    ),
    # {server} derive write traffic keys for application data
    "server_application_key": _h("e8 57 c6 90 a3 4c 5a 91 29 d8 33 61 96 84 f9 5e"),
    "server_application_iv": _h("06 85 d6 b5 61 aa b9 ef 10 13 fa f9"),
    # {client} construct an EndOfEarlyData handshake message / send handshake
    # record (under the client early traffic key, sequence number 1)
    "end_of_early_data": _h("05 00 00 00"),
    "end_of_early_data_record": _h(
        """
        17 03 03 00 15 ac a6 fc 94 48 41 29 8d f9 95 93 72 5f 9b f9 75 44 29 b1
        2f 09
        """
    ),
    # {client} derive write traffic keys for handshake data
    "client_handshake_key": _h("b1 53 08 06 f4 ad fe ac 83 f1 41 30 32 bb fa 82"),
    "client_handshake_iv": _h("eb 50 c1 6b e7 65 4a bf 99 dd 06 d9"),
    # {client} calculate finished "tls13 finished" (transcript includes
    # EndOfEarlyData)
    "client_finished_key": _h(
        """
        5a ce 39 4c 26 98 0d 58 12 43 f6 27 d1 15 0a e2 7e 37 fa 52 36 4e 0a 7f
        20 ac 68 6d 09 cd 0e 8e
        """
    ),
    "client_finished_verify_data": _S4_CLIENT_FINISHED_VERIFY_DATA,
    # {client} construct a Finished handshake message / send handshake record
    "client_finished": _h("14 00 00 20") + _S4_CLIENT_FINISHED_VERIFY_DATA,
    "client_finished_record": _h(
        """
        17 03 03 00 35 00 f8 b4 67 d1 4c f2 2a 4b 3f 0b 6a e0 d8 e6 cc 8d 08 e0
        db 35 15 ef 5c 2b df 19 22 ea fb b7 00 09 96 47 16 d8 34 fb 70 c3 d2 a5
        6c 5b 1f 5f 6b db a6 c3 33 cf
        """
    ),
    # {client} derive write traffic keys for application data
    "client_application_key": _h("3c f1 22 f3 01 c6 35 8c a7 98 95 53 25 0e fd 72"),
    "client_application_iv": _h("ab 1a ec 26 aa 78 b8 fc 11 76 b9 ac"),
    "transcript_hash_client_finished": _h(
        """
        c3 c1 22 e0 bd 90 7a 4a 3f f6 11 2d 8f d5 3d bf 89 c7 73 d9 55 2e 8b 6b
        9d 56 d3 61 b3 a9 7b f6
        """
    ),
    # {client} derive secret "tls13 res master"
    "resumption_master_secret": _h(
        """
        5e 95 bd f1 f8 90 05 ea 2e 9a a0 ba 85 e7 28 e3 c1 9c 5f e0 c6 99 e3 f5
        be e5 9f ae bd 0b 54 06
        """
    ),
    # {client} send application_data record
    "client_application_data": _APPLICATION_DATA,
    "client_application_data_record": _h(
        """
        17 03 03 00 43 b1 ce bc e2 42 aa 20 1b e9 ae 5e 1c b2 a9 aa 4b 33 d4 e8
        66 af 1e db 06 89 19 23 77 41 aa 03 1d 7a 74 d4 91 c9 9b 9d 4e 23 2b 74
        20 6b c6 fb aa 04 fe 78 be 44 a9 b4 f5 43 20 a1 7e b7 69 92 af ac 31 03
        """
    ),
    # {server} send application_data record
    "server_application_data": _APPLICATION_DATA,
    "server_application_data_record": _h(
        """
        17 03 03 00 43 27 5e 9f 20 ac ff 57 bc 00 06 57 d3 86 7d f0 39 cc cf 79
        04 78 84 cf 75 77 17 46 f7 40 b5 a8 3f 46 2a 09 54 c3 58 13 93 a2 03 a2
        5a 7d d1 41 41 ef 1a 37 90 0c db 62 ff 62 de e1 ba 39 ab 25 90 cb f1 94
        """
    ),
    # {client} send alert record / {server} send alert record
    "alert": _CLOSE_NOTIFY,
    "client_alert_record": _h(
        """
        17 03 03 00 13 0f ac ce 32 46 bd fc 63 69 83 8d 6a 82 ae 6d e5 d4 22 dc
        """
    ),
    "server_alert_record": _h(
        """
        17 03 03 00 13 5b 18 af 44 4e 8e 1e ec 71 58 fb 62 d8 f2 57 7d 37 ba 5d
        """
    ),
}


# ---------------------------------------------------------------------------
# RFC 8448 Section 5: HelloRetryRequest
# (client offers x25519; the server prefers P-256 and sends a
# HelloRetryRequest with a cookie; the client retries with a secp256r1 share)
# ---------------------------------------------------------------------------

# The cookie sent in the HelloRetryRequest and echoed in the second ClientHello.
_S5_COOKIE = _h(
    """
    71 dc d0 4b b8 8b c3 18 91 19 39 8a 00 00 00 00 ee fa fc 76 c1 46 b8 23
    b0 96 f8 aa ca d3 65 dd 00 30 95 3f 4e df 62 56 36 e5 f2 1b b2 e2 3f cc
    65 4b 1b 5b 40 31 8d 10 d1 37 ab cb b8 75 74 e3 6e 8a 1f 02 5f 7d fa 5d
    6e 50 78 1b 5e da 4a a1 5b 0c 8b e7 78 25 7d 16 aa 30 30 e9 e7 84 1d d9
    e4 c0 34 22 67 e8 ca 0c af 57 1f b2 b7 cf f0 f9 34 b0
    """
)

_S5_CLIENT_SECP256R1_PUBLIC = _h(
    """
    04 a6 da 73 92 ec 59 1e 17 ab fd 53 59 64 b9 98 94 d1 3b ef b2 21 b3 de
    f2 eb e3 83 0e ac 8f 01 51 81 26 77 c4 d6 d2 23 7e 85 cf 01 d6 91 0c fb
    83 95 4e 76 ba 73 52 83 05 34 15 98 97 e8 06 57 80
    """
)

_S5_SERVER_SECP256R1_PUBLIC = _h(
    """
    04 58 3e 05 4b 7a 66 67 2a e0 20 ad 9d 26 86 fc c8 5b 5a d4 1a 13 4a 0f
    03 ee 72 b8 93 05 2b d8 5b 4c 8d e6 77 6f 5b 04 ac 07 d8 35 40 ea b3 e3
    d9 c5 47 bc 65 28 c4 31 7d 29 46 86 09 3a 6c ad 7d
    """
)

_S5_CLIENT_HELLO_1 = _h(
    """
    01 00 00 b0 03 03 b0 b1 c5 a5 aa 37 c5 91 9f 2e d1 d5 c6 ff f7 fc b7 84
    97 16 94 5a 2b 8c ee 92 58 a3 46 67 7b 6f 00 00 06 13 01 13 03 13 02 01
    00 00 81 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00
    0a 00 08 00 06 00 1d 00 17 00 18 00 33 00 26 00 24 00 1d 00 20 e8 e8 e3
    f3 b9 3a 25 ed 97 a1 4a 7d ca cb 8a 27 2c 62 88 e5 85 c6 48 4d 05 26 2f
    ca d0 62 ad 1f 00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03
    02 03 08 04 08 05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02
    00 2d 00 02 01 01 00 1c 00 02 40 01
    """
)

# HelloRetryRequest: a ServerHello with the special random, key_share asking
# for secp256r1 (00 17), a cookie and supported_versions.
_S5_HELLO_RETRY_REQUEST = (
    _h(
        """
        02 00 00 ac 03 03 cf 21 ad 74 e5 9a 61 11 be 1d 8c 02 1e 65 b8 91 c2 a2
        11 16 7a bb 8c 5e 07 9e 09 e2 c8 a8 33 9c 00 13 01 00 00 84 00 33 00 02
        00 17 00 2c 00 74 00 72
        """
    )
    + _S5_COOKIE
    + _h("00 2b 00 02 03 04")
)

# Second ClientHello: secp256r1 key share, the cookie, padding (175 zero octets).
_S5_CLIENT_HELLO_2 = (
    _h(
        """
        01 00 01 fc 03 03 b0 b1 c5 a5 aa 37 c5 91 9f 2e d1 d5 c6 ff f7 fc b7 84
        97 16 94 5a 2b 8c ee 92 58 a3 46 67 7b 6f 00 00 06 13 01 13 03 13 02 01
        00 01 cd 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72 ff 01 00 01 00 00
        0a 00 08 00 06 00 1d 00 17 00 18 00 33 00 47 00 45 00 17 00 41
        """
    )
    + _S5_CLIENT_SECP256R1_PUBLIC
    + _h(
        """
        00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08
        05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2c 00 74 00
        72
        """
    )
    + _S5_COOKIE
    + _h("00 2d 00 02 01 01 00 1c 00 02 40 01")
    + _h("00 15 00 af" + " 00" * 175)
)

_S5_SERVER_HELLO = (
    _h(
        """
        02 00 00 77 03 03 bb 34 1d 84 7f d7 89 c4 7c 38 71 72 dc 0c 9b f1 47 fc
        ca cb 50 43 d8 6c a4 c5 98 d3 ff 57 1b 98 00 13 01 00 00 4f 00 33 00 45
        00 17 00 41
        """
    )
    + _S5_SERVER_SECP256R1_PUBLIC
    + _h("00 2b 00 02 03 04")
)

# EncryptedExtensions: supported_groups (secp256r1, secp384r1, x25519),
# record_size_limit, server_name.
_S5_ENCRYPTED_EXTENSIONS = _h(
    """
    08 00 00 18 00 16 00 0a 00 08 00 06 00 17 00 18 00 1d 00 1c 00 02 40 01
    00 00 00 00
    """
)

_S5_CERTIFICATE_VERIFY = _h(
    """
    0f 00 00 84 08 04 00 80 33 ab 13 d4 46 27 07 23 1b 5d ca e6 c8 19 0b 63
    d1 da bc 74 f2 8c 39 53 70 da 0b 07 e5 b8 30 66 d0 24 6a 31 ac d9 5d f4
    75 bf d7 99 a4 a7 0d 33 ad 93 d3 a3 17 a9 b2 c0 d2 37 a5 68 5b 21 9e 77
    41 12 e3 91 a2 47 60 7d 1a ef f1 bb d0 a3 9f 38 2e e1 a5 fe 88 ae 99 ec
    59 22 8e 64 97 e4 5d 48 ce 27 5a 6d 5e f4 0d 16 9f b6 f9 d3 3b 05 2e d3
    dc dd 6b 5a 48 ba af ff bc b2 90 12 84 15 bd 38
    """
)

_S5_SERVER_FINISHED_VERIFY_DATA = _h(
    """
    88 63 e6 bf b0 42 0a 92 7f a2 7f 34 33 6a 70 ae 42 6e 96 8e 3e b8 84 94
    5b 96 85 6d ba 39 76 d1
    """
)

_S5_CLIENT_FINISHED_VERIFY_DATA = _h(
    """
    23 f5 2f db 07 09 a5 5b d7 f7 9b 99 1f 25 48 40 87 bc fd 4d 43 80 b1 23
    26 a5 2a 28 b2 e3 68 e1
    """
)

HRR = {
    # {client} create an ephemeral x25519 key pair (offered in ClientHello 1)
    "client_x25519_private": _h(
        """
        0e d0 2f 8e 81 17 ef c7 5c a7 ac 32 aa 7e 34 ed a6 4c dc 0d da d1 54 a5
        e8 52 89 f9 59 f6 32 04
        """
    ),
    "client_x25519_public": _h(
        """
        e8 e8 e3 f3 b9 3a 25 ed 97 a1 4a 7d ca cb 8a 27 2c 62 88 e5 85 c6 48 4d
        05 26 2f ca d0 62 ad 1f
        """
    ),
    # {client} construct a ClientHello handshake message / send handshake record
    "client_hello_1": _S5_CLIENT_HELLO_1,
    "client_hello_1_record": _h("16 03 01 00 b4") + _S5_CLIENT_HELLO_1,
    # {server} construct a HelloRetryRequest (shown by the RFC as a
    # "ServerHello", 176 octets) / send handshake record
    "cookie": _S5_COOKIE,
    "hello_retry_request": _S5_HELLO_RETRY_REQUEST,
    "hello_retry_request_record": _h("16 03 03 00 b0") + _S5_HELLO_RETRY_REQUEST,
    # {client} create an ephemeral P-256 key pair
    "client_secp256r1_private": _h(
        """
        ab 54 73 46 7e 19 34 6c eb 0a 04 14 e4 1d a2 1d 4d 24 45 bc 30 25 af e9
        7c 4e 8d c8 d5 13 da 39
        """
    ),
    "client_secp256r1_public": _S5_CLIENT_SECP256R1_PUBLIC,
    # {client} construct a ClientHello handshake message (512 octets) / send
    # handshake record
    "client_hello_2": _S5_CLIENT_HELLO_2,
    "client_hello_2_record": _h("16 03 03 02 00") + _S5_CLIENT_HELLO_2,
    # {server} extract secret "early"
    "early_secret": SIMPLE_1RTT["early_secret"],
    # {server} create an ephemeral P-256 key pair
    "server_secp256r1_private": _h(
        """
        8c 51 06 01 f9 76 5b fb 8e d6 93 44 9a 48 98 98 59 b5 cf a8 79 cb 9f 54
        43 c4 1c 5f f1 06 34 ed
        """
    ),
    "server_secp256r1_public": _S5_SERVER_SECP256R1_PUBLIC,
    # {server} construct a ServerHello handshake message / send handshake record
    "server_hello": _S5_SERVER_HELLO,
    "server_hello_record": _h("16 03 03 00 7b") + _S5_SERVER_HELLO,
    # {server} derive secret for handshake "tls13 derived"
    "derived_for_handshake": SIMPLE_1RTT["derived_for_handshake"],
    # {server} extract secret "handshake": IKM is the P-256 ECDH shared secret
    # (the x coordinate)
    "ecdhe_shared_secret": _h(
        """
        c1 42 ce 13 ca 11 b5 c2 23 36 52 e6 3a d3 d9 78 44 f1 62 1f bf b9 de 69
        d5 47 dc 8f ed ea be b4
        """
    ),
    "handshake_secret": _h(
        """
        ce 02 2e 5e 6e 81 e5 07 36 d7 73 f2 d3 ad fc e8 22 0d 04 9b f5 10 f0 db
        fa c9 27 ef 42 43 b1 48
        """
    ),
    # hash of message_hash(ClientHello1), HelloRetryRequest, ClientHello2,
    # ServerHello (RFC 8446 Section 4.4.1)
    "transcript_hash_server_hello": _h(
        """
        8a a8 e8 28 ec 2f 8a 88 4f ec 95 a3 13 9d e0 1c 15 a3 da a7 ff 5b fc 3f
        4b fc c2 1b 43 8d 7b f8
        """
    ),
    # {server} derive secret "tls13 c hs traffic"
    "client_handshake_traffic_secret": _h(
        """
        15 8a a7 ab 88 55 07 35 82 b4 1d 67 4b 40 55 ca bc c5 34 72 8f 65 93 14
        86 1b 4e 08 e2 01 15 66
        """
    ),
    # {server} derive secret "tls13 s hs traffic"
    "server_handshake_traffic_secret": _h(
        """
        34 03 e7 81 e2 af 7b 65 08 da 28 57 4f 6e 95 a1 ab f1 62 de 83 a9 79 27
        c3 76 72 a4 a0 ce f8 a1
        """
    ),
    # {server} derive secret for master "tls13 derived"
    "derived_for_master": _h(
        """
        ad 1c bc d3 a0 dc 70 53 ee b3 ed 3a 47 90 1d 16 a9 fc 63 a7 3c 64 be b5
        67 48 1a 7d fb 3a 2c b3
        """
    ),
    # {server} extract secret "master"
    "master_secret": _h(
        """
        11 31 54 5d 0b af 79 dd ce 9b 87 f0 69 45 78 1a 57 dd 18 ef 37 8d cd 20
        60 f8 f9 a5 69 02 7e d8
        """
    ),
    # {server} derive write traffic keys for handshake data
    "server_handshake_key": _h("46 46 bf ac 17 12 c4 26 cd 78 d8 a2 4a 8a 6f 6b"),
    "server_handshake_iv": _h("c7 d3 95 c0 8d 62 f2 97 d1 37 68 ea"),
    # {server} construct EncryptedExtensions / Certificate / CertificateVerify
    "encrypted_extensions": _S5_ENCRYPTED_EXTENSIONS,
    "certificate": CERTIFICATE_MESSAGE,
    "certificate_verify": _S5_CERTIFICATE_VERIFY,
    # {server} calculate finished "tls13 finished"
    # (finished key: see "Provenance" in the module docstring)
    "server_finished_key": _h(
        """
        e7 f8 bb 3e a4 b6 c3 0c 47 10 b3 d0 9c 33 13 65 81 17 e7 0b 09 7e 85 03
        68 e2 51 0c a5 63 1f 74
        """
    ),
    "server_finished_verify_data": _S5_SERVER_FINISHED_VERIFY_DATA,
    "server_finished": _h("14 00 00 20") + _S5_SERVER_FINISHED_VERIFY_DATA,
    # {server} send handshake record (payload 645 octets, record 667 octets)
    "server_flight_payload": (
        _S5_ENCRYPTED_EXTENSIONS
        + CERTIFICATE_MESSAGE
        + _S5_CERTIFICATE_VERIFY
        + _h("14 00 00 20")
        + _S5_SERVER_FINISHED_VERIFY_DATA
    ),
    "server_flight_record": _h(
        """
        17 03 03 02 96 99 be e2 0b af 5b 7f c7 27 bf ab 62 23 92 8a 38 1e 6d 0c
        f9 c4 da 65 3f 9d 2a 7b 23 f7 de 11 cc e8 42 d5 cf 75 63 17 63 45 0f fb
        8b 0c c1 d2 38 e6 58 af 7a 12 ad c8 62 43 11 4a b1 4a 1d a2 fa e4 26 21
        ce 48 3f b6 24 2e ab fa ad 52 56 6b 02 b3 1d 2e dd ed ef eb 80 e6 6a 99
        00 d5 f9 73 b4 0c 4f df 74 71 9e cf 1b 68 d7 f9 c3 b6 ce b9 03 ca 13 dd
        1b b8 f8 18 7a e3 34 17 e1 d1 52 52 2c 58 22 a1 a0 3a d5 2c 83 8c 55 95
        3d 61 02 22 87 4c ce 8e 17 90 b2 29 a2 aa 0b 53 c8 d3 77 ee 72 01 82 95
        1d c6 18 1d c5 d9 0b d1 f0 10 5e d1 e8 4a a5 f7 59 57 c6 66 18 97 07 9e
        5e a5 00 74 49 e3 19 7b dc 7c 9b ee ed dd ea fd d8 44 af a5 c3 15 ec fe
        65 e5 76 af e9 09 81 28 80 62 0e c7 04 8b 42 d7 f5 c7 8d 76 f2 99 d6 d8
        25 34 bd d8 f5 12 fe bc 0e d3 81 4a ca 47 0c d8 00 0d 3e 1c b9 96 2b 05
        2f bb 95 0d f6 83 a5 2c 2b a7 7e d3 71 3b 12 29 37 a6 e5 17 09 64 e2 ab
        79 69 dc d9 80 b3 db 9b 45 8d a7 60 31 24 d6 dc 00 5e 4d 6e 04 b4 d0 c4
        ba f3 27 5d b8 27 db ba 0a 6d b0 96 72 17 1f c0 57 b3 85 1d 7e 02 68 41
        e2 97 8f bd 23 46 bb ef dd 03 76 bb 11 08 fe 9a cc 92 18 9f 56 50 aa 5e
        85 d8 e8 c7 b6 7a c5 10 db a0 03 d3 d7 e1 63 50 bb 66 d4 50 13 ef d4 4c
        9b 60 7c 0d 31 8c 4c 7d 1a 1f 5c bc 57 e2 06 11 80 4e 37 87 d7 b4 a4 b5
        f0 8e d8 fd 70 bd ae ad e0 22 60 b1 2a b8 42 ef 69 0b 4a 3e e7 91 1e 84
        1b 37 4e cd 5e bb bc 2a 54 d0 47 b6 00 33 6d d7 d0 c8 8b 4b c1 0e 58 ee
        6c b6 56 de 72 47 fa 20 d8 e9 1d eb 84 62 86 08 cf 80 61 5b 62 e9 6c 14
        91 c7 ac 37 55 eb 69 01 40 5d 34 74 fe 1a c7 9d 10 6a 0c ee 56 c2 57 7f
        c8 84 80 f9 6c b6 b8 c6 81 b7 b6 8b 53 c1 46 09 39 08 f3 50 88 81 75 bd
        fb 0b 1e 31 ad 61 e3 0b a0 ad fe 6d 22 3a a0 3c 07 83 b5 00 1a 57 58 7c
        32 8a 9a fc fc fb 97 8d 1c d4 32 8f 7d 9d 60 53 0e 63 0b ef d9 6c 0c 81
        6e e2 0b 01 00 76 8a e2 a6 df 51 fc 68 f1 72 74 0a 79 af 11 39 8e e3 be
        12 52 49 1f a9 c6 93 47 9e 87 7f 94 ab 7c 5f 8c ad 48 02 03 e6 ab 7b 87
        dd 71 e8 a0 72 91 13 df 17 f5 ee e8 6c e1 08 d1 d7 20 07 ec 1c d1 3c 85
        a6 c1 49 62 1e 77 b7 d7 8d 80 5a 30 f0 be 03 0c 31 5e 54
        """
    ),
    "transcript_hash_server_finished": _h(
        """
        50 f6 3c bf 36 b0 dd 04 9e 7a 0b a2 7d 64 55 74 5e a2 aa ac 54 bb 16 7f
        99 50 b2 b7 ce 95 09 da
        """
    ),
    # {server} derive secret "tls13 c ap traffic"
    "client_application_traffic_secret": _h(
        """
        75 ec f4 b9 72 52 5a a0 dc d0 57 c9 94 4d 4c d5 d8 26 71 d8 84 31 41 d7
        dc 2a 4f f1 5a 21 dc 51
        """
    ),
    # {server} derive secret "tls13 s ap traffic"
    "server_application_traffic_secret": _h(
        """
        5c 74 f8 7d f0 42 25 db 0f 82 09 c9 de 64 29 e4 94 35 fd ef a7 ca d6 18
        64 87 4d 12 f3 1c fc 8d
        """
    ),
    # {server} derive secret "tls13 exp master"
    "exporter_master_secret": _h(
        """
        7c 06 d3 ae 10 6a 3a 37 4a ce 48 37 b3 98 5c ac 67 78 0a 6e 2c 5c 04 b5
        83 19 d5 84 df 09 d2 23
        """
    ),
    # {server} derive write traffic keys for application data
    "server_application_key": _h("f2 7a 5d 97 bd 25 55 0c 48 23 b0 f3 e5 d2 93 88"),
    "server_application_iv": _h("0d d6 31 f7 b7 1c bb c7 97 c3 5f e7"),
    # {server} derive read traffic keys for handshake data
    "client_handshake_key": _h("2f 1f 91 86 63 d5 90 e7 42 11 49 a2 9d 94 b0 b6"),
    "client_handshake_iv": _h("41 4d 54 85 23 5e 1a 68 87 93 bd 74"),
    # {client} calculate finished "tls13 finished"
    # (finished key and verify_data: see "Provenance" in the module
    # docstring; the Finished message is the plaintext of client_finished_record)
    "client_finished_key": _h(
        """
        81 be 41 31 fb b9 b6 f4 47 14 50 84 6f 74 fd 1e 68 c5 22 4b a7 c2 a8 67
        7f 5c 53 ad 22 6f dc 13
        """
    ),
    "client_finished_verify_data": _S5_CLIENT_FINISHED_VERIFY_DATA,
    "client_finished": _h("14 00 00 20") + _S5_CLIENT_FINISHED_VERIFY_DATA,
    # {client} send handshake record
    "client_finished_record": _h(
        """
        17 03 03 00 35 d7 4f 19 23 c6 62 fd 34 13 7c 6f 50 2f 3d d2 b9 3d 95 1d
        1b 3b c9 7e 42 af e2 3c 31 ab ea 92 fe 91 b4 74 99 9e 85 e3 b7 91 ce 25
        2f e8 c3 e9 f9 39 a4 12 0c b2
        """
    ),
    # {client} derive write traffic keys for application data
    "client_application_key": _h("a7 eb 2a 05 25 eb 43 31 d5 8f cb f9 f7 ca 2e 9c"),
    "client_application_iv": _h("86 e8 be 22 7c 1b d2 b3 e3 9c b4 44"),
    # the "hash" input of "tls13 res master" (see "Provenance")
    "transcript_hash_client_finished": _h(
        """
        0e 8b 34 91 58 b8 55 fd cd 0c 11 db bc 4e 83 e4 3c aa 6e 48 3c 6c 65 df
        53 15 18 88 e5 01 65 f4
        """
    ),
    # {client} derive secret "tls13 res master"
    "resumption_master_secret": _h(
        """
        09 17 0c 6d 47 27 21 56 6f 9c f9 9b 08 69 9d af f5 61 ec 8f b2 2d 5a 32
        c3 f9 4c e0 09 b6 99 75
        """
    ),
    # {client} send alert record / {server} send alert record
    "alert": _CLOSE_NOTIFY,
    "client_alert_record": _h(
        """
        17 03 03 00 13 2e a6 cd f7 49 19 60 23 e2 b3 a4 94 91 69 55 36 42 60 47
        """
    ),
    "server_alert_record": _h(
        """
        17 03 03 00 13 51 9f c5 07 5c b0 88 43 49 75 9f f9 ef 6f 01 1b b4 c6 f2
        """
    ),
}


# ---------------------------------------------------------------------------
# RFC 8448 Section 7: Compatibility Mode
# (RFC 8446 Appendix D.4: non-empty legacy_session_id, echoed by the server,
# and a ChangeCipherSpec record from each side)
# ---------------------------------------------------------------------------

_S7_SESSION_ID = _h(
    """
    a8 0c 16 55 81 a8 e0 d0 6c 00 18 d5 4d 3a 06 dd 32 cf d4 05 1e b0 26 fa
    d3 fd 0b a9 92 69 e6 ef
    """
)

_S7_CLIENT_X25519_PUBLIC = _h(
    """
    8e 72 92 cf 30 56 db b0 d2 5f cb e5 5c 10 7d c9 bb f8 3d d9 70 8f 39 20
    3b a3 41 24 9a 7d 9b 63
    """
)

_S7_SERVER_X25519_PUBLIC = _h(
    """
    3e 30 f0 f4 ba 55 1a fd 62 76 83 41 17 5f 52 65 e4 da f0 c8 84 16 17 aa
    4f af dd 21 42 32 0c 22
    """
)

_S7_CLIENT_HELLO = (
    _h(
        """
        01 00 00 dc 03 03 4e 64 0a 3f 2c 27 38 f0 9c 94 18 bd 78 ed cc d7 55 9d
        05 31 19 92 76 d4 d9 2a 0e 9e e9 d7 7d 09 20
        """
    )
    + _S7_SESSION_ID
    + _h(
        """
        00 06 13 01 13 03 13 02 01 00 00 8d 00 00 00 0b 00 09 00 00 06 73 65 72
        76 65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18 00 19 01 00
        01 01 01 02 01 03 01 04 00 33 00 26 00 24 00 1d 00 20
        """
    )
    + _S7_CLIENT_X25519_PUBLIC
    + _h(
        """
        00 2b 00 03 02 03 04 00 0d 00 20 00 1e 04 03 05 03 06 03 02 03 08 04 08
        05 08 06 04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2d 00 02 01
        01 00 1c 00 02 40 01
        """
    )
)

_S7_SERVER_HELLO = (
    _h(
        """
        02 00 00 76 03 03 e5 dd 59 48 c4 35 f7 a3 8f 0f 01 30 70 8d c3 22 d9 df
        09 ab d4 83 81 17 c1 83 a7 bb 6d 99 4f 2c 20
        """
    )
    + _S7_SESSION_ID
    + _h("13 01 00 00 2e 00 33 00 24 00 1d 00 20")
    + _S7_SERVER_X25519_PUBLIC
    + _h("00 2b 00 02 03 04")
)

_S7_CERTIFICATE_VERIFY = _h(
    """
    0f 00 00 84 08 04 00 80 a2 30 1a 68 dd 1c ee e6 93 8f e9 d4 0c 46 b9 20
    1b 34 d5 99 52 a3 7e 06 52 3a 39 cf 8b a6 c9 c8 b6 8a e9 44 92 af 78 05
    16 ed 7b 73 c8 28 12 e9 9d d3 fa be a4 5e 09 d9 c6 84 87 21 c2 80 8c 61
    50 1b 0c 75 e7 fc ab a5 f7 8b ef 68 a2 c2 b6 9b 19 55 8b 3e 40 38 7e ea
    93 d2 5c 77 81 c1 cc 00 e9 f5 19 f7 e2 e4 ad b7 3e 76 d6 60 89 00 0a 2d
    c8 66 c2 ed 30 bb a5 0a 0d 45 7f 19 dc 6e b9 f3
    """
)

_S7_SERVER_FINISHED_VERIFY_DATA = _h(
    """
    c8 c3 a8 f1 bf f5 27 40 61 f4 bc 3a 7c af fb dc 96 16 09 4c a6 25 ca a6
    5f 8e 76 ed 46 db 74 d3
    """
)

_S7_CLIENT_FINISHED_VERIFY_DATA = _h(
    """
    69 2c ab 15 5c c6 c1 00 ea d6 07 33 d0 61 7f 6f b0 9b 71 aa 1e 8c 9a cc
    bb bc 9e 8e d3 36 c1 dd
    """
)

# ChangeCipherSpec record (type 20, one octet 01), sent once by each side.
_CHANGE_CIPHER_SPEC_RECORD = _h("14 03 03 00 01 01")

COMPAT = {
    # {client} create an ephemeral x25519 key pair
    "client_x25519_private": _h(
        """
        de a0 0b 45 69 5d c7 81 f1 9d 34 a6 2c 1a fd 31 ab 43 69 af 1e 85 5a 3b
        bb 25 8d 84 42 cd e6 d7
        """
    ),
    "client_x25519_public": _S7_CLIENT_X25519_PUBLIC,
    # {client} construct a ClientHello handshake message (224 octets, with a
    # 32-octet legacy_session_id) / send handshake record
    "legacy_session_id": _S7_SESSION_ID,
    "client_hello": _S7_CLIENT_HELLO,
    "client_hello_record": _h("16 03 01 00 e0") + _S7_CLIENT_HELLO,
    # {server} extract secret "early"
    "early_secret": SIMPLE_1RTT["early_secret"],
    # {server} create an ephemeral x25519 key pair
    "server_x25519_private": _h(
        """
        01 7c 38 a3 64 79 21 ca 2d 9e d6 bd 7a e7 13 2b 94 21 1b 13 31 bb 20 8c
        8c cd d5 15 56 40 99 95
        """
    ),
    "server_x25519_public": _S7_SERVER_X25519_PUBLIC,
    # {server} construct a ServerHello handshake message (echoes the session
    # id) / send handshake record
    "server_hello": _S7_SERVER_HELLO,
    "server_hello_record": _h("16 03 03 00 7a") + _S7_SERVER_HELLO,
    # {server} derive secret for handshake "tls13 derived"
    "derived_for_handshake": SIMPLE_1RTT["derived_for_handshake"],
    # {server} extract secret "handshake" (IKM: see "Provenance")
    "ecdhe_shared_secret": _h(
        """
        ee f7 90 55 90 77 db 5b b6 3b 66 84 e4 16 9f 05 1e 8f b3 4c e5 9b af ce
        2f 9c 8e e6 8c c4 eb 79
        """
    ),
    "handshake_secret": _h(
        """
        f9 17 61 35 4a 67 e9 b0 7c 6d cc 3a 55 70 7e fa 69 c4 51 9d 80 40 e5 f2
        15 12 1e 0d f6 9a fa 4a
        """
    ),
    # (see "Provenance")
    "transcript_hash_server_hello": _h(
        """
        74 5c 55 ba c3 99 31 0b 7b 5a 7c 81 a2 c1 30 b4 d5 6d ff 6f 68 c3 ab 47
        78 57 60 1e 01 f1 f8 d1
        """
    ),
    # {server} derive secret "tls13 c hs traffic"
    "client_handshake_traffic_secret": _h(
        """
        2c 3c b2 4a 10 81 ed b5 95 18 ee 68 61 e8 9a 6b 72 b3 80 1a fe 77 13 e4
        cb bc 21 c0 79 5b f8 31
        """
    ),
    # {server} derive secret "tls13 s hs traffic"
    "server_handshake_traffic_secret": _h(
        """
        ca ce 3d 55 5c c1 c5 77 cf 97 0c ff 28 cf 97 8d 6a 98 00 08 54 42 e1 8d
        69 5b 50 f3 15 1d 18 c8
        """
    ),
    # {server} derive secret for master "tls13 derived"
    "derived_for_master": _h(
        """
        5d a1 2d c4 78 35 ba 73 fd d9 94 b1 4a b7 e6 3c c6 3f 0d 79 16 2f 67 56
        e9 a4 67 56 c8 b2 b6 42
        """
    ),
    # {server} extract secret "master" (see "Provenance")
    "master_secret": _h(
        """
        62 81 12 da e2 f7 02 48 80 63 e4 2d e6 c8 50 a5 c0 82 0b 90 90 3e 00 ab
        c3 18 75 da 03 d4 bc 5b
        """
    ),
    # {server} derive write traffic keys for handshake data
    "server_handshake_key": _h("04 10 91 fd ab 29 f2 c8 ab fb 15 6d c5 fc 8d 54"),
    "server_handshake_iv": _h("74 64 d7 91 68 5d e0 59 98 fc ba db"),
    # {server} send a ChangeCipherSpec record (after the ServerHello)
    "server_change_cipher_spec_record": _CHANGE_CIPHER_SPEC_RECORD,
    # {server} construct EncryptedExtensions (the same octets as Section 3) /
    # Certificate / CertificateVerify
    "encrypted_extensions": _S3_ENCRYPTED_EXTENSIONS,
    "certificate": CERTIFICATE_MESSAGE,
    "certificate_verify": _S7_CERTIFICATE_VERIFY,
    # {server} calculate finished "tls13 finished" (finished key: see
    # "Provenance")
    "server_finished_key": _h(
        """
        2c 9f 72 f2 7b 81 e7 df 66 8c ac cd 49 37 1f 12 86 d4 11 e1 6c 8c cc 1c
        0d 9a ed 72 cb bd c0 80
        """
    ),
    "server_finished_verify_data": _S7_SERVER_FINISHED_VERIFY_DATA,
    "server_finished": _h("14 00 00 20") + _S7_SERVER_FINISHED_VERIFY_DATA,
    # {server} send handshake record (payload 657 octets, record 679 octets)
    "server_flight_payload": (
        _S3_ENCRYPTED_EXTENSIONS
        + CERTIFICATE_MESSAGE
        + _S7_CERTIFICATE_VERIFY
        + _h("14 00 00 20")
        + _S7_SERVER_FINISHED_VERIFY_DATA
    ),
    "server_flight_record": _h(
        """
        17 03 03 02 a2 48 de 89 1d 9c 36 24 a6 7a 6c 6f 06 01 ab 7a c2 0c 1f 6a
        9e 14 d2 e6 00 7e 99 9e 13 03 67 a8 af 1b cf ea 94 98 fb ce 19 df 45 05
        ee ce 3a 25 da 52 3c be 55 ea 1b 3b da 4e 91 99 5e 45 5d 50 0a 4f aa 62
        27 b7 11 1e 1c 85 47 e2 d7 c1 79 db 21 53 03 d2 58 27 f3 cd 18 f4 8f 64
        91 32 8c f5 c0 f8 14 d3 88 15 0b d9 e9 26 4a ae 49 1d b6 99 50 69 be a1
        76 65 d5 e0 c8 17 28 4d 4a c2 18 80 05 4c 36 57 33 1e 23 a9 30 4d c8 8a
        15 c0 4e c8 0b d3 85 2b f7 f9 d3 c6 61 5b 15 fa c8 3b bc a0 31 c6 d2 31
        0d 9f 5d 7a 4b 02 0a 4f 7c 19 06 2b 65 c0 5a 1d 32 64 b5 57 ec 9d 8e 0f
        7c ee 27 e3 6f 79 30 39 de 8d d9 6e df ca 90 09 e0 65 10 34 bf f3 1d 7f
        34 9e ec e0 1d 99 fc b5 fc ab 84 0d 77 07 c7 22 99 c3 b5 d0 45 64 e8 80
        a3 3c 5e 84 6c 76 2e 3d 92 2b b5 53 03 d1 d8 7c c0 f0 65 73 f1 7d cb 9b
        8f fd 35 bb d8 83 c1 cb 3a a2 4f cc 32 50 05 f7 68 ce 2f b6 24 ca 97 b6
        c4 d9 8e 17 f3 5b c2 c7 94 0a 06 10 0c 2d 44 8d b7 18 0b 2d 86 21 64 43
        5c 9c 21 0e 98 60 39 4e 05 aa b2 3f f1 b0 20 3f 66 2c 58 8d a5 bc 44 11
        47 7a 30 b4 11 36 c4 88 a0 a6 3f ca b5 c1 5a c6 13 22 6d ae 82 7a 1d 1f
        e9 5e ce 6b 30 bc ee 15 60 a8 d4 08 d2 64 55 5e 76 0f 9b fc 62 4c 2c 87
        fd 04 56 c9 bf b4 1b cd 1a 7b 21 27 86 d2 b6 7f d5 78 04 fa cf a1 ee f7
        cf 29 19 d8 b9 98 c9 78 9f 76 3b 4d 9c aa 09 3a 9d ed 43 17 5d 46 a7 6b
        4d 54 f0 ce 0c 5d 22 59 b6 07 e3 0a 9d 24 12 63 87 4f a5 9d 6f 57 0d c4
        0d 83 a2 d8 3b f9 e9 85 0d 45 4c 57 80 65 35 a8 99 8a e0 35 7d f9 2f 00
        b9 66 73 44 c2 41 14 cc c9 ef 53 91 24 b2 04 e7 e6 e7 48 c3 0a 28 a3 d1
        d1 83 99 72 43 ea cc bb d3 3b 0c 11 15 a0 32 71 06 a1 e6 a7 52 71 d4 98
        30 86 f6 32 ff 0e b8 b4 c6 31 02 cb ce f5 bb 72 da e1 27 9d 5d e8 eb 19
        09 6d 8c db 07 fa 8e a9 89 78 8f ac 23 e6 6e 04 88 c1 93 f3 f3 fe a8 c8
        83 88 96 bf 3a e4 b6 84 8d 42 ce d4 bd f4 1a be 6f c3 31 b4 42 25 e7 a1
        f7 d3 56 41 47 d5 45 8e 71 aa 90 9c b0 2b e9 58 bb c4 2e 3a a5 a2 7c c6
        ea f4 b6 fe 51 ae 44 95 69 4d 8a b6 32 0a ab 92 01 83 fd 5b 31 a3 59 04
        2f bd 67 39 1e c5 e4 d1 89 2a 2e 52 10 14 1a 49 4e 93 01 b2 4a 11 3c 47
        4c 7f 2a 73 45 78 47
        """
    ),
    # the "hash" input of "tls13 c ap traffic" (see "Provenance")
    "transcript_hash_server_finished": _h(
        """
        07 07 dc ac 7b 2f a4 28 cc 7f 69 16 94 a2 59 0c 80 6a aa 5c 0c f5 08 7e
        d5 38 50 12 e7 f9 6c d4
        """
    ),
    # {server} derive secret "tls13 c ap traffic"
    "client_application_traffic_secret": _h(
        """
        74 3e 4c 6b 56 cf 39 09 d1 b0 6d 01 95 6c cd 2c 4b 37 75 84 49 ae c4 1d
        98 da e4 49 24 ea a2 99
        """
    ),
    # {server} derive secret "tls13 s ap traffic"
    "server_application_traffic_secret": _h(
        """
        b6 b8 14 4a a3 35 ed 30 59 c0 c9 c8 f0 ec ab f7 af c9 4a f6 64 3b de cd
        fd 92 10 18 8f ab 74 51
        """
    ),
    # {server} derive secret "tls13 exp master"
    "exporter_master_secret": _h(
        """
        fb 69 12 1c ea 33 4d b4 59 e1 22 72 d1 79 ba ca 23 69 b6 43 d1 1a 6a c7
        2b 8b 27 a5 c9 64 fe b1
        """
    ),
    # {server} derive write traffic keys for application data
    "server_application_key": _h("ed c4 cb d0 04 1c 28 cc 71 67 44 1d 7c a5 3e 6a"),
    "server_application_iv": _h("bf 6c 7d 8e 0a 95 45 b4 27 dc f1 39"),
    # {server} derive read traffic keys for handshake data
    "client_handshake_key": _h("62 d1 3c 13 ff d7 40 2f c1 c0 9e 3d 16 36 65 cb"),
    "client_handshake_iv": _h("71 66 f2 00 28 bf 14 6d cf bd 5a 40"),
    # {client} send a ChangeCipherSpec record (before its Finished)
    "client_change_cipher_spec_record": _CHANGE_CIPHER_SPEC_RECORD,
    # {client} calculate finished "tls13 finished" (finished key and
    # verify_data: see "Provenance"; the Finished message is the plaintext
    # of client_finished_record)
    "client_finished_key": _h(
        """
        77 34 1a bc 8c 0f fa b5 18 07 36 71 3e 41 d2 f6 65 c4 10 a4 04 c8 c2 1e
        dc d9 48 a4 44 0f d8 0c
        """
    ),
    "client_finished_verify_data": _S7_CLIENT_FINISHED_VERIFY_DATA,
    "client_finished": _h("14 00 00 20") + _S7_CLIENT_FINISHED_VERIFY_DATA,
    # {client} send handshake record
    "client_finished_record": _h(
        """
        17 03 03 00 35 32 d0 30 e2 73 77 3a 86 96 c7 99 98 1a f6 ce d0 7f 87 48
        2e 81 56 5e 39 4e 87 c8 67 f3 3d f3 d6 5b 75 06 f1 a6 26 af 91 d4 82 1d
        5f 7a 1f 21 0e f8 dd 3c 6d 16
        """
    ),
    # {client} derive write traffic keys for application data
    "client_application_key": _h("33 d7 f9 70 97 56 c9 66 48 8a d4 43 84 37 e6 73"),
    "client_application_iv": _h("c5 f3 0d 34 b0 e9 1b 7d 6c 8e ea 65"),
    # the "hash" input of "tls13 res master" (see "Provenance")
    "transcript_hash_client_finished": _h(
        """
        a0 21 d3 a0 5b d4 18 a7 72 81 38 75 ef 79 b0 af 68 c5 12 32 15 42 7a b7
        33 3f 8c 27 72 2a 9f d5
        """
    ),
    # {client} derive secret "tls13 res master"
    "resumption_master_secret": _h(
        """
        0b 5d 44 07 ce a0 a4 2a 3a 81 dd 47 76 47 b7 fe 91 80 db 29 7e 51 14 f1
        ad 87 96 b4 dc 47 50 04
        """
    ),
    # {client} send alert record / {server} send alert record
    "alert": _CLOSE_NOTIFY,
    "client_alert_record": _h(
        """
        17 03 03 00 13 0f 62 91 55 38 2d ba 23 c4 e2 c5 f7 f8 4e 6f 2e d3 08 3d
        """
    ),
    "server_alert_record": _h(
        """
        17 03 03 00 13 b7 25 7b 0f ec af 69 d4 f0 9e 3f 89 1e 2a 25 d1 e2 88 45
        """
    ),
}
