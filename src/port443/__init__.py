"""port443: HTTPS on port 443, end to end."""

__version__ = "0.1.0"
