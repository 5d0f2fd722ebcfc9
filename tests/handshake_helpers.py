"""Running `port443 handshake` in tests, and checking its JSON against docs/handshake.schema.json."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from port443.cli import main

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "handshake.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
# The guide's steps as each version sends them (first occurrence of each title, in this order).
TLS13_ORDER = ["DNS", "TCP connect", "Client Hello", "Server Hello", "Key exchange", "Session keys",
               "Encrypted Extensions", "Certificate", "Authentication", "Certificate Verify", "Server Finished",
               "Client Finished", "Handshake complete", "HTTP request", "HTTP response"]
TLS12_ORDER = ["DNS", "TCP connect", "Client Hello", "Server Hello", "Certificate", "Authentication", "Key exchange",
               "Session keys", "Client Finished", "Server Finished", "Handshake complete", "HTTP request",
               "HTTP response"]


def handshake(*args, env: dict | None = None) -> tuple[int, str]:
    """`port443 handshake ARGS` through the real command group; (exit code, everything printed)."""
    result = CliRunner().invoke(main, ["handshake", *map(str, args)], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def handshake_json(*args, env: dict | None = None) -> tuple[int, dict]:
    """The --json document, validated against the documented schema; its exit code agrees with the verdict."""
    result = CliRunner().invoke(main, ["handshake", *map(str, args), "--json"], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    doc = json.loads(result.stdout)
    VALIDATOR.validate(doc)
    assert doc["verdict"]["exit_code"] == result.exit_code
    return result.exit_code, doc


def titles(doc: dict, connection: int = 0) -> list[str]:
    return [s["step"] for s in doc["connections"][connection]["steps"]]


def fields(doc: dict, title: str, connection: int = 0) -> dict:
    return next(s["fields"] for s in doc["connections"][connection]["steps"] if s["step"] == title)


def assert_order(names: list[str], order: list[str]) -> None:
    missing = [t for t in order if t not in names]
    assert not missing, f"steps missing: {missing} in {names}"
    positions = [names.index(t) for t in order]
    assert positions == sorted(positions), names
