"""`port443 handshake` against real servers on loopback (issue 5, acceptance 1 and 3).

openssl s_server with TLS 1.3 and TLS 1.2 (RSA key transport and ECDHE),
RSA and ECDSA certificates: the trace's version, suite, group, certificate
subjects and verdict equal what each server was configured with, and every
--json document validates against docs/handshake.schema.json. Then each
failure class, produced for real: closed port, silently dropped connection,
plain HTTP (nginx without TLS), wrong-host and expired certificates, no
common version or suite.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from handshake_helpers import (TLS12_ORDER, TLS13_ORDER, VALIDATOR, assert_order, fields, handshake, handshake_json,
                               titles)
from nginx_server import nginx_server
from peers import LOOPBACK, TIMEOUT, ThreadResult, openssl_server
from pki_factory import build_fixtures
from pki_servers import openssl_server as fixture_server

from port443.net.trace_run import Target, TargetError, parse_target

pytestmark = pytest.mark.interop

INTERMEDIATE = "CN=port443 test intermediate,O=port443"

# (id, key type, s_server arguments, our arguments, expected version, suite, group, key exchange)
SERVERS = [
    ("tls13-ecdsa", "ecdsa-p256", ["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256", "-groups", "X25519"],
     [], "TLSv1.3", "TLS_CHACHA20_POLY1305_SHA256", "x25519", "ECDHE share"),
    ("tls13-rsa-hrr", "rsa2048", ["-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384", "-groups", "secp384r1"],
     [], "TLSv1.3", "TLS_AES_256_GCM_SHA384", "secp384r1", "ECDHE share"),
    ("tls12-rsa-kx", "rsa2048", ["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
     ["--rsa-kx"], "TLSv1.2", "TLS_RSA_WITH_AES_128_GCM_SHA256", None, "RSA-encrypted premaster secret"),
    ("tls12-ecdhe-rsa", "rsa2048", ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-groups", "P-256"],
     ["--tls1.2"], "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "secp256r1", "ECDHE share"),
    ("tls12-ecdhe-ecdsa", "ecdsa-p256", ["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305", "-groups", "X25519"],
     ["--tls1.2", "--cipher", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"],
     "TLSv1.2", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "x25519", "ECDHE share"),
]
KEY_NAMES = {"ecdsa-p256": "ECDSA P-256", "rsa2048": "RSA 2048 bits"}


@pytest.mark.parametrize("name, key_type, server_args, our_args, version, suite, group, kx", SERVERS,
                         ids=[s[0] for s in SERVERS])
def test_trace_matches_the_server_configuration(test_pki, name, key_type, server_args, our_args, version, suite,
                                                group, kx):
    args = ["-www", "-num_tickets", "1", *server_args, *test_pki.openssl_cert_args(key_type)]
    with openssl_server(args) as (_, port, _lines):
        code, doc = handshake_json(f"localhost:{port}", "--cafile", test_pki.cafile, "--resume", *our_args)
    first, second = doc["connections"]
    assert code == 0 and doc["verdict"]["outcome"] == "secure" and doc["verdict"]["secure"] is True
    assert first["negotiated"]["version"] == version
    assert first["negotiated"]["cipher_suite"] == suite
    assert first["negotiated"]["group"] == group
    assert first["negotiated"]["key_exchange"] == kx
    hello = fields(doc, "Server Hello")
    assert (hello["version"], hello["cipher suite"]) == (version, suite)
    assert fields(doc, "Key exchange")["kind"] == kx
    assert [c["subject"] for c in first["certificates"]] == ["CN=localhost", INTERMEDIATE]
    assert first["certificates"][0]["key"] == KEY_NAMES[key_type]
    assert first["certificates"][0]["names"] == ["localhost", "127.0.0.1"]
    assert fields(doc, "Certificate")["[0] subject"] == "CN=localhost"
    assert fields(doc, "Authentication")["verdict"] == "trusted"
    assert first["verification"]["trusted"] is True
    assert first["http"]["status"] == 200
    assert_order(titles(doc), TLS13_ORDER if version == "TLSv1.3" else TLS12_ORDER)
    if name == "tls13-rsa-hrr":  # we sent an x25519 share first; the server asked for secp384r1
        assert fields(doc, "HelloRetryRequest")["wants group"] == "secp384r1"
    steps = doc["connections"][0]["steps"]
    assert all(s["elapsed_ms"] is not None for s in steps)
    assert [s["elapsed_ms"] for s in steps] == sorted(s["elapsed_ms"] for s in steps)
    at = {s["step"]: s["elapsed_ms"] for s in reversed(steps)}  # each title's first occurrence
    assert first["handshake_ms"] == pytest.approx(at["Handshake complete"] - at["Client Hello"], abs=0.01)
    # --resume: the second handshake is the short one, without certificate or signature
    assert second["negotiated"]["resumed"] is True and second["negotiated"]["cipher_suite"] == suite
    assert "Certificate" not in titles(doc, 1) and "Certificate Verify" not in titles(doc, 1)
    assert fields(doc, "Client Hello", 1)["resumption"] == "offers a session ticket (PSK)"
    assert second["http"]["status"] == 200
    assert any(note.startswith("Resumed:") for note in doc["verdict"]["notes"])


def test_tls12_resumption_by_session_id(test_pki):
    args = ["-www", "-tls1_2", "-no_ticket", *test_pki.openssl_cert_args("rsa2048")]
    with openssl_server(args) as (_, port, _lines):
        code, doc = handshake_json(f"localhost:{port}", "--cafile", test_pki.cafile, "--resume")
    assert code == 0 and doc["connections"][1]["negotiated"]["resumed"] is True
    kept = fields(doc, "Session ID kept")["session ID"]
    assert len(kept) == 64 and "Certificate" not in titles(doc, 1)
    assert any(note.startswith("Resumed: the second handshake used the session ID") for note in doc["verdict"]["notes"])


def test_text_trace_reads_like_the_guide(test_pki):
    with openssl_server(["-www", "-tls1_3", *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, _lines):
        code, out = handshake(f"https://localhost:{port}/", "--cafile", test_pki.cafile)
    assert code == 0
    assert "\x1b[" not in out  # not a terminal: plain text
    for line in ["client ──▶ server  Client Hello", "client ◀── server  Server Hello",
                 "client ◀── server  Certificate", "client ──▶ server  Client Finished",
                 "client ──▶ server  HTTP request", "client ◀── server  HTTP response", "status        HTTP/1.0 200 ok",
                 "Secure (the padlock): TLSv1.3, TLS_AES_"]:
        assert line in out, line
    assert out.index("Client Hello") < out.index("Server Hello") < out.index("Server Finished")


def test_terminal_output_is_styled_by_rich(test_pki):
    with openssl_server(["-www", *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, _lines):
        code, out = handshake(f"localhost:{port}", "--cafile", test_pki.cafile, env={"FORCE_COLOR": "1"})
    assert code == 0 and "\x1b[" in out and "Client Hello" in out


# ------------------------------------------------------------------ certificate problems (fixture servers)
@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    base = tmp_path_factory.mktemp("handshake-fixtures")
    fixture_set = build_fixtures()
    roots = fixture_set.write_roots(base / "roots.pem")
    return roots, {name: (fixture_set.fixtures[name], fixture_set.fixtures[name].write(base / name))
                   for name in ("wrong-host", "expired-leaf", "825-day-validity")}


@pytest.mark.parametrize("name, code, words", [
    ("wrong-host", "hostname-mismatch", "does not cover localhost"),
    ("expired-leaf", "leaf-expired", "expired"),
])
def test_certificate_problems_are_diagnosed(fixtures, name, code, words):
    roots, table = fixtures
    fixture, paths = table[name]
    with fixture_server(paths["leaf"], paths["key"], paths.get("rest"), www=True) as port:
        exit_code, doc = handshake_json(f"localhost:{port}", "--cafile", roots)
        text_code, out = handshake(f"localhost:{port}", "--cafile", roots)
        insecure_code, insecure = handshake_json(f"localhost:{port}", "--cafile", roots, "--insecure")
    assert exit_code == text_code == insecure_code == 1
    verdict = doc["verdict"]
    assert verdict["outcome"] == "not-trusted" and not verdict["secure"]
    assert code in {d["code"] for d in verdict["diagnoses"]}
    assert doc["connections"][0]["verification"]["trusted"] is False
    assert doc["connections"][0]["http"] is None and "not trusted" in doc["connections"][0]["http_skipped"]
    assert insecure["connections"][0]["http"]["status"] == 200  # --insecure sends it; the verdict stands
    assert "Not secure: the certificate for localhost is not trusted" in out
    assert f"ERROR   {code}: " in out and words in out
    assert f"diagnosis {code}" in out  # on the Authentication step too


def test_trusted_chain_that_browsers_refuse(fixtures):
    """Trusted by path validation, but valid for 825 days: Chrome and Safari refuse it, so no padlock."""
    roots, table = fixtures
    _, paths = table["825-day-validity"]
    with fixture_server(paths["leaf"], paths["key"], paths.get("rest"), www=True) as port:
        code, doc = handshake_json(f"localhost:{port}", "--cafile", roots)
    assert code == 1 and doc["verdict"]["outcome"] == "refused-by-browsers"
    assert doc["connections"][0]["verification"]["trusted"] is True
    assert "validity-too-long" in {d["code"] for d in doc["verdict"]["diagnoses"]}
    assert doc["verdict"]["summary"].startswith("Not secure: browsers refuse the certificate for localhost")


# ------------------------------------------------------------------ failure classes
def test_closed_port():
    with socket.socket() as holder:  # bound, never listening: the kernel answers with a reset
        holder.bind((LOOPBACK, 0))
        port = holder.getsockname()[1]
        code, out = handshake(f"{LOOPBACK}:{port}")
        _, doc = handshake_json(f"{LOOPBACK}:{port}")
    assert code == 2 and doc["verdict"]["outcome"] == "closed"
    assert f"Could not connect: 127.0.0.1 port {port} is closed (connection refused)." in out
    assert "nothing listens on the port" in out
    assert doc["connections"][0]["failure"]["kind"] == "closed"


def test_silently_dropped_connection():
    """A listener that never accepts, its backlog full: the kernel drops our SYN, like a DROP rule."""
    with socket.socket() as server:
        server.bind((LOOPBACK, 0))
        server.listen(0)
        port = server.getsockname()[1]
        with socket.create_connection((LOOPBACK, port), timeout=TIMEOUT):  # fills the one-slot backlog
            code, out = handshake(f"{LOOPBACK}:{port}", "--timeout", "1")
            _, doc = handshake_json(f"{LOOPBACK}:{port}", "--timeout", "0.5")
    assert code == 2 and doc["verdict"]["outcome"] == "filtered"
    assert f"Could not connect: 127.0.0.1 port {port} did not answer (filtered, likely a firewall)." in out
    assert "did not answer the TCP handshake within 1 s" in out
    assert f"port443 firewall probe 127.0.0.1 --port {port}" in out


def test_plain_http_server(tmp_path):
    with nginx_server(tmp_path / "nginx") as port:  # nginx without TLS on the port
        code, out = handshake(f"localhost:{port}")
        _, doc = handshake_json(f"localhost:{port}")
    assert code == 3 and doc["verdict"]["outcome"] == "not-tls"
    assert f"TLS failure: localhost port {port} speaks plain HTTP, not HTTPS." in out
    assert "answered our Client Hello with plain HTTP (HTTP/1.1 400 Bad Request)" in out
    assert "Use http:// for this port" in out


def test_listener_that_never_answers_the_client_hello():
    with socket.socket() as server:
        server.bind((LOOPBACK, 0))
        server.listen()
        code, doc = handshake_json(f"{LOOPBACK}:{server.getsockname()[1]}", "--timeout", "0.5")
    assert code == 3 and doc["verdict"]["outcome"] == "no-answer"
    assert "no answer to our Client Hello within 0.5 s" in doc["verdict"]["reason"]


def _misbehaving_server(listener: socket.socket, reply: bytes) -> None:
    """Accept one connection, read the Client Hello, send `reply`, hang up."""
    conn, _ = listener.accept()
    with conn:
        conn.recv(65536)
        conn.sendall(reply)


@pytest.mark.parametrize("reply, outcome, words", [
    (b"", "hung-up", "closed the connection without answering our Client Hello"),
    (b"\x16\x03\x03\x00\x04\x02\x00\x00\x00", "tls-error", "We sent alert decode_error."),  # empty ServerHello
    (b"\x16\x03\x03\x00\x50" + bytes(10), "closed-mid-handshake", "in the middle of the handshake"),
], ids=["hung-up", "malformed-server-hello", "truncated-record"])
def test_misbehaving_tls_servers(reply, outcome, words):
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen()
        listener.settimeout(TIMEOUT)
        server = ThreadResult(_misbehaving_server, listener, reply)
        code, doc = handshake_json(f"{LOOPBACK}:{listener.getsockname()[1]}", "--timeout", "5")
        server.result()
    assert code == 3 and doc["verdict"]["outcome"] == outcome
    assert words in doc["verdict"]["reason"]


def test_no_common_version(test_pki):
    with openssl_server(["-www", "-tls1_2", *test_pki.openssl_cert_args("rsa2048")]) as (_, port, _lines):
        code, out = handshake(f"localhost:{port}", "--tls1.3", "--cafile", test_pki.cafile)
        _, doc = handshake_json(f"localhost:{port}", "--tls1.3", "--cafile", test_pki.cafile)
    assert code == 3 and doc["verdict"]["outcome"] == "no-common-version"
    assert f"TLS failure: no common TLS version with localhost port {port}." in out
    assert "The server sent alert protocol_version" in out and "We offered TLSv1.3." in out
    assert fields(doc, "Alert")["alert"] == "protocol_version"


def test_no_common_cipher_suite(test_pki):
    with openssl_server(["-www", "-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384",
                         *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, _lines):
        code, doc = handshake_json(f"localhost:{port}", "--cipher", "TLS_AES_128_GCM_SHA256", "--cafile",
                                   test_pki.cafile)
    assert code == 3 and doc["verdict"]["outcome"] == "no-common-parameters"
    assert "alert handshake_failure" in doc["verdict"]["reason"]
    assert "We offered cipher suites TLS_AES_128_GCM_SHA256;" in doc["verdict"]["reason"]


def test_dns_failure_in_a_namespace_without_network():
    """In a new network namespace nothing leaves the machine: the lookup fails locally."""
    command = ["unshare", "--net", sys.executable, "-m", "port443", "handshake", "no-such-host.invalid"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Could not connect: no-such-host.invalid does not resolve." in proc.stdout
    assert "cannot resolve 'no-such-host.invalid'" in proc.stdout
    proc = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=TIMEOUT)
    doc = json.loads(proc.stdout)
    VALIDATOR.validate(doc)
    assert proc.returncode == 2 and doc["verdict"]["outcome"] == "dns" and doc["addresses"] == []


def test_every_address_is_tried_in_order(test_pki, tmp_path):
    """A name with ::1 first and 127.0.0.1 second (our own /etc/hosts, in a private mount namespace);
    the server listens on 127.0.0.1 only: ::1 fails, 127.0.0.1 connects."""
    hosts = tmp_path / "hosts"
    hosts.write_text("::1 two.example.test\n127.0.0.1 two.example.test\n")
    with openssl_server(["-www", *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, _lines):
        script = (f"mount --bind {hosts} /etc/hosts && exec {sys.executable} -m port443 handshake "
                  f"two.example.test:{port} --sni localhost --cafile {test_pki.cafile} --json")
        proc = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True,
                              timeout=TIMEOUT)
    doc = json.loads(proc.stdout)
    VALIDATOR.validate(doc)
    assert proc.returncode == 0, proc.stderr
    assert doc["addresses"] == ["::1", "127.0.0.1"]
    tcp = fields(doc, "TCP connect")
    assert "connected" not in tcp["try ::1"] and tcp["try 127.0.0.1"].startswith("connected in")
    assert doc["connections"][0]["address"] == "127.0.0.1"


# ------------------------------------------------------------------ the command line
@pytest.mark.parametrize("args, message", [
    (["https://"], "no host name"),
    (["http://localhost"], "only https:// URLs"),
    (["localhost:99999"], "is not a port number"),
    (["localhost", "--cipher", "TLS_NOPE"], "unknown cipher suite 'TLS_NOPE'"),
    (["localhost", "--group", "nonsense"], "unknown group 'nonsense'"),
    (["localhost", "--rsa-kx", "--tls1.3"], "--rsa-kx needs TLS 1.2"),
    (["localhost", "--rsa-kx", "--cipher", "TLS_AES_128_GCM_SHA256"], "is not an RSA key transport suite"),
    (["localhost", "--tls1.3", "--cipher", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"], "no cipher suite fits"),
    (["localhost", "--path", "no-slash"], "--path 'no-slash'"),
    (["localhost", "--timeout", "0"], "--timeout"),
    (["localhost", "--bogus"], "No such option"),
])
def test_bad_command_lines_are_one_line_and_exit_4(args, message):
    code, out = handshake(*args)
    assert code == 4 and message in out


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_target_parser_accepts_or_names_the_problem(text):
    try:
        target = parse_target(text)
    except TargetError as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert target.host and 1 <= target.port <= 65535 and target.path.startswith("/")


@given(st.sampled_from(["example.com", "a.b.example", "127.0.0.1", "::1"]), st.integers(1, 65535),
       st.sampled_from(["", "/", "/a/b", "/x?y=1"]))
def test_target_forms_agree(host, port, path):
    literal = f"[{host}]" if ":" in host else host
    assert parse_target(f"https://{literal}:{port}{path}") == Target(host, port, path or "/")
    assert parse_target(f"{literal}:{port}") == Target(host, port, "/")


def test_help_documents_the_exit_codes():
    code, out = handshake("--help")
    assert code == 0
    for line in ["0  secure", "1  connected, but not trusted", "2  could not connect", "3  TLS failure",
                 "--tls1.2", "--tls1.3", "--cipher", "--group", "--alpn", "--sni", "--cafile", "--insecure",
                 "--resume", "--rsa-kx", "--keylog", "--show-secrets", "--timeout", "--path", "--method", "--json"]:
        assert line in out, line
