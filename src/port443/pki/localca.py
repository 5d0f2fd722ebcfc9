"""The local CA (like mkcert): a root kept in the user's data directory.

The data directory follows each platform's convention and can be moved with
the PORT443_HOME environment variable:
- Linux and BSDs: $XDG_DATA_HOME/port443, else ~/.local/share/port443
- macOS: ~/Library/Application Support/port443
- Windows: %LOCALAPPDATA%\\port443

The root's key is written with mode 0600 and never leaves that directory.
"""

from __future__ import annotations

import getpass
import os
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from port443.pki.files import (PkiFileError, load_certificates, load_private_key, make_private_dir, pem_chain,
                               require_key_matches, write_file, write_private_key)
from port443.pki.issue import Issued, generate_key, issue_leaf, make_ca

ROOT_CERT = "rootCA.pem"
ROOT_KEY = "rootCA-key.pem"
ROOT_DAYS = 10 * 365


def data_dir(environ: dict[str, str] | None = None, platform: str | None = None,
             home: Path | None = None) -> Path:
    """Where port443 keeps its files; pure, so each platform's rule can be tested."""
    env = os.environ if environ is None else environ
    platform = platform or sys.platform
    if env.get("PORT443_HOME"):
        return Path(env["PORT443_HOME"])
    home = home or Path.home()
    if platform == "darwin":
        return home / "Library" / "Application Support" / "port443"
    if platform.startswith("win"):
        base = env.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "port443"
    base = env.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    return Path(base) / "port443"


def ca_dir() -> Path:
    return data_dir() / "ca"


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint, colon-separated hex, as browsers show it."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


@dataclass(frozen=True)
class LocalCA:
    issued: Issued
    cert_path: Path
    key_path: Path

    @property
    def certificate(self) -> x509.Certificate:
        return self.issued.certificate

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.issued.certificate)


def _default_name() -> str:
    try:
        who = f"{getpass.getuser()}@{socket.gethostname()}"
    except Exception:  # no user name in this environment
        who = socket.gethostname()
    return f"port443 local CA {who}"[:64]


def create_ca(directory: Path | None = None, common_name: str | None = None) -> LocalCA:
    """Make a new root in `directory` (the data dir by default); refuses to overwrite one."""
    directory = directory or ca_dir()
    cert_path, key_path = directory / ROOT_CERT, directory / ROOT_KEY
    if cert_path.exists() or key_path.exists():
        raise PkiFileError(f"{directory}: a local CA already exists there; use it, or delete that directory "
                           "to start over")
    make_private_dir(directory)
    issued = make_ca(common_name or _default_name(), key=generate_key("ecdsa-p256"), days=ROOT_DAYS, path_length=0)
    write_private_key(key_path, issued.key)
    write_file(cert_path, pem_chain([issued.certificate]))
    return LocalCA(issued, cert_path, key_path)


def load_or_create_ca(directory: Path | None = None) -> tuple[LocalCA, bool]:
    """The local CA, made on first use: (the CA, whether it was just created)."""
    try:
        return load_ca(directory), False
    except PkiFileError:
        if ((directory or ca_dir()) / ROOT_CERT).exists():
            raise  # there is one, but it does not load: say so, do not replace it
        return create_ca(directory), True


def load_ca(directory: Path | None = None) -> LocalCA:
    """The existing local CA; a one-line error naming `port443 cert ca` when there is none."""
    directory = directory or ca_dir()
    cert_path, key_path = directory / ROOT_CERT, directory / ROOT_KEY
    if not cert_path.exists():
        raise PkiFileError(f"no local CA in {directory}; create one with `port443 cert ca`")
    cert = load_certificates(cert_path)[0]
    key = load_private_key(key_path)
    require_key_matches(cert, key, str(key_path))
    return LocalCA(Issued(cert, (cert,), key), cert_path, key_path)


def issue_from_ca(ca: LocalCA, names: list[str] | tuple[str, ...], key_type: str = "ecdsa-p256") -> Issued:
    """A server certificate for `names` from the local CA (397 days, the browsers' limit is 398)."""
    return issue_leaf(ca.issued, list(names), key_type=key_type)


def leaf_file_stem(names: list[str] | tuple[str, ...]) -> str:
    """File name for a leaf: the first name, with a wildcard's `*` spelled `_wildcard` (mkcert's way)."""
    stem = names[0].replace("*", "_wildcard").replace(":", "_").replace("/", "_").replace("\\", "_")
    return stem.strip(".") or "cert"
