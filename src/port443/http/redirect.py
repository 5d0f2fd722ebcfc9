"""Port 80: every request answered with a 308 to the same path on the HTTPS URL."""

from __future__ import annotations

import re

from port443.http.message import Request, Response, host_without_port

# A host we will put in a Location header: a DNS name, IPv4, or a bracketed IPv6 literal.
_HOST_OK = re.compile(r"^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)$")


class Redirect:
    def __init__(self, https_port: int, default_host: str = "localhost") -> None:
        self.https_port = https_port
        self.default_host = default_host

    def location(self, req: Request) -> str:
        host = host_without_port(req.authority)
        if not _HOST_OK.match(host):
            host = self.default_host
        port = "" if self.https_port == 443 else f":{self.https_port}"
        target = req.target if req.target.startswith("/") else "/"
        return f"https://{host}{port}{target}"

    def __call__(self, req: Request) -> Response:
        where = self.location(req).encode("latin-1")
        body = b"Moved to " + where + b"\n"
        return Response(308, [(b"location", where), (b"content-type", b"text/plain; charset=utf-8"),
                              (b"content-length", str(len(body)).encode())], body)
