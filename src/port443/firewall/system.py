"""The only place the firewall package runs commands: with a timeout, never a shell."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

from port443.firewall.model import Command

COMMAND_TIMEOUT = 20.0  # seconds for one firewall command; they answer in well under one
CAP_NET_ADMIN = 12


@dataclass(frozen=True)
class Result:
    command: Command
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def error_line(self) -> str:
        text = (self.stderr.strip() or self.stdout.strip() or f"exit status {self.returncode}")
        return text.splitlines()[-1].strip()


def run(command: Command, timeout: float = COMMAND_TIMEOUT) -> Result:
    """Run one command; a missing program or a timeout is a failed Result, not an exception."""
    try:
        # netsh wants name="a b" as it stands: hand Windows the displayed line, not a re-quoted list.
        args = command.display() if command.shell != "posix" and platform_name() == "windows" else list(command.argv)
        done = subprocess.run(
            args, input=command.stdin, capture_output=True, text=True,
            timeout=timeout, check=False, errors="replace",
        )
    except FileNotFoundError:
        return Result(command, 127, "", f"{command.argv[0]}: not installed")
    except subprocess.TimeoutExpired:
        return Result(command, 124, "", f"{command.argv[0]}: no answer within {timeout:g} s")
    return Result(command, done.returncode, done.stdout, done.stderr)


def installed(program: str) -> bool:
    return shutil.which(program) is not None


def platform_name() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "darwin"
    return "linux"


def privileged() -> bool:
    """May this process read and change the firewall?

    Linux: CAP_NET_ADMIN in the effective set (what netfilter checks; root
    without it is refused too). macOS: root. Windows: an elevated token.
    """
    platform = platform_name()
    if platform == "windows":
        try:
            import ctypes

            return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
        except (AttributeError, OSError):
            return False
    if platform == "linux":
        capable = _has_capability(CAP_NET_ADMIN)
        return capable if capable is not None else os.geteuid() == 0
    return os.geteuid() == 0


def _has_capability(bit: int) -> bool | None:
    """Is the capability in our effective set? None when /proc does not say."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> bit & 1)
    except (OSError, ValueError, IndexError):
        pass
    return None
