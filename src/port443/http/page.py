"""The built-in page: visitors see their own handshake, and what an eavesdropper still sees.

`/` is the HTML page, `/handshake.json` the same facts as JSON. Every value
comes from this connection: the negotiated parameters, the Client Hello the
visitor's browser sent (decoded by the engine), and the channel's counters.
"""

from __future__ import annotations

import functools
import html
import json
from typing import Any

from port443.http.message import Request, Response, text_response
from port443.tls.enums import ExtensionType, name_of
from port443.tls.server_hello import is_grease
from port443.trace import group_name, scheme_name, suite_name



def fingerprints(raw: bytes) -> dict[str, str] | None:
    """JA3 (its MD5) and JA4 of the visitor's Client Hello, from port443.observe.fingerprint."""
    return dict(_fingerprints(raw))


@functools.lru_cache(maxsize=256)
def _fingerprints(raw: bytes) -> tuple[tuple[str, str], ...]:
    # Keyed by the hello's bytes: a keep-alive or h2 visitor asks for several pages over one hello.
    from port443.observe.fingerprint import ja3, ja4

    out = []
    for name, fn in (("JA3", lambda b: ja3(b)[1]), ("JA4", ja4)):
        try:
            out.append((name, fn(raw)))
        except Exception as exc:  # a fingerprint bug must not take the page down
            out.append((name, f"unavailable ({type(exc).__name__})"))
    return tuple(out)


def _names(values, namer) -> list[str]:
    return [namer(v) for v in values if not (isinstance(v, int) and is_grease(v))]


def handshake_facts(req: Request) -> dict[str, Any]:
    ch = req.channel
    tls = ch.tls
    hello = tls.client_hello if tls else None
    facts: dict[str, Any] = {
        "connection": {
            "engine": tls.engine if tls else "", "tls_version": tls.version if tls else "",
            "cipher_suite": tls.cipher_suite if tls else "", "group": tls.group if tls else "",
            "sni": tls.server_name if tls else None, "alpn": tls.alpn if tls else None,
            "http_version": req.http_version, "resumed": tls.resumed if tls else False,
        },
        "client_hello": None,
        "eavesdropper": {
            "ip_address": req.client[0], "port": req.client[1],
            "bytes_received": ch.bytes_in, "bytes_sent": ch.bytes_out,
            "site_name": tls.server_name if tls else None,
            "connection_number": ch.connection_number,
        },
        "fingerprints": None,
    }
    if hello is not None:
        facts["client_hello"] = {
            "size": len(hello.raw),
            "versions": list(hello.versions),
            "cipher_suites": _names(hello.cipher_suites, suite_name),
            "groups": _names(hello.groups, group_name),
            "key_shares": _names(hello.key_share_groups, group_name),
            "signature_algorithms": _names(hello.signature_algorithms, scheme_name),
            "alpn": list(hello.alpn_protocols),
            "server_name": hello.server_name,
            "extensions": _names(hello.extensions, lambda v: name_of(ExtensionType, v)),
            "resumption_offered": hello.resumption_offered,
        }
        facts["fingerprints"] = fingerprints(hello.raw)
    return facts


def _row(label: str, value: Any, ident: str = "") -> str:
    if isinstance(value, list):
        value = ", ".join(value) if value else "none"
    elif value is None or value == "":
        value = "none"
    attr = f' id="{ident}"' if ident else ""
    return f"<tr><th>{html.escape(label)}</th><td{attr}>{html.escape(str(value))}</td></tr>"


STYLE = """body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%}th{text-align:left;width:14rem;vertical-align:top;padding:.3rem}
td{padding:.3rem;font-family:ui-monospace,monospace;word-break:break-word}.lock{color:#1a7f37}
p.note{color:#555}"""


def render_page(facts: dict[str, Any]) -> str:
    c, e, h = facts["connection"], facts["eavesdropper"], facts["client_hello"]
    rows = [_row("TLS version", c["tls_version"], "version"), _row("Cipher suite", c["cipher_suite"], "suite"),
            _row("Key exchange group", c["group"], "group"), _row("Server name (SNI)", c["sni"], "sni"),
            _row("ALPN protocol", c["alpn"], "alpn"), _row("HTTP version", c["http_version"], "http"),
            _row("Session resumed", "yes" if c["resumed"] else "no", "resumed"),
            _row("TLS engine", c["engine"], "engine")]
    offer = ["<p>Your browser's Client Hello was not captured.</p>"]
    if h is not None:
        offer = ["<table>", _row("Client Hello size", f"{h['size']} bytes", "hello-size"),
                 _row("TLS versions", h["versions"], "offered-versions"),
                 _row("Cipher suites", h["cipher_suites"], "offered-suites"),
                 _row("Groups", h["groups"], "offered-groups"), _row("Key shares sent", h["key_shares"], "key-shares"),
                 _row("Signature algorithms", h["signature_algorithms"], "offered-signatures"),
                 _row("ALPN", h["alpn"], "offered-alpn"), _row("Extensions", h["extensions"], "offered-extensions")]
        fp = facts["fingerprints"]
        offer.append(_row("JA3 / JA4", ", ".join(f"{k} {v}" for k, v in fp.items()) if fp else
                          "not available (no Client Hello recorded)", "fingerprints"))
        offer.append("</table>")
    sni = e["site_name"] or "(none sent)"
    seen = ["<table>",
            _row("Your IP address", f"{e['ip_address']} (port {e['port']}); from it, roughly where you are", "ip"),
            _row("Data sizes", f"{e['bytes_received']} bytes from you and {e['bytes_sent']} bytes to you so far "
                 "on this connection; record lengths are visible, contents are not", "sizes"),
            _row("The site name", f"{sni}: sent in the clear in the Client Hello (SNI), and in DNS", "site"),
            _row("Number of connections", f"this is connection number {e['connection_number']} from your "
                 "address to this server", "connections"),
            "</table>"]
    return "\n".join([
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>port443: {html.escape(c['tls_version'])} {html.escape(c['cipher_suite'])}</title>",
        f"<style>{STYLE}</style></head><body>",
        '<h1>You are connected over HTTPS</h1>',
        "<p>This page is served by <b>port443</b>. Everything below is about your own connection to it.</p>",
        "<h2>Your handshake</h2>", "<table>", *rows, "</table>",
        "<h2>What your Client Hello offered</h2>", *offer,
        "<h2>What an eavesdropper can still see</h2>",
        '<p class="note">HTTPS encrypts what you send and receive. It does not hide these:</p>', *seen,
        "</body></html>"])


def builtin_page(req: Request) -> Response:
    if req.method not in ("GET", "HEAD"):
        return text_response(405, "This page answers GET and HEAD only.", [(b"allow", b"GET, HEAD")])
    facts = handshake_facts(req)
    if req.path == "/handshake.json":
        body = json.dumps(facts, indent=2).encode()
        kind = b"application/json"
    elif req.path in ("/", "/index.html"):
        body = render_page(facts).encode()
        kind = b"text/html; charset=utf-8"
    else:
        return text_response(404, "The built-in site has / and /handshake.json; serve your own with --root.")
    return Response(200, [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                          (b"cache-control", b"no-store")], body)
