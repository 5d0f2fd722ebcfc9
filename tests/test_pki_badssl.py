"""Acceptance 1 and 2 of issue 4: the badssl.com-style set, built locally.

Each fixture yields exactly its diagnosis codes, from `cert inspect FILE` and
from `cert inspect localhost:PORT` against a real `openssl s_server`
presenting it; and `openssl verify` agrees with us on trusted vs untrusted.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes

from pki_factory import BADSSL_SET, build_fixtures
from pki_servers import openssl_server
from port443.cli.cert import cert
from port443.pki.codes import CODES

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def fixture_set():
    return build_fixtures()


@pytest.fixture(scope="module")
def files(fixture_set, tmp_path_factory):
    base = tmp_path_factory.mktemp("badssl")
    roots = fixture_set.write_roots(base / "roots.pem")
    return roots, {name: f.write(base / name) for name, f in fixture_set.fixtures.items()}


def _inspect(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cert, ["inspect", *args, "--json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def _expected_exit(fixture) -> int:
    """1 when anything is an error (documented exit code), else 0: a warning alone still passes."""
    errors = [c for c in fixture.codes if CODES[c][0] == "error"]
    return 1 if errors or not fixture.trusted else 0


def test_the_set_is_complete(fixture_set):
    assert sorted(fixture_set.fixtures) == sorted(BADSSL_SET)


@pytest.mark.parametrize("name", BADSSL_SET)
def test_inspect_file_yields_exactly_its_codes(name, fixture_set, files):
    fixture, (roots, paths) = fixture_set.fixtures[name], files
    code, report = _inspect(str(paths[name]["chain"]), "--cafile", str(roots), "--name", fixture.host)
    assert {d["code"] for d in report["diagnoses"]} == fixture.codes, report["diagnoses"]
    assert report["trusted"] is fixture.trusted, report["reason"]
    assert code == _expected_exit(fixture)
    assert len(report["certificates"]) == len(fixture.chain)


@pytest.mark.parametrize("name", BADSSL_SET)
def test_inspect_host_yields_exactly_its_codes(name, fixture_set, files):
    fixture, (roots, paths) = fixture_set.fixtures[name], files
    with openssl_server(paths[name]["leaf"], paths[name]["key"], paths[name].get("rest")) as port:
        # exactly `cert inspect localhost:PORT`; --name only where the fixture is about another name
        name = [] if fixture.host == "localhost" else ["--name", fixture.host]
        code, report = _inspect(f"localhost:{port}", "--cafile", str(roots), *name)
    assert report["source"] == "host" and report["address"] == "127.0.0.1"
    assert report["server_name"] == fixture.host and report["name_checked"]
    sent = [c.fingerprint(hashes.SHA256()).hex(":").upper() for c in fixture.chain]
    assert [c["sha256"] for c in report["certificates"]] == sent  # the chain exactly as the server sent it
    assert {d["code"] for d in report["diagnoses"]} == fixture.codes, report["diagnoses"]
    assert report["trusted"] is fixture.trusted
    assert code == _expected_exit(fixture)


@pytest.mark.parametrize("name", BADSSL_SET)
def test_openssl_verify_agrees_on_trust(name, fixture_set, files):
    fixture, (roots, paths) = fixture_set.fixtures[name], files
    argv = ["openssl", "verify", "-CAfile", str(roots), "-purpose", "sslserver",
            "-verify_hostname", fixture.host, "-auth_level", "2"]
    if "rest" in paths[name]:
        argv += ["-untrusted", str(paths[name]["rest"])]
    done = subprocess.run(argv + [str(paths[name]["leaf"])], capture_output=True, text=True, timeout=30)
    openssl_trusts = done.returncode == 0 and done.stdout.strip().endswith(": OK")
    assert openssl_trusts is fixture.trusted, done.stdout + done.stderr


def _engine_verification(port: int, host: str, roots) -> object:
    """Our TLS engine as a client in "report" mode: the CertificateVerified event's ChainVerification."""
    import socket

    from port443.pki.trust import TrustStore
    from port443.tls import CertificateVerified, ClientConfig, ClientConnection, TLSError

    conn = ClientConnection(ClientConfig(server_name=host, trust_store=TrustStore(list(roots)), verify="report"))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(conn.data_to_send())
        while True:
            data = sock.recv(65536)
            assert data, "server closed before the certificate was verified"
            try:
                events = conn.receive_data(data)
            except TLSError as exc:  # a later handshake step may fail; the verification came first
                events = exc.events
            for event in events:
                if isinstance(event, CertificateVerified):
                    return event.verification
            sock.sendall(conn.data_to_send())


@pytest.mark.parametrize("name", BADSSL_SET)
def test_the_engines_certificate_event_carries_the_diagnoses(name, fixture_set, files):
    fixture, (_, paths) = fixture_set.fixtures[name], files
    with openssl_server(paths[name]["leaf"], paths[name]["key"], paths[name].get("rest")) as port:
        verification = _engine_verification(port, fixture.host, fixture_set.roots)
    assert verification.trusted is fixture.trusted
    assert {d.code for d in verification.diagnoses} == fixture.codes
