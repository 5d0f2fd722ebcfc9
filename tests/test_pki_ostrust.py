"""The exact trust-store commands for each platform (pure; no system is touched here)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes

from port443.pki import ostrust
from port443.pki.issue import make_ca

ROOT = make_ca("port443 local CA test").certificate
PATH = "/home/u/.local/share/port443/ca/rootCA.pem"
ID = ROOT.fingerprint(hashes.SHA256()).hex()[:16]


def _shell(steps):
    return [s.shell() for s in steps]


def test_debian_as_root_and_as_a_user():
    root_plan = ostrust.trust_plan(ostrust.Machine("debian", True), ROOT, PATH)
    assert _shell(root_plan) == [
        f"install -m 0644 {PATH} /usr/local/share/ca-certificates/port443-{ID}.crt",
        "update-ca-certificates",
    ]
    user_plan = ostrust.trust_plan(ostrust.Machine("debian", False), ROOT, PATH)
    assert all(s.argv[0] == "sudo" for s in user_plan)
    assert _shell(ostrust.untrust_plan(ostrust.Machine("debian", True), ROOT, PATH)) == [
        f"rm -f /usr/local/share/ca-certificates/port443-{ID}.crt",
        "update-ca-certificates --fresh",
    ]


def test_fedora():
    machine = ostrust.Machine("fedora", False)
    assert _shell(ostrust.trust_plan(machine, ROOT, PATH)) == [
        f"sudo install -m 0644 {PATH} /etc/pki/ca-trust/source/anchors/port443-{ID}.pem",
        "sudo update-ca-trust extract",
    ]
    assert _shell(ostrust.untrust_plan(machine, ROOT, PATH)) == [
        f"sudo rm -f /etc/pki/ca-trust/source/anchors/port443-{ID}.pem",
        "sudo update-ca-trust extract",
    ]


def test_macos():
    machine = ostrust.Machine("macos", False)
    path = "/Users/u/Library/Application Support/port443/ca/rootCA.pem"
    assert _shell(ostrust.trust_plan(machine, ROOT, path)) == [
        "sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain "
        "'/Users/u/Library/Application Support/port443/ca/rootCA.pem'",
    ]
    sha1 = ROOT.fingerprint(hashes.SHA1()).hex().upper()
    assert _shell(ostrust.untrust_plan(machine, ROOT, path)) == [
        "sudo security remove-trusted-cert -d '/Users/u/Library/Application Support/port443/ca/rootCA.pem'",
        f"sudo security delete-certificate -Z {sha1} /Library/Keychains/System.keychain",
    ]


def test_windows_machine_store_or_user_store():
    path = r"C:\Users\u\AppData\Local\port443\ca\rootCA.pem"
    admin, user = ostrust.Machine("windows", True), ostrust.Machine("windows", False)
    assert [s.argv for s in ostrust.trust_plan(admin, ROOT, path)] == [("certutil", "-addstore", "-f", "ROOT", path)]
    assert [s.argv for s in ostrust.trust_plan(user, ROOT, path)] == [
        ("certutil", "-user", "-addstore", "-f", "ROOT", path)]
    serial = format(ROOT.serial_number, "x")
    assert [s.argv for s in ostrust.untrust_plan(admin, ROOT, path)] == [("certutil", "-delstore", "ROOT", serial)]


def test_browser_nss_databases_when_certutil_is_present():
    dbs = ("/home/u/.pki/nssdb", "/home/u/.mozilla/firefox/abc.default")
    machine = ostrust.Machine("debian", False, dbs, has_nss_certutil=True)
    nick = f"port443 local CA {ID}"
    assert _shell(ostrust.trust_plan(machine, ROOT, PATH))[2:] == [
        f"certutil -A -d sql:/home/u/.pki/nssdb -t C,, -n '{nick}' -i {PATH}",
        f"certutil -A -d sql:/home/u/.mozilla/firefox/abc.default -t C,, -n '{nick}' -i {PATH}",
    ]
    assert _shell(ostrust.untrust_plan(machine, ROOT, PATH))[2:] == [
        f"certutil -D -d sql:/home/u/.pki/nssdb -n '{nick}'",
        f"certutil -D -d sql:/home/u/.mozilla/firefox/abc.default -n '{nick}'",
    ]
    without = ostrust.Machine("debian", False, dbs, has_nss_certutil=False)
    assert len(ostrust.trust_plan(without, ROOT, PATH)) == 2


def test_nss_databases_are_found_by_their_cert9_db(tmp_path):
    for profile in (".pki/nssdb", ".mozilla/firefox/x.default", ".mozilla/firefox/empty"):
        (tmp_path / profile).mkdir(parents=True)
    (tmp_path / ".pki/nssdb/cert9.db").touch()
    (tmp_path / ".mozilla/firefox/x.default/cert9.db").touch()
    assert ostrust.nss_databases(tmp_path, "debian") == (
        str(tmp_path / ".pki/nssdb"), str(tmp_path / ".mozilla/firefox/x.default"))


def test_unknown_platform_says_what_to_do():
    with pytest.raises(ostrust.TrustInstallError) as exc:
        ostrust.trust_plan(ostrust.Machine("plan9", True), ROOT, PATH)
    assert PATH in str(exc.value) and "\n" not in str(exc.value)


def test_a_failing_command_is_one_line():
    with pytest.raises(ostrust.TrustInstallError) as exc:
        ostrust.run_plan([ostrust.Step(("false",), "fail")])
    assert "`false` failed (exit 1" in str(exc.value)
    with pytest.raises(ostrust.TrustInstallError) as exc:
        ostrust.run_plan([ostrust.Step(("no-such-tool-port443",), "missing")])
    assert "not installed" in str(exc.value)
