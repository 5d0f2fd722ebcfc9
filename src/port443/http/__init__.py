"""HTTP over the net channels: HTTP/1.1 (h11), HTTP/2 (h2), static files, reverse proxy, redirect, built-in page."""
