"""ACME against Debian's pebble on loopback: `port443 cert acme` by HTTP-01 and TLS-ALPN-01,
and failures (validation refused, directory down, rate-limited) that give one clear line,
back off with jitter, and leave the current certificate in place.

pebble validates on our responders' ports (reserved for the module), resolves every name
to 127.0.0.1 through pebble-challtestsrv, and its own HTTPS is verified with its test CA.
"""

from __future__ import annotations

import pytest
from cryptography import x509

from acme_helpers import DOMAIN, RATE_LIMIT_DETAIL, FakeClock, mode, rate_limiting_ca, run_cli, validates
from peers import LOOPBACK
from pebble_server import pebble_ca, reserve_port
from port443.acme import store
from port443.acme.board import ChallengeBoard
from port443.acme.client import AcmeSettings, obtain
from port443.acme.renew import Backoff, RenewalManager, renewal_time
from port443.acme.responders import Responders
from port443.pki.files import load_certificates

pytestmark = pytest.mark.interop
WWW = "www." + DOMAIN


@pytest.fixture(scope="module")
def ports():
    """The validation ports pebble is pointed at; reserved, so a responder can bind them at any time."""
    http, tls = reserve_port(), reserve_port()
    yield http.getsockname()[1], tls.getsockname()[1]
    http.close()
    tls.close()


@pytest.fixture(scope="module")
def ca(tmp_path_factory, ports):
    with pebble_ca(tmp_path_factory.mktemp("pebble"), http_port=ports[0], tls_port=ports[1]) as pebble:
        yield pebble


@pytest.fixture(scope="module")
def root(ca):
    return ca.root()


@pytest.mark.parametrize("challenge", ["http-01", "tls-alpn-01"])
def test_cert_acme_issues(challenge, ca, root, ports, tmp_path):
    home = tmp_path / "home"
    port = ["--http-port", str(ports[0])] if challenge == "http-01" else ["--tls-port", str(ports[1])]
    done = run_cli(home, "cert", "acme", "--domain", DOMAIN, "--domain", WWW, "--email", "ops@port443.test",
                   "--directory", ca.directory, "--acme-ca-file", str(ca.cafile), "--challenge", challenge,
                   "--host", LOOPBACK, *port)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("challenge: "))
    assert sorted(line.removeprefix("challenge: ").split("; ")) == [f"{challenge} for {DOMAIN}", f"{challenge} for {WWW}"]
    paths = store.CertPaths(home / "acme" / "certs" / DOMAIN / "fullchain.pem",
                            home / "acme" / "certs" / DOMAIN / "privkey.pem")
    assert str(paths.chain) in done.stdout and f"{paths.key} (mode 0600)" in done.stdout
    assert mode(paths.key) == 0o600 and mode(paths.chain.parent) == 0o700
    account_keys = list((home / "acme" / "accounts").glob("*/account-key.pem"))
    assert len(account_keys) == 1 and mode(account_keys[0]) == 0o600
    chain = load_certificates(paths.chain)
    names = chain[0].extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(names.get_values_for_type(x509.DNSName)) == sorted([DOMAIN, WWW])
    assert validates(chain, root) == "trusted"
    assert validates(chain, root, WWW) == "trusted"


def test_second_run_reuses_the_account(ca, ports, tmp_path):
    home = tmp_path / "home"
    args = ("cert", "acme", "--domain", DOMAIN, "--directory", ca.directory, "--acme-ca-file", str(ca.cafile),
            "--host", LOOPBACK, "--http-port", str(ports[0]))
    first, second = run_cli(home, *args), run_cli(home, *args)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    account = [line for line in first.stdout.splitlines() if line.startswith("account:")][0]
    assert account.endswith("(new)")
    assert account.removesuffix(" (new)") + "\n" in second.stdout


# ------------------------------------------------------------------ failures


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PORT443_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def old_certificate(ca, ports, home):
    """A certificate issued while the responder was up: the one that must keep serving."""
    board = ChallengeBoard()
    settings = AcmeSettings((DOMAIN,), None, ca.directory, "http-01", str(ca.cafile))
    with Responders(board, LOOPBACK, http_port=ports[0]):
        got = obtain(settings, board)
    return got


def _manager(settings, current, clock, failures, rng=lambda: 0.5):
    board = ChallengeBoard()  # nothing answers: no responder runs
    return RenewalManager(lambda: obtain(settings, board).chain, current, renew_now=True,
                          on_failure=failures.append, clock=clock, rng=rng)


def _one_line(failure) -> str:
    text = str(failure.error)
    assert "\n" not in text and "Traceback" not in text
    return text


def test_validation_refused_keeps_the_old_certificate(ca, old_certificate):
    before = old_certificate.paths.chain.read_bytes(), old_certificate.paths.key.read_bytes()
    settings = AcmeSettings((DOMAIN,), None, ca.directory, "http-01", str(ca.cafile))
    clock, failures = FakeClock(), []
    manager = _manager(settings, old_certificate.chain, clock, failures, rng=iter([0.0, 1.0]).__next__)
    assert not manager.attempt()
    start = clock.now
    assert not manager.attempt()
    assert len(failures) == 2
    line = _one_line(failures[0])
    assert line.startswith(f"http-01 validation of {DOMAIN} failed (connection: ")
    assert "open port 80 to the internet (`port443 firewall open --port 80`)" in line
    assert failures[0].error.kind == "validation"
    # backoff: 60 s -20 % jitter, then 120 s +20 %; the CA's failure is never retried at once
    assert failures[0].retry_in == pytest.approx(48.0) and failures[1].retry_in == pytest.approx(144.0)
    assert manager.next_attempt == pytest.approx(start + 144.0)
    # the current certificate stays: in the manager and on disk, byte for byte
    assert manager.current == old_certificate.chain
    assert (old_certificate.paths.chain.read_bytes(), old_certificate.paths.key.read_bytes()) == before


def test_directory_down(home, old_certificate):
    closed = reserve_port()  # bound, never listening: connections are refused
    url = f"https://{LOOPBACK}:{closed.getsockname()[1]}/dir"
    try:
        settings = AcmeSettings((DOMAIN,), None, url, "http-01", None)
        clock, failures = FakeClock(), []
        manager = _manager(settings, old_certificate.chain, clock, failures)
        for _ in range(3):
            assert not manager.attempt()
    finally:
        closed.close()
    assert [f.retry_in for f in failures] == [60.0, 120.0, 240.0]
    assert _one_line(failures[0]) == (f"cannot reach the ACME server at {url} (connection refused); check "
                                      "--directory and this machine's outbound HTTPS")
    assert failures[0].error.kind == "unreachable"
    assert manager.current == old_certificate.chain
    assert load_certificates(old_certificate.paths.chain) == list(old_certificate.chain)


def test_rate_limited_honours_retry_after(home, test_pki, old_certificate):
    with rate_limiting_ca(test_pki, retry_after=3600) as (url, seen):
        settings = AcmeSettings((DOMAIN,), None, url, "http-01", str(test_pki.cafile))
        clock, failures = FakeClock(), []
        manager = _manager(settings, old_certificate.chain, clock, failures)
        start = clock.now
        assert not manager.attempt()
    assert "POST /account" in seen
    assert _one_line(failures[0]) == f"the CA rate-limited this request ({RATE_LIMIT_DETAIL})"
    assert failures[0].error.kind == "rate-limited" and failures[0].error.retry_after == 3600
    assert failures[0].retry_in == 3600 and manager.next_attempt == start + 3600
    assert manager.current == old_certificate.chain


def test_recovery_after_failures(ca, ports, home):
    """The manager retries on its backoff schedule until the responder is back, then renews on time."""
    settings = AcmeSettings((DOMAIN,), None, ca.directory, "http-01", str(ca.cafile))
    board = ChallengeBoard()
    clock, failures, renewed = FakeClock(), [], []
    responders = Responders(board, LOOPBACK, http_port=ports[0])

    def obtain_now():
        return obtain(settings, board).chain

    def wait(seconds):
        clock.wait(seconds)
        if len(clock.waits) == 2:
            responders.start()  # port 80 comes back after the second failure
        return len(renewed) == 1

    manager = RenewalManager(obtain_now, None, on_failure=failures.append, on_renewed=renewed.append,
                             clock=clock, rng=lambda: 0.5, backoff=Backoff(base=10))
    try:
        manager.run(wait)
    finally:
        responders.stop()
    assert [f.failures for f in failures] == [1, 2]
    assert clock.waits[:2] == [10.0, 20.0]
    assert manager.failures == 0 and manager.current == renewed[0]
    assert manager.next_attempt == renewal_time(renewed[0][0])


def test_cert_acme_failures_are_one_line(ca, ports, tmp_path):
    home = tmp_path / "home"
    refused = run_cli(home, "cert", "acme", "--domain", DOMAIN, "--directory", ca.directory,
                      "--acme-ca-file", str(ca.cafile), "--host", LOOPBACK, "--http-port", "0")
    assert refused.returncode == 5
    assert refused.stderr.startswith(f"port443 cert: error: http-01 validation of {DOMAIN} failed")
    assert refused.stderr.count("\n") == 1
    closed = reserve_port()
    url = f"https://{LOOPBACK}:{closed.getsockname()[1]}/dir"
    down = run_cli(home, "cert", "acme", "--domain", DOMAIN, "--directory", url, "--host", LOOPBACK,
                   "--http-port", "0")
    closed.close()
    assert down.returncode == 3 and down.stderr == f"port443 cert: error: cannot reach the ACME server at {url} " \
        "(connection refused); check --directory and this machine's outbound HTTPS\n"
    untrusted = run_cli(home, "cert", "acme", "--domain", DOMAIN, "--directory", ca.directory, "--host", LOOPBACK,
                        "--http-port", "0")
    assert untrusted.returncode == 3 and "--acme-ca-file" in untrusted.stderr
    assert untrusted.stderr.count("\n") == 1
    bad = run_cli(home, "cert", "acme", "--domain", "localhost", "--directory", ca.directory)
    assert bad.returncode == 2 and "local CA" in bad.stderr
