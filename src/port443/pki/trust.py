"""Trust stores: Mozilla's roots (certifi), a CA file or directory, or the OS bundle."""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.verification import Store

from port443.pki.files import PkiFileError, parse_certificates

# Where Linux distributions keep their combined bundle, most common first.
OS_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/ssl/cert.pem",  # macOS, BSDs
)


class TrustError(ValueError):
    """A trust store could not be loaded; the message names the file and the fix."""


def load_pem_certificates(data: bytes, source: str = "input") -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, or one DER certificate (pki.files' parser, as a TrustError)."""
    try:
        with warnings.catch_warnings():  # certifi's bundle has a root with a negative serial
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            return parse_certificates(data, source)
    except PkiFileError as exc:
        raise TrustError(str(exc)) from None


class TrustStore:
    """A set of trusted roots, ready for `cryptography.x509.verification`."""

    def __init__(self, roots: list[x509.Certificate], name: str = "custom") -> None:
        if not roots:
            raise TrustError(f"{name}: no certificates found; point at a PEM file of CA certificates")
        self.roots = tuple(roots)
        self.name = name
        self.store = Store(list(roots))
        self._by_subject: dict[x509.Name, list[x509.Certificate]] = {}
        for root in roots:
            self._by_subject.setdefault(root.subject, []).append(root)

    def has_subject(self, name: x509.Name) -> bool:
        return name in self._by_subject

    def with_subject(self, name: x509.Name) -> list[x509.Certificate]:
        """The trusted roots whose subject is `name` (candidates to have issued a certificate)."""
        return list(self._by_subject.get(name, ()))

    @classmethod
    def from_cafile(cls, path: str | os.PathLike[str]) -> "TrustStore":
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise TrustError(f"cannot read CA file {path}: {exc.strerror}") from None
        return cls(load_pem_certificates(data, str(path)), name=str(path))

    @classmethod
    def from_capath(cls, path: str | os.PathLike[str]) -> "TrustStore":
        roots: list[x509.Certificate] = []
        try:
            entries = sorted(Path(path).iterdir())
        except OSError as exc:
            raise TrustError(f"cannot read CA directory {path}: {exc.strerror}") from None
        for entry in entries:
            if entry.is_file() and entry.suffix in (".pem", ".crt", ".0", ".1", ".cer") or entry.name[-2:-1] == ".":
                try:
                    roots.extend(load_pem_certificates(entry.read_bytes(), str(entry)))
                except (TrustError, OSError):
                    continue
        return cls(roots, name=str(path))

    @classmethod
    def mozilla(cls) -> "TrustStore":
        return _mozilla()

    @classmethod
    def system(cls) -> "TrustStore":
        for bundle in OS_BUNDLES:
            if os.path.exists(bundle):
                return cls.from_cafile(bundle)
        raise TrustError("no OS trust bundle found; pass --cafile, or use the default Mozilla store")


@functools.cache
def _mozilla() -> TrustStore:
    import certifi

    store = TrustStore.from_cafile(certifi.where())
    store.name = "Mozilla (certifi)"
    return store


@functools.lru_cache(maxsize=32)
def cached_cafile(path: str) -> TrustStore:
    """A CA file's store, parsed once per process (configs share it)."""
    return TrustStore.from_cafile(path)


@functools.lru_cache(maxsize=32)
def cached_capath(path: str) -> TrustStore:
    """A CA directory's store, parsed once per process (not once per handshake)."""
    return TrustStore.from_capath(path)
