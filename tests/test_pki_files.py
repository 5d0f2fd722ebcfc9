"""Reading certificates and keys (bad input gets one line), writing keys 0600, the data dir."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings, strategies as st

from port443.pki import localca
from port443.pki.files import (PkiFileError, key_matches, load_certificates, load_private_key, parse_certificates,
                               parse_private_key, pem_chain, require_key_matches, write_private_key)
from port443.pki.issue import generate_key, issue_leaf, make_ca


@pytest.fixture(scope="module")
def leaf():
    return issue_leaf(make_ca(), ["localhost"])


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_pem_bundle_and_der_both_load(tmp_path, leaf):
    (tmp_path / "chain.pem").write_bytes(pem_chain(leaf.chain))
    (tmp_path / "leaf.der").write_bytes(leaf.certificate.public_bytes(serialization.Encoding.DER))
    assert load_certificates(tmp_path / "chain.pem") == list(leaf.chain)
    assert load_certificates(tmp_path / "leaf.der") == [leaf.certificate]


@pytest.mark.parametrize("content, says", [
    (b"garbage\x00\x01", "not a certificate"),
    (b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n", "damaged"),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "holds no certificate"),
])
def test_garbage_certificate_files_get_one_line(tmp_path, content, says):
    path = tmp_path / "bad.pem"
    path.write_bytes(content)
    with pytest.raises(PkiFileError) as exc:
        load_certificates(path)
    assert says in _one_line(exc) and str(path) in str(exc.value)


def test_missing_file(tmp_path):
    with pytest.raises(PkiFileError) as exc:
        load_certificates(tmp_path / "nope.pem")
    assert "no such file" in _one_line(exc)


def test_encrypted_key_needs_the_right_password(tmp_path, leaf):
    path = tmp_path / "key.pem"
    path.write_bytes(leaf.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(b"s3cret")))
    assert key_matches(leaf.certificate, load_private_key(path, "s3cret"))
    with pytest.raises(PkiFileError) as exc:
        load_private_key(path, "wrong")
    assert "wrong password" in _one_line(exc)
    with pytest.raises(PkiFileError) as exc:
        load_private_key(path)
    assert "--password" in _one_line(exc)


def test_unencrypted_key_with_a_password(tmp_path, leaf):
    path = write_private_key(tmp_path / "key.pem", leaf.key)
    with pytest.raises(PkiFileError) as exc:
        load_private_key(path, "pw")
    assert "not encrypted" in _one_line(exc)


def test_key_that_does_not_match(leaf):
    with pytest.raises(PkiFileError) as exc:
        require_key_matches(leaf.certificate, generate_key(), "other-key.pem")
    assert "does not belong" in _one_line(exc)


def test_private_keys_are_created_0600_even_over_an_open_file(tmp_path, leaf):
    path = tmp_path / "key.pem"
    path.write_bytes(b"old")
    path.chmod(0o644)
    write_private_key(path, leaf.key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_matches(leaf.certificate, load_private_key(path))


@pytest.mark.parametrize("environ, platform, expected", [
    ({"PORT443_HOME": "/x/p"}, "linux", "/x/p"),
    ({"PORT443_HOME": "/x/p"}, "darwin", "/x/p"),
    ({}, "linux", "/home/u/.local/share/port443"),
    ({"XDG_DATA_HOME": "/xdg"}, "linux", "/xdg/port443"),
    ({}, "darwin", "/home/u/Library/Application Support/port443"),
    ({"LOCALAPPDATA": "C:/Users/u/AppData/Local"}, "win32", "C:/Users/u/AppData/Local/port443"),
])
def test_data_dir_follows_each_platform(environ, platform, expected):
    assert localca.data_dir(environ, platform, Path("/home/u")) == Path(expected)


def test_local_ca_root_key_is_0600_and_reloads(tmp_path):
    made = localca.create_ca(tmp_path / "ca")
    assert stat.S_IMODE(made.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "ca").stat().st_mode) == 0o700
    again = localca.load_ca(tmp_path / "ca")
    assert again.fingerprint == made.fingerprint and len(made.fingerprint.split(":")) == 32
    with pytest.raises(PkiFileError):
        localca.create_ca(tmp_path / "ca")  # never overwrites a root


@given(st.binary(max_size=600))
@settings(max_examples=300)
def test_certificate_parser_fuzz_only_raises_our_error(data):
    try:
        parse_certificates(data)
    except PkiFileError as exc:
        assert "\n" not in str(exc)


@given(st.binary(max_size=400), st.one_of(st.none(), st.text(max_size=10)))
@settings(max_examples=300)
def test_key_parser_fuzz_only_raises_our_error(data, password):
    try:
        parse_private_key(data, password)
    except PkiFileError as exc:
        assert "\n" not in str(exc)


@given(st.binary(max_size=300))
@settings(max_examples=200)
def test_pem_framed_garbage_only_raises_our_error(body):
    import base64

    for label in (b"CERTIFICATE", b"PRIVATE KEY", b"EC PRIVATE KEY", b"ENCRYPTED PRIVATE KEY"):
        pem = b"-----BEGIN " + label + b"-----\n" + base64.encodebytes(body) + b"-----END " + label + b"-----\n"
        for parse in (parse_certificates, lambda d: parse_private_key(d, "pw"), parse_private_key):
            try:
                parse(pem)
            except PkiFileError:
                pass
