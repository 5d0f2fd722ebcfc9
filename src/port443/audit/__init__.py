"""Auditing a site's port 443 (`port443 check`): probes, findings and grading.

Probes are built on the engine's codecs (`port443.tls`); full handshakes, where one
is needed, use the engine's client. Nothing here prints: the CLI renders.
"""
