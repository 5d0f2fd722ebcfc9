"""Port lists as firewalls write them: 443, https, 400-500, 400:500, 80,443."""

from __future__ import annotations

from port443.firewall.model import PortRanges

# The service names listings use for the ports we care about most. A name not
# here makes a rule "narrowed" (we cannot tell what it matches) rather than wrong.
SERVICE_PORTS = {
    "http": 80,
    "www": 80,
    "https": 443,
    "http-alt": 8080,
    "https-alt": 8443,
    "ssh": 22,
    "domain": 53,
    "smtp": 25,
    "submission": 587,
    "imaps": 993,
}


def parse_port(text: str) -> int | None:
    text = text.strip().lower()
    if text.isdigit():
        value = int(text)
        return value if 0 <= value <= 65535 else None
    return SERVICE_PORTS.get(text)


def parse_ports(text: str) -> PortRanges | None:
    """Ranges from a port list, or None when any part of it is not understood."""
    text = text.strip().strip("{}").strip()
    if not text:
        return None
    ranges: list[tuple[int, int]] = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        for sep in ("-", ":"):
            if sep in part:
                lo_text, _, hi_text = part.partition(sep)
                lo, hi = parse_port(lo_text or "0"), parse_port(hi_text or "65535")
                break
        else:
            lo = hi = parse_port(part)
        if lo is None or hi is None or lo > hi:
            return None
        ranges.append((lo, hi))
    return tuple(ranges) or None
