"""A grade from A+ to F, following Qualys SSL Labs' SSL Server Rating Guide.

The score (rating guide 2009r, §2-§5): protocol support 30%, key exchange 30%,
cipher strength 40%; each aspect the average of its best and worst case (key
exchange: the weakest). 80+ is A, 65+ B, 50+ C, 35+ D, 20+ E, below F. Then the
caps the guide and its published updates add (2014: SSLv3/POODLE C, no
TLS_FALLBACK_SCSV A-, RC4 C; 2015: export suites F, no forward secrecy B; 2016:
SWEET32 3DES C; 2018: ROBOT F, TLS 1.0/1.1 B from 2020, no AEAD A-; always: a
certificate that is not trusted makes the grade T, a name mismatch M). Every cap
that applies is listed with its reason; the lowest wins. A+ needs an A with no
warning cap and HSTS with max-age of at least 180 days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ORDER = ["A+", "A", "A-", "B", "C", "D", "E", "F", "M", "T"]  # M and T are shown as failing grades
PROTOCOL_SCORE = {"SSLv2": 0, "SSLv3": 80, "TLSv1": 90, "TLSv1.1": 95, "TLSv1.2": 100, "TLSv1.3": 100}
HSTS_A_PLUS = 15552000
# (threshold, value) from the highest threshold down: the value of the first threshold reached.
KX_STEPS = ((4096, 100), (2048, 90), (1024, 80), (512, 40))  # rating guide §4, RSA-equivalent bits
CIPHER_STEPS = ((256, 100), (128, 80))  # rating guide §5, bits
LETTER_STEPS = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (20, "E"))
EC_RSA_EQUIVALENT = ((512, 15360), (384, 7680), (256, 3072), (224, 2048))  # NIST SP 800-57 Part 1 table 2


def _first_reached(value: float, steps: tuple, below):
    """The value of the first (highest) threshold `value` reaches; `below` when it reaches none."""
    return next((result for threshold, result in steps if value >= threshold), below)


def kx_score(bits: int, anonymous: bool, export: bool) -> int:
    """Rating guide §4, in RSA-equivalent bits; export suites score at most 40."""
    if anonymous:
        return 0
    score = _first_reached(bits, KX_STEPS, 20)
    return min(score, 40) if export else score


def cipher_score(bits: int) -> int:
    """Rating guide §5."""
    return 0 if bits == 0 else _first_reached(bits, CIPHER_STEPS, 20)


def letter(score: float) -> str:
    return _first_reached(score, LETTER_STEPS, "F")


def worse(a: str, b: str) -> str:
    return a if ORDER.index(a) >= ORDER.index(b) else b


@dataclass
class Cap:
    grade: str
    reason: str


@dataclass
class Grade:
    grade: str
    score: float
    protocol_score: float
    kx_score: float
    cipher_score: float
    caps: list[Cap] = field(default_factory=list)
    grade_ignoring_trust: str = ""

    def to_json(self) -> dict:
        return {"grade": self.grade, "grade_ignoring_trust": self.grade_ignoring_trust, "score": round(self.score, 1),
                "scores": {"protocol": self.protocol_score, "key_exchange": self.kx_score,
                           "cipher": self.cipher_score},
                "caps": [{"grade": c.grade, "reason": c.reason}
                         for c in sorted(self.caps, key=lambda c: -ORDER.index(c.grade))]}  # worst first


def ec_equivalent(bits: int) -> int:
    """RSA-equivalent strength of an EC key or curve (NIST SP 800-57 Part 1 table 2)."""
    return _first_reached(bits, EC_RSA_EQUIVALENT, 1024)


def compute_grade(f: dict) -> Grade:
    """`f`: the facts grade needs (see check.grade_facts)."""
    protocols = f["protocols"]
    if not protocols:
        return Grade("F", 0, 0, 0, 0, [Cap("F", "no SSL/TLS protocol is accepted")], "F")
    p_scores = [PROTOCOL_SCORE[p] for p in protocols]
    proto = (max(p_scores) + min(p_scores)) / 2
    kx = kx_score(f["weakest_kx_bits"], f["anonymous"], f["export"])
    c_bits = f["cipher_bits"] or [0]
    ciph = (cipher_score(max(c_bits)) + cipher_score(min(c_bits))) / 2
    score = 0.3 * proto + 0.3 * kx + 0.4 * ciph
    caps: list[Cap] = []
    cap = caps.append
    if "SSLv2" in protocols:
        cap(Cap("F", "SSLv2 is accepted (DROWN; the rating guide fails any server with SSLv2)"))
    if f["export"]:
        cap(Cap("F", "export cipher suites are accepted (FREAK/LOGJAM)"))
    for name in ("heartbleed", "ccs_injection", "robot", "drown", "ticketbleed"):
        if f["vulns"].get(name) == "vulnerable":
            cap(Cap("F", f"vulnerable to {name.replace('_', ' ')}"))
    if f["insecure_client_renegotiation"]:
        cap(Cap("F", "insecure client-initiated renegotiation"))
    if f["min_cert_rsa_bits"] and f["min_cert_rsa_bits"] < 1024:
        cap(Cap("F", f"certificate key of {f['min_cert_rsa_bits']} bits"))
    if f["min_dh_bits"] and f["min_dh_bits"] < 1024:
        cap(Cap("F", f"DH parameters of {f['min_dh_bits']} bits (LOGJAM)"))
    if f["anonymous"]:
        cap(Cap("F", "anonymous suites are accepted: no authentication at all"))
    if f["null"]:
        cap(Cap("F", "NULL suites are accepted: no encryption"))
    if "SSLv3" in protocols:
        cap(Cap("C" if f["vulns"].get("poodle") == "vulnerable" else "B", "SSLv3 is accepted (POODLE)"))
    if "TLSv1.2" not in protocols and "TLSv1.3" not in protocols:
        cap(Cap("C", "no TLS 1.2 or 1.3"))
    if f["rc4"]:
        cap(Cap("C" if f["tls11_or_better"] else "B", "RC4 suites are accepted"))
    if f["block64"] and f["tls11_or_better"]:
        cap(Cap("C", "64-bit block ciphers (3DES) with TLS 1.1 or later (SWEET32)"))
    if f["compression"]:
        cap(Cap("C", "TLS compression is on (CRIME)"))
    if not f["secure_renegotiation"] and f["renegotiation_applies"]:
        cap(Cap("C", "no secure renegotiation (RFC 5746)"))
    if "TLSv1" in protocols or "TLSv1.1" in protocols:
        cap(Cap("B", "TLS 1.0 or 1.1 is accepted (capped at B since January 2020)"))
    if not f["forward_secrecy"]:
        cap(Cap("B", "no forward secrecy with modern clients (no ECDHE/DHE/TLS 1.3 suite preferred)"))
    if f["min_cert_rsa_bits"] and f["min_cert_rsa_bits"] < 2048:
        cap(Cap("B", f"certificate key of {f['min_cert_rsa_bits']} bits (under 2048)"))
    if f["min_dh_bits"] and f["min_dh_bits"] < 2048:
        cap(Cap("B", f"DH parameters of {f['min_dh_bits']} bits (under 2048)"))
    if not f["aead"]:
        cap(Cap("A-", "no AEAD suite (GCM, ChaCha20-Poly1305)"))
    if f["vulns"].get("fallback_scsv") == "vulnerable":
        cap(Cap("A-", "no TLS_FALLBACK_SCSV: downgrades are possible"))
    base = letter(score)
    for c in caps:
        base = worse(base, c.grade)
    if base == "A" and f["hsts_max_age"] >= HSTS_A_PLUS and not caps:
        base = "A+"
    ignoring_trust = base
    trust_cap = None
    if f["name_mismatch"]:
        trust_cap = Cap("M", "the certificate does not cover the host name")
    elif not f["trusted"]:
        trust_cap = Cap("T", f"the certificate is not trusted ({f['trust_reason']})")
    if trust_cap:
        caps.append(trust_cap)
        base = trust_cap.grade
    return Grade(base, score, proto, kx, ciph, caps, ignoring_trust)


GRADE_RANK = {g: i for i, g in enumerate(["F", "T", "M", "E", "D", "C", "B", "A-", "A", "A+"])}


def meets(grade: str, floor: str) -> bool:
    """Is `grade` at least `floor` (for --fail-under)? T and M count as below E."""
    return GRADE_RANK[grade] >= GRADE_RANK[floor]
