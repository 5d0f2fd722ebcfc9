"""Who listens on a TCP port here: parse `ss -Hltnp`, `lsof -nP -iTCP -sTCP:LISTEN`, `netstat -ano`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from port443.firewall.model import Command

_SS_PROCESS = re.compile(r'\("([^"]*)",pid=(\d+)')


@dataclass(frozen=True)
class Listener:
    address: str  # "0.0.0.0", "::", "10.0.0.1", "*"
    port: int
    process: str = ""  # empty when the listing does not say (not ours to see)
    pid: int | None = None


def split_endpoint(text: str) -> tuple[str, int] | None:
    """("::", 443) from "[::]:443", "*:443", "0.0.0.0.443" (netstat on BSD) or "127.0.0.53%lo:53"."""
    text = text.strip()
    host, sep, port = text.rpartition(":")
    if not sep:
        host, sep, port = text.rpartition(".")
    if not sep or not port.isdigit():
        return None
    host = host.strip("[]").split("%", 1)[0]
    return host or "*", int(port)


def parse_ss(text: str, port: int) -> list[Listener]:
    """Lines of `ss -Hltnp`: State Recv-Q Send-Q Local:Port Peer:Port [users:((...))]."""
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 5 or words[0] != "LISTEN":
            continue
        endpoint = split_endpoint(words[3])
        if endpoint is None or endpoint[1] != port:
            continue
        procs = _SS_PROCESS.findall(line)
        if not procs:
            found.append(Listener(endpoint[0], port))
        for name, pid in dict.fromkeys(procs):
            found.append(Listener(endpoint[0], port, name, int(pid)))
    return found


def parse_lsof(text: str, port: int) -> list[Listener]:
    """Lines of `lsof -nP -iTCP -sTCP:LISTEN`: COMMAND PID USER FD TYPE DEVICE SIZE/OFF NODE NAME (LISTEN)."""
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 9 or not words[1].isdigit() or "(LISTEN)" not in line:
            continue
        endpoint = split_endpoint(words[-2])
        if endpoint and endpoint[1] == port:
            found.append(Listener(endpoint[0], port, words[0].replace("\\x20", " "), int(words[1])))
    return found


def parse_netstat(text: str, port: int, names: dict[int, str] | None = None) -> list[Listener]:
    """Lines of Windows `netstat -ano -p TCP`: Proto Local Foreign State PID."""
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) != 5 or words[0].upper() != "TCP" or words[3].upper() != "LISTENING":
            continue
        endpoint = split_endpoint(words[1])
        if endpoint and endpoint[1] == port and words[4].isdigit():
            pid = int(words[4])
            found.append(Listener(endpoint[0], port, (names or {}).get(pid, ""), pid))
    return found


def parse_tasklist(text: str) -> dict[int, str]:
    """`tasklist /FO CSV /NH`: "name.exe","1234","Console","1","10,000 K"."""
    names = {}
    for line in text.splitlines():
        cells = [c.strip('"') for c in line.strip().split('","')]
        if len(cells) >= 2 and cells[1].isdigit():
            names[int(cells[1])] = cells[0]
    return names


def listener_commands(platform: str) -> dict[str, Command]:
    if platform == "windows":
        return {"netstat": Command(("netstat", "-ano", "-p", "TCP"), shell="cmd"),
                "tasklist": Command(("tasklist", "/FO", "CSV", "/NH"), shell="cmd")}
    if platform == "darwin":
        return {"lsof": Command(("lsof", "-nP", "-iTCP", "-sTCP:LISTEN"))}
    return {"ss": Command(("ss", "-Hltnp"))}


def parse_listeners(platform: str, outputs: dict[str, str], port: int) -> list[Listener]:
    if platform == "windows":
        return parse_netstat(outputs.get("netstat", ""), port, parse_tasklist(outputs.get("tasklist", "")))
    if platform == "darwin":
        return parse_lsof(outputs.get("lsof", ""), port)
    return parse_ss(outputs.get("ss", ""), port)
