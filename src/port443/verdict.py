"""The verdict on a traced visit (`port443.net.trace_run`): the padlock, or exactly why not.

`judge(run)` looks at the first connection and returns a `Verdict`: whether a
browser would show the padlock, one summary line, the exact reason, what it
means and what to do, the certificate diagnoses, and the exit code that
`port443 handshake` documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from port443.net.probe import MEANING, ProbeResult
from port443.net.trace_run import ConnectionTrace, Failure, TraceRun
from port443.tls.enums import AlertDescription as A
from port443.trace import alert_meaning, group_name, suite_name

SECURE, NOT_TRUSTED, NO_CONNECTION, TLS_FAILURE = 0, 1, 2, 3
NO_COMMON_PARAMETERS = {A.handshake_failure, A.insufficient_security}


@dataclass(frozen=True)
class Verdict:
    outcome: str  # "secure", "not-trusted", "dns", "closed", "filtered", ..., "no-common-version"
    exit_code: int
    summary: str  # one line, shown last
    reason: str = ""  # the exact reason ("" when secure)
    explanation: str = ""  # what it means and what to do
    diagnoses: tuple = ()  # port443.pki.codes.Diagnosis, errors first
    notes: tuple[str, ...] = ()

    @property
    def secure(self) -> bool:
        return self.exit_code == SECURE


def judge(run: TraceRun) -> Verdict:
    first = run.first
    notes = _resumption_notes(run)
    if first.failure is not None:
        return _failed(run, first, first.failure, notes)
    done = first.complete
    assert done is not None  # no failure means the handshake completed
    v = first.verification
    diagnoses = tuple(v.diagnoses) if v is not None else ()
    errors = [d for d in diagnoses if d.severity == "error"]
    kx = "RSA-encrypted premaster secret" if done.key_exchange.startswith("RSA") else group_name(done.group)
    what = f"{done.version}, {suite_name(done.cipher_suite)}, key exchange {kx}"
    if first.http is not None and first.http.error:
        notes += (f"The HTTP request failed: {first.http.error}.",)
    if done.key_exchange.startswith("RSA"):
        notes += ("RSA key transport has no forward secrecy: whoever gets the server's private key later can "
                  "decrypt this recorded session. Prefer ECDHE suites.",)
    if v is None or not v.trusted:
        reason = v.reason if v is not None else "the certificate was not checked"
        return Verdict("not-trusted", NOT_TRUSTED, f"Not secure: the certificate for {run.server_name} is not "
                       f"trusted ({what}).", reason, "", diagnoses, notes)
    if errors:
        return Verdict("refused-by-browsers", NOT_TRUSTED, f"Not secure: browsers refuse the certificate for "
                       f"{run.server_name} ({what}).", errors[0].message, "", diagnoses, notes)
    return Verdict("secure", SECURE, f"Secure (the padlock): {what}; the certificate for {run.server_name} is "
                   f"trusted by {v.store_name}.", diagnoses=diagnoses, notes=notes)


def _failed(run: TraceRun, trace: ConnectionTrace, failure: Failure, notes: tuple[str, ...]) -> Verdict:
    kind, where = failure.kind, f"{run.target.host} port {run.target.port}"
    probe_hint = f"`port443 firewall probe {run.target.host} --port {run.target.port}`"
    if kind == "dns":
        return Verdict("dns", NO_CONNECTION, f"Could not connect: {run.target.host} does not resolve.",
                       failure.detail, "Check the spelling, and that the name has A/AAAA records in DNS.")
    if kind == ProbeResult.CLOSED.value:
        return Verdict("closed", NO_CONNECTION, f"Could not connect: {where} is closed (connection refused).",
                       failure.detail, MEANING[ProbeResult.CLOSED])
    if kind == ProbeResult.FILTERED.value:
        return Verdict("filtered", NO_CONNECTION, f"Could not connect: {where} did not answer (filtered, likely a "
                       "firewall).", failure.detail, f"{MEANING[ProbeResult.FILTERED]} Probe it with {probe_hint}; "
                       "on the server, `port443 firewall status` shows what blocks it.")
    if kind == ProbeResult.UNREACHABLE.value:
        return Verdict("unreachable", NO_CONNECTION, f"Could not connect: {where} is unreachable.", failure.detail,
                       MEANING[ProbeResult.UNREACHABLE])
    if kind == "connect-error":
        return Verdict("connect-error", NO_CONNECTION, f"Could not connect to {where}.", failure.detail,
                       "Check the address and this machine's network.")
    if kind == ProbeResult.NOT_TLS.value:
        plain = failure.answer.startswith((b"HTTP/", b"<"))
        what = "plain HTTP, not HTTPS" if plain else "something, but not TLS"
        fix = ("Use http:// for this port, or serve HTTPS on it (TLS with a certificate)." if plain
               else MEANING[ProbeResult.NOT_TLS])
        return Verdict("not-tls", TLS_FAILURE, f"TLS failure: {where} speaks {what}.",
                       f"The server {failure.detail}.", fix)
    if kind == "no-answer":
        return Verdict("no-answer", TLS_FAILURE, f"TLS failure: {where} accepted the connection but never answered "
                       "the Client Hello.", failure.detail, MEANING[ProbeResult.NOT_TLS])
    if kind == "hung-up":
        return Verdict("hung-up", TLS_FAILURE, f"TLS failure: {where} hung up on our Client Hello.", failure.detail,
                       "A TLS server that refuses a handshake normally sends an alert. Closing silently suggests a "
                       "service that is not TLS, or a server with no site for the name we sent (SNI: "
                       f"{_sni(trace)}).")
    if kind == "alert-received":
        return _alert_verdict(trace, failure, where, notes)
    if kind == "tls-error" and failure.alert == A.protocol_version:
        return Verdict("no-common-version", TLS_FAILURE, f"TLS failure: no common TLS version with {where}.",
                       failure.detail, _version_fix(trace))
    if kind == "tls-error":
        sent = f" We sent alert {A(failure.alert).name}." if failure.alert is not None else ""
        return Verdict("tls-error", TLS_FAILURE, f"TLS failure: the handshake with {where} broke the protocol.",
                       f"{failure.detail}.{sent}", "The server's TLS implementation misbehaved, or something on "
                       "the path altered the bytes.")
    return Verdict(kind, TLS_FAILURE, f"TLS failure: the handshake with {where} did not finish.", failure.detail,
                   "Check the server's TLS configuration and its error log.")


def _alert_verdict(trace: ConnectionTrace, failure: Failure, where: str, notes: tuple[str, ...]) -> Verdict:
    code = failure.alert
    name = A(code).name if code in A._value2member_map_ else str(code)
    reason = f"The server sent alert {name}: {alert_meaning(code)}."
    if code == A.protocol_version:
        return Verdict("no-common-version", TLS_FAILURE, f"TLS failure: no common TLS version with {where}.",
                       reason, _version_fix(trace))
    if code in NO_COMMON_PARAMETERS:
        hello = trace.client_hello
        offered = ""
        if hello is not None:
            offered = (f" We offered cipher suites {', '.join(suite_name(s) for s in hello.cipher_suites)}; groups "
                       f"{', '.join(group_name(g) for g in hello.groups)}.")
        return Verdict("no-common-parameters", TLS_FAILURE, f"TLS failure: no common cipher suite or group with "
                       f"{where}.", reason + offered, "Offer what the server supports (--cipher, --group), or "
                       "enable modern suites (TLS 1.3, ECDHE with AES-GCM) on the server.")
    return Verdict("alert", TLS_FAILURE, f"TLS failure: {where} refused the handshake (alert {name}).", reason,
                   "Check the server's TLS configuration and its error log.", notes=notes)


def _version_fix(trace: ConnectionTrace) -> str:
    offered = ", ".join(trace.client_hello.versions) if trace.client_hello is not None else "?"
    return (f"We offered {offered}. Offer the server's version (--tls1.2 or --tls1.3), or enable TLS 1.3 and "
            "1.2 on the server.")


def _sni(trace: ConnectionTrace) -> str:
    hello = trace.client_hello
    return (hello.server_name or "none") if hello is not None else "none"


def _resumption_notes(run: TraceRun) -> tuple[str, ...]:
    if not run.options.resume:
        return ()
    if run.resume_note:
        return (run.resume_note[0].upper() + run.resume_note[1:] + ".",)
    first, second = run.connections[0], run.connections[1]
    if second.complete is None:
        why = second.failure.detail if second.failure is not None else "it did not complete"
        return (f"The resumed connection failed: {why}.",)
    if not second.complete.resumed:
        return ("The server did not accept the session ticket: the second connection made a full handshake.",)
    by = "session ticket" if getattr(first.session, "ticket", b"") else "session ID"
    return (f"Resumed: the second handshake used the {by}, without certificate or signature, in "
            f"{second.handshake_ms:.2f} ms (the full one took {first.handshake_ms:.2f} ms).",)
