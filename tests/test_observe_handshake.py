"""`port443 handshake --observe`: the observer's view of the traced connections, live.

The live view (from the bytes the traced connection wrote and read) must be
what a capture of the same connection shows: tshark records the port on
`lo` while the handshake runs, and `port443 observe` analyses that file.
"""

from __future__ import annotations

import pytest

from handshake_helpers import handshake, handshake_json
from loopback_capture import loopback_capture
from peers import openssl_server
from port443.observe.analyze import analyze_capture

pytestmark = pytest.mark.interop


@pytest.mark.parametrize("version_args", [["-tls1_2"], ["-tls1_3"]], ids=["tls12", "tls13"])
def test_observe_flag_equals_a_capture_of_the_same_connections(test_pki, tmp_path, version_args):
    args = ["-www", "-num_tickets", "1", *version_args, *test_pki.openssl_cert_args("ecdsa-p256")]
    with openssl_server(args) as (_, port, _lines):
        with loopback_capture(port, tmp_path / "c.pcapng") as cap:
            code, doc = handshake_json(f"localhost:{port}", "--cafile", test_pki.cafile, "--resume", "--observe")
            cap.wait_until_complete(2)
    assert code == 0
    captured = [f for f in analyze_capture(tmp_path / "c.pcapng").flows if f.tls]
    live = doc["observer"]
    assert len(live) == len(captured) == 2  # the first connection and the resumed one
    for seen, flow in zip(live, captured):
        assert seen["client"]["port"] == flow.client.port and seen["server"]["port"] == port
        assert seen["sni"] == flow.handshake.sni == "localhost"
        assert seen["version"] == flow.handshake.version
        assert seen["fingerprints"]["ja3"] == flow.handshake.ja3
        assert seen["fingerprints"]["ja4"] == flow.handshake.ja4
        assert seen["fingerprints"]["ja3s"] == flow.handshake.ja3s
        assert seen["certificate"] == flow.handshake.certificate
        assert seen["client_to_server"]["stream_bytes"] == flow.c2s.stream_bytes
        assert seen["server_to_client"]["stream_bytes"] == flow.s2c.stream_bytes
        assert [r["size"] for r in seen["server_to_client"]["records"]] == [n for _, _, n in flow.s2c.records]
    first, resumed = live
    assert resumed["resumed"] is True and first["resumed"] is False
    if version_args == ["-tls1_2"]:
        assert first["certificate"]["subject"] == "CN=localhost" and resumed["certificate"] is None


def test_observe_text_follows_the_trace(test_pki):
    with openssl_server(["-www", *test_pki.openssl_cert_args("ecdsa-p256")]) as (_, port, _lines):
        code, out = handshake(f"localhost:{port}", "--cafile", test_pki.cafile, "--observe")
        _, plain = handshake(f"localhost:{port}", "--cafile", test_pki.cafile)
    assert code == 0
    head, _, tail = out.partition("What a passive observer saw of these connections")
    assert tail and "Client Hello" in head
    for expected in ("site (SNI)", "localhost", "JA3", "JA4", "client → server", "records (bytes)"):
        assert expected in tail
    assert "What a passive observer saw" not in plain
