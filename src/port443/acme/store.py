"""Where ACME things live in the data directory (PORT443_HOME moves it).

    acme/accounts/<CA host>-<hash of the directory URL>/account-key.pem   (0600)
    acme/accounts/<...>/account.json     the account URL and contact
    acme/certs/<first domain>/fullchain.pem   leaf first, then the CA's chain
    acme/certs/<first domain>/privkey.pem     (0600)

Directories are created 0700; keys go through `pki.files` (0600 from the
start, replaced atomically), so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from port443.pki import localca
from port443.pki.files import (PkiFileError, load_certificates, load_private_key, make_private_dir, pem_chain,
                               write_file, write_private_key)
from port443.pki.issue import PrivateKey, generate_key

_SAFE = re.compile(r"[^a-z0-9.-]")


def acme_dir() -> Path:
    return localca.data_dir() / "acme"


def account_dir(directory_url: str) -> Path:
    host = _SAFE.sub("_", (urlsplit(directory_url).hostname or "ca").lower())
    digest = hashlib.sha256(directory_url.encode()).hexdigest()[:10]
    return acme_dir() / "accounts" / f"{host}-{digest}"


def load_or_create_account_key(directory_url: str) -> tuple[PrivateKey, bool]:
    """The account key for this CA (P-256), created on first use; (key, created)."""
    path = account_dir(directory_url) / "account-key.pem"
    if path.exists():
        return load_private_key(path), False
    make_private_dir(path.parent)
    key = generate_key("ecdsa-p256")
    write_private_key(path, key)
    return key, True


def save_account(directory_url: str, uri: str, email: str | None) -> Path:
    path = account_dir(directory_url) / "account.json"
    data = {"directory": directory_url, "uri": uri, "email": email}
    return write_file(make_private_dir(path.parent) / path.name, (json.dumps(data, indent=2) + "\n").encode(), 0o600)


@dataclass(frozen=True)
class CertPaths:
    chain: Path
    key: Path

    @property
    def directory(self) -> Path:
        return self.chain.parent


def cert_paths(domains: tuple[str, ...] | list[str]) -> CertPaths:
    stem = _SAFE.sub("_", domains[0].lower().replace("*", "_wildcard"))
    base = acme_dir() / "certs" / stem
    return CertPaths(base / "fullchain.pem", base / "privkey.pem")


def save_certificate(paths: CertPaths, chain: list[x509.Certificate], key: PrivateKey) -> CertPaths:
    """Key first, then the chain: serve reloads on the chain, so both are in place by then."""
    make_private_dir(paths.directory)
    write_private_key(paths.key, key)
    write_file(paths.chain, pem_chain(chain))
    return paths


@dataclass(frozen=True)
class Stored:
    chain: tuple[x509.Certificate, ...]
    paths: CertPaths

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]


def load_stored(paths: CertPaths) -> Stored | None:
    """The stored certificate, or None when missing or unreadable (it will be obtained again)."""
    if not paths.chain.exists() or not paths.key.exists():
        return None
    try:
        chain = tuple(load_certificates(paths.chain))
        load_private_key(paths.key)
    except PkiFileError:
        return None
    return Stored(chain, paths) if chain else None
