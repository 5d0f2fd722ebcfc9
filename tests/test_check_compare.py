"""Acceptance 2: port443 check beside sslyze and testssl.sh on the same servers, differences listed.

Each tool's report is reduced to the same facts (protocols, suites per protocol,
groups, the vulnerabilities all three test). Every difference is printed; each must
be one docs/check.md explains ("Where the tools disagree"), by its key. sslyze
comes from its own venv (its pins conflict with our cryptography): SSLYZE=path, or
/opt/sslyze-venv/bin/sslyze, or on PATH. testssl.sh is Debian's `testssl`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from nginx_server import nginx_server
from peers import openssl_server
from port443.audit.check import CheckOptions, run_check
from port443.audit.prober import Limits

pytestmark = pytest.mark.interop
DOCS = Path(__file__).resolve().parent.parent / "docs" / "check.md"
PROTOCOL_IDS = {"SSLv2": "SSLv2", "SSLv3": "SSLv3", "TLS1": "TLSv1", "TLS1_1": "TLSv1.1", "TLS1_2": "TLSv1.2",
                "TLS1_3": "TLSv1.3"}
SSLYZE_KEYS = {"ssl_2_0_cipher_suites": "SSLv2", "ssl_3_0_cipher_suites": "SSLv3", "tls_1_0_cipher_suites": "TLSv1",
               "tls_1_1_cipher_suites": "TLSv1.1", "tls_1_2_cipher_suites": "TLSv1.2",
               "tls_1_3_cipher_suites": "TLSv1.3"}
TESTSSL_VULNS = {"heartbleed": "heartbleed", "CCS": "ccs_injection", "ROBOT": "robot", "secure_renego":
                 "secure_renegotiation", "secure_client_renego": "client_renegotiation", "CRIME_TLS": "crime",
                 "POODLE_SSL": "poodle", "SWEET32": "sweet32", "FREAK": "freak", "DROWN": "drown", "LOGJAM": "logjam",
                 "BEAST": "beast", "RC4": "rc4", "ticketbleed": "ticketbleed", "fallback_SCSV": "fallback_scsv"}


def sslyze_path() -> str | None:
    for candidate in (os.environ.get("SSLYZE"), "/opt/sslyze-venv/bin/sslyze", shutil.which("sslyze")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def ours(port: int, cafile: str, limits: Limits = Limits(read_timeout=2)) -> dict:
    r = run_check("127.0.0.1", port, CheckOptions(limits=limits, http_port=None, server_name="localhost",
                                                   cafile=cafile))[0]
    return {
        "protocols": {p for p, v in r["protocols"].items() if v["supported"]},
        "suites": {p: {a["name"] for a in s["accepted"]} for p, s in r["suites"].items() if s["accepted"]},
        "groups": set(r["groups"]["TLSv1.3"]) | set(r["groups"]["TLSv1.2"]),
        "vulns": {k: v["status"] == "vulnerable" for k, v in r["vulnerabilities"].items()},
    }


def run_sslyze(port: int, tmp: Path) -> dict | None:
    """sslyze's facts, or None when it could not connect at all (it needs a complete handshake first)."""
    out = tmp / "sslyze.json"
    subprocess.run([sslyze_path(), f"--json_out={out}", f"127.0.0.1:{port}"], capture_output=True, timeout=300)
    scan = json.loads(out.read_text())["server_scan_results"][0]
    if scan["scan_status"] != "COMPLETED":
        return None
    result = scan["scan_result"]
    suites = {proto: {c["cipher_suite"]["name"] for c in result[key]["result"]["accepted_cipher_suites"]}
              for key, proto in SSLYZE_KEYS.items()}
    robot = result["robot"]["result"]["robot_result"]
    reneg = result["session_renegotiation"]["result"]
    return {
        "protocols": {p for p, s in suites.items() if s},
        "suites": {p: s for p, s in suites.items() if s},
        "groups": {c["name"].lower() for c in result["elliptic_curves"]["result"]["supported_curves"]},
        "vulns": {"heartbleed": result["heartbleed"]["result"]["is_vulnerable_to_heartbleed"],
                  "ccs_injection": result["openssl_ccs_injection"]["result"]["is_vulnerable_to_ccs_injection"],
                  "robot": robot.startswith("VULNERABLE"),
                  "secure_renegotiation": not reneg["supports_secure_renegotiation"],
                  "client_renegotiation": reneg["is_vulnerable_to_client_renegotiation_dos"],
                  "crime": result["tls_compression"]["result"]["supports_compression"],
                  "fallback_scsv": not result["tls_fallback_scsv"]["result"]["supports_fallback_scsv"]},
    }


def run_testssl(port: int, tmp: Path) -> dict:
    """Protocols and suites (-p -E), then vulnerabilities (-U), as two runs: in one run against the legacy box
    testssl.sh 3.0.8 leaves the per-protocol suites out of its JSON."""
    findings = []
    for name, flags in (("protocols", ["-p", "-E"]), ("vulnerabilities", ["-U"])):
        out = tmp / f"testssl-{name}.json"
        subprocess.run(["testssl", "--quiet", "--color", "0", "--warnings", "off", *flags, "--jsonfile", str(out),
                        f"127.0.0.1:{port}"], capture_output=True, timeout=600)
        findings += json.loads(out.read_text())
    protocols, suites, vulns = set(), {}, {}
    for f in findings:
        fid, text = f["id"], f["finding"]
        if fid in PROTOCOL_IDS and ("offered" in text and "not offered" not in text or text.startswith("vulnerable")):
            protocols.add(PROTOCOL_IDS[fid])
        elif fid.startswith("cipher-"):
            proto = {"ssl2": "SSLv2", "ssl3": "SSLv3", "tls1": "TLSv1", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2",
                     "tls1_3": "TLSv1.3"}[fid.split("-")[1].rsplit("_x", 1)[0]]
            suites.setdefault(proto, set()).add(text.split()[-1])
        elif fid in TESTSSL_VULNS and f["severity"] != "WARN":  # WARN: testssl.sh could not test it
            vulns[TESTSSL_VULNS[fid]] = f["severity"] in ("LOW", "MEDIUM", "HIGH", "CRITICAL")
    return {"protocols": protocols, "suites": suites, "groups": None, "vulns": vulns}


def differences(a: dict, b: dict, tool: str) -> list[tuple[str, str]]:
    """(key, detail) for each fact the two reports state differently."""
    out = []
    if a["protocols"] != b["protocols"]:
        out.append(("protocols", f"port443 {sorted(a['protocols'])} vs {tool} {sorted(b['protocols'])}"))
    for proto in sorted(set(a["suites"]) | set(b["suites"])):
        mine, theirs = a["suites"].get(proto, set()), b["suites"].get(proto, set())
        if mine != theirs:
            out.append(("suites", f"{proto}: only port443 {sorted(mine - theirs)}, only {tool} "
                                   f"{sorted(theirs - mine)}"))
    if b["groups"] is not None and a["groups"] != b["groups"]:
        extra = a["groups"] - b["groups"]
        key = "groups-ffdhe" if extra and all(g.startswith("ffdhe") for g in extra) and not b["groups"] - a["groups"] \
            else "groups"
        out.append((key, f"only port443 {sorted(extra)}, only {tool} {sorted(b['groups'] - a['groups'])}"))
    for name, theirs in sorted(b["vulns"].items()):
        mine = a["vulns"].get(name)
        if mine is not None and mine != theirs:
            out.append((f"vuln-{name}", f"port443 {'vulnerable' if mine else 'ok'} vs {tool} "
                                        f"{'vulnerable' if theirs else 'ok'}"))
    return out


def explained(diffs: list[tuple[str, str]], tool: str) -> None:
    doc = DOCS.read_text()
    for key, detail in diffs:
        print(f"difference with {tool}: {key}: {detail}")
    unexplained = [(k, d) for k, d in diffs if f"`{tool}:{k}`" not in doc]
    assert not unexplained, f"differences docs/check.md does not explain: {unexplained}"


@pytest.fixture(scope="module")
def servers(test_pki, tmp_path_factory):
    """nginx (modern), openssl s_server (an old RSA configuration), and the emulator's legacy box."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from hello_emulator import OAKLEY_1024, Script, emulator

    old = test_pki.openssl_cert_args("rsa2048") + [
        "-min_protocol", "TLSv1", "-max_protocol", "TLSv1.2", "-serverpref", "-www",
        "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:CAMELLIA128-SHA:@SECLEVEL=0"]
    leaf = test_pki.leaf("rsa2048")
    legacy = Script(chain=[c.public_bytes(Encoding.DER) for c in leaf.chain], key=leaf.key,
                    versions=("SSLv2", "SSLv3", "TLSv1"), suites=(0x0005, 0x0003, 0x000A, 0x002F, 0x0014, 0x0034),
                    sslv2_kinds=(0x010080, 0x0700C0, 0x020080), renegotiation_info=False, compression=True,
                    heartbeat=True, heartbleed=True, ccs_injection=True, rsa_oracle=True, dh_prime=OAKLEY_1024)
    with nginx_server(tmp_path_factory.mktemp("nginx"), test_pki.chain_file("ecdsa-p256"),
                      test_pki.key_file("ecdsa-p256"), "ssl_protocols TLSv1.2 TLSv1.3;") as nginx, \
            openssl_server(old) as (_, s_server, _), emulator(legacy) as legacy_port:
        yield {"nginx": nginx, "s_server": s_server, "legacy": legacy_port}


@pytest.mark.skipif(sslyze_path() is None, reason="sslyze not installed (python -m venv /opt/sslyze-venv && "
                                                  "/opt/sslyze-venv/bin/pip install sslyze)")
@pytest.mark.parametrize("server", ["nginx", "s_server", "legacy"])
def test_against_sslyze(servers, server, test_pki, tmp_path):
    limits = Limits(read_timeout=2, host_connections=1 if server == "s_server" else 8)
    mine, theirs = ours(servers[server], str(test_pki.cafile), limits), run_sslyze(servers[server], tmp_path)
    assert mine["protocols"], "port443 must have reached the server"
    if theirs is None:
        explained([("no-connectivity", f"sslyze could not connect; port443 found {sorted(mine['protocols'])}")],
                  "sslyze")
        assert server == "legacy"
        return
    diffs = differences(mine, theirs, "sslyze")
    explained(diffs, "sslyze")
    assert not [k for k, _ in diffs if k in ("protocols", "suites")]


@pytest.mark.skipif(shutil.which("testssl") is None, reason="testssl.sh not installed (apt-get install testssl.sh)")
@pytest.mark.parametrize("server", ["nginx", "legacy"])
def test_against_testssl(servers, server, test_pki, tmp_path):
    mine, theirs = ours(servers[server], str(test_pki.cafile)), run_testssl(servers[server], tmp_path)
    assert mine["protocols"] and theirs["protocols"]
    diffs = differences(mine, theirs, "testssl.sh")
    explained(diffs, "testssl.sh")
    assert not [k for k, _ in diffs if k in ("protocols", "suites")]


def test_ffdhe_difference_is_ours_to_be_right_about(servers):
    """docs/check.md says nginx accepts FFDHE groups in TLS 1.3: a handshake offering only ffdhe2048 completes."""
    import asyncio

    from port443.audit.prober import Prober, Target
    from port443.tls import ClientConfig

    async def run():
        prober = Prober(Target("localhost", "127.0.0.1", servers["nginx"], "localhost"))
        return await prober.handshake(ClientConfig(server_name="localhost", verify=False, versions=("TLSv1.3",),
                                                   groups=("ffdhe2048",)))
    done = asyncio.run(run()).complete
    assert done is not None and done.group == 256
