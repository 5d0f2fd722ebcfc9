"""Read certificate chains and private keys from files, and write them safely.

Every parse goes through `cryptography`. Every failure is a `PkiFileError`
whose message is one line naming the file, the problem and the fix.
Private keys are created with mode 0600 from the start (os.open), never
chmod-ed afterwards, and replaced atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from port443.pki.issue import PrivateKey


class PkiFileError(ValueError):
    """A certificate or key file could not be used; the message says why and what to do."""


def _read(path: str | os.PathLike[str]) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise PkiFileError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise PkiFileError(f"{path}: is a directory; give a certificate file") from None
    except OSError as exc:
        raise PkiFileError(f"{path}: cannot read it ({exc.strerror}); check its permissions") from None


def parse_certificates(data: bytes, source: str = "input") -> list[x509.Certificate]:
    """Every certificate in a PEM bundle, or the one certificate of a DER file."""
    if b"-----BEGIN CERTIFICATE-----" in data or b"-----BEGIN X509 CERTIFICATE-----" in data:
        try:
            return _checked(x509.load_pem_x509_certificates(data))
        except (ValueError, x509.InvalidVersion):
            raise PkiFileError(f"{source}: a PEM certificate block in it is damaged; re-export the certificate") from None
    if b"-----BEGIN" in data:
        raise PkiFileError(f"{source}: holds no certificate (only other PEM blocks, such as a key or a CSR); "
                           "give the certificate file")
    try:
        return _checked([x509.load_der_x509_certificate(data)])
    except (ValueError, x509.InvalidVersion):
        raise PkiFileError(f"{source}: not a certificate (neither PEM nor DER); give a .pem or .crt file") from None


def _checked(certs: list[x509.Certificate]) -> list[x509.Certificate]:
    """cryptography parses the version lazily: read it now, so a bad one is a load error."""
    for cert in certs:
        cert.version  # noqa: B018
    return certs


def load_certificates(path: str | os.PathLike[str]) -> list[x509.Certificate]:
    return parse_certificates(_read(path), str(path))


def parse_private_key(data: bytes, password: str | bytes | None = None, source: str = "input") -> PrivateKey:
    """A PEM or DER private key, decrypted with `password` when it is encrypted."""
    secret = password.encode() if isinstance(password, str) else password
    loaders = (serialization.load_pem_private_key,) if b"-----BEGIN" in data else (
        serialization.load_der_private_key,)
    for load in loaders:
        try:
            return load(data, secret)  # type: ignore[return-value]
        except TypeError:
            if secret is None:
                raise PkiFileError(f"{source}: the key is encrypted; give its password with --password") from None
            raise PkiFileError(f"{source}: the key is not encrypted; drop --password") from None
        except ValueError as exc:
            text = str(exc).lower()
            if secret is not None and ("decrypt" in text or "password" in text):
                raise PkiFileError(f"{source}: wrong password for this key; check --password") from None
            break
        except Exception:  # UnsupportedAlgorithm: a key type cryptography cannot use
            raise PkiFileError(f"{source}: a key type port443 cannot use; use RSA, ECDSA or Ed25519") from None
    raise PkiFileError(f"{source}: not a private key (neither PEM nor DER); give the -key.pem file")


def load_private_key(path: str | os.PathLike[str], password: str | bytes | None = None) -> PrivateKey:
    return parse_private_key(_read(path), password, str(path))


def _spki(public_key: object) -> bytes:
    return public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def key_matches(certificate: x509.Certificate, key: PrivateKey) -> bool:
    """Is `key` the private half of the certificate's public key?"""
    return _spki(certificate.public_key()) == _spki(key.public_key())


def require_key_matches(certificate: x509.Certificate, key: PrivateKey, key_source: str) -> None:
    if not key_matches(certificate, key):
        raise PkiFileError(f"{key_source}: this key does not belong to the certificate; "
                           "give the key the certificate was issued for")


def pem_chain(certificates: list[x509.Certificate] | tuple[x509.Certificate, ...]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certificates)


def pem_private_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_private_dir(path: str | os.PathLike[str]) -> Path:
    """Create `path` (and its parents) readable by its owner only, if it is not there yet."""
    path = Path(path)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise PkiFileError(f"{path}: cannot create it ({exc.strerror}); set PORT443_HOME to a writable "
                           "directory") from None
    return path


def write_file(path: str | os.PathLike[str], data: bytes, mode: int = 0o644) -> Path:
    """Write `data` atomically; the file is created with `mode` (0600 for keys)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PkiFileError(f"{path}: cannot write it ({exc.strerror}); check the directory's permissions") from None
    return path


def write_private_key(path: str | os.PathLike[str], key: PrivateKey) -> Path:
    """The key, unencrypted PKCS#8 PEM, readable by its owner only."""
    return write_file(path, pem_private_key(key), 0o600)
