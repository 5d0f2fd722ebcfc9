"""Key exchange groups and signature algorithms, each by (accepted + 1) hellos.

TLS 1.3: the hello offers groups but no key share, so the server names its
choice in a HelloRetryRequest (RFC 8446 §4.1.4) - X25519MLKEM768 and the FFDHE
groups included, with no key ever computed. TLS 1.2: the ServerKeyExchange
names the ECDHE curve (RFC 8422 §5.4) or carries the DH prime, matched against
RFC 7919's; its signature algorithm names the scheme. TLS 1.3 signature schemes
are inside the encrypted CertificateVerify, so those take full handshakes with
the engine (one per scheme the server uses, plus one).
"""

from __future__ import annotations

from dataclasses import replace

from dataclasses import dataclass, field

from port443.audit.hellos import ALL_SCHEMES, TLS13_GROUPS, HelloOptions, client_hello
from port443.audit.kx import read_key_exchange
from port443.audit.prober import Prober
from port443.audit.suite_registry import BY_CODE
from port443.tls import ClientConfig
from port443.tls.enums import ExtensionType as ET, NamedGroup, SignatureScheme, name_of
from port443.tls.sigs import SUPPORTED_SCHEMES

MAX_ROUNDS = 64


@dataclass
class GroupResult:
    tls13: list[str] = field(default_factory=list)
    tls12_ec: list[str] = field(default_factory=list)
    tls12_dh: list[str] = field(default_factory=list)  # ffdhe names, or "custom N-bit prime"
    notes: list[str] = field(default_factory=list)


@dataclass
class SchemeResult:
    tls12: list[str] = field(default_factory=list)
    tls13: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def drain(offer: list[int], pick) -> list[int]:
    """Ask with `offer`, remove what the server picked, ask again: (accepted + 1) rounds.

    `pick(offer)` returns the code the server chose, or None when it chose nothing we still offer."""
    found: list[int] = []
    while offer and len(found) < MAX_ROUNDS:
        chosen = await pick(tuple(offer))
        if chosen is None or chosen not in offer:
            break
        found.append(chosen)
        offer.remove(chosen)
    return found


async def tls13_groups(prober: Prober, opts: HelloOptions, suites: list[int]) -> list[str]:
    async def pick(offer):
        answer = await prober.ask(client_hello("TLSv1.3", suites, replace(opts, groups=offer, key_shares=[])))
        sh = answer.server_hello
        if sh is None or not answer.tls13 or not sh.is_hello_retry_request:
            return None
        data = sh.ext(ET.key_share)
        return int.from_bytes(data, "big") if data is not None and len(data) == 2 else None
    return [name_of(NamedGroup, g) for g in await drain(list(TLS13_GROUPS), pick)]


async def tls12_groups(prober: Prober, protocol: str, opts: HelloOptions, suites: list[int], kind: str,
                       groups: tuple[int, ...], result: GroupResult, keep_last: int | None = None) -> list[str]:
    """`keep_last`: the ECDSA certificate's curve, which must stay offered (RFC 8422 §5.1: the client's
    curves also bind the server's ECDSA key); it goes last, and once chosen again nothing else is left."""
    offer = [g for g in groups if g != keep_last] + ([keep_last] if keep_last in groups else [])
    found: list[str] = []
    for _ in range(MAX_ROUNDS):
        answer = await prober.ask(client_hello(protocol, suites, replace(opts, groups=tuple(offer))))
        sh = answer.server_hello
        if sh is None or sh.cipher_suite not in BY_CODE:
            break
        params = read_key_exchange(answer, kind, protocol == "TLSv1.2")
        if params is None:
            break
        if kind == "DHE" and params.group is None:
            found.append(f"custom {params.bits}-bit prime")
            result.notes.append(f"DHE uses its own {params.bits}-bit prime, not an RFC 7919 group")
            break
        code = NamedGroup[params.group] if params.group in NamedGroup.__members__ else None
        if code is None or code not in offer:
            if params.group and params.group not in found:
                found.append(params.group)
                result.notes.append(f"{kind} used {params.group}, which the hello no longer offered")
            break
        if params.group not in found:
            found.append(params.group)
        if code == keep_last:
            break
        offer.remove(code)
        if not offer:
            break
    return found


async def tls12_schemes(prober: Prober, protocol: str, opts: HelloOptions, suites: list[int]) -> list[str]:
    """Schemes of the ServerKeyExchange signature, over the forward-secret suites the server accepted."""
    async def pick(offer):
        answer = await prober.ask(client_hello(protocol, suites, replace(opts, schemes=offer)))
        sh = answer.server_hello
        if sh is None or sh.cipher_suite not in BY_CODE:
            return None
        params = read_key_exchange(answer, BY_CODE[sh.cipher_suite].kx_kind, True)
        return params.scheme if params is not None else None
    return [name_of(SignatureScheme, s) for s in await drain(list(ALL_SCHEMES), pick)]


async def tls13_schemes(prober: Prober, server_name: str | None) -> list[str]:
    """Full TLS 1.3 handshakes with the engine, removing the scheme the server signed with each time."""
    async def pick(offer):
        config = ClientConfig(server_name=server_name, verify=False, versions=("TLSv1.3",), signature_algorithms=offer)
        done = (await prober.handshake(config)).complete
        return done.signature_scheme if done is not None else None
    return [name_of(SignatureScheme, s) for s in await drain([s for s in ALL_SCHEMES if s in SUPPORTED_SCHEMES], pick)]
