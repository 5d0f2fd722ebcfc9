"""ACME pieces without a CA: backoff with jitter, names a public CA refuses, the HTTP-01
handler, Retry-After parsing (fuzzed), and serve's --domain checks."""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest
from hypothesis import given, strategies as st

from acme_helpers import DOMAIN, FakeClock, run_cli
from port443.acme.board import ChallengeBoard, Http01Handler
from port443.acme.client import check_settings
from port443.acme.reasons import AcmeError, retry_after_seconds
from port443.acme.renew import Backoff, RenewalManager, renewal_time
from port443.http.message import Request, Response
from port443.pki.issue import issue_leaf


def test_backoff_doubles_with_jitter_and_a_cap():
    b = Backoff(base=60, cap=3600, jitter=0.2)
    assert [b.delay(n, lambda: 0.5) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert b.delay(1, lambda: 0.0) == pytest.approx(48) and b.delay(1, lambda: 1.0) == pytest.approx(72)
    assert b.delay(30, lambda: 0.5) == 3600


def test_manager_schedule_without_sleeping():
    """Renew at two thirds of the lifetime; on failure back off; a Retry-After wins over a shorter backoff."""
    clock = FakeClock(1_000_000.0)
    now = dt.datetime.fromtimestamp(clock.now, dt.timezone.utc)
    old = issue_leaf(None, [DOMAIN], not_before=now, days=90).chain
    new = issue_leaf(None, [DOMAIN], not_before=now + dt.timedelta(days=60), days=90).chain
    outcomes = [AcmeError("first"), AcmeError("limited", retry_after=7200), new]
    failures, renewed = [], []

    def obtain():
        out = outcomes.pop(0)
        if isinstance(out, Exception):
            raise out
        return out

    def wait(seconds):
        clock.wait(seconds)
        return bool(renewed)

    m = RenewalManager(obtain, old, on_failure=failures.append, on_renewed=renewed.append, clock=clock,
                       rng=lambda: 0.5)
    assert m.next_attempt == renewal_time(old[0]) == clock.now + 60 * 86400
    m.run(wait)
    retried_at = 1_000_000.0 + 60 * 86400 + 60.0 + 7200.0
    assert clock.waits == [60 * 86400, 60.0, 7200.0, renewal_time(new[0]) - retried_at]
    assert [str(f.error) for f in failures] == ["first", "limited"]
    assert renewed == [new] and m.current == new and m.failures == 0


def test_manager_reports_any_exception_as_a_failure():
    failures = []
    m = RenewalManager(lambda: 1 / 0, None, on_failure=failures.append, clock=FakeClock(), rng=lambda: 0.5)
    assert m.attempt() is False
    assert str(failures[0].error) == "ACME failed: ZeroDivisionError: division by zero"


@pytest.mark.parametrize("name, words", [
    ("localhost", "local CA"), ("127.0.0.1", "local CA"), ("intranet", "local CA"), ("app.localhost", "local CA"),
    ("*.example.com", "dns-01"), ("bad_name.example", "not a host name"),
])
def test_names_a_public_ca_cannot_validate(name, words):
    with pytest.raises(ValueError, match=words):
        check_settings((name,), None, "https://ca.example/dir", "http-01", "ecdsa-p256")


def test_settings_checks():
    assert check_settings(("Example.COM", "example.com", "www.example.com"), "a@b.example", "https://x/dir",
                          "tls-alpn-01", "rsa2048") == ("example.com", "www.example.com")
    for args, words in [((("example.com",), "nobody", "https://x/dir", "http-01", "ecdsa-p256"), "e-mail"),
                        ((("example.com",), None, "http://x/dir", "http-01", "ecdsa-p256"), "https://"),
                        ((("example.com",), None, "https://x/dir", "dns-01", "ecdsa-p256"), "challenge"),
                        ((("example.com",), None, "https://x/dir", "http-01", "ed25519"), "ECDSA or RSA"),
                        (((), None, "https://x/dir", "http-01", "ecdsa-p256"), "--domain")]:
        with pytest.raises(ValueError, match=words):
            check_settings(*args)


def _request(method: str, target: str) -> Request:
    return Request(method, target, [], "1.1", "http", DOMAIN, ("127.0.0.1", 1), None)


def test_http01_handler():
    board = ChallengeBoard()
    handler = Http01Handler(board, lambda req: Response(308, [], b""))
    board.add_http01("tok-1", "tok-1.thumb")
    ok = handler(_request("GET", "/.well-known/acme-challenge/tok-1"))
    assert ok.status == 200 and ok.body == b"tok-1.thumb"
    assert handler(_request("HEAD", "/.well-known/acme-challenge/tok-1")).status == 200
    assert handler(_request("POST", "/.well-known/acme-challenge/tok-1")).status == 404
    assert handler(_request("GET", "/.well-known/acme-challenge/other")).status == 404
    assert handler(_request("GET", "/.well-known/acme-challenge/" + "x" * 300)).status == 404
    assert handler(_request("GET", "/anything")).status == 308
    board.remove(token="tok-1")
    assert handler(_request("GET", "/.well-known/acme-challenge/tok-1")).status == 404


class _Response:
    def __init__(self, value):
        self.headers = {"Retry-After": value} if value is not None else {}


def test_retry_after_forms():
    assert retry_after_seconds(_Response("120")) == 120
    when = email.utils.formatdate(1_000_600, usegmt=True)
    assert retry_after_seconds(_Response(when), now=1_000_000) == 600
    assert retry_after_seconds(_Response(None)) is None and retry_after_seconds(None) is None
    assert retry_after_seconds(_Response("soon")) is None


@given(st.text(max_size=80))
def test_retry_after_never_raises(value):
    got = retry_after_seconds(_Response(value), now=0)
    assert got is None or got >= 0


@pytest.mark.parametrize("args, words", [
    (("--domain", DOMAIN, "--workers", "2"), "one worker"),
    (("--domain", "localhost"), "local CA"),
    (("--domain", DOMAIN, "--engine", "openssl", "--challenge", "tls-alpn-01"), "own TLS engine"),
    (("--domain", DOMAIN, "--http-port", "none", "--challenge", "http-01"), "port-80 listener"),
    (("--domain", DOMAIN, "--staging", "--directory", "https://x.example/dir"), "choose one CA"),
])
def test_serve_domain_bad_usage(tmp_path, args, words):
    done = run_cli(tmp_path, "serve", "--port", "0", *args)
    assert done.returncode == 2 and words in done.stderr and done.stderr.count("\n") == 1, done.stderr


def test_serve_config_file_keys(tmp_path):
    """docs/acme.md's config keys reach the ACME settings; a public site listens on every interface."""
    from port443.acme.client import LETSENCRYPT_STAGING
    from port443.acme.serving import settings_from
    from port443.serve import config as serve_config

    path = tmp_path / "site.toml"
    path.write_text(f'domains = ["{DOMAIN}"]\nemail = "ops@port443.test"\nstaging = true\n'
                    'challenge = "tls-alpn-01"\nacme-ca-file = "ca.pem"\n')
    cfg = serve_config.build(serve_config.load_file(path), {})
    settings = settings_from(cfg)
    assert settings.domains == (DOMAIN,) and settings.email == "ops@port443.test"
    assert settings.directory == LETSENCRYPT_STAGING and settings.challenge == "tls-alpn-01"
    assert settings.ca_file == str(tmp_path / "ca.pem") and cfg.bind_host == ""  # relative to the file
