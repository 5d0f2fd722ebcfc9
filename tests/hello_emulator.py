"""A scripted ServerHello-level TLS/SSL server, for what OpenSSL 3 can no longer serve.

It answers hellos per a `Script`: SSLv2 SERVER-HELLOs, SSLv3..TLS 1.2 flights
(ServerHello, Certificate, ServerKeyExchange, ServerHelloDone), TLS 1.3
HelloRetryRequests, and the follow-ups the audit sends (heartbeat, early CCS,
RSA ClientKeyExchange), with switchable flaws: Heartbleed, CCS injection, a
Bleichenbacher oracle, DEFLATE compression, no renegotiation_info, no fallback
SCSV, a Ticketbleed echo. Messages are built with port443's codecs. It never
completes a handshake: ServerKeyExchange signatures are random bytes (audits
read the parameters, not the signature). Runs on 127.0.0.1, port 0, in a thread,
stopped by the context manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from port443.tls.codec import Reader, u16, vec16
from port443.tls.enums import ExtensionType as ET
from port443.tls.errors import TLSError
from port443.tls.extensions import decode_u16_list, decode_supported_versions_ch
from port443.tls.ffdhe import FFDHE_PRIMES
from port443.tls.messages import HRR_RANDOM, ClientHello, ServerHello
from port443.tls.messages12 import Certificate12, ServerKeyExchange, server_hello_done
from port443.tls.record import header

VERSIONS = {"SSLv3": 0x0300, "TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303}
# RFC 2409 §6.2, Oakley group 2: the 1024-bit prime of old DHE servers (LOGJAM's "common prime").
OAKLEY_1024 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF", 16)


@dataclass
class Script:
    chain: list[bytes]  # DER, leaf first (an RSA leaf for RSA suites)
    key: rsa.RSAPrivateKey | None = None  # for the oracle flaw
    versions: tuple[str, ...] = ("TLSv1.2",)  # any of SSLv2, SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3
    suites: tuple[int, ...] = (0xC02F,)  # SSLv3..TLS 1.2 suites, in the server's order
    sslv2_kinds: tuple[int, ...] = ()
    tls13_suites: tuple[int, ...] = (0x1301,)
    tls13_groups: tuple[int, ...] = (29,)
    ec_groups: tuple[int, ...] = (29, 23)
    dh_prime: int = FFDHE_PRIMES[256]
    server_preference: bool = True
    renegotiation_info: bool = True
    fallback_scsv: bool = True
    compression: bool = False
    heartbeat: bool = False
    heartbleed: bool = False
    ccs_injection: bool = False
    rsa_oracle: bool = False
    ticketbleed: bool = False
    max_suites: int = 0  # > 0: close on a hello offering more suites (the intolerance of some old servers)
    connections: list[str] = field(default_factory=list)


def record(ctype: int, body: bytes, version: int) -> bytes:
    return header(ctype, len(body), version) + body


def alert(desc: int, version: int = 0x0303) -> bytes:
    return record(21, bytes((2, desc)), version)


class Emulator(asyncio.Protocol):
    def __init__(self, script: Script) -> None:
        self.s = script
        self.buf = b""
        self.version = 0x0303
        self.after_hello = False
        self.ccs_seen = False

    def connection_made(self, transport) -> None:
        self.t = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.after_hello:
            if self.buf[:1] and self.buf[0] & 0x80 and len(self.buf) >= 3 and self.buf[2] == 1:
                self._sslv2()
                return
            if len(self.buf) < 5 or len(self.buf) < 5 + int.from_bytes(self.buf[3:5], "big"):
                return
            n = int.from_bytes(self.buf[3:5], "big")
            body, self.buf = self.buf[5:5 + n], self.buf[5 + n:]
            try:
                self._hello(ClientHello.decode(body[4:]))
            except TLSError:
                self._close(alert(50))
            return
        while len(self.buf) >= 5 and len(self.buf) >= 5 + int.from_bytes(self.buf[3:5], "big"):
            n = int.from_bytes(self.buf[3:5], "big")
            ctype, payload, self.buf = self.buf[0], self.buf[5:5 + n], self.buf[5 + n:]
            try:
                self._follow_up(ctype, payload)
            except TLSError:
                self._close(alert(50, self.version))

    def _close(self, data: bytes = b"") -> None:
        if data:
            self.t.write(data)
        self.t.close()

    # --- SSLv2 ---------------------------------------------------------------------
    def _sslv2(self) -> None:
        self.s.connections.append("SSLv2")
        if "SSLv2" not in self.s.versions:
            self._close()
            return
        r = Reader(self.buf[3:])
        r.u16("version")
        specs_len = r.u16("specs")
        r.u16("session id length")
        r.u16("challenge length")
        specs = r.raw(specs_len, "specs")
        offered = {int.from_bytes(specs[i:i + 3], "big") for i in range(0, specs_len, 3)}
        common = [k for k in self.s.sslv2_kinds if k in offered]
        cert = self.s.chain[0]
        kinds = b"".join(k.to_bytes(3, "big") for k in common)
        body = bytes((4, 0, 1)) + u16(0x0002) + u16(len(cert)) + u16(len(kinds)) + u16(16) + cert + kinds + os.urandom(16)
        self._close(u16(0x8000 | len(body)) + body)

    # --- TLS hellos -------------------------------------------------------------------
    def _hello(self, ch: ClientHello) -> None:
        s = self.s
        if s.max_suites and len(ch.cipher_suites) > s.max_suites:
            self._close()
            return
        sv = ch.ext(ET.supported_versions)
        if sv is not None and 0x0304 in decode_supported_versions_ch(sv):
            if "TLSv1.3" in s.versions:
                self._hello13(ch)
                return
        ours = sorted((VERSIONS[v] for v in s.versions if v in VERSIONS), reverse=True)
        version = next((v for v in ours if v <= ch.legacy_version), None)
        s.connections.append(f"hello {ch.legacy_version:#06x}")
        if version is None:
            self._close(alert(70, min(ch.legacy_version, 0x0303)))
            return
        self.version = version
        if 0x5600 in ch.cipher_suites and s.fallback_scsv and version < ours[0]:
            self._close(alert(86, version))
            return
        order = s.suites if s.server_preference else ch.cipher_suites
        other = ch.cipher_suites if s.server_preference else s.suites
        suite = next((c for c in order if c in other and (version == 0x0303 or not _tls12_only(c))), None)
        if suite is None:
            self._close(alert(40, version))
            return
        exts = []
        if s.renegotiation_info and (ch.has(ET.renegotiation_info) or 0x00FF in ch.cipher_suites):
            exts.append((ET.renegotiation_info, b"\x00"))
        if ch.has(ET.extended_master_secret) and version > 0x0300:
            exts.append((ET.extended_master_secret, b""))
        if s.heartbeat and ch.has(ET.heartbeat):
            exts.append((ET.heartbeat, b"\x01"))
        session_id = os.urandom(32)
        if s.ticketbleed and ch.has(ET.session_ticket) and ch.ext(ET.session_ticket) and ch.session_id:
            session_id = ch.session_id + os.urandom(32 - len(ch.session_id))
        compression = 1 if s.compression and 1 in ch.compression_methods else 0
        sh = ServerHello(os.urandom(32), suite, exts if version > 0x0300 else [], session_id, version, compression)
        flight = sh.encode() + Certificate12(list(s.chain)).encode() + self._ske(suite, ch) + server_hello_done()
        self.after_hello = True
        self.t.write(record(22, flight, version))

    def _ske(self, suite: int, ch: ClientHello) -> bytes:
        from port443.audit.suite_registry import BY_CODE
        info = BY_CODE[suite]
        sig = (u16(0x0401) if self.version == 0x0303 else b"") + vec16(os.urandom(128))
        if info.kx_kind == "ECDHE":
            offered = decode_u16_list(ch.ext(ET.supported_groups), "groups") if ch.has(ET.supported_groups) else [23]
            group = next((g for g in self.s.ec_groups if g in offered), None)
            if group is None:
                return b""
            params = ServerKeyExchange.ecdhe_params(group, os.urandom(32 if group == 29 else 65))
        elif info.kx_kind == "DHE":
            p = self.s.dh_prime if not info.export else OAKLEY_1024 >> 512  # a 512-bit "export" modulus
            n = (p.bit_length() + 7) // 8
            params = vec16(p.to_bytes(n, "big")) + vec16(b"\x02") + vec16(os.urandom(n))
        elif info.kx_kind == "RSA" and info.export:
            params = vec16(b"\xc0" + os.urandom(63)) + vec16(b"\x01\x00\x01")
        else:
            return b""
        if info.anonymous:
            sig = b""
        return bytes((12,)) + (len(params) + len(sig)).to_bytes(3, "big") + params + sig

    def _hello13(self, ch: ClientHello) -> None:
        s = self.s
        s.connections.append("hello 1.3")
        suite = next((c for c in s.tls13_suites if c in ch.cipher_suites), None)
        offered = decode_u16_list(ch.ext(ET.supported_groups), "groups") if ch.has(ET.supported_groups) else []
        group = next((g for g in s.tls13_groups if g in offered), None)
        if suite is None or group is None:
            self._close(alert(40))
            return
        hrr = ServerHello(HRR_RANDOM, suite, [(ET.supported_versions, u16(0x0304)), (ET.key_share, u16(group))],
                          ch.session_id, 0x0303)
        self.after_hello = True
        self.t.write(record(22, hrr.encode(), 0x0303))

    # --- after the flight ---------------------------------------------------------------
    def _follow_up(self, ctype: int, payload: bytes) -> None:
        s, v = self.s, self.version
        if ctype == 24:  # heartbeat
            if s.heartbleed and payload[:1] == b"\x01" and len(payload) >= 3:
                claimed = int.from_bytes(payload[1:3], "big")
                self.t.write(record(24, b"\x02" + payload[1:3] + os.urandom(min(claimed, 16384)), v))
            return  # a fixed server drops it silently (RFC 6520 §4)
        if self.ccs_seen:  # the flaw: every later record is "decrypted" under keys from an empty master secret
            self._close(alert(20, v))
            return
        if ctype == 20:
            if s.ccs_injection:
                self.ccs_seen = True
                return
            self._close(alert(10, v))
            return
        if ctype == 22 and payload[:1] == b"\x10":
            self._close(alert(self._oracle(payload[4:]), v))
            return
        self._close(alert(10, v))

    def _oracle(self, cke: bytes) -> int:
        """bad_record_mac for every ClientKeyExchange; with the flaw, a different alert for bad padding."""
        if not self.s.rsa_oracle or self.s.key is None:
            return 20
        r = Reader(cke)
        c = int.from_bytes(r.vec16("encrypted pms") if self.version > 0x0300 else cke, "big")  # SSLv3: no length
        numbers = self.s.key.private_numbers()
        k = (numbers.public_numbers.n.bit_length() + 7) // 8
        m = pow(c, numbers.d, numbers.public_numbers.n).to_bytes(k, "big")  # the flawed server's own decryption
        return 20 if m[:2] == b"\x00\x02" else 51  # decrypt_error betrays the padding check


def _tls12_only(code: int) -> bool:
    from port443.audit.suite_registry import BY_CODE
    return code in BY_CODE and BY_CODE[code].first_protocol == "TLSv1.2"


@contextlib.contextmanager
def emulator(script: Script):
    """Serve `script` on 127.0.0.1 (an ephemeral port) from a thread; yields the port."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict = {}

    async def start() -> None:
        holder["server"] = await loop.create_server(lambda: Emulator(script), "127.0.0.1", 0)
        holder["port"] = holder["server"].sockets[0].getsockname()[1]
        started.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    if not started.wait(10):
        raise TimeoutError("the emulator did not start")
    try:
        yield holder["port"]
    finally:
        async def stop() -> None:
            holder["server"].close()
            await holder["server"].wait_closed()
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
