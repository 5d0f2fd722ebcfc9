"""Certificates from an ACME CA (RFC 8555): Let's Encrypt by default.

- `tlsalpn.py`: RFC 8737 (tls-alpn-01): the challenge type and its validation certificate.
- `board.py`: the challenges being answered right now, and the HTTP-01 handler.
- `store.py`: the account and the certificates in the data directory (keys 0600).
- `client.py`: one issuance: account, order, challenges, finalize with a CSR, download.
- `reasons.py`: every failure as one line that names the problem and the fix.
- `renew.py`: when to renew (a third of the lifetime left), backoff with jitter.
- `responders.py`: standalone HTTP-01 and TLS-ALPN-01 servers for `port443 cert acme`.
- `serving.py`: the same inside `port443 serve --domain`, with the live swap.
"""
