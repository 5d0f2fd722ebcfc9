"""The installed `port443` console script starts (not only `python -m port443`, which runpy helps along)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from port443.cli import COMMANDS


def console_script() -> str:
    beside = Path(sys.executable).with_name("port443")
    return str(beside) if beside.exists() else (shutil.which("port443") or "")


@pytest.mark.parametrize("args", [["--help"], *[[name, "--help"] for name in COMMANDS]], ids=lambda a: " ".join(a))
def test_console_script_runs_every_command_help(args):
    script = console_script()
    assert script, "the port443 console script is not installed (pip install .)"
    done = subprocess.run([script, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage: port443" in done.stdout and "Traceback" not in done.stderr
