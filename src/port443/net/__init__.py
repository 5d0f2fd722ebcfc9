"""Networking helpers shared by the commands: connecting, fetching a server's chain."""
