"""`port443 cert trust` really installs the local CA on this Debian machine, and `untrust` removes it.

This changes the system trust store (the test machine and CI run as root), so
whatever happens, the finally-block takes our root out again and checks that
the system bundle holds exactly what it held before.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from pki_servers import openssl_server
from port443.pki.trust import load_pem_certificates

pytestmark = pytest.mark.interop

CERTS_DIR = Path("/etc/ssl/certs")
BUNDLE = CERTS_DIR / "ca-certificates.crt"
LOCAL_DIR = Path("/usr/local/share/ca-certificates")


def cli(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "port443", "cert", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def curl_without_cacert(port: int) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--fail", "-o", "/dev/null", f"https://localhost:{port}/"],
                          capture_output=True, text=True, timeout=30)


def bundle_fingerprints() -> set[str]:
    return {c.fingerprint(hashes.SHA256()).hex() for c in load_pem_certificates(BUNDLE.read_bytes(), str(BUNDLE))}


def test_trust_installs_the_root_for_curl_and_untrust_removes_it(tmp_path):
    assert os.geteuid() == 0, "this test installs into the system trust store: run it as root (CI does)"
    env = {**os.environ, "PORT443_HOME": str(tmp_path / "home")}
    assert cli("ca", env=env).returncode == 0
    assert cli("issue", "localhost", "--out", str(tmp_path), env=env).returncode == 0
    root = x509.load_pem_x509_certificate((tmp_path / "home" / "ca" / "rootCA.pem").read_bytes())
    ours = root.fingerprint(hashes.SHA256()).hex()
    installed = LOCAL_DIR / f"port443-{ours[:16]}.crt"
    before, links_before = bundle_fingerprints(), sorted(os.listdir(CERTS_DIR))
    assert ours not in before
    try:
        with openssl_server(tmp_path / "localhost.pem", tmp_path / "localhost-key.pem", www=True) as port:
            refused = curl_without_cacert(port)
            assert refused.returncode == 60, refused.stderr  # curl: peer certificate cannot be authenticated

            trusted = cli("trust", env=env)
            assert trusted.returncode == 0, trusted.stderr
            assert installed.exists() and ours in bundle_fingerprints()
            accepted = curl_without_cacert(port)
            assert accepted.returncode == 0, accepted.stderr

            untrusted = cli("untrust", env=env)
            assert untrusted.returncode == 0, untrusted.stderr
            assert not installed.exists() and ours not in bundle_fingerprints()
            assert curl_without_cacert(port).returncode == 60
    finally:
        if installed.exists() or ours in bundle_fingerprints() or sorted(os.listdir(CERTS_DIR)) != links_before:
            installed.unlink(missing_ok=True)
            subprocess.run(["update-ca-certificates", "--fresh"], capture_output=True, timeout=120)
        # the system store is as we found it: the same roots in the bundle, the same links beside it
        assert bundle_fingerprints() == before
        assert sorted(os.listdir(CERTS_DIR)) == links_before
