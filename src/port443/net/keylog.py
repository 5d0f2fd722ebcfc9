"""The NSS key log file (SSLKEYLOGFILE format), which Wireshark reads to decrypt a capture.

Lines come from the engine's `keylog` callback ("LABEL client_random secret",
hex). The file is opened for appending and, when it is new, created with mode
0600: it holds secrets that decrypt the session.
"""

from __future__ import annotations

import os

ENV_VAR = "SSLKEYLOGFILE"


class KeylogFile:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lines = 0
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._file = os.fdopen(fd, "a", encoding="ascii")

    def write(self, line: str) -> None:
        """Append one line and flush it, so a reader (or a crash) never sees half a session."""
        self._file.write(line + "\n")
        self._file.flush()
        self.lines += 1

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "KeylogFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
