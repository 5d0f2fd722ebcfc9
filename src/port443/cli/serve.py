"""`port443 serve`: serve a site over HTTPS on port 443, and redirect port 80 to it.

Exit codes:
  0  stopped by SIGTERM or Ctrl-C after draining in-flight requests
  1  a worker failed while serving
  2  bad usage or bad input: flags, config file, certificate or key files, --root, --proxy
  3  no port could be bound (the message says which and what to do)
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from click.core import ParameterSource

from port443.cli.cert_acme import ca_options
from port443.cli.errors import exit_codes_epilog, fail
from port443.cli.render import console

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_BIND = 0, 1, 2, 3

FLAG_TO_SETTING = {
    "host": "host", "port": "port", "http_port": "http_port", "root": "root", "proxy": "proxy",
    "engine": "engine", "workers": "workers", "hsts": "hsts", "hsts_include_subdomains": "hsts_include_subdomains",
    "hsts_preload": "hsts_preload", "http2": "http2", "access_log": "access_log",
    "handshake_timeout": "handshake_timeout", "header_timeout": "header_timeout", "idle_timeout": "idle_timeout",
    "max_header_size": "max_header_size", "max_body_size": "max_body_size", "max_connections": "max_connections",
    "drain_timeout": "drain_timeout", "send_timeout": "send_timeout",
    "email": "email", "staging": "staging", "directory": "acme_directory", "acme_ca_file": "acme_ca_file",
    "challenge": "challenge",
}


def _fail(code: int, message: str) -> None:
    fail("serve", code, message)


def _flags(ctx: click.Context, params: dict) -> dict:
    given = {}
    for name, setting in FLAG_TO_SETTING.items():
        if ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            given[setting] = params[name]
    certs, keys = params["cert"], params["key"]
    if len(certs) != len(keys):
        raise click.UsageError("give one --key for each --cert, in the same order")
    if certs:
        given["certs"] = tuple(zip(certs, keys))
    if params["domain"]:
        given["domains"] = params["domain"]
    return given


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("port443: %(message)s"))
    logger = logging.getLogger("port443.serve")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _access_stream(value: str):
    if value == "off":
        return None
    if value == "-":
        return sys.stdout
    try:
        return open(value, "a", encoding="utf-8", buffering=1 << 16)
    except OSError as exc:
        raise ValueError(f"--access-log {value}: cannot open it ({exc.strerror})") from None


def _startup_lines(prepared) -> list[str]:
    cfg = prepared.config
    lines = []
    if prepared.local is not None:
        ca = prepared.local.ca
        if prepared.local.ca_created:
            lines.append(f"created the local CA in {ca.cert_path.parent} (first run)")
        lines.append(f"certificate from the local CA; to trust it in this machine's browsers: `port443 cert trust` "
                     f"(root {ca.cert_path})")
    if prepared.acme is not None:
        lines += prepared.acme.startup_lines()
    lines += prepared.hints
    what = f"static files from {cfg.root}" if cfg.root else f"proxy to {cfg.proxy}" if cfg.proxy else "the built-in page"
    if prepared.http_url:
        lines.append(f"redirecting {prepared.http_url} to https (308)")
    workers = f"{cfg.workers} worker" + ("s" if cfg.workers > 1 else "")
    lines.append(f"serving {prepared.https_url} ({what}; {cfg.engine} engine, {workers}, "
                 f"{'h2 and ' if cfg.http2 else ''}http/1.1)")
    return lines


@click.command(epilog=exit_codes_epilog(__doc__))
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file with any of these settings (flags win over it).")
@click.option("--root", type=click.Path(path_type=Path), help="Serve static files from this directory.")
@click.option("--proxy", metavar="URL", help="Reverse-proxy to this local app, e.g. http://127.0.0.1:8000.")
@click.option("--cert", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Certificate chain (PEM), repeatable; chosen by SNI. Default: from the local CA.")
@click.option("--key", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Private key of each --cert, in the same order.")
@click.option("--domain", multiple=True, metavar="NAME",
              help="Get the certificate for NAME from ACME (Let's Encrypt) and renew it while serving; "
                   "repeatable. See docs/acme.md.")
@ca_options("With --domain: ")
@click.option("--challenge", type=click.Choice(["http-01", "tls-alpn-01"]),
              help="With --domain: how the CA checks the name (default http-01 on the port-80 listener, "
                   "tls-alpn-01 on the HTTPS port when port 80 is off).")
@click.option("--host", help="Address to listen on (default: localhost; every interface with --cert or --domain).")
@click.option("--port", type=int, help="HTTPS port (default 443, or 8443 when 443 cannot be bound; 0: any free).")
@click.option("--http-port", help="Port that redirects to HTTPS (default 80, else 8080; 'none' to disable).")
@click.option("--engine", type=click.Choice(["native", "openssl"]), default="native", show_default=True,
              help="TLS engine: port443's own, or OpenSSL via Python's ssl.")
@click.option("--workers", type=int, default=1, show_default=True, help="Processes sharing the port (SO_REUSEPORT).")
@click.option("--hsts", type=int, metavar="SECONDS",
              help="Strict-Transport-Security max-age (default: one year for public names, off for localhost; 0: off).")
@click.option("--hsts-include-subdomains", is_flag=True, help="Add includeSubDomains to HSTS.")
@click.option("--hsts-preload", is_flag=True, help="Add preload to HSTS.")
@click.option("--http2/--no-http2", default=True, show_default=True, help="Offer HTTP/2 through ALPN.")
@click.option("--access-log", default="-", show_default=True, help="Access log file, '-' for stdout, 'off'.")
@click.option("--handshake-timeout", type=float, help="Seconds for the TLS handshake [10].")
@click.option("--header-timeout", type=float, help="Seconds to send a request's head [10].")
@click.option("--idle-timeout", type=float, help="Seconds a kept-alive connection may idle [60].")
@click.option("--send-timeout", type=float, help="Seconds a client may read nothing of its answers [60].")
@click.option("--max-header-size", type=int, help="Bytes of request line and headers [16384]; over: 431.")
@click.option("--max-body-size", type=int, help="Bytes of request body [10485760]; over: 413.")
@click.option("--max-connections", type=int, help="Concurrent connections per worker [10000].")
@click.option("--drain-timeout", type=float, help="Seconds SIGTERM waits for in-flight requests [30].")
@click.pass_context
def serve(ctx: click.Context, config_file: Path | None, **params) -> None:
    """Serve a site over HTTPS: the built-in page (your own handshake, and what an
    eavesdropper still sees), static files (--root) or a local app (--proxy), on our
    TLS engine or OpenSSL. Port 80 redirects to HTTPS. SIGTERM drains; SIGHUP reloads
    the certificates."""
    from port443.pki.files import PkiFileError
    from port443.serve import config as config_mod
    from port443.serve.listen import BindError
    from port443.serve.server import prepare, run

    try:
        file_settings = config_mod.load_file(config_file) if config_file else {}
        cfg = config_mod.build(file_settings, _flags(ctx, params))
        access = _access_stream(cfg.access_log)
        prepared = prepare(cfg)
    except BindError as exc:
        _fail(EXIT_BIND, str(exc))
    except (config_mod.ServeConfigError, PkiFileError, ValueError) as exc:
        _fail(EXIT_BAD_INPUT, str(exc))
    _setup_logging()
    con = console()

    def ready() -> None:
        for line in _startup_lines(prepared):
            con.print(f"port443: {line}", soft_wrap=True, markup=False)
        sys.stdout.flush()

    sys.exit(run(prepared, access, ready))
