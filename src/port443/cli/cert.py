"""`port443 cert`: a local CA, certificates from it, CSRs, and chain inspection.

Exit codes (all `cert` commands):
  0  done; for `inspect`, the chain is trusted and has no error-level finding
  1  `inspect` found at least one error-level problem (the chain is printed with them)
  2  bad usage or bad input: unreadable or garbage file, wrong password, key not matching
  3  network: cannot connect, or the TLS handshake failed (`acme`: the CA is unreachable, or a challenge port cannot be bound)
  4  `trust`/`untrust`: a trust-store command failed, or there is none on this platform
  5  `acme`: the CA did not issue (validation failed, refused, rate-limited; the message says why)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import click

from port443.cli import errors
from port443.cli.errors import exit_codes_epilog, fail
from cryptography.hazmat.primitives.serialization import Encoding

from port443.pki import csr as csr_mod, hostname, localca, ostrust
from port443.pki.files import (PkiFileError, load_certificates, load_private_key, pem_chain,
                               require_key_matches, write_file, write_private_key)
from port443.pki.issue import KEY_TYPES, generate_key
from port443.pki.report import inspect_chain
from port443.pki.trust import TrustError, TrustStore

EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_NETWORK, EXIT_SYSTEM, EXIT_ACME = 0, 1, 2, 3, 4, 5


def _fail(code: int, message: str) -> None:
    fail("cert", code, message)


def one_line_errors(command):
    """Turn our errors into one line on stderr and the documented exit code; never a traceback."""
    from port443.net.chain import ChainFetchError

    return errors.one_line_errors(
        "cert",
        ((ChainFetchError,), EXIT_NETWORK),
        ((ostrust.TrustInstallError,), EXIT_SYSTEM),
        ((PkiFileError, TrustError, csr_mod.CsrError, ValueError), EXIT_BAD_INPUT),
    )(command)


@click.group(epilog=exit_codes_epilog(__doc__, "Exit codes (all `cert` commands):"))
def cert() -> None:
    """Certificates: a local CA (like mkcert), certificates from it, CSRs to buy one, and
    inspection of any chain with a diagnosis of everything browsers complain about."""


@cert.command()
@one_line_errors
def ca() -> None:
    """Create the local CA (or show the existing one): its root key stays in your data dir
    (mode 0600, PORT443_HOME to move it); the SHA-256 fingerprint is printed."""
    from port443.cli.cert_render import show_lines

    made, created = localca.load_or_create_ca()
    note = "created" if created else "already exists"
    show_lines([("local CA", f"{made.certificate.subject.rfc4514_string()} ({note})"),
                ("root certificate", str(made.cert_path)), ("root key", f"{made.key_path} (mode 0600)"),
                ("SHA-256 fingerprint", made.fingerprint),
                ("next", "`port443 cert trust` to trust it here, `port443 cert issue NAME...` for certificates")])


def _plan(untrust: bool, platform: str | None, dry_run: bool):
    if platform and not dry_run:
        raise ValueError("--platform only shows another platform's commands; add --dry-run")
    local = localca.load_ca()
    machine = ostrust.this_machine()
    if platform:
        machine = ostrust.Machine(platform, machine.is_admin and platform in ("debian", "fedora"))
    plan = ostrust.untrust_plan if untrust else ostrust.trust_plan
    return plan(machine, local.certificate, str(local.cert_path)), local


def _trust_command(untrust: bool, dry_run: bool, platform: str | None) -> None:
    from port443.cli.cert_render import show_lines, show_steps

    steps, local = _plan(untrust, platform, dry_run)
    show_steps(steps, dry_run)
    if dry_run:
        return
    ostrust.run_plan(steps)
    verb = "no longer trusted" if untrust else "trusted"
    show_lines([("done", f"{local.certificate.subject.rfc4514_string()} is {verb} on this machine "
                         f"(SHA-256 {local.fingerprint})")])


platform_option = click.option("--platform", type=click.Choice(ostrust.PLATFORMS),
                               help="With --dry-run: show the commands for another platform.")


@cert.command()
@click.option("--dry-run", is_flag=True, help="Print the exact commands instead of running them.")
@platform_option
@one_line_errors
def trust(dry_run: bool, platform: str | None) -> None:
    """Install the local CA's root into the OS trust store (and Firefox/Chrome NSS
    databases when NSS certutil is installed)."""
    _trust_command(False, dry_run, platform)


@cert.command()
@click.option("--dry-run", is_flag=True, help="Print the exact commands instead of running them.")
@platform_option
@one_line_errors
def untrust(dry_run: bool, platform: str | None) -> None:
    """Remove the local CA's root from the trust stores `cert trust` installed it in."""
    _trust_command(True, dry_run, platform)


key_type_option = click.option("--key-type", type=click.Choice(KEY_TYPES), default="ecdsa-p256", show_default=True,
                               help="The new key's algorithm.")
out_option = click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                          help="Directory for the files (default: the current directory).")
force_option = click.option("--force", is_flag=True, help="Overwrite existing files.")


def _targets(out_dir: Path, stem: str, suffixes: tuple[str, ...], force: bool) -> list[Path]:
    paths = [out_dir / f"{stem}{suffix}" for suffix in suffixes]
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise ValueError(f"{', '.join(existing)} already exists; pick another --out, or add --force")
    out_dir.mkdir(parents=True, exist_ok=True)
    return paths


@cert.command()
@click.argument("names", nargs=-1, required=True)
@key_type_option
@out_option
@force_option
@one_line_errors
def issue(names: tuple[str, ...], key_type: str, out_dir: Path, force: bool) -> None:
    """Issue a server certificate from the local CA for NAMES (DNS names, wildcards such as
    *.example.test, IP addresses): writes NAME.pem (the chain) and NAME-key.pem."""
    from port443.cli.cert_render import show_lines

    wanted = [hostname.check_requested_name(n) for n in names]
    local = localca.load_ca()
    chain_path, key_path = _targets(out_dir, localca.leaf_file_stem(wanted), (".pem", "-key.pem"), force)
    made = localca.issue_from_ca(local, wanted, key_type)
    write_private_key(key_path, made.key)
    write_file(chain_path, pem_chain(made.chain))
    show_lines([("names", ", ".join(wanted)), ("certificate", str(chain_path)), ("key", f"{key_path} (mode 0600)"),
                ("valid until", f"{made.certificate.not_valid_after_utc:%Y-%m-%d}"),
                ("issuer", f"{local.certificate.subject.rfc4514_string()} (`port443 cert trust` to trust it)")])


@cert.command()
@click.argument("names", nargs=-1, required=True)
@key_type_option
@out_option
@force_option
@click.option("--org", default="", help="Organisation (O), for OV/EV certificates.")
@click.option("--org-unit", default="", help="Organisational unit (OU).")
@click.option("--locality", default="", help="City (L).")
@click.option("--state", default="", help="State or province (ST).")
@click.option("--country", default="", help="Two-letter country code (C), e.g. US.")
@click.option("--email", default="", help="Contact e-mail address in the subject.")
@one_line_errors
def csr(names: tuple[str, ...], key_type: str, out_dir: Path, force: bool, org: str, org_unit: str,
        locality: str, state: str, country: str, email: str) -> None:
    """Write a private key and a CSR for NAMES, to buy a certificate from a CA: one name,
    several, or a wildcard (*.example.com). Writes NAME.csr and NAME-key.pem."""
    from port443.cli.cert_render import show_lines

    wanted = [hostname.check_requested_name(n) for n in names]
    fields = csr_mod.SubjectFields(org, org_unit, locality, state, country, email)
    csr_path, key_path = _targets(out_dir, localca.leaf_file_stem(wanted), (".csr", "-key.pem"), force)
    key = generate_key(key_type)
    request = csr_mod.make_csr(wanted, key, fields)
    write_private_key(key_path, key)
    write_file(csr_path, request.public_bytes(Encoding.PEM))
    show_lines([("names", ", ".join(wanted)), ("subject", request.subject.rfc4514_string()),
                ("CSR", f"{csr_path} (send this to the CA)"), ("key", f"{key_path} (mode 0600; keep it secret)")])


def _store(cafile: str | None, capath: str | None, system: bool) -> TrustStore:
    if cafile:
        return TrustStore.from_cafile(cafile)
    if capath:
        return TrustStore.from_capath(capath)
    return TrustStore.system() if system else TrustStore.mozilla()


def _looks_like_file(target: str) -> bool:
    return os.path.exists(target) or os.sep in target or "/" in target or \
        target.lower().endswith((".pem", ".crt", ".cer", ".der"))


@cert.command()
@click.argument("target")
@click.option("--cafile", type=click.Path(dir_okay=False), help="Trust the CA certificates in this PEM file.")
@click.option("--capath", type=click.Path(file_okay=False), help="Trust the CA certificates in this directory.")
@click.option("--system", is_flag=True, help="Trust the OS bundle instead of Mozilla's roots.")
@click.option("--name", help="Host name to check (default: HOST; for a file, a name it claims).")
@click.option("--key", "key_file", type=click.Path(dir_okay=False), help="Check that this private key matches.")
@click.option("--password", help="Password of an encrypted --key.")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Network timeout in seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@one_line_errors
def inspect(target: str, cafile: str | None, capath: str | None, system: bool, name: str | None,
            key_file: str | None, password: str | None, timeout: float, as_json: bool) -> None:
    """Show the chain in FILE or served by HOST[:PORT] (subject, issuer, validity, names,
    key, signature, fingerprints) and diagnose it. Exit 0 when trusted with no error."""
    store = _store(cafile, capath, system)
    now = dt.datetime.now(dt.timezone.utc)
    fetched = None
    if _looks_like_file(target):
        chain = load_certificates(target)
    else:
        from port443.net.chain import fetch_chain, split_host_port

        host, port = split_host_port(target)
        fetched = fetch_chain(host, port, server_name=name, timeout=timeout)
        chain, name = list(fetched.certificates), name or host
    if key_file:
        require_key_matches(chain[0], load_private_key(key_file, password), key_file)
    report = inspect_chain(chain, name, store, now, target=target, fetched=fetched)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        from port443.cli.cert_render import show_report

        show_report(report)
    sys.exit(EXIT_FINDINGS if any(d["severity"] == "error" for d in report["diagnoses"]) or not report["trusted"]
             else EXIT_OK)


def _register_acme() -> None:
    from port443.cli.cert_acme import acme

    cert.add_command(acme)


_register_acme()
