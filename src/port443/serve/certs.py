"""Certificates for `serve`: the given --cert/--key pairs, or one from the local CA.

Without --cert, the local CA (`port443 cert ca`) is created on first run and
issues a certificate for localhost, 127.0.0.1 and ::1 (and --host when it is
a name), kept in the data directory and reissued when it nears its end or no
longer matches the CA or the names. Both engines are built from the same
files, so SIGHUP (reload) re-reads them for either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from port443.pki import localca
from port443.pki.files import (
    PkiFileError, load_certificates, load_private_key, make_private_dir, pem_chain, write_file, write_private_key,
)
from port443.pki.hostname import covered_names
from port443.pki.keys import signed_by
from port443.tls.config import CertifiedKey, ConfigError, ServerConfig

RENEW_BEFORE = dt.timedelta(days=30)
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class LocalCertificate:
    chain: Path
    key: Path
    ca: localca.LocalCA
    ca_created: bool
    issued: bool


def local_names(host: str) -> tuple[str, ...]:
    names = list(LOCAL_NAMES)
    if host and host not in ("localhost", "0.0.0.0", "::", "") and host not in names:
        names.append(host)
    return tuple(names)


def _usable(chain: Path, key: Path, ca: localca.LocalCA, names: tuple[str, ...]) -> bool:
    try:
        certs = load_certificates(chain)
        load_private_key(key)
    except PkiFileError:
        return False
    leaf = certs[0]
    have = set(covered_names(leaf).all())
    fresh = leaf.not_valid_after_utc - dt.datetime.now(dt.timezone.utc) > RENEW_BEFORE
    return fresh and set(names) <= have and signed_by(leaf, ca.certificate)


def local_certificate(host: str = "localhost") -> LocalCertificate:
    """The local CA's certificate for this machine's names, creating the CA and the certificate as needed."""
    ca, created = localca.load_or_create_ca()
    names = local_names(host)
    directory = make_private_dir(localca.data_dir() / "serve")
    chain, key = directory / "localhost.pem", directory / "localhost-key.pem"
    issued = False
    if not _usable(chain, key, ca, names):
        made = localca.issue_from_ca(ca, list(names))
        write_private_key(key, made.key)
        write_file(chain, pem_chain(made.chain))
        issued = True
    return LocalCertificate(chain, key, ca, created, issued)


def load_pairs(pairs: tuple[tuple[Path, Path], ...]) -> list[tuple[str, str, CertifiedKey]]:
    """Each chain and key parsed and checked (key matches, files readable): one-line errors."""
    out = []
    for chain, key in pairs:
        try:
            certs = load_certificates(chain)
            private = load_private_key(key)
            certified = CertifiedKey.load(certs, private)
        except ConfigError as exc:
            raise PkiFileError(f"{chain} / {key}: {exc}") from None
        out.append((str(chain), str(key), certified))
    return out


def native_config(loaded: list[tuple[str, str, CertifiedKey]], alpn: tuple[str, ...], versions: tuple[str, ...],
                  ticket_keys=None, session_cache=None) -> ServerConfig:
    return ServerConfig(certificates=tuple(c for _, _, c in loaded), alpn_protocols=alpn, versions=versions,
                        ticket_keys=ticket_keys, session_cache=session_cache)
