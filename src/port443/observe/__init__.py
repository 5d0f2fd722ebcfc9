"""What HTTPS does not hide: the passive observer's view of TLS connections.

- `fingerprint`: JA3, JA3S, JA4, JA4S of raw hello messages (live or captured).
- `capture` → `tcp` → `records` → `hellos`: pcap/pcapng reading, TCP
  reassembly per direction, TLS record framing, the clear-text handshake.
- `analyze.analyze_capture(path)`: a `report.CaptureReport` for a capture file.
- `live.observe_connection(client_bytes, server_bytes, timing)`: the same
  report (a `FlowReport`) for one live connection.
- `facts`, `html`: the report as labelled facts and as a self-contained page.

Nothing here decrypts anything: it reads only what crosses the wire in clear.
"""
