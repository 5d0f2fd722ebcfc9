"""`port443 handshake TARGET`: watch the TLS handshake with a site, step by step.

Exit codes:
  0  secure: the handshake completed and the certificate is trusted (the padlock)
  1  connected, but not trusted: the certificate failed validation, or browsers refuse it
  2  could not connect: DNS failure, connection refused (port closed), or timeout (filtered)
  3  TLS failure: not TLS on the port, an alert, no common version or cipher suite
  4  bad command line (the message names the option and the fix)
"""

from __future__ import annotations

import os
import re

import click

from port443.cli.handshake_render import render_json, render_text
from port443.net.keylog import ENV_VAR, KeylogFile
from port443.net.trace_run import DEFAULT_TIMEOUT, TargetError, TraceOptions, parse_target, run_trace
from port443.tls.config import ConfigError
from port443.tls.suites import SUITES
from port443.verdict import judge

EXIT_USAGE = 4
MAX_TIMEOUT = 300.0
RSA_KX_SUITES = tuple(info.name for info in SUITES.values() if info.kx == "RSA")
METHOD = re.compile(r"^[A-Z]{1,20}$")


class BadUsage(click.UsageError):
    exit_code = EXIT_USAGE


class HandshakeCommand(click.Command):
    """Usage errors exit 4: exit 2 means "could not connect" for this command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = EXIT_USAGE
            raise


def _names(values: tuple[str, ...]) -> tuple[str, ...]:
    """Repeated and/or comma-separated option values, in order."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _versions(tls12: bool, tls13: bool, rsa_kx: bool) -> tuple[str, ...]:
    if rsa_kx:
        if tls13:
            raise BadUsage("--rsa-kx needs TLS 1.2 (TLS 1.3 has no RSA key transport); drop --tls1.3")
        return ("TLSv1.2",)
    if tls12 and not tls13:
        return ("TLSv1.2",)
    if tls13 and not tls12:
        return ("TLSv1.3",)
    return ("TLSv1.3", "TLSv1.2")


def _suites(ciphers: tuple[str, ...], rsa_kx: bool) -> tuple[str, ...] | None:
    if not rsa_kx:
        return ciphers or None
    wrong = [c for c in ciphers if c not in RSA_KX_SUITES]
    if wrong:
        raise BadUsage(f"--rsa-kx: {', '.join(wrong)} is not an RSA key transport suite; use one of "
                       f"{', '.join(RSA_KX_SUITES)}")
    return ciphers or RSA_KX_SUITES


@click.command(cls=HandshakeCommand)
@click.argument("target")
@click.option("--tls1.2", "tls12", is_flag=True, help="Offer TLS 1.2 only (with --tls1.3: both).")
@click.option("--tls1.3", "tls13", is_flag=True, help="Offer TLS 1.3 only (with --tls1.2: both).")
@click.option("--cipher", "ciphers", multiple=True, metavar="SUITES",
              help="Cipher suites to offer, IANA names, comma-separated, e.g. TLS_AES_256_GCM_SHA384.")
@click.option("--group", "groups", multiple=True, metavar="GROUPS",
              help="Key exchange groups to offer, comma-separated (the first gets a key share), e.g. x25519.")
@click.option("--alpn", "alpn", multiple=True, metavar="PROTOCOLS",
              help="ALPN protocols to offer, comma-separated (default http/1.1; h2 is spoken too).")
@click.option("--sni", default=None, metavar="NAME",
              help="Server name to send and to check the certificate against (default: the target's host).")
@click.option("--cafile", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Trust the CAs in this PEM file instead of Mozilla's roots.")
@click.option("--insecure", is_flag=True,
              help="Send the HTTP request even when the certificate is not trusted (the verdict still says why).")
@click.option("--resume", is_flag=True,
              help="Connect a second time, resuming the first session (ticket or session ID): the short handshake.")
@click.option("--rsa-kx", is_flag=True,
              help="TLS 1.2 with RSA key transport: the guide's premaster secret flow (no forward secrecy).")
@click.option("--keylog", type=click.Path(dir_okay=False, writable=True), default=None, metavar="FILE",
              help=f"Append the session secrets to FILE in NSS key log format (Wireshark); ${ENV_VAR} too.")
@click.option("--show-secrets", is_flag=True, help="Print the session secrets in the trace.")
@click.option("--timeout", type=click.FloatRange(0, MAX_TIMEOUT, min_open=True), default=DEFAULT_TIMEOUT,
              metavar="SECONDS",
              show_default=True, help="Seconds for each TCP connect, then for the TLS and HTTP exchange.")
@click.option("--path", default=None, help="Request path (default: the URL's path, or /).")
@click.option("--method", default="GET", show_default=True, help="Request method.")
@click.option("--json", "as_json", is_flag=True, help="Print the trace and verdict as JSON (docs/handshake.md).")
@click.option("--observe", is_flag=True,
              help="Then show what a passive observer saw: SNI, sizes, timing, JA3/JA4 (docs/observe.md).")
def handshake(target: str, tls12: bool, tls13: bool, ciphers: tuple[str, ...], groups: tuple[str, ...],
              alpn: tuple[str, ...], sni: str | None, cafile: str | None, insecure: bool, resume: bool,
              rsa_kx: bool, keylog: str | None, show_secrets: bool, timeout: float, path: str | None,
              method: str, as_json: bool, observe: bool) -> None:
    """Watch the TLS handshake with TARGET, step by step, and get the verdict.

    TARGET is HOST, HOST:PORT or an https:// URL; the port defaults to 443.
    Every address DNS returns is tried in order until one connects. Each step
    is shown with its real values and the milliseconds elapsed: DNS and the
    TCP connect, Client Hello, Server Hello, the certificate chain and its
    validation, the key exchange, the session keys, Finished both ways, one
    HTTP request, and the verdict: secure (the padlock) or exactly why not.

    \b
    Exit codes:
      0  secure: the handshake completed and the certificate is trusted
      1  connected, but not trusted (the certificate, with its diagnosis)
      2  could not connect: DNS failure, refused (port closed), timeout (filtered)
      3  TLS failure: not TLS on the port, an alert, no common version or suite
      4  bad command line
    """
    try:
        where = parse_target(target)
    except TargetError as exc:
        raise BadUsage(str(exc)) from None
    method = method.upper()
    if not METHOD.match(method):
        raise BadUsage(f"--method {method!r}: use an HTTP method name such as GET or HEAD")
    if path is not None and (not path.startswith("/") or any(c.isspace() or ord(c) < 32 for c in path)):
        raise BadUsage(f"--path {path!r}: write an absolute path without spaces, such as /index.html")
    secrets: list[str] = []
    sink: KeylogFile | None = None

    def on_secret(line: str) -> None:
        if sink is not None:
            sink.write(line)
        if show_secrets:
            secrets.append(line)

    options = TraceOptions(
        server_name=sni, versions=_versions(tls12, tls13, rsa_kx), cipher_suites=_suites(_names(ciphers), rsa_kx),
        groups=_names(groups) or None, alpn_protocols=_names(alpn) or ("http/1.1",), cafile=cafile,
        request_when_untrusted=insecure, timeout=timeout, method=method, path=path, resume=resume,
        keylog=on_secret, show_secrets=show_secrets)
    try:
        options.client_config(sni or where.host)
    except ConfigError as exc:
        raise BadUsage(str(exc)) from None
    keylog_path = keylog or os.environ.get(ENV_VAR) or None
    try:
        sink = KeylogFile(keylog_path) if keylog_path else None
    except OSError as exc:
        raise BadUsage(f"cannot open the key log file {keylog_path}: {exc.strerror}") from None
    try:
        run = run_trace(where, options)
    finally:
        if sink is not None:
            sink.close()
    verdict = judge(run)
    keylog_info = (sink.path, sink.lines) if sink is not None else None
    observed = None
    if observe:
        from port443.cli.observe_render import observe_traced

        observed = observe_traced(run)
    if as_json:
        click.echo(render_json(target, run, verdict, secrets if show_secrets else None, keylog_info,
                               [f.as_dict() for f in observed] if observed is not None else None))
    else:
        render_text(target, run, verdict, keylog_info)
        if observed is not None:
            from port443.cli.observe_render import show_observed
            from port443.cli.render import console

            show_observed(console(), observed)
    raise SystemExit(verdict.exit_code)
