"""Install the local CA's root into the OS trust store, and take it out again.

`trust_plan` and `untrust_plan` are pure: given the platform, the root and
what is on the machine, they return the exact commands (printed by
`--dry-run`, unit-tested per platform). `run_plan` executes them.

- Debian/Ubuntu: copy to /usr/local/share/ca-certificates, update-ca-certificates
- Fedora/RHEL: copy to /etc/pki/ca-trust/source/anchors, update-ca-trust extract
- macOS: security add-trusted-cert into the System keychain
- Windows: certutil -addstore ROOT
- Firefox/Chrome NSS databases: NSS certutil, when it is installed
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

PLATFORMS = ("debian", "fedora", "macos", "windows")
DEBIAN_DIR = "/usr/local/share/ca-certificates"
FEDORA_DIR = "/etc/pki/ca-trust/source/anchors"
MAC_KEYCHAIN = "/Library/Keychains/System.keychain"


class TrustInstallError(RuntimeError):
    """A trust-store command failed or cannot run here; the message says what to do."""


@dataclass(frozen=True)
class Step:
    argv: tuple[str, ...]
    why: str

    def shell(self) -> str:
        return shlex.join(self.argv)


@dataclass(frozen=True)
class Machine:
    """What the plan depends on, gathered by `this_machine()` or given by a test."""

    platform: str  # one of PLATFORMS
    is_admin: bool  # root on Unix; on Windows the caller's choice
    nss_databases: tuple[str, ...] = ()  # directories holding a cert9.db
    has_nss_certutil: bool = False


def root_id(root: x509.Certificate) -> str:
    """A short stable id for file names and nicknames: 16 hex digits of the SHA-256 fingerprint."""
    return root.fingerprint(hashes.SHA256()).hex()[:16]


def nickname(root: x509.Certificate) -> str:
    return f"port443 local CA {root_id(root)}"


def _admin(machine: Machine, argv: list[str]) -> tuple[str, ...]:
    return tuple(argv) if machine.is_admin or machine.platform == "windows" else ("sudo", *argv)


def _nss_steps(machine: Machine, root: x509.Certificate, root_path: str, install: bool) -> list[Step]:
    if not machine.has_nss_certutil or machine.platform == "windows":
        return []
    steps = []
    for db in machine.nss_databases:
        if install:
            argv = ("certutil", "-A", "-d", f"sql:{db}", "-t", "C,,", "-n", nickname(root), "-i", root_path)
            steps.append(Step(argv, f"trust the root in the browser database {db}"))
        else:
            argv = ("certutil", "-D", "-d", f"sql:{db}", "-n", nickname(root))
            steps.append(Step(argv, f"remove the root from the browser database {db}"))
    return steps


def trust_plan(machine: Machine, root: x509.Certificate, root_path: str) -> list[Step]:
    """The commands that make this machine (and its browsers) trust `root`."""
    ident = root_id(root)
    if machine.platform == "debian":
        dest = f"{DEBIAN_DIR}/port443-{ident}.crt"
        steps = [Step(_admin(machine, ["install", "-m", "0644", root_path, dest]), "copy the root into the local CA folder"),
                 Step(_admin(machine, ["update-ca-certificates"]), "rebuild the system bundle")]
    elif machine.platform == "fedora":
        dest = f"{FEDORA_DIR}/port443-{ident}.pem"
        steps = [Step(_admin(machine, ["install", "-m", "0644", root_path, dest]), "copy the root into the anchors folder"),
                 Step(_admin(machine, ["update-ca-trust", "extract"]), "rebuild the system bundle")]
    elif machine.platform == "macos":
        steps = [Step(_admin(machine, ["security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", MAC_KEYCHAIN,
                                       root_path]), "trust the root in the System keychain")]
    elif machine.platform == "windows":
        scope = () if machine.is_admin else ("-user",)  # the user's own store needs no elevation
        steps = [Step(("certutil", *scope, "-addstore", "-f", "ROOT", root_path), "add the root to the Root store")]
    else:
        raise TrustInstallError(f"no known trust store on platform {machine.platform!r}; "
                                f"add {root_path} to your clients' trust stores by hand")
    return steps + _nss_steps(machine, root, root_path, install=True)


def untrust_plan(machine: Machine, root: x509.Certificate, root_path: str) -> list[Step]:
    """The commands that undo `trust_plan`."""
    ident = root_id(root)
    if machine.platform == "debian":
        # --fresh: without it the removed root's links stay behind in /etc/ssl/certs
        steps = [Step(_admin(machine, ["rm", "-f", f"{DEBIAN_DIR}/port443-{ident}.crt"]), "remove the root file"),
                 Step(_admin(machine, ["update-ca-certificates", "--fresh"]), "rebuild the bundle and its links")]
    elif machine.platform == "fedora":
        steps = [Step(_admin(machine, ["rm", "-f", f"{FEDORA_DIR}/port443-{ident}.pem"]), "remove the root file"),
                 Step(_admin(machine, ["update-ca-trust", "extract"]), "rebuild the system bundle")]
    elif machine.platform == "macos":
        sha1 = root.fingerprint(hashes.SHA1()).hex().upper()
        steps = [Step(_admin(machine, ["security", "remove-trusted-cert", "-d", root_path]), "drop the trust setting"),
                 Step(_admin(machine, ["security", "delete-certificate", "-Z", sha1, MAC_KEYCHAIN]),
                      "delete the root from the System keychain")]
    elif machine.platform == "windows":
        serial = format(root.serial_number, "x")
        scope = () if machine.is_admin else ("-user",)
        steps = [Step(("certutil", *scope, "-delstore", "ROOT", serial), "delete the root from the Root store")]
    else:
        raise TrustInstallError(f"no known trust store on platform {machine.platform!r}; "
                                f"remove {root_path} from your clients' trust stores by hand")
    return steps + _nss_steps(machine, root, root_path, install=False)


def nss_databases(home: Path, platform: str) -> tuple[str, ...]:
    """Browser NSS databases under `home`: Chrome/Chromium's and each Firefox profile's."""
    if platform == "macos":
        patterns = ["Library/Application Support/Firefox/Profiles/*"]
    else:
        patterns = [".pki/nssdb", ".mozilla/firefox/*", "snap/firefox/common/.mozilla/firefox/*",
                    "snap/chromium/current/.pki/nssdb"]
    found = []
    for pattern in patterns:
        found += [str(p) for p in sorted(home.glob(pattern)) if (p / "cert9.db").exists()]
    return tuple(found)


def detect_platform() -> str:
    if sys.platform == "darwin":
        return "macos"
    if sys.platform.startswith("win"):
        return "windows"
    if shutil.which("update-ca-certificates"):
        return "debian"
    if shutil.which("update-ca-trust"):
        return "fedora"
    return sys.platform


def this_machine() -> Machine:
    import os

    platform = detect_platform()
    is_admin = hasattr(os, "geteuid") and os.geteuid() == 0
    return Machine(platform, is_admin, nss_databases(Path.home(), platform), shutil.which("certutil") is not None
                   and platform != "windows")


def run_plan(steps: list[Step]) -> None:
    """Run each command in turn; stop at the first failure with a one-line error."""
    for step in steps:
        try:
            done = subprocess.run(step.argv, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise TrustInstallError(f"`{step.argv[0]}` is not installed; install it, or run "
                                    "with --dry-run and do the steps by hand") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()
            last = detail[-1] if detail else "no output"
            raise TrustInstallError(f"`{step.shell()}` failed (exit {done.returncode}: {last}); "
                                    "fix that and run the command again")
