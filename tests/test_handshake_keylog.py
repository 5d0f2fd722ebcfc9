"""The key log is right (issue 5, acceptance 2), and secrets appear only when asked for.

A real session against openssl s_server is captured on the loopback
interface by tshark (port filter); then the recorded records are decrypted
with the logged secrets twice over: by tshark (TLS 1.3 and the TLS 1.2 RSA
premaster flow), and for TLS 1.3 in the test itself with `cryptography`
(keys from the traffic secrets by HKDF-Expand-Label, RFC 8446 §7.3).
"""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
from pathlib import Path

import dpkt
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding
from handshake_helpers import fields, handshake, handshake_json
from peers import TIMEOUT, Lines, openssl_server

from port443.tls.key_schedule import hkdf_expand_label

pytestmark = pytest.mark.interop

LINE = re.compile(r"^(CLIENT_RANDOM|[A-Z_]+_SECRET(?:_0)?) ([0-9a-f]{64}) ([0-9a-f]{64,96})$")
TLS13_LABELS = {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
                "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"}


@pytest.fixture(scope="module")
def server(test_pki):
    with openssl_server(["-www", "-tls1_3", *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, _lines):
        yield port


def _entries(path: Path) -> list[tuple[str, str, str]]:
    lines = path.read_text().splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    return [tuple(line.split(" ")) for line in lines]


def test_keylog_file_is_private_appended_and_matches_the_session(server, test_pki, tmp_path):
    keylog = tmp_path / "keys.log"
    code1, doc1 = handshake_json(f"localhost:{server}", "--cafile", test_pki.cafile, "--keylog", keylog)
    code2, doc2 = handshake_json(f"localhost:{server}", "--cafile", test_pki.cafile, "--keylog", keylog)
    assert code1 == code2 == 0
    assert keylog.stat().st_mode & 0o777 == 0o600
    entries = _entries(keylog)
    randoms = [fields(doc, "Client Hello")["client random"] for doc in (doc1, doc2)]
    assert [e[1] for e in entries] == [randoms[0]] * 5 + [randoms[1]] * 5  # appended, one session after the other
    assert {e[0] for e in entries[:5]} == TLS13_LABELS
    assert doc1["keylog_file"] == str(keylog) and "keylog" not in doc1  # the secrets themselves only when asked


def test_bad_command_line_writes_no_key_log(tmp_path):
    keylog = tmp_path / "never.log"
    code, out = handshake("localhost:1", "--cipher", "TLS_NOPE", "--keylog", keylog)
    assert code == 4 and "unknown cipher suite" in out and not keylog.exists()


def test_sslkeylogfile_is_honoured(server, test_pki, tmp_path):
    keylog = tmp_path / "env.log"
    code, out = handshake(f"localhost:{server}", "--cafile", test_pki.cafile, env={"SSLKEYLOGFILE": str(keylog)})
    assert code == 0 and f"Key log: 5 line(s) appended to {keylog}" in out
    assert {e[0] for e in _entries(keylog)} == TLS13_LABELS


def test_secrets_are_shown_only_with_show_secrets(server, test_pki, tmp_path):
    keylog = tmp_path / "keys.log"
    code, quiet = handshake(f"localhost:{server}", "--cafile", test_pki.cafile, "--keylog", keylog)
    secrets = [e[2] for e in _entries(keylog)]
    assert code == 0 and not any(s in quiet for s in secrets)
    code, shown = handshake_json(f"localhost:{server}", "--cafile", test_pki.cafile, "--show-secrets")
    session_keys = [s["fields"] for s in shown["connections"][0]["steps"] if s["step"] == "Session keys"]
    assert set(session_keys[0]) >= {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET"}
    assert set(session_keys[1]) >= {"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"}
    random = fields(shown, "Client Hello")["client random"]
    assert [line.split(" ")[1] for line in shown["keylog"]] == [random] * 5


# ------------------------------------------------------------------ a real capture, decrypted
@contextlib.contextmanager
def capture(port: int, path: Path):
    """tshark on lo for this port; yields its packet-summary lines; stops it (and so flushes the file)."""
    proc = subprocess.Popen(["tshark", "-i", "lo", "-f", f"tcp port {port}", "-F", "pcap", "-w", str(path), "-P",
                             "-l"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    started, packets = Lines(proc.stderr), Lines(proc.stdout)
    try:
        started.wait_for(r"Capture started")  # dumpcap has the interface open
        yield packets
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        started.join()
        packets.join()
        proc.stdout.close()
        proc.stderr.close()


def wait_for_both_fins(packets: Lines) -> None:
    """Both sides' FIN seen: every TLS record of the session (sent before them) is in the capture."""
    packets.wait_for(r"\[FIN")
    packets.seen.clear()  # the second FIN must be another line
    packets.wait_for(r"\[FIN")


@pytest.mark.parametrize("server_args, our_args, version", [
    (["-tls1_3"], ["--cipher", "TLS_AES_128_GCM_SHA256"], "TLSv1.3"),
    (["-tls1_2", "-cipher", "AES128-GCM-SHA256"], ["--rsa-kx"], "TLSv1.2"),
], ids=["tls13", "tls12-rsa-kx"])
def test_captured_session_decrypts_with_the_logged_secrets(test_pki, tmp_path, server_args, our_args, version):
    keylog, pcap = tmp_path / "keys.log", tmp_path / "session.pcap"
    args = ["-www", *server_args, *test_pki.openssl_cert_args("rsa2048")]
    with openssl_server(args) as (_, port, _lines):
        with capture(port, pcap) as packets:
            code, doc = handshake_json(f"localhost:{port}", "--cafile", test_pki.cafile, "--keylog", keylog,
                                       *our_args)
            wait_for_both_fins(packets)
    assert code == 0 and doc["connections"][0]["negotiated"]["version"] == version
    # tshark, given the key log, reads the HTTP exchange inside TLS
    proc = subprocess.run(["tshark", "-r", str(pcap), "-o", f"tls.keylog_file:{keylog}", "-o",
                           "http.desegment_body:FALSE", "-d", f"tcp.port=={port},tls", "-Y", "http", "-T", "fields",
                           "-e", "http.request.method", "-e", "http.request.uri", "-e", "http.response.code"],
                          capture_output=True, text=True, timeout=TIMEOUT)
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    assert ["GET", "/", ""] in rows and ["", "", "200"] in rows, proc.stdout + proc.stderr
    if version == "TLSv1.3":
        leaf = test_pki.leaf("rsa2048").certificate.public_bytes(Encoding.DER)
        check_decrypts_with_cryptography(pcap, port, keylog, leaf)


def tcp_payloads(pcap: Path, port: int) -> dict[str, bytes]:
    """Each direction's TCP byte stream, from the capture (loopback frames are Ethernet on Linux)."""
    segments: dict[str, dict[int, bytes]] = {"client": {}, "server": {}}
    with pcap.open("rb") as f:
        for _, frame in dpkt.pcap.Reader(f):
            tcp = dpkt.ethernet.Ethernet(frame).data.data
            if isinstance(tcp, dpkt.tcp.TCP) and tcp.data:
                segments["client" if tcp.dport == port else "server"][tcp.seq] = bytes(tcp.data)
    return {side: b"".join(data for _, data in sorted(parts.items())) for side, parts in segments.items()}


def records(stream: bytes):
    pos = 0
    while pos + 5 <= len(stream):
        length = int.from_bytes(stream[pos + 3:pos + 5], "big")
        yield stream[pos:pos + 5], stream[pos + 5:pos + 5 + length]
        pos += 5 + length
    assert pos == len(stream)


class Direction:
    """One side's records under TLS_AES_128_GCM_SHA256: handshake keys first, then application keys."""

    def __init__(self, handshake_secret: bytes, application_secret: bytes) -> None:
        self.keys = [self._key_iv(handshake_secret), self._key_iv(application_secret)]
        self.stage, self.sequence = 0, 0

    @staticmethod
    def _key_iv(secret: bytes) -> tuple[AESGCM, bytes]:
        sha256 = hashes.SHA256()
        return (AESGCM(hkdf_expand_label(sha256, secret, b"key", b"", 16)),
                hkdf_expand_label(sha256, secret, b"iv", b"", 12))

    def open(self, header: bytes, payload: bytes) -> tuple[int, bytes]:
        for _ in range(2):
            aead, iv = self.keys[self.stage]
            nonce = bytes(a ^ b for a, b in zip(iv, self.sequence.to_bytes(12, "big")))
            try:
                inner = aead.decrypt(nonce, payload, header).rstrip(b"\0")
            except InvalidTag:
                assert self.stage == 0, "a record opens under neither the handshake nor the application keys"
                self.stage, self.sequence = 1, 0
                continue
            self.sequence += 1
            return inner[-1], inner[:-1]
        raise AssertionError("unreachable")


def check_decrypts_with_cryptography(pcap: Path, port: int, keylog: Path, leaf_der: bytes) -> None:
    secrets = {label: bytes.fromhex(secret) for label, _, secret in _entries(keylog)}
    streams = tcp_payloads(pcap, port)
    plain: dict[tuple[str, int], bytes] = {}
    for side, prefix in (("client", "CLIENT"), ("server", "SERVER")):
        direction = Direction(secrets[f"{prefix}_HANDSHAKE_TRAFFIC_SECRET"], secrets[f"{prefix}_TRAFFIC_SECRET_0"])
        for header, payload in records(streams[side]):
            if header[0] == 23:  # every protected record opens, in order
                content_type, data = direction.open(header, payload)
                plain[side, content_type] = plain.get((side, content_type), b"") + data
    assert leaf_der in plain["server", 22]  # the encrypted Certificate message, under the handshake keys
    assert plain["client", 23].startswith(f"GET / HTTP/1.1\r\nHost: localhost:{port}\r\n".encode())
    assert plain["server", 23].startswith(b"HTTP/1.0 200 ok\r\n")
    assert plain["client", 21] == plain["server", 21] == b"\x01\x00"  # both close_notify alerts

