#!/usr/bin/env python3
"""Engine benchmark: port443 vs OpenSSL (Python's ssl with MemoryBIO pairs), same run.

Both ends live in one process and are pumped in one loop, so the figure is the
cost of a client and a server together. TLS 1.3, X25519, an ECDSA P-256 leaf
under an intermediate, the client verifying the chain to the root. Bulk: the
server sends 16 KiB records, the client decrypts them.

Also TLS 1.2 with ECDHE (ECDSA P-256) and with the guide's RSA key transport
(RSA 2048), both with the extended master secret.

Prints one `name: value` line per figure; ratios are ours / OpenSSL's, measured
in interleaved rounds (the median of each), so machine noise hits both alike.
"""

from __future__ import annotations

import argparse
import os
import ssl
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from peers import make_test_pki  # noqa: E402

from port443.pki.trust import TrustStore  # noqa: E402
from port443.tls import ClientConfig, ClientConnection, ServerConfig, ServerConnection  # noqa: E402

RECORD = 16 * 1024


# --------------------------------------------------------------------------- OpenSSL
def openssl_contexts(pki, version: ssl.TLSVersion, cipher: str | None = None, key_type: str = "ecdsa-p256"):
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.minimum_version = server.maximum_version = version
    server.load_cert_chain(pki.chain_file(key_type), pki.key_file(key_type))
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.minimum_version = client.maximum_version = version
    client.load_verify_locations(pki.cafile)
    if cipher:
        server.set_ciphers(cipher)
        client.set_ciphers(cipher)
    server.set_ecdh_curve("X25519")
    # Tickets off on both sides: each round is a full handshake, as ours are.
    server.options |= ssl.OP_NO_TICKET
    server.num_tickets = 0
    return client, server


def openssl_pair(cctx, sctx):
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = cctx.wrap_bio(c_in, c_out, server_hostname="localhost")
    s = sctx.wrap_bio(s_in, s_out, server_side=True)
    return c, s, c_in, c_out, s_in, s_out


def openssl_handshake(cctx, sctx):
    c, s, c_in, c_out, s_in, s_out = openssl_pair(cctx, sctx)
    c_done = s_done = False
    while not (c_done and s_done):
        if not c_done:
            try:
                c.do_handshake()
                c_done = True
            except ssl.SSLWantReadError:
                pass
        if c_out.pending:
            s_in.write(c_out.read())
        if not s_done:
            try:
                s.do_handshake()
                s_done = True
            except ssl.SSLWantReadError:
                pass
        if s_out.pending:
            c_in.write(s_out.read())
    return c, s, c_in, c_out, s_in, s_out


def openssl_bulk(cctx, sctx, total: int) -> float:
    c, s, c_in, c_out, s_in, s_out = openssl_handshake(cctx, sctx)
    chunk = os.urandom(RECORD)
    got = 0
    t = time.perf_counter()
    while got < total:
        s.write(chunk)
        c_in.write(s_out.read())
        while True:
            try:
                got += len(c.read(65536))
            except ssl.SSLWantReadError:
                break
    return total / (time.perf_counter() - t)


# --------------------------------------------------------------------------- port443
def ours_configs(pki, versions=("TLSv1.3",), suites=None, key_type="ecdsa-p256", **server_kw):
    store = TrustStore.from_cafile(pki.cafile)
    ckw = {"cipher_suites": suites} if suites else {}
    client = ClientConfig(server_name="localhost", trust_store=store, versions=versions, groups=("x25519",), **ckw)
    server = ServerConfig(certificate_chain=str(pki.chain_file(key_type)), private_key=str(pki.key_file(key_type)),
                          versions=versions, session_tickets=0, **ckw, **server_kw)
    return client, server


def ours_handshake(cconf, sconf):
    c = ClientConnection(cconf)
    s = ServerConnection(sconf)
    while not (c.handshake_complete and s.handshake_complete):
        data = c.data_to_send()
        if data:
            s.receive_data(data)
        data = s.data_to_send()
        if data:
            c.receive_data(data)
    return c, s


def ours_bulk(cconf, sconf, total: int) -> float:
    c, s = ours_handshake(cconf, sconf)
    chunk = os.urandom(RECORD)
    got = 0
    t = time.perf_counter()
    while got < total:
        s.send(chunk)
        for e in c.receive_data(s.data_to_send()):
            got += len(e.data)
    return total / (time.perf_counter() - t)


# --------------------------------------------------------------------------- harness
def rate(fn, seconds: float) -> float:
    n = 0
    deadline = time.perf_counter() + seconds
    t = time.perf_counter()
    while time.perf_counter() < deadline:
        fn()
        n += 1
    return n / (time.perf_counter() - t)


def compare(name: str, ours, theirs, rounds: int, unit: str) -> None:
    a, b = [], []
    for _ in range(rounds):
        b.append(theirs())
        a.append(ours())
    mine, ref = statistics.median(a), statistics.median(b)
    print(f"openssl_{name}_{unit}: {ref:.1f}")
    print(f"port443_{name}_{unit}: {mine:.1f}")
    print(f"{name}_ratio: {mine / ref:.2f}")
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=1.0, help="length of one timed round")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds per figure")
    ap.add_argument("--bulk-mib", type=int, default=64, help="MiB moved per bulk round")
    ap.add_argument("--only", default="", help="comma list of figures: tls13,bulk,tls12,tls12_rsa")
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        pki = make_test_pki(Path(tmp))
        pki.leaf("ecdsa-p256")
        pki.leaf("rsa2048")
        if not only or "tls13" in only:
            cctx, sctx = openssl_contexts(pki, ssl.TLSVersion.TLSv1_3)
            cconf, sconf = ours_configs(pki)
            compare("tls13_handshake", lambda: rate(lambda: ours_handshake(cconf, sconf), args.seconds),
                    lambda: rate(lambda: openssl_handshake(cctx, sctx), args.seconds), args.rounds, "per_s")
        if not only or "tls12" in only:
            cctx, sctx = openssl_contexts(pki, ssl.TLSVersion.TLSv1_2, "ECDHE-ECDSA-AES128-GCM-SHA256")
            cconf, sconf = ours_configs(pki, ("TLSv1.2",), ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",))
            compare("tls12_handshake", lambda: rate(lambda: ours_handshake(cconf, sconf), args.seconds),
                    lambda: rate(lambda: openssl_handshake(cctx, sctx), args.seconds), args.rounds, "per_s")
        if not only or "tls12_rsa" in only:
            cctx, sctx = openssl_contexts(pki, ssl.TLSVersion.TLSv1_2, "AES128-GCM-SHA256", key_type="rsa2048")
            cconf, sconf = ours_configs(pki, ("TLSv1.2",), ("TLS_RSA_WITH_AES_128_GCM_SHA256",), key_type="rsa2048",
                                        legacy_rsa_key_exchange=True)
            compare("tls12_rsa_handshake", lambda: rate(lambda: ours_handshake(cconf, sconf), args.seconds),
                    lambda: rate(lambda: openssl_handshake(cctx, sctx), args.seconds), args.rounds, "per_s")
        if not only or "bulk" in only:
            cctx, sctx = openssl_contexts(pki, ssl.TLSVersion.TLSv1_3)
            cconf, sconf = ours_configs(pki)
            total = args.bulk_mib << 20
            compare("bulk", lambda: ours_bulk(cconf, sconf, total) / (1 << 20),
                    lambda: openssl_bulk(cctx, sctx, total) / (1 << 20), args.rounds, "mib_per_s")


if __name__ == "__main__":
    main()
