"""How a presented chain is laid out: which certificate issued which.

For the diagnosis only. Trust is decided by `cryptography.x509.verification`
in verify.py; here we follow issuers (signatures checked by cryptography's
`verify_directly_issued_by`) to tell a site owner *which* certificate is the
problem: the missing intermediate, the expired root, the one sent out of order.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509

from port443.pki.keys import is_self_signed, signed_by
from port443.pki.trust import TrustStore


@dataclass(frozen=True)
class ChainLayout:
    path: tuple[x509.Certificate, ...]  # leaf first, each issued by the next, all presented
    anchor: x509.Certificate | None  # the trusted root at the top (presented or from the store)
    extras: tuple[x509.Certificate, ...]  # presented, but not on the path (or sent twice)
    in_order: bool  # the path's certificates were presented in path order
    issuer_named_in_store: bool = False  # no anchor, yet a trusted root bears the top's issuer name

    @property
    def leaf(self) -> x509.Certificate:
        return self.path[0]

    @property
    def top(self) -> x509.Certificate:
        return self.path[-1]

    def role(self, cert: x509.Certificate) -> str:
        """"leaf", "intermediate" or "root"."""
        if cert is self.path[0] or cert == self.path[0]:
            return "leaf"
        if cert == self.anchor or is_self_signed(cert):
            return "root"
        return "intermediate"

    def certificates(self) -> list[x509.Certificate]:
        """The path, then the anchor when it came from the store."""
        found = list(self.path)
        if self.anchor is not None and self.anchor not in found:
            found.append(self.anchor)
        return found


def _in_store(cert: x509.Certificate, store: TrustStore) -> bool:
    return any(root == cert for root in store.with_subject(cert.subject))


def _store_issuer(cert: x509.Certificate, store: TrustStore) -> x509.Certificate | None:
    for root in store.with_subject(cert.issuer):
        if signed_by(cert, root):
            return root
    return None


def lay_out(presented: tuple[x509.Certificate, ...], store: TrustStore | None) -> ChainLayout:
    """Follow issuers from the leaf through the presented certificates to a root."""
    path = [presented[0]]
    pool = list(presented[1:])
    while not is_self_signed(path[-1]):
        issuer = next((c for c in pool if c not in path and signed_by(path[-1], c)), None)
        if issuer is None:
            break
        path.append(issuer)
        pool.remove(issuer)
    anchor = None
    if store is not None:
        top = path[-1]
        anchor = top if _in_store(top, store) else None
        if anchor is None and not is_self_signed(top):
            anchor = _store_issuer(top, store)
    positions = [presented.index(c) for c in path]
    named = anchor is None and store is not None and store.has_subject(path[-1].issuer)
    return ChainLayout(tuple(path), anchor, tuple(pool), positions == sorted(positions), named)
