"""Many targets at once: a fixed number of hosts in flight, results as they finish.

Each host keeps its own limits (connection cap, time budget); `concurrency` caps
how many hosts are checked at the same time. Targets are `HOST[:PORT]` lines
(`#` starts a comment); a line that does not parse is reported, not raised.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

from port443.audit.check import SCHEMA, CheckOptions, check_host

MAX_TARGETS = 1_000_000


def parse_target(text: str, default_port: int = 443) -> tuple[str, int]:
    """HOST, HOST:PORT, [IPv6]:PORT or a bare IPv6 address; ValueError with the fix otherwise."""
    text = text.strip()
    if not text:
        raise ValueError("empty target; give HOST or HOST:PORT")
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host, port_text = text, ""
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError(f"bad port in {text!r}; use HOST:PORT with a port from 1 to 65535")
        port = int(port_text)
    if not host or any(c.isspace() for c in host):
        raise ValueError(f"bad host in {text!r}")
    return host, port


def read_targets(lines, default_port: int = 443) -> list[tuple[str, int] | str]:
    """Each line: a (host, port) or the error for it, in order; comments and blanks skipped."""
    out: list[tuple[str, int] | str] = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            out.append(parse_target(line, default_port))
        except ValueError as exc:
            out.append(str(exc))
        if len(out) > MAX_TARGETS:
            raise ValueError(f"more than {MAX_TARGETS} targets; split the file")
    return out


async def check_many(targets: list[tuple[str, int]], opts: CheckOptions, concurrency: int) -> AsyncIterator[list[dict]]:
    """Yield each host's reports (one per address) as it finishes, at most `concurrency` hosts at a time."""
    if not 1 <= concurrency <= 10_000:
        raise ValueError("concurrency must be between 1 and 10000")
    queue: asyncio.Queue = asyncio.Queue()
    gate = asyncio.Semaphore(concurrency)

    async def one(host: str, port: int) -> None:
        async with gate:
            try:
                reports = await check_host(host, port, opts)
            except Exception as exc:  # one bad host must not stop the others; reported as its result
                reports = [{"schema": SCHEMA, "target": {"host": host, "port": port},
                            "error": f"{type(exc).__name__}: {exc}"}]
        await queue.put(reports)

    tasks = [asyncio.create_task(one(h, p)) for h, p in targets]
    pending = len(tasks)
    try:
        while pending:
            yield await queue.get()
            pending -= 1
    finally:
        for t in tasks:
            t.cancel()
