"""Host names against certificates: RFC 6125 wildcards and the public suffix list."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from port443.pki.hostname import CoveredNames, check_requested_name, covered_names, match_host
from port443.pki.issue import issue_leaf, make_ca
from port443.pki.trust import TrustStore
from port443.pki.verify import verify_server_chain

NAMES = CoveredNames(("*.example.test", "example.org", "*.com", "*.co.uk"), (), True)


@pytest.mark.parametrize("host, covered", [
    ("a.example.test", True),
    ("A.Example.TEST.", True),  # case and a trailing dot do not matter
    ("example.test", False),  # a wildcard does not cover the apex
    ("a.b.example.test", False),  # nor two labels
    ("example.org", True),
    ("www.example.org", False),
    ("x.com", False),  # *.com is over a public suffix: never honoured
    ("x.co.uk", False),
    ("127.0.0.1", False),  # IP addresses match only IP entries
])
def test_rfc6125_matching(host, covered):
    assert match_host(NAMES, host).matched is covered


def test_public_suffix_wildcard_is_told_apart():
    assert match_host(NAMES, "x.com").only_via_public_suffix_wildcard
    assert not match_host(NAMES, "a.b.example.test").only_via_public_suffix_wildcard


def test_ip_entries_match_by_value():
    ca = make_ca()
    names = covered_names(issue_leaf(ca, ["localhost", "::1", "127.0.0.1"]).certificate)
    assert match_host(names, "0:0::1").matched and match_host(names, "[::1]").matched
    assert not match_host(names, "127.0.0.2").matched


def test_verify_refuses_a_public_suffix_wildcard_that_cryptography_accepts():
    ca = make_ca()
    chain = issue_leaf(ca, ["*.com"]).chain
    result = verify_server_chain(chain, "example.com", TrustStore([ca.certificate]), dt.datetime.now(dt.timezone.utc))
    assert not result.trusted and result.alert == "bad_certificate"
    assert [d.code for d in result.diagnoses] == ["wildcard-public-suffix"]


def test_verify_accepts_a_proper_wildcard():
    ca = make_ca()
    chain = issue_leaf(ca, ["*.example.com"]).chain
    result = verify_server_chain(chain, "www.example.com", TrustStore([ca.certificate]),
                                 dt.datetime.now(dt.timezone.utc))
    assert result.trusted and result.diagnoses == []


@pytest.mark.parametrize("name, normal", [
    ("localhost", "localhost"), ("Example.COM.", "example.com"), ("*.example.com", "*.example.com"),
    ("127.0.0.1", "127.0.0.1"), ("0:0::1", "::1"), ("xn--bcher-kva.example", "xn--bcher-kva.example"),
])
def test_requested_names_are_normalised(name, normal):
    assert check_requested_name(name) == normal


@pytest.mark.parametrize("name", ["*.com", "*.co.uk", "a..b", "f*.example.com", "*", "-a.example", "bücher.de",
                                  "a b.example", "*.*.example.com", ""])
def test_bad_requested_names_are_refused(name):
    with pytest.raises(ValueError):
        check_requested_name(name)


@given(st.text(max_size=80))
def test_requested_name_check_only_raises_value_error(text):
    try:
        check_requested_name(text)
    except ValueError:
        pass


@given(st.lists(st.text(max_size=30), max_size=5), st.text(max_size=40))
def test_matching_never_raises(patterns, host):
    assert isinstance(match_host(CoveredNames(tuple(patterns), (), True), host).matched, bool)
