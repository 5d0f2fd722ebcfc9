"""Certificates: loading, issuing, trust stores, path validation and diagnosis.

Every X.509 parse and every path validation goes through `cryptography`.
Nothing here prints or touches the network.
"""
