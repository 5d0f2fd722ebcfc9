"""Every ACME failure as one line: what went wrong, and what to do about it.

`explain(exc, settings, net)` turns what the `acme` library, `requests` or
our own code raised into an `AcmeError` with that line, and, when the CA
said when to come back (Retry-After on a rateLimited error), how long to wait.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any
from urllib.parse import urlsplit

HINTS = {
    "http-01": ("the CA must fetch http://{domain}/.well-known/acme-challenge/ on port 80: point {domain}'s DNS "
                "at this machine and open port 80 to the internet (`port443 firewall open --port 80`)"),
    "tls-alpn-01": ("the CA must reach {domain} on port 443 with ALPN acme-tls/1: point {domain}'s DNS at this "
                    "machine and open port 443 to the internet (`port443 firewall open`)"),
}
MAX_DETAIL = 300


class AcmeError(Exception):
    """An ACME step failed; str() is the one-line reason, retry_after the CA's wish (seconds)."""

    def __init__(self, message: str, retry_after: float | None = None, kind: str = "failed") -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.kind = kind  # "unreachable", "tls", "validation", "rate-limited", "refused", "timeout", "failed"


def one_line(text: Any) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_DETAIL else line[:MAX_DETAIL - 1] + "…"


def retry_after_seconds(response: Any, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or garbage."""
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is True too
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _problem(error: Any) -> tuple[str, str]:
    code = getattr(error, "code", None) or getattr(error, "typ", "") or "error"
    detail = getattr(error, "detail", None) or getattr(error, "title", None) or str(error)
    return str(code).rsplit(":", 1)[-1], one_line(detail)


def _validation(exc: Any) -> AcmeError:
    for authz in exc.failed_authzrs:
        domain = authz.body.identifier.value
        for challb in authz.body.challenges:
            if challb.error is not None:
                code, detail = _problem(challb.error)
                hint = HINTS.get(challb.chall.typ, "check that the CA can reach this machine").format(domain=domain)
                return AcmeError(f"{challb.chall.typ} validation of {domain} failed ({code}: {detail}); {hint}",
                                 kind="validation")
    return AcmeError("the CA refused the validation without saying why; try again later", kind="validation")


def _network(exc: Any, directory: str) -> AcmeError:
    import requests

    host = urlsplit(directory).netloc or directory
    cause = exc.__context__ or exc
    text = one_line(getattr(cause, "reason", None) or cause)
    if isinstance(exc, requests.exceptions.SSLError):
        return AcmeError(f"cannot verify the TLS certificate of the ACME server {host} ({text}); for a private "
                         "or test CA give its root with --acme-ca-file", kind="tls")
    if isinstance(exc, requests.exceptions.Timeout):
        return AcmeError(f"the ACME server {host} did not answer in time; check --directory and this machine's "
                         "outbound HTTPS", kind="unreachable")
    if "refused" in text.lower():
        text = "connection refused"
    elif "resolution" in text.lower() or "name or service" in text.lower():
        text = "its name does not resolve"
    return AcmeError(f"cannot reach the ACME server at {directory} ({text}); check --directory and this "
                     "machine's outbound HTTPS", kind="unreachable")


def explain(exc: BaseException, settings: Any, net: Any = None) -> AcmeError:
    import requests
    from acme import errors, messages

    from port443.pki.files import PkiFileError

    directory = getattr(settings, "directory", "the ACME server")
    if isinstance(exc, AcmeError):
        return exc
    if isinstance(exc, requests.exceptions.RequestException):
        return _network(exc, directory)
    if isinstance(exc, errors.ValidationError):
        return _validation(exc)
    if isinstance(exc, messages.Error):
        code, detail = _problem(exc)
        if code == "rateLimited":
            wait = retry_after_seconds(getattr(net, "last_response", None))
            return AcmeError(f"the CA rate-limited this request ({detail})", wait, kind="rate-limited")
        if code in ("rejectedIdentifier", "unsupportedIdentifier", "caa", "dns"):
            return AcmeError(f"the CA will not issue for {', '.join(settings.domains)} ({code}: {detail})",
                             kind="refused")
        return AcmeError(f"the ACME server answered {code}: {detail}", kind="refused")
    if isinstance(exc, errors.TimeoutError):
        return AcmeError(f"the CA did not finish validating and issuing within {settings.order_timeout:.0f} s; "
                         "it may be overloaded", kind="timeout")
    if isinstance(exc, errors.IssuanceError):
        code, detail = _problem(exc.error)
        return AcmeError(f"the CA did not issue the certificate ({code}: {detail})", kind="refused")
    if isinstance(exc, errors.ClientError) and exc.args and hasattr(exc.args[0], "status_code"):
        return AcmeError(f"the ACME server {directory} answered HTTP {exc.args[0].status_code} without an ACME "
                         "problem document; is --directory an ACME directory?", kind="failed")
    if isinstance(exc, PkiFileError):
        return AcmeError(str(exc), kind="failed")
    if isinstance(exc, (ValueError, KeyError)) or type(exc).__module__.startswith("josepy"):
        return AcmeError(f"{directory} did not answer like an ACME server ({one_line(exc) or type(exc).__name__}); "
                         "check --directory", kind="failed")
    return AcmeError(f"ACME failed: {type(exc).__name__}: {one_line(exc)}", kind="failed")
