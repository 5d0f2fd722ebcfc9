"""`port443 cert ca/issue/csr/trust --dry-run/inspect` driven as a user would, against real peers."""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from pki_servers import openssl_server
from port443.cli.cert import cert
from port443.pki.issue import generate_key

pytestmark = pytest.mark.interop


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A data dir of our own: never the real one."""
    monkeypatch.setenv("PORT443_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def run(*args: str):
    return CliRunner().invoke(cert, list(args))


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """The installed `port443` entry point, in a real process."""
    return subprocess.run([sys.executable, "-m", "port443", "cert", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=60, env=os.environ.copy())


def test_ca_prints_the_fingerprint_and_keeps_the_key_0600(home):
    made = run("ca")
    assert made.exit_code == 0, made.output
    root = x509.load_pem_x509_certificate((home / "ca" / "rootCA.pem").read_bytes())
    fingerprint = root.fingerprint(hashes.SHA256()).hex(":").upper()
    assert fingerprint in made.output
    assert stat.S_IMODE((home / "ca" / "rootCA-key.pem").stat().st_mode) == 0o600
    again = run("ca")
    assert again.exit_code == 0 and "already exists" in again.output and fingerprint in again.output


def test_issue_then_curl_and_python_ssl_accept_it(home, tmp_path):
    assert run("ca").exit_code == 0
    out = tmp_path / "certs"
    issued = run("issue", "localhost", "127.0.0.1", "--out", str(out))
    assert issued.exit_code == 0, issued.output
    chain, key = out / "localhost.pem", out / "localhost-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    cafile = str(home / "ca" / "rootCA.pem")
    with openssl_server(chain, key, www=True) as port:
        for url in (f"https://localhost:{port}/", f"https://127.0.0.1:{port}/"):
            curl = subprocess.run(["curl", "-sS", "--fail", "--cacert", cafile, "-o", "/dev/null", url],
                                  capture_output=True, text=True, timeout=30)
            assert curl.returncode == 0, curl.stderr
        context = ssl.create_default_context(cafile=cafile)
        for host in ("localhost", "127.0.0.1"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname=host) as tls:
                    assert tls.getpeercert()["subject"] == ((("commonName", "localhost"),),)
        # and our own inspect, over the network with our engine, says the same
        report = run("inspect", f"localhost:{port}", "--cafile", cafile, "--json")
        assert report.exit_code == 0, report.output
        assert json.loads(report.stdout)["trusted"] is True


@pytest.mark.parametrize("key_type, kind", [("rsa2048", "RSA 2048"), ("rsa3072", "RSA 3072"),
                                            ("ecdsa-p384", "ECDSA P-384"), ("ed25519", "Ed25519")])
def test_issue_key_types(home, tmp_path, key_type, kind):
    assert run("ca").exit_code == 0
    assert run("issue", "*.example.test", "--key-type", key_type, "--out", str(tmp_path)).exit_code == 0
    chain = tmp_path / "_wildcard.example.test.pem"
    report = json.loads(run("inspect", str(chain), "--cafile", str(home / "ca" / "rootCA.pem"),
                            "--name", "www.example.test", "--json").stdout)
    assert report["certificates"][0]["key"] == kind and report["trusted"] and report["diagnoses"] == []
    verify = subprocess.run(["openssl", "verify", "-CAfile", str(home / "ca" / "rootCA.pem"), "-purpose", "sslserver",
                             "-verify_hostname", "www.example.test", str(chain)], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_issue_writes_to_the_current_directory_by_default(home, tmp_path):
    assert cli("ca").returncode == 0
    done = cli("issue", "localhost", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "localhost.pem").exists() and (tmp_path / "localhost-key.pem").exists()
    again = cli("issue", "localhost", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr and "--force" in again.stderr
    assert cli("issue", "localhost", "--force", cwd=tmp_path).returncode == 0


def test_issue_without_a_ca_says_how_to_make_one(home, tmp_path):
    done = cli("issue", "localhost", "--out", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "port443 cert ca" in done.stderr


def test_issue_refuses_bad_names(home, tmp_path):
    assert run("ca").exit_code == 0
    done = cli("issue", "*.com", "--out", str(tmp_path))
    assert done.returncode == 2 and "public suffix" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("names, stem", [(["shop.example.com"], "shop.example.com"),
                                         (["example.com", "www.example.com", "api.example.com"], "example.com"),
                                         (["*.example.com"], "_wildcard.example.com")])
def test_csr_passes_openssl_req_verify(tmp_path, names, stem):
    done = run("csr", *names, "--out", str(tmp_path), "--org", "Example Ltd", "--locality", "Berlin",
               "--state", "Berlin", "--country", "DE")
    assert done.exit_code == 0, done.output
    csr_path, key_path = tmp_path / f"{stem}.csr", tmp_path / f"{stem}-key.pem"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    verify = subprocess.run(["openssl", "req", "-in", str(csr_path), "-verify", "-noout"],
                            capture_output=True, text=True)
    assert verify.returncode == 0 and "verify OK" in verify.stdout + verify.stderr
    subject = subprocess.run(["openssl", "req", "-in", str(csr_path), "-noout", "-subject"],
                             capture_output=True, text=True).stdout
    assert "C = DE" in subject and "O = Example Ltd" in subject and f"CN = {names[0]}" in subject
    request = x509.load_pem_x509_csr(csr_path.read_bytes())
    san = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == names
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    assert key.public_key() == request.public_key()


def test_csr_bad_country_is_one_line(tmp_path):
    done = cli("csr", "example.com", "--country", "Germany", "--out", str(tmp_path))
    assert done.returncode == 2 and "two-letter" in done.stderr and done.stderr.count("\n") == 1


@pytest.mark.parametrize("platform, expected", [
    ("debian", "update-ca-certificates"), ("fedora", "update-ca-trust extract"),
    ("macos", "security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain"),
    ("windows", "-addstore -f ROOT"),
])
def test_trust_dry_run_prints_each_platforms_commands(home, platform, expected):
    assert run("ca").exit_code == 0
    done = run("trust", "--dry-run", "--platform", platform)
    assert done.exit_code == 0 and expected in done.output
    assert str(home / "ca" / "rootCA.pem") in done.output
    undone = run("untrust", "--dry-run", "--platform", platform)
    assert undone.exit_code == 0 and undone.output != done.output


def test_trust_platform_needs_dry_run(home):
    assert run("ca").exit_code == 0
    done = run("trust", "--platform", "macos")
    assert done.exit_code == 2 and "--dry-run" in done.output


def test_bad_files_get_one_line_and_exit_2(tmp_path, home):
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(os.urandom(300))
    assert run("ca").exit_code == 0
    assert run("issue", "localhost", "--out", str(tmp_path)).exit_code == 0
    chain, key = tmp_path / "localhost.pem", tmp_path / "localhost-key.pem"
    locked = tmp_path / "locked-key.pem"
    locked.write_bytes(serialization.load_pem_private_key(key.read_bytes(), None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")))
    other = tmp_path / "other-key.pem"
    other.write_bytes(generate_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption()))
    cases = [
        (["inspect", str(garbage)], "not a certificate"),
        (["inspect", str(chain), "--key", str(locked), "--password", "nope"], "wrong password"),
        (["inspect", str(chain), "--key", str(locked)], "encrypted"),
        (["inspect", str(chain), "--key", str(other)], "does not belong"),
        (["inspect", str(chain), "--cafile", str(garbage)], str(garbage)),
        (["inspect", "localhost:99999"], "not a port number"),
    ]
    for args, says in cases:
        done = cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert says in done.stderr and "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    matching = cli("inspect", str(chain), "--key", str(locked), "--password", "pw",
                   "--cafile", str(home / "ca" / "rootCA.pem"))
    assert matching.returncode == 0, matching.stdout + matching.stderr


def test_unreachable_host_is_exit_3(home):
    with socket.socket() as probe:  # a port nobody listens on: bound, never listening
        probe.bind(("127.0.0.1", 0))
        done = cli("inspect", f"127.0.0.1:{probe.getsockname()[1]}", "--timeout", "5")
    assert done.returncode == 3 and "cannot connect" in done.stderr and done.stderr.count("\n") == 1


def test_inspect_shows_the_chain_for_a_person(home, tmp_path):
    assert run("ca").exit_code == 0
    assert run("issue", "localhost", "--out", str(tmp_path)).exit_code == 0
    done = cli("inspect", str(tmp_path / "localhost.pem"), "--cafile", str(home / "ca" / "rootCA.pem"))
    assert done.returncode == 0, done.stderr
    for label in ("issuer", "valid", "names", "key", "signature", "SHA-256", "SHA-1", "Trusted", "No problems"):
        assert label in done.stdout
    mozilla = cli("inspect", str(tmp_path / "localhost.pem"))
    assert mozilla.returncode == 1 and "missing-intermediate" in mozilla.stdout and "fix:" in mozilla.stdout


def test_help_documents_the_exit_codes():
    done = cli("--help")
    assert done.returncode == 0
    for code in ("0 ", "1 ", "2 ", "3 ", "4 "):
        assert f"\n  {code}" in done.stdout
