"""Diagnoses of a certificate chain: stable codes, a sentence, and the fix.

Placeholder until the certificate issue fills it in: reports only the
verification outcome itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnosis:
    code: str
    severity: str  # "error" | "warning" | "info"
    message: str
    fix: str


def diagnose_chain(result) -> list[Diagnosis]:
    if result.trusted:
        return []
    return [Diagnosis("untrusted", "error", result.reason, "install a certificate from a trusted CA")]
