"""The diagnosis codes: stable names, their severity, meaning and fix.

docs/certificates.md lists the same table; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Diagnosis:
    code: str
    severity: str  # "error" | "warning" | "info"
    message: str
    fix: str
    certificate: str | None = None  # the subject of the certificate concerned, when there is one


# code -> (severity, what it means in one line, the fix). docs/certificates.md lists the same.
CODES: dict[str, tuple[str, str, str]] = {
    "leaf-expired": ("error", "The server's certificate has expired.",
                     "Renew the certificate and install the new one on the server."),
    "leaf-not-yet-valid": ("error", "The server's certificate is not valid yet.",
                           "Check the server's clock, or wait until the certificate's start date."),
    "intermediate-expired": ("error", "An intermediate certificate in the chain has expired.",
                             "Download the current intermediate from your CA and replace the old one "
                             "in the chain file."),
    "intermediate-not-yet-valid": ("error", "An intermediate certificate is not valid yet.",
                                   "Use the intermediate your CA currently publishes for your certificate."),
    "root-expired": ("error", "The root certificate the chain leads to has expired.",
                     "Get a certificate from a CA whose root is current, or install the CA's new chain "
                     "(often a cross-signed intermediate)."),
    "root-not-yet-valid": ("error", "The root certificate is not valid yet.",
                           "Check the clock of the machine doing the check."),
    "expiring-soon": ("warning", "A certificate in the chain expires within 30 days.",
                      "Renew it now (automate renewal, e.g. with an ACME client)."),
    "self-signed": ("error", "The certificate is self-signed: it vouches for itself, so no browser trusts it.",
                    "Get a certificate from a public CA, or for a private site issue one from a local CA "
                    "(`port443 cert ca`, `port443 cert issue`) and trust that CA (`port443 cert trust`)."),
    "untrusted-root": ("error", "The chain leads to a root the trust store does not contain.",
                       "Use a certificate from a publicly trusted CA, or add this root to the clients' "
                       "trust store (for a private CA: `port443 cert trust`)."),
    "missing-intermediate": ("error", "The server sent only its own certificate, without the intermediate "
                                      "that issued it.",
                             "Install the full chain: the certificate followed by the intermediates "
                             "(fullchain.pem), not the certificate alone."),
    "chain-order": ("warning", "The chain's certificates are sent out of order.",
                    "Send the server's certificate first, then each issuer in turn (leaf, intermediate, ...)."),
    "chain-extra": ("warning", "The server sends certificates that are not part of its chain.",
                    "Remove the unrelated or duplicated certificates from the chain file."),
    "hostname-mismatch": ("error", "The certificate does not cover the host name.",
                          "Get a certificate that lists this name (or a wildcard one label above it)."),
    "wildcard-public-suffix": ("error", "A wildcard covers a whole public suffix (like *.com), "
                                        "which browsers refuse.",
                               "Use a wildcard one label below the suffix (*.example.com), or list the names."),
    "ip-san": ("info", "The certificate covers IP addresses.",
               "Nothing to do if clients connect by IP address; public CAs issue these only for public IPs."),
    "no-san": ("error", "The certificate has no subjectAltName: browsers ignore the subject's CN, so it "
                        "covers no name at all.",
               "Reissue it with the host names in the subjectAltName extension."),
    "weak-key": ("error", "A certificate's key is too small (RSA under 2048 bits or EC under 256 bits).",
                 "Generate a new key (ECDSA P-256 or RSA 2048+) and get the certificate reissued."),
    "weak-signature": ("error", "A certificate is signed with SHA-1 or MD5, which browsers refuse.",
                       "Get the certificate reissued; CAs sign with SHA-256 today."),
    "wrong-eku": ("error", "A certificate's extended key usage does not allow TLS servers.",
                  "Reissue it for TLS servers (extended key usage serverAuth)."),
    "wrong-key-usage": ("error", "A certificate's key usage or CA flag does not fit its place in the chain.",
                        "Reissue the certificate with a standard server profile (or CA profile for issuers)."),
    "validity-too-long": ("error", "The certificate is valid for more than 398 days, which browsers refuse.",
                          "Reissue it with a validity of 398 days or less (public CAs do this already)."),
    "chain-invalid": ("error", "The chain failed validation for a reason not listed above.",
                      "Read the detail; reissuing with a standard profile usually fixes it."),
}


def finding(code: str, message: str, certificate: str | None = None) -> Diagnosis:
    severity, _, fix = CODES[code]
    return Diagnosis(code, severity, message, fix, certificate)
