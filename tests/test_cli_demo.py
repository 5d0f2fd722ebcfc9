"""`port443 demo` runs a real handshake on loopback and shows the guide's steps."""

import json

from click.testing import CliRunner

from port443.cli import main


def test_demo_shows_every_step_and_the_page():
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    order = ["Client Hello", "Server Hello", "Key exchange", "Session keys", "Certificate", "Authentication",
             "Certificate Verify", "Server Finished", "Client Finished", "Handshake complete"]
    positions = [out.index(step) for step in order]
    assert positions == sorted(positions)
    assert "GET / → HTTP/1.1 200 OK" in out and "Secure" in out


def test_demo_json_reports_chosen_group_and_suite():
    result = CliRunner().invoke(main, ["demo", "--json", "--group", "secp384r1", "--cipher", "TLS_AES_256_GCM_SHA384",
                                       "--key-type", "rsa2048"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    done = [s for s in data["steps"] if s["step"] == "Handshake complete"][0]["fields"]
    assert done["group"] == "secp384r1" and done["cipher suite"] == "TLS_AES_256_GCM_SHA384"
    cert = [s for s in data["steps"] if s["step"] == "Certificate"][0]["fields"]
    assert cert["[0] key"] == "RSA 2048 bits"
    assert data["http_status"] == "HTTP/1.1 200 OK"


def test_demo_rejects_unknown_group_in_one_line():
    result = CliRunner().invoke(main, ["demo", "--group", "nonsense"])
    assert result.exit_code != 0
    assert "unknown group 'nonsense'" in result.output and "Traceback" not in result.output
