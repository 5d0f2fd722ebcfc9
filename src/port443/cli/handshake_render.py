"""How `port443 handshake` shows a traced visit. Only the CLI imports this.

Text: a client ↔ server sequence, one arrow per message, styled by rich in a
terminal and plain text otherwise. JSON: the document described in
docs/handshake.md and docs/handshake.schema.json (SCHEMA names its version).
"""

from __future__ import annotations

import dataclasses
import json

from cryptography import x509
from rich.text import Text

from port443.cli.render import console, render_diagnoses, render_steps
from port443.net.trace_run import ConnectionTrace, TraceRun
from port443.tls import events as ev
from port443.trace import certificate_fields, certificate_names, group_name, scheme_name, suite_name
from port443.verdict import Verdict

SCHEMA = "port443.handshake/1"


def render_text(target: str, run: TraceRun, verdict: Verdict, keylog: tuple[str, int] | None) -> None:
    con = console()
    trust = run.options.cafile or "Mozilla's roots"
    con.print(Text(f"port443 handshake {target}: {run.target.host} port {run.target.port}, server name "
                   f"{run.server_name}, trusting {trust}", style="bold"), soft_wrap=True)
    for trace in run.connections:
        con.print()
        con.print(Text(trace.label.capitalize() + (f" ({trace.address})" if trace.address else ""),
                       style="bold underline"))
        render_steps(con, trace.steps)
        _connection_footer(con, trace)
    if run.resume_note:
        con.print()
        con.print(run.resume_note[0].upper() + run.resume_note[1:] + ".", soft_wrap=True)
    if keylog is not None:
        con.print()
        con.print(f"Key log: {keylog[1]} line(s) appended to {keylog[0]}", soft_wrap=True)
    con.print()
    _verdict(con, verdict)


def _connection_footer(con, trace: ConnectionTrace) -> None:
    if trace.failure is not None:
        con.print(Text(f"{'':13}stopped: {trace.failure.detail}", style="red"), soft_wrap=True)
    if trace.http_skipped:
        con.print(f"{'':13}HTTP request {trace.http_skipped}", soft_wrap=True)
    if trace.http is not None and trace.http.error:
        con.print(Text(f"{'':13}HTTP: {trace.http.error}", style="yellow"), soft_wrap=True)
    if trace.handshake_ms is not None:
        con.print(f"{'':13}handshake: {trace.handshake_ms:.2f} ms from Client Hello to completion", soft_wrap=True)


def _verdict(con, verdict: Verdict) -> None:
    con.print(Text(verdict.summary, style="bold green" if verdict.secure else "bold red"), soft_wrap=True)
    if verdict.reason:
        con.print(f"  Why: {verdict.reason}", soft_wrap=True)
    render_diagnoses(con, verdict.diagnoses, indent=2, soft_wrap=True)
    if verdict.explanation:
        con.print(f"  {verdict.explanation}", soft_wrap=True)
    for note in verdict.notes:
        con.print(f"  Note: {note}", soft_wrap=True)


# --------------------------------------------------------------------------- JSON
def render_json(target: str, run: TraceRun, verdict: Verdict, secrets: list[str] | None,
                keylog: tuple[str, int] | None, observer: list[dict] | None = None) -> str:
    opts = run.options
    doc = {
        "schema": SCHEMA,
        "target": {"input": target, "host": run.target.host, "port": run.target.port, "path": run.path,
                   "server_name": run.server_name},
        "offered": {"versions": list(opts.versions), "cipher_suites": list(opts.cipher_suites or []) or None,
                    "groups": list(opts.groups or []) or None, "alpn": list(opts.alpn_protocols),
                    "cafile": opts.cafile, "insecure": opts.request_when_untrusted, "resume": opts.resume,
                    "timeout_s": opts.timeout},
        "addresses": run.addresses,
        "connections": [_connection(trace) for trace in run.connections],
        "resume_note": run.resume_note or None,
        "verdict": {"outcome": verdict.outcome, "secure": verdict.secure, "exit_code": verdict.exit_code,
                    "summary": verdict.summary, "reason": verdict.reason, "explanation": verdict.explanation,
                    "diagnoses": [dataclasses.asdict(d) for d in verdict.diagnoses], "notes": list(verdict.notes)},
        "keylog_file": keylog[0] if keylog else None,
    }
    if secrets is not None:
        doc["keylog"] = secrets
    if observer is not None:
        doc["observer"] = observer
    return json.dumps(doc, indent=2)


def _connection(trace: ConnectionTrace) -> dict:
    done, v, http = trace.complete, trace.verification, trace.http
    chain = done.peer_certificates if done is not None else _chain_seen(trace)
    return {
        "label": trace.label,
        "address": trace.address,
        "steps": [step.as_dict() for step in trace.steps],
        "failure": None if trace.failure is None else {
            "kind": trace.failure.kind, "detail": trace.failure.detail, "alert": trace.failure.alert},
        "negotiated": None if done is None else {
            "version": done.version, "cipher_suite": suite_name(done.cipher_suite),
            "group": None if done.group is None else group_name(done.group), "key_exchange": done.key_exchange,
            "signature_scheme": None if done.signature_scheme is None else scheme_name(done.signature_scheme),
            "alpn": done.alpn_protocol, "resumed": done.resumed},
        "handshake_ms": None if trace.handshake_ms is None else round(trace.handshake_ms, 3),
        "certificates": [_certificate(c) for c in chain],
        "verification": None if v is None else {
            "trusted": v.trusted, "reason": v.reason, "trust_store": v.store_name,
            "diagnoses": [dataclasses.asdict(d) for d in v.diagnoses]},
        "http": None if http is None else {
            "protocol": http.protocol, "method": http.method, "path": http.path, "status": http.status,
            "reason": http.reason, "headers": [[n, v] for n, v in http.headers], "body_bytes": http.body_bytes,
            "complete": http.body_complete, "error": http.error},
        "http_skipped": trace.http_skipped or None,
    }


def _chain_seen(trace: ConnectionTrace) -> tuple[x509.Certificate, ...]:
    return next((tuple(e.chain) for e in trace.events if isinstance(e, ev.CertificateReceived)), ())


def _certificate(cert: x509.Certificate) -> dict:
    fields = dict(certificate_fields(cert))
    return {"subject": fields["subject"], "issuer": fields["issuer"],
            "not_before": cert.not_valid_before_utc.isoformat(), "not_after": cert.not_valid_after_utc.isoformat(),
            "names": certificate_names(cert),
            "key": fields["key"]}
