"""One inspection of a chain, as data: what `port443 cert inspect` prints or emits as JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from cryptography import x509

from port443.pki.describe import default_name, describe_certificate
from port443.pki.trust import TrustStore
from port443.pki.verify import verify_server_chain


def inspect_chain(chain: list[x509.Certificate], server_name: str | None, store: TrustStore, now: dt.datetime,
                  *, target: str = "", fetched: Any = None) -> dict[str, Any]:
    """Verify and diagnose `chain` (leaf first). Without a server name, the chain is
    validated for a name the leaf claims and the host-name check is left out."""
    name = server_name or default_name(chain[0])
    result = verify_server_chain(chain, name, store, now)
    if not server_name:
        result = dataclasses.replace(result, server_name=None)
    return {
        "target": target,
        "source": "host" if fetched is not None else "file",
        "address": getattr(fetched, "address", None),
        "tls_version": getattr(fetched, "tls_version", None),
        "server_name": name,
        "name_checked": bool(server_name),
        "trust_store": store.name,
        "trusted": result.trusted,
        "reason": result.reason,
        "checked_at": now.isoformat(),
        "certificates": [describe_certificate(c, now) for c in chain],
        "diagnoses": [dataclasses.asdict(d) for d in result.diagnoses],
    }
