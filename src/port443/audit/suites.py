"""Protocols and cipher suites by bundles: offer them all, remove the one chosen, ask again.

For each protocol this takes (accepted + 1) connections: the first answer says
whether the protocol is there at all, the last (a handshake_failure) that no
offered suite is left. The server's preference is then read by one more hello
offering the accepted suites in reverse order. TLS 1.3 hellos carry no key
share, so the server answers with a HelloRetryRequest that names its suite and
group and no key is ever computed. SSLv2 lists every common cipher kind in one
SERVER-HELLO.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from port443.audit.answers import Answer
from port443.audit.hellos import VERSION, VERSION_NAME, HelloOptions, client_hello
from port443.audit.kx import KeyExchangeParams, chain_of, read_key_exchange
from port443.audit.prober import Prober
from port443.audit.suite_registry import BY_CODE, SSLV2_BY_CODE, Suite, suites_for
from port443.tls.enums import AlertDescription

MAX_ROUNDS = 400  # more accepted suites than the registry holds means a server that ignores our list
BUNDLE = 128  # the suites per hello when a server refuses one with them all (as testssl.sh bundles)


@dataclass
class Accepted:
    suite: Suite
    kx: KeyExchangeParams | None = None
    chain: list[bytes] = field(default_factory=list)  # DER, leaf first (TLS 1.2 and below)


@dataclass
class ProtocolResult:
    protocol: str
    supported: bool
    detail: str  # what the server answered to the first hello
    accepted: list[Accepted] = field(default_factory=list)
    preference: str = "n/a"  # "server", "client", "indeterminate", "n/a"
    anomalies: list[str] = field(default_factory=list)
    first_answer: Answer | None = None


def _negotiated(answer: Answer, protocol: str) -> tuple[bool, str]:
    if protocol == "SSLv2":
        if answer.sslv2 is not None:
            return True, "answered with an SSLv2 SERVER-HELLO"
        return False, f"answered {answer.describe()}"
    sh = answer.server_hello
    if sh is None:
        return False, f"answered {answer.describe()}"
    version = 0x0304 if answer.tls13 else sh.legacy_version
    if version != VERSION[protocol]:
        return False, f"answered with {VERSION_NAME.get(version, hex(version))} instead"
    return True, "answered with a ServerHello"


async def enumerate_protocol(prober: Prober, protocol: str, opts: HelloOptions) -> ProtocolResult:
    if protocol == "SSLv2":
        return await _enumerate_sslv2(prober)
    offer = [s.code for s in suites_for(protocol)]
    first = await prober.ask(client_hello(protocol, offer, opts))
    ok, detail = _negotiated(first, protocol)
    result = ProtocolResult(protocol, ok, detail, first_answer=first)
    if ok:
        await _drain(prober, protocol, offer, opts, result, first)
    elif len(offer) > BUNDLE and first.fatal_alert != AlertDescription.protocol_version:
        await _in_bundles(prober, protocol, offer, opts, result)
    if len(result.accepted) >= 2:
        result.preference = await _preference(prober, protocol, opts, [a.suite.code for a in result.accepted])
    return result


async def _drain(prober: Prober, protocol: str, offer: list[int], opts: HelloOptions, result: ProtocolResult,
                 answer: Answer | None = None) -> None:
    """Ask with `offer`, record the suite chosen, remove it, ask again, until nothing is chosen."""
    tls12 = protocol == "TLSv1.2"
    for _ in range(MAX_ROUNDS):
        if answer is None:
            answer = await prober.ask(client_hello(protocol, offer, opts))
        if not _negotiated(answer, protocol)[0]:
            return
        chosen = answer.server_hello.cipher_suite
        if chosen not in offer:
            result.anomalies.append(f"the server chose {chosen:#06x}, which we did not offer")
            return
        suite = BY_CODE[chosen]
        if protocol == "TLSv1.3":
            result.accepted.append(Accepted(suite))
        else:
            result.accepted.append(Accepted(suite, read_key_exchange(answer, suite.kx_kind, tls12), chain_of(answer)))
        offer.remove(chosen)
        answer = None
        if not offer:
            return


async def _in_bundles(prober: Prober, protocol: str, offer: list[int], opts: HelloOptions,
                      result: ProtocolResult) -> None:
    """Some servers refuse a hello with hundreds of suites: ask again in bundles of BUNDLE, then once more
    over the accepted suites alone, so that their order is the server's and not the bundles'."""
    found = ProtocolResult(protocol, False, "")
    for i in range(0, len(offer), BUNDLE):
        await _drain(prober, protocol, offer[i:i + BUNDLE], opts, found)
    if not found.accepted:
        return
    accepted = [a.suite.code for a in found.accepted]
    await _drain(prober, protocol, accepted, opts, result)
    result.supported = True
    result.detail = f"answered with a ServerHello to hellos of at most {BUNDLE} suites"
    result.anomalies.append(f"the server refused our hello with all {len(offer)} suites ({result.first_answer.describe()}) "
                            f"but accepts shorter ones: clients with long suite lists cannot connect")


async def _preference(prober: Prober, protocol: str, opts: HelloOptions, accepted: list[int]) -> str:
    """Offer the accepted suites reversed: a server that enforces its order still picks its first."""
    answer = await prober.ask(client_hello(protocol, accepted[::-1], opts))
    sh = answer.server_hello
    if sh is None:
        return "indeterminate"
    if sh.cipher_suite == accepted[0]:
        return "server"
    if sh.cipher_suite == accepted[-1]:
        return "client"
    return "indeterminate"


async def _enumerate_sslv2(prober: Prober) -> ProtocolResult:
    kinds = list(SSLV2_BY_CODE)
    answer = await prober.ask(client_hello("SSLv2", kinds, HelloOptions()))
    ok, detail = _negotiated(answer, "SSLv2")
    result = ProtocolResult("SSLv2", ok, detail, first_answer=answer)
    if ok:
        for kind in answer.sslv2.cipher_kinds:
            if kind in SSLV2_BY_CODE:
                result.accepted.append(Accepted(SSLV2_BY_CODE[kind], chain=[answer.sslv2.certificate]))
            else:
                result.anomalies.append(f"unknown SSLv2 cipher kind {kind:#08x}")
        if not answer.sslv2.cipher_kinds:
            result.detail = "answered with an SSLv2 SERVER-HELLO listing no cipher (SSLv2 on, but unusable)"
    return result
