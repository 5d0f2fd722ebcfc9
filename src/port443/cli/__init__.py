"""The `port443` command line.

Each subcommand lives in its own module under port443.cli and is imported only
when it is used, so `port443 --help` stays fast and one broken command cannot
take the others down. A command module exports a click command named like the
module.
"""

from __future__ import annotations

import importlib
import importlib.util

import click

from port443 import __version__

# name -> (module, attribute, one-line help shown by `port443 --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("port443.cli.demo", "demo", "Run a real TLS handshake between our client and server, step by step."),
    "handshake": ("port443.cli.handshake", "handshake", "Watch the TLS handshake with a site, step by step."),
    "serve": ("port443.cli.serve", "serve", "Serve a site over HTTPS on port 443."),
    "check": ("port443.cli.check", "check", "Audit a site's TLS configuration."),
    "cert": ("port443.cli.cert", "cert", "Certificates: local CA, issue, CSR, inspect."),
    "firewall": ("port443.cli.firewall", "firewall", "Open port 443 in the firewall, or find out why it is closed."),
    "observe": ("port443.cli.observe", "observe", "Show what an eavesdropper still sees of HTTPS traffic."),
}


def _available(name: str) -> bool:
    module = COMMANDS[name][0]
    return importlib.util.find_spec(module) is not None


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not _available(name):
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="port443")
def main() -> None:
    """HTTPS on port 443, end to end: a TLS 1.3/1.2 engine of our own, and the
    tools to serve, watch, check, open and observe a site on port 443."""
