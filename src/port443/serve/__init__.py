"""`port443 serve`: configuration, certificates, sockets, workers and signals."""
