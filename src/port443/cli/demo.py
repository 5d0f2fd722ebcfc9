"""`port443 demo`: our client and our server complete a real handshake on loopback."""

from __future__ import annotations

import json
import socket
import threading
import time

import click

from port443.cli.render import console, render_steps
from port443.net.stream import TLSStream
from port443.pki.issue import KEY_TYPES, issue_leaf, make_ca
from port443.pki.trust import TrustStore
from port443.tls import ClientConfig, ClientConnection, ServerConfig, ServerConnection, TLSError
from port443.trace import describe

PAGE = b"<!doctype html><title>port443</title><p>Hello over HTTPS, from port443's own TLS engine.</p>\n"


def _serve_once(listener: socket.socket, config: ServerConfig, result: dict) -> None:
    try:
        sock, _ = listener.accept()
        sock.settimeout(10)
        with sock:
            stream = TLSStream(sock, ServerConnection(config))
            stream.do_handshake()
            request = b""
            while b"\r\n\r\n" not in request and not stream.peer_closed and len(request) < 65536:
                request += stream.recv_some()
            head = (f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(PAGE)}\r\n"
                    "Connection: close\r\n\r\n").encode()
            stream.sendall(head + PAGE)
            stream.close()
            stream.recv_until_closed()
            result["server"] = stream.conn.complete_event
    except (OSError, TLSError) as exc:
        result["error"] = exc


@click.command()
@click.option("--key-type", type=click.Choice(KEY_TYPES), default="ecdsa-p256", show_default=True,
              help="The server certificate's key.")
@click.option("--group", default=None, help="Key exchange group, e.g. x25519, secp256r1, X25519MLKEM768.")
@click.option("--cipher", default=None, help="Cipher suite (IANA name), e.g. TLS_AES_256_GCM_SHA384.")
@click.option("--json", "as_json", is_flag=True, help="Print the steps as JSON.")
def demo(key_type: str, group: str | None, cipher: str | None, as_json: bool) -> None:
    """Run a real TLS 1.3 handshake between port443's client and server.

    Everything happens in this process, on 127.0.0.1: a throwaway CA and a
    certificate for localhost are made in memory, the server listens on an
    ephemeral port, and the client connects, checks the certificate, sends an
    HTTP request and reads the response. Every step of the handshake is shown
    with its real values.

    Exit codes: 0 the exchange succeeded; 1 it failed (the reason is printed).
    """
    ca = make_ca("port443 demo CA (throwaway)")
    leaf = issue_leaf(ca, ["localhost", "127.0.0.1"], key_type=key_type)
    kw = {}
    if group:
        kw["groups"] = (group,)
    if cipher:
        kw["cipher_suites"] = (cipher,)
    try:
        server_config = ServerConfig(certificate_chain=list(leaf.chain), private_key=leaf.key,
                                     alpn_protocols=("http/1.1",), **kw)
        client_config = ClientConfig(server_name="localhost", trust_store=TrustStore([ca.certificate], "demo CA"),
                                     alpn_protocols=("http/1.1",), **kw)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    result: dict = {}
    steps = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)
        port = listener.getsockname()[1]
        server = threading.Thread(target=_serve_once, args=(listener, server_config, result), daemon=True)
        server.start()
        start = time.perf_counter()

        def on_event(event) -> None:
            step = describe(event, "client")
            if step is not None:
                step.elapsed_ms = (time.perf_counter() - start) * 1000
                steps.append(step)

        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                stream = TLSStream(sock, ClientConnection(client_config), on_event=on_event)
                stream.do_handshake()
                stream.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                response = stream.recv_until_closed()
                stream.close()
        except (OSError, TLSError) as exc:
            raise click.ClickException(f"the demo handshake failed: {exc}") from None
        server.join(10)
    if "error" in result:
        raise click.ClickException(f"the demo server failed: {result['error']}")
    status = response.split(b"\r\n", 1)[0].decode("latin-1")
    body_bytes = len(response.split(b"\r\n\r\n", 1)[-1])
    if as_json:
        click.echo(json.dumps({"port": port, "steps": [s.as_dict() for s in steps], "http_status": status,
                               "body_bytes": body_bytes}, indent=2))
        return
    con = console()
    con.print(f"port443 demo: our client and our server on 127.0.0.1:{port}\n")
    render_steps(con, steps)
    con.print()
    con.print(f"HTTP over TLS: GET / → {status}, {body_bytes} bytes of page")
    done = stream.conn.complete_event
    con.print(f"[bold green]Secure[/]: {done.version}, {done.cipher_suite.name}, certificate trusted (demo CA).")
