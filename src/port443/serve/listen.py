"""Binding the listening sockets: SO_REUSEPORT, and 443 -> 8443 (80 -> 8080) when 443 is not ours.

`bind_preferred` tries the standard port, and on "permission denied" or
"address in use" binds the fallback port and returns the one-line hint that
says how to get the standard port. The binder is a parameter so the fallback
can be tested without touching the real port 443.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from dataclasses import dataclass
from typing import Callable


class BindError(OSError):
    """No port could be bound; the message says which and what to do."""


Binder = Callable[[str, int, bool], list[socket.socket]]


def bind_sockets(host: str, port: int, reuse_port: bool = True) -> list[socket.socket]:
    """Bound (not yet listening) TCP sockets for every address `host` resolves to ("" = all)."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    seen, socks = set(), []
    try:
        for family, kind, proto, _, addr in sorted(infos, key=lambda i: i[0] != socket.AF_INET6):
            if (family, addr[0]) in seen:
                continue
            seen.add((family, addr[0]))
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port and hasattr(socket, "SO_REUSEPORT"):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if port == 0 and socks[0] is not sock and socks[0].getsockname()[1]:
                addr = (addr[0], socks[0].getsockname()[1], *addr[2:])  # same ephemeral port on every address
            try:
                sock.bind(addr)
            except OSError as exc:
                if exc.errno == errno.EADDRNOTAVAIL and len(infos) > 1:  # e.g. ::1 on a host without IPv6
                    socks.remove(sock)
                    sock.close()
                    continue
                raise
            sock.setblocking(False)
        if not socks:
            raise OSError(errno.EADDRNOTAVAIL, f"no usable address for {host!r}")
    except OSError:
        for s in socks:
            s.close()
        raise
    return socks


def _python() -> str:
    return os.path.realpath(sys.executable)


def hint_for(port: int, fallback: int, exc: OSError, flag: str) -> str:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (f"port {port} needs privileges, so serving on {fallback}; to use {port}: run as root, or "
                f"`sudo setcap cap_net_bind_service=+ep {_python()}`, or pick one with {flag}")
    return (f"port {port} is in use by another process, so serving on {fallback}; stop that process "
            f"(`port443 firewall` shows listeners) or pick one with {flag}")


@dataclass
class Bound:
    sockets: list[socket.socket]
    port: int
    hint: str | None = None


def bind_preferred(host: str, wanted: int | None, default: int, fallback: int, flag: str,
                   reuse_port: bool = True, binder: Binder = bind_sockets) -> Bound:
    """Bind `wanted` if given (no fallback); else `default`, falling back to `fallback` with a hint."""
    if wanted is not None:
        try:
            socks = binder(host, wanted, reuse_port)
        except OSError as exc:
            raise BindError(f"cannot listen on {host or '*'}:{wanted}: {exc.strerror}; "
                            f"pick another port with {flag}") from None
        return Bound(socks, socks[0].getsockname()[1])
    try:
        socks = binder(host, default, reuse_port)
        return Bound(socks, default)
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EADDRINUSE):
            raise BindError(f"cannot listen on {host or '*'}:{default}: {exc.strerror}") from None
        hint = hint_for(default, fallback, exc, flag)
    try:
        socks = binder(host, fallback, reuse_port)
    except OSError as exc:
        raise BindError(f"cannot listen on port {default} or {fallback} ({exc.strerror}); "
                        f"pick a free port with {flag}") from None
    return Bound(socks, fallback, hint)
