"""JA3, JA3S, JA4 and JA4S against the values their specifications publish.

Sources (read with the search tool, values copied into the tests):
- JA3: salesforce/ja3 README.md, "How it works": the two example strings and
  their MD5s (ada70206e40642a3e4461f35503241d5, de350869b8c85de67a350c8d186f11e6).
- JA4: FoxIO-LLC/ja4 technical_details/JA4.md: the Chrome-like example hello
  (15 ciphers, 16 extensions, h2, 8 signature algorithms) whose JA4 is
  t13d1516h2_8daaf6152771_e5627efa2ab1, with its JA4_r, JA4_o and JA4_ro, and
  the ALPN rules for non-alphanumeric bytes.
- JA4S: FoxIO-LLC/ja4 technical_details/JA4S.md: t120400_c030_4e8089b08790.
The hellos are built with the engine's own encoders, with the exact lists the
specifications give; GREASE values are then added to show they are ignored.
"""

from __future__ import annotations

import pytest

from port443.observe import fingerprint as fp
from port443.tls import extensions as X
from port443.tls.codec import vec8
from port443.tls.messages import ClientHello, ServerHello


def _hexes(text: str) -> list[int]:
    return [int(x, 16) for x in text.split(",")]


JA4_CIPHERS = _hexes("1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035")
JA4_EXTENSIONS = _hexes("001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015")
JA4_SIGALGS = _hexes("0403,0804,0401,0503,0805,0501,0806,0601")


def ja4_example_hello(grease: bool = False, alpn: list[bytes] | None = None) -> bytes:
    data = {
        0x0000: X.encode_server_name("example.com"),
        0x0010: X.encode_alpn(alpn or [b"h2", b"http/1.1"]),
        0x000D: X.encode_u16_list(([0x0A0A] if grease else []) + JA4_SIGALGS),
        0x002B: X.encode_supported_versions_ch(([0x2A2A] if grease else []) + [0x0304, 0x0303]),
        0x000A: X.encode_u16_list(([0x3A3A] if grease else []) + [29, 23, 24]),
        0x000B: vec8(b"\x00"),
        0xFF01: b"\x00",
    }
    exts = [(t, data.get(t, b"")) for t in JA4_EXTENSIONS]
    ciphers = list(JA4_CIPHERS)
    if grease:
        exts = [(0x1A1A, b"")] + exts[:5] + [(0x4A4A, b"\x00")] + exts[5:]
        ciphers = [0xDADA] + ciphers
    return ClientHello(bytes(range(32)), ciphers, exts).encode()


@pytest.mark.parametrize("grease", [False, True])
def test_ja4_published_example(grease):
    j = fp.ja4_all(ja4_example_hello(grease))
    assert j.fingerprint == "t13d1516h2_8daaf6152771_e5627efa2ab1"
    assert j.raw == ("t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_"
                     "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
                     "0403,0804,0401,0503,0805,0501,0806,0601")
    assert j.original == "t13d1516h2_acb858a92679_18f69afefd3d"
    assert j.original_raw == ("t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_"
                              "001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_"
                              "0403,0804,0401,0503,0805,0501,0806,0601")
    assert fp.ja4(ja4_example_hello(grease)) == j.fingerprint


def test_ja4_extension_order_does_not_matter_but_ja3_does():
    """Chrome permutes its extensions: JA4 sorts them away, JA3 changes."""
    hello = ClientHello.decode(memoryview(ja4_example_hello())[4:])
    shuffled = ClientHello(hello.random, hello.cipher_suites, list(reversed(hello.extensions))).encode()
    assert fp.ja4(shuffled) == "t13d1516h2_8daaf6152771_e5627efa2ab1"
    assert fp.ja3(shuffled)[0] != fp.ja3(ja4_example_hello())[0]


def test_ja4_without_sigalgs_sni_or_alpn():
    hello = ClientHello.decode(memoryview(ja4_example_hello())[4:])
    exts = [(t, d) for t, d in hello.extensions if t not in (0x000D, 0x0000, 0x0010)]
    j = fp.ja4_all(ClientHello(hello.random, hello.cipher_suites, exts).encode())
    # JA4.md: with no signature algorithms the string ends without '_'; its published hash is 6d807ffa2a79.
    assert j.raw.endswith("_0005,000a,000b,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01")
    a, b, c = j.fingerprint.split("_")
    assert a == "t13i151300" and b == "8daaf6152771"
    assert c == fp._sha12("0005,000a,000b,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01")
    assert fp._sha12("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01") == "6d807ffa2a79"


def test_ja4_empty_lists_are_zeros_and_counts_cap_at_99():
    only_sni = ClientHello(bytes(32), [0x0A0A, 0x1301], [(0, X.encode_server_name("a.example"))]).encode()
    assert fp.ja4(only_sni) == f"t12d010100_{fp._sha12('1301')}_000000000000"
    many = ClientHello(bytes(32), list(range(1, 150)), [], legacy_version=0x0301).encode()
    assert fp.ja4(many).startswith("t10i9900")
    assert fp.ja4(only_sni, "q").startswith("q12")
    with pytest.raises(ValueError):
        fp.ja4(only_sni, "x")


@pytest.mark.parametrize("value, label", [
    (b"h2", "h2"), (b"http/1.1", "h1"), (b"h", "hh"),  # JA4.md examples and the single-character rule
    (b"\xab", "ab"), (b"\xab\xcd", "ad"), (b"0\xab", "3b"), (b"01\xab\xcd", "3d"), (b"0\xab\xcd1", "01"),
    (b"", "00"), (None, "00"),
])
def test_ja4_alpn_characters(value, label):
    assert fp.alpn_label(value) == label


def test_ja4_non_ascii_alpn_in_a_hello():
    assert fp.ja4(ja4_example_hello(alpn=[b"0\xab"])).split("_")[0] == "t13d15163b"


def test_ja3_published_examples():
    # salesforce/ja3 README: "769,47-53-5-10-...,0-10-11,23-24-25,0 --> ada70206e40642a3e4461f35503241d5"
    hello = ClientHello(bytes(32), [47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
                        [(0, X.encode_server_name("example.com")), (10, X.encode_u16_list([23, 24, 25])),
                         (11, vec8(b"\x00"))], legacy_version=769).encode()
    assert fp.ja3(hello) == ("769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0",
                             "ada70206e40642a3e4461f35503241d5")
    # "769,4-5-10-9-100-98-3-6-19-18-99,,, --> de350869b8c85de67a350c8d186f11e6": no extensions at all.
    bare = ClientHello(bytes(32), [4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99], [], legacy_version=769).encode()
    assert fp.ja3(bare) == ("769,4-5-10-9-100-98-3-6-19-18-99,,,", "de350869b8c85de67a350c8d186f11e6")


def test_ja3_ignores_grease_everywhere():
    plain, greased = fp.ja3(ja4_example_hello()), fp.ja3(ja4_example_hello(grease=True))
    assert plain == greased
    assert plain[0].startswith("771,4865-4866-4867-49195-")
    assert plain[0].endswith(",29-23-24,0")


def test_ja4s_published_example():
    # JA4S.md: TLS 1.2, cipher c030, extensions 0005,0017,ff01,0000, no ALPN -> t120400_c030_4e8089b08790
    hello = ServerHello(bytes(32), 0xC030, [(5, b""), (0x17, b""), (0xFF01, b"\x00"), (0, b"")]).encode()
    assert fp.ja4s_all(hello) == ("t120400_c030_4e8089b08790", "t120400_c030_0005,0017,ff01,0000")
    assert fp.ja3s(hello)[0] == "771,49200,5-23-65281-0"


def test_ja4s_tls13_reads_supported_versions_and_alpn():
    hello = ServerHello(bytes(32), 0x1301, [(0x2B, b"\x03\x04"), (0x33, X.encode_key_share_sh(29, bytes(32))),
                                            (0x10, X.encode_alpn([b"h2"]))]).encode()
    assert fp.ja4s(hello) == f"t1303h2_1301_{fp._sha12('002b,0033,0010')}"


@pytest.mark.parametrize("raw, why", [
    (b"", "not a ClientHello"),
    (b"\x02\x00\x00\x00", "not a ClientHello"),
    (b"\x01\x00\x00\x05abc", "header says 5 bytes but 3 follow"),
    (b"\x01\x00\x00\x02\x03\x03", "ClientHello does not decode"),
])
def test_malformed_hellos_raise_fingerprint_error(raw, why):
    with pytest.raises(fp.FingerprintError, match=why):
        fp.ja3(raw)
    with pytest.raises(fp.FingerprintError):
        fp.ja4(raw)


def test_malformed_extension_inside_a_valid_hello():
    hello = ClientHello(bytes(32), [0x1301], [(10, b"\x00\x03\x00\x17\x00")]).encode()
    with pytest.raises(fp.FingerprintError, match="supported_groups"):
        fp.ja3(hello)


def test_engine_client_hello_event_raw_is_accepted():
    """The engine's ClientHelloReceived.raw is what serve's page will pass in."""
    from tls_pairs import pair

    client, server = pair(client_kw=dict(alpn_protocols=("h2", "http/1.1")))
    events = server.receive_data(client.data_to_send())
    raw = next(e for e in events if type(e).__name__ == "ClientHelloReceived").raw
    assert fp.ja4(raw).startswith("t13d")
    assert fp.ja4(raw).split("_")[0].endswith("h2")
    assert len(fp.ja3(raw)[1]) == 32
