"""`port443 cert acme`: a certificate from an ACME CA (Let's Encrypt by default).

Registered by the `cert` group (cert.py); exit codes are the group's.
"""

from __future__ import annotations

import sys

import click

CHALLENGE_HELP = ("How the CA checks that you control the names: http-01 answers on port 80, tls-alpn-01 on "
                  "port 443 (our engine serves the acme-tls/1 certificate).")


def ca_options(prefix: str):
    """--email, --staging, --directory, --acme-ca-file: which CA and how to reach it (also for serve)."""
    def say(text: str) -> str:
        return prefix + (text[0].lower() + text[1:] if prefix else text)

    options = [
        click.option("--email", help=say("Contact address for the ACME account (the CA's expiry notices).")),
        click.option("--staging", is_flag=True, help=say("Let's Encrypt's staging CA: untrusted certificates, "
                                                         "generous rate limits; for trying things out.")),
        click.option("--directory", metavar="URL", help=say("Another ACME CA's directory URL "
                                                            "(default: Let's Encrypt).")),
        click.option("--acme-ca-file", type=click.Path(dir_okay=False, exists=True),
                     help=say("Trust this CA file for the ACME server's own HTTPS (a private or test CA).")),
    ]

    def apply(command):
        for option in reversed(options):
            command = option(command)
        return command
    return apply


ACME_EXIT_CODES = """0  done: the certificate and key are in the data directory

2  bad usage or bad input: a name a public CA cannot validate, a bad e-mail or URL

3  the CA cannot be reached (or its HTTPS cannot be verified), or a challenge port cannot be bound

5  the CA did not issue: validation failed, refused, rate-limited (the message says why and what to do)"""


@click.command(epilog="Exit codes:\n\n" + ACME_EXIT_CODES)
@click.option("--domain", "domains", multiple=True, required=True, metavar="NAME",
              help="A DNS name to cover (repeatable); it must resolve to this machine.")
@ca_options("")
@click.option("--challenge", type=click.Choice(["http-01", "tls-alpn-01"]), default="http-01", show_default=True,
              help=CHALLENGE_HELP)
@click.option("--host", default="", help="Address the challenge responder listens on (default: every interface).")
@click.option("--http-port", type=click.IntRange(0, 65535), default=80, show_default=True,
              help="Port for the http-01 responder (the CA always connects to 80: change it only behind a "
                   "port forward).")
@click.option("--tls-port", type=click.IntRange(0, 65535), default=443, show_default=True,
              help="Port for the tls-alpn-01 responder (the CA always connects to 443).")
@click.option("--key-type", type=click.Choice(["ecdsa-p256", "ecdsa-p384", "rsa2048", "rsa3072", "rsa4096"]),
              default="ecdsa-p256", show_default=True, help="The certificate key's algorithm.")
def acme(domains: tuple[str, ...], email: str | None, staging: bool, directory: str | None,
         acme_ca_file: str | None, challenge: str, host: str, http_port: int, tls_port: int, key_type: str) -> None:
    """Get a certificate for the --domain names from an ACME CA: Let's Encrypt by default,
    its staging CA with --staging, any other with --directory. A responder answers the
    CA's challenge on port 80 (http-01) or 443 (tls-alpn-01) while it runs; the account
    key and the certificate go to the data directory (keys mode 0600).
    `port443 serve --domain NAME` does the same by itself and renews before expiry."""
    from port443.acme.board import ChallengeBoard
    from port443.acme.client import LETSENCRYPT, LETSENCRYPT_STAGING, AcmeSettings, check_settings, obtain
    from port443.acme.reasons import AcmeError
    from port443.acme.renew import renewal_time
    from port443.acme.responders import ResponderError, Responders
    from port443.cli.cert import EXIT_ACME, EXIT_BAD_INPUT, EXIT_NETWORK, _fail
    from port443.cli.cert_render import show_lines

    if staging and directory:
        _fail(EXIT_BAD_INPUT, "--staging and --directory both given; choose one CA")
    url = directory or (LETSENCRYPT_STAGING if staging else LETSENCRYPT)
    try:
        names = check_settings(domains, email, url, challenge, key_type)
    except ValueError as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    settings = AcmeSettings(names, email, url, challenge, acme_ca_file, key_type)
    board = ChallengeBoard()
    ports = (http_port, None) if challenge == "http-01" else (None, tls_port)
    try:
        with Responders(board, host, *ports):
            got = obtain(settings, board)
    except ResponderError as exc:
        _fail(EXIT_NETWORK, str(exc))
    except AcmeError as exc:
        _fail(EXIT_NETWORK if exc.kind in ("unreachable", "tls") else EXIT_ACME, str(exc))
    leaf = got.chain[0]
    show_lines([
        ("names", ", ".join(names)),
        ("certificate", f"{got.paths.chain} (leaf and the CA's chain)"),
        ("key", f"{got.paths.key} (mode 0600)"),
        ("issuer", leaf.issuer.rfc4514_string()),
        ("valid until", f"{leaf.not_valid_after_utc:%Y-%m-%d %H:%M:%S} UTC (renew from "
                        f"{_utc(renewal_time(leaf))})"),
        ("challenge", "; ".join(got.challenges) or "none needed (the CA remembered a recent validation)"),
        ("account", got.account_uri + (" (new)" if got.account_created else "")),
        ("next", f"`port443 serve --domain {names[0]}` serves it and renews it by itself"),
    ])
    sys.exit(0)


def _utc(epoch: float) -> str:
    import datetime as dt

    return f"{dt.datetime.fromtimestamp(epoch, dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC"
