"""HOST[:PORT] parsing for `cert inspect`."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from port443.net.chain import split_host_port


@pytest.mark.parametrize("target, expected", [
    ("example.com", ("example.com", 443)),
    ("example.com:8443", ("example.com", 8443)),
    ("127.0.0.1:4433", ("127.0.0.1", 4433)),
    ("[::1]:4433", ("::1", 4433)),
    ("[::1]", ("::1", 443)),
    ("::1", ("::1", 443)),
])
def test_targets(target, expected):
    assert split_host_port(target) == expected


@pytest.mark.parametrize("target", [":443", "host:0", "host:65536", "host:http", "[::1]:x", "[]:443"])
def test_bad_targets_say_why(target):
    with pytest.raises(ValueError) as exc:
        split_host_port(target)
    assert target in str(exc.value) and "\n" not in str(exc.value)


@given(st.text(max_size=60))
def test_parser_fuzz_returns_a_port_or_raises_value_error(text):
    try:
        host, port = split_host_port(text)
    except ValueError:
        return
    assert host and 0 < port < 65536
