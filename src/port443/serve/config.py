"""`port443 serve` configuration: one value object, from defaults, a TOML file and flags.

Every flag has a key of the same name in the file (dashes or underscores),
so a site's whole setup can live in one file:

    host = "0.0.0.0"
    port = 443
    http-port = 80            # or "none"
    root = "/srv/www"         # or: proxy = "http://127.0.0.1:8000"
    engine = "native"         # or "openssl"
    workers = 2
    hsts = 31536000
    hsts-include-subdomains = true
    access-log = "/var/log/port443/access.log"   # "-" for stdout, "off"

    [[cert]]
    cert = "/etc/port443/example.com.pem"
    key = "/etc/port443/example.com-key.pem"

    [limits]
    handshake-timeout = 10
    max-body-size = 10485760

Flags win over the file, the file over the defaults.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from port443.net.channel import Limits

DEFAULT_HTTPS, FALLBACK_HTTPS = 443, 8443
DEFAULT_HTTP, FALLBACK_HTTP = 80, 8080
ENGINES = ("native", "openssl")


class ServeConfigError(ValueError):
    """A setting is wrong; the message names it and how to fix it."""


@dataclass(frozen=True)
class ServeConfig:
    host: str | None = None  # None: localhost, or every interface when --cert is given
    port: int | None = None  # None: 443, else 8443
    http_port: int | None | str = None  # None: 80, else 8080; "none": no plain-HTTP listener
    root: Path | None = None
    proxy: str | None = None
    certs: tuple[tuple[Path, Path], ...] = ()
    engine: str = "native"
    workers: int = 1
    http2: bool = True
    hsts: int | None = None  # None: one year for public names, off for localhost
    hsts_include_subdomains: bool = False
    hsts_preload: bool = False
    access_log: str = "-"
    tls_versions: tuple[str, ...] = ("TLSv1.3", "TLSv1.2")
    limits: Limits = field(default_factory=Limits)
    # ACME (port443.acme.serving): the certificate for these names from Let's Encrypt or --directory
    domains: tuple[str, ...] = ()
    email: str | None = None
    staging: bool = False
    acme_directory: str | None = None
    acme_ca_file: Path | None = None
    challenge: str | None = None  # None: http-01 with the port-80 listener, else tls-alpn-01

    @property
    def bind_host(self) -> str:
        if self.host is not None:
            return self.host
        return "" if self.certs or self.domains else "localhost"

    @property
    def http_enabled(self) -> bool:
        return self.http_port != "none"


LIMIT_KEYS = {f.name for f in dataclasses.fields(Limits)}
TOP_KEYS = {f.name for f in dataclasses.fields(ServeConfig)} - {"limits", "certs"} | {"cert"}


def _key(name: str) -> str:
    return name.replace("-", "_")


def _port(value: Any, name: str, allow_none: bool = False) -> int | str:
    if allow_none and isinstance(value, str) and value.lower() == "none":
        return "none"
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise ServeConfigError(f"{name} {value!r}: give a port number 0-65535" +
                               (" or 'none'" if allow_none else "")) from None
    if not 0 <= port <= 65535:
        raise ServeConfigError(f"{name} {port}: a port is between 0 and 65535 (0 picks a free one)")
    return port


def _limits(table: dict[str, Any], base: Limits) -> Limits:
    values = {}
    for raw, value in table.items():
        k = _key(raw)
        if k not in LIMIT_KEYS:
            raise ServeConfigError(f"unknown limit {raw!r}; known: {', '.join(sorted(LIMIT_KEYS))}")
        kind = type(getattr(base, k))
        try:
            number = kind(value)
        except (TypeError, ValueError):
            raise ServeConfigError(f"limit {raw} = {value!r}: give a number") from None
        if number <= 0:
            raise ServeConfigError(f"limit {raw} = {value!r}: must be greater than 0")
        values[k] = number
    return dataclasses.replace(base, **values)


def _cert_pairs(items: Any, base_dir: Path) -> tuple[tuple[Path, Path], ...]:
    if not isinstance(items, list):
        raise ServeConfigError("cert: use [[cert]] tables, each with cert = \"FILE\" and key = \"FILE\"")
    pairs = []
    for item in items:
        if not isinstance(item, dict) or set(item) != {"cert", "key"}:
            raise ServeConfigError("each [[cert]] needs exactly cert = \"FILE\" and key = \"FILE\"")
        pairs.append((base_dir / item["cert"], base_dir / item["key"]))
    return tuple(pairs)


def load_file(path: Path) -> dict[str, Any]:
    """The TOML file as settings (keys normalised, relative paths taken from the file's folder)."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ServeConfigError(f"--config {path}: no such file") from None
    except OSError as exc:
        raise ServeConfigError(f"--config {path}: cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ServeConfigError(f"--config {path}: not valid TOML ({exc})") from None
    base = path.parent
    out: dict[str, Any] = {}
    for raw, value in data.items():
        k = _key(raw)
        if k == "limits":
            if not isinstance(value, dict):
                raise ServeConfigError("limits: use a [limits] table")
            out["limits"] = value
        elif k == "cert":
            out["certs"] = _cert_pairs(value, base)
        elif k in TOP_KEYS:
            out[k] = base / value if k in ("root", "acme_ca_file") and isinstance(value, str) else value
        else:
            raise ServeConfigError(f"--config {path}: unknown setting {raw!r}; known: "
                                   f"{', '.join(sorted(TOP_KEYS | {'limits'}))}")
    return out


def build(file_settings: dict[str, Any] | None = None, flags: dict[str, Any] | None = None) -> ServeConfig:
    """Defaults, then the file's settings, then the flags that were given."""
    merged: dict[str, Any] = dict(file_settings or {})
    flag_limits = {}
    for k, v in (flags or {}).items():
        if k in LIMIT_KEYS:
            flag_limits[k] = v
        else:
            merged[k] = v
    limits = _limits(merged.pop("limits", {}), Limits())
    limits = _limits(flag_limits, limits)
    if "port" in merged and merged["port"] is not None:
        merged["port"] = _port(merged["port"], "--port")
    if "http_port" in merged and merged["http_port"] is not None:
        merged["http_port"] = _port(merged["http_port"], "--http-port", allow_none=True)
    if merged.get("root") is not None:
        merged["root"] = Path(merged["root"])
    if merged.get("root") is not None and merged.get("proxy"):
        raise ServeConfigError("--root and --proxy both given; a site is either static files or a proxy")
    if merged.get("engine", "native") not in ENGINES:
        raise ServeConfigError(f"engine {merged['engine']!r}: choose native or openssl")
    workers = merged.get("workers", 1)
    if not isinstance(workers, int) or workers < 1:
        raise ServeConfigError(f"workers {workers!r}: give 1 or more (one per core: {os.cpu_count()})")
    hsts = merged.get("hsts")
    if hsts is not None and (not isinstance(hsts, int) or hsts < 0):
        raise ServeConfigError(f"hsts {hsts!r}: give seconds (0 turns HSTS off)")
    if "tls_versions" in merged:
        merged["tls_versions"] = tuple(merged["tls_versions"])
    if "domains" in merged:
        domains = merged["domains"]
        merged["domains"] = (domains,) if isinstance(domains, str) else tuple(domains)
    if merged.get("acme_ca_file") is not None:
        merged["acme_ca_file"] = Path(merged["acme_ca_file"])
    if "certs" in merged:
        merged["certs"] = tuple((Path(c), Path(k)) for c, k in merged["certs"])
    try:
        return ServeConfig(limits=limits, **merged)
    except TypeError as exc:
        raise ServeConfigError(f"bad setting: {exc}") from None
