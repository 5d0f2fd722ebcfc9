"""The engine's one exception family.

Every failure the engine detects raises a TLSError that carries the alert it
queued for the peer (RFC 8446 §6.2). No other exception leaves the engine on
any input.
"""

from __future__ import annotations

from port443.tls.enums import AlertDescription

A = AlertDescription


class TLSError(Exception):
    """A protocol failure. `alert` is what we sent (or None when we sent nothing)."""

    def __init__(self, alert: AlertDescription | None, message: str) -> None:
        super().__init__(message)
        self.alert = alert
        self.message = message
        self.events: list = []  # events produced by the same receive_data call before the failure

    def __str__(self) -> str:
        if self.alert is None:
            return self.message
        return f"{self.message} (alert {self.alert.name})"


class DecodeError(TLSError):
    def __init__(self, message: str) -> None:
        super().__init__(A.decode_error, message)


class UnexpectedMessage(TLSError):
    def __init__(self, message: str) -> None:
        super().__init__(A.unexpected_message, message)


class IllegalParameter(TLSError):
    def __init__(self, message: str) -> None:
        super().__init__(A.illegal_parameter, message)


class HandshakeFailure(TLSError):
    def __init__(self, message: str) -> None:
        super().__init__(A.handshake_failure, message)


class BadRecordMac(TLSError):
    def __init__(self, message: str = "record failed authentication") -> None:
        super().__init__(A.bad_record_mac, message)


class RecordOverflow(TLSError):
    def __init__(self, message: str) -> None:
        super().__init__(A.record_overflow, message)


class CertificateError(TLSError):
    """The peer's certificate was not accepted; `verification` says why."""

    def __init__(self, alert: AlertDescription, message: str, verification=None) -> None:
        super().__init__(alert, message)
        self.verification = verification


class ConnectionClosedError(TLSError):
    """Use of a connection that is closed or failed."""

    def __init__(self, message: str = "the connection is closed") -> None:
        super().__init__(None, message)
