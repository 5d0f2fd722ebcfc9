"""Diagnoses of a certificate chain: a stable code, a sentence, and the fix.

`diagnose_chain(result)` looks at a `ChainVerification` (verify.py) and says
everything a browser would complain about, each finding on its own, so a site
owner sees every problem at once rather than the first one cryptography hit.
The codes are stable (scripts and docs/certificates.md rely on them); the
sentences may improve.
"""

from __future__ import annotations

import datetime as dt

from port443.pki import checks
from port443.pki.codes import CODES, Diagnosis, finding
from port443.pki.layout import lay_out

__all__ = ["CODES", "Diagnosis", "diagnose_chain", "finding"]


def diagnose_chain(result) -> list[Diagnosis]:
    """Every finding about `result.presented`, errors first."""
    presented = tuple(result.presented)
    if not presented:
        return [finding("chain-invalid", result.reason)]
    layout = lay_out(presented, getattr(result, "store", None))
    now = result.checked_at or dt.datetime.now(dt.timezone.utc)
    found: list[Diagnosis] = []
    found += checks.validity(layout, now)
    if getattr(result, "store", None) is not None:
        found += checks.trust(layout)
    found += checks.ordering(layout)
    found += checks.names(layout.leaf, result.server_name)
    found += checks.strength(layout)
    found += checks.usage(layout)
    found += checks.lifetime(layout.leaf)
    if not result.trusted and not any(d.severity == "error" for d in found):
        found.append(finding("chain-invalid", f"The chain is not valid: {result.reason}."))
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(found, key=lambda d: order[d.severity])
