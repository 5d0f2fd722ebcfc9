"""Client-initiated renegotiation: a full TLS 1.2 handshake, then a new ClientHello inside it.

The engine never renegotiates, so the audit writes the second ClientHello itself
(with renegotiation_info carrying our Finished, RFC 5746 §3.5) and has the
engine's record layer encrypt it. A server that renegotiates answers with a
ServerHello, which the engine, expecting only application data, reports as an
unexpected handshake message; one that refuses sends no_renegotiation or closes.
"""

from __future__ import annotations

import os

from port443.audit.features import engine_config
from port443.audit.prober import Prober
from port443.tls import events as ev
from port443.tls.codec import vec8
from port443.tls.enums import AlertDescription as A, ExtensionType as ET, name_of
from port443.tls.extensions import encode_server_name, encode_u16_list
from port443.tls.messages import ClientHello


def renegotiation_hello(suite: int, verify_data: bytes, server_name: str | None) -> bytes:
    exts = [(ET.renegotiation_info, vec8(verify_data)), (ET.extended_master_secret, b""),
            (ET.supported_groups, encode_u16_list([29, 23, 24])), (ET.ec_point_formats, vec8(b"\x00")),
            (ET.signature_algorithms, encode_u16_list([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0601]))]
    if server_name:
        exts.insert(0, (ET.server_name, encode_server_name(server_name)))
    return ClientHello(os.urandom(32), [suite], exts, b"", 0x0303).encode()


async def try_renegotiation(prober: Prober, server_name: str | None) -> tuple[str, str]:
    """("accepted" | "refused" | "unknown", what happened)."""
    async with prober.engine(engine_config(server_name, "TLSv1.2", session_ticket=False)) as s:
        conn, run = s.conn, s.run
        await s.drive(lambda: conn.handshake_complete)
        done = run.complete
        finished = run.first(ev.FinishedSent)
        if done is None or finished is None:
            return "unknown", f"no TLS 1.2 handshake with the engine ({run.error or 'no answer'})"
        conn.send_handshake_message(renegotiation_hello(done.cipher_suite, finished.verify_data, server_name))
        s.flush()
        seen = len(run.events)
        await s.drive(lambda: any(isinstance(e, ev.AlertReceived) for e in run.events[seen:]))
    alerts = [e for e in run.events[seen:] if isinstance(e, ev.AlertReceived)]
    if alerts:
        name = name_of(A, alerts[0].description)
        return "refused", f"it answered our renegotiation ClientHello with a {name} alert"
    if run.error and "unexpected" in run.error.lower():
        return "accepted", "it answered our ClientHello inside the connection with a new handshake"
    if run.closed:
        return "refused", "it closed the connection on our renegotiation ClientHello"
    if run.timed_out:
        return "unknown", "no answer to our renegotiation ClientHello within the timeout"
    return "unknown", run.error or "no answer"
