"""The access policy's parsing and session cookies (the middleware end to end: tests/integration/test_access.py)."""

from __future__ import annotations

import time

import pytest

from ima2_common.settings import Settings
from ima2_gateway.access import (
    SESSION_SECONDS,
    AccessConfigError,
    AccessPolicy,
    Endpoint,
    parse_authority,
    parse_origin,
    parse_public_origins,
    path_rejected,
)

TOKEN = "a-long-enough-access-token"


def test_authorities_and_origins() -> None:
    assert parse_authority("LocalHost:3333", "http") == ("localhost", 3333)
    assert parse_authority("example.lan", "https") == ("example.lan", 443)
    assert parse_authority("[::1]:8080", "http") == ("::1", 8080)
    for bad in ("", "a:b", "user@host:1", "host/path", "::1", "host:99999", "[::1]x"):
        assert parse_authority(bad, "http") is None, bad
    assert parse_origin("https://ima2.example.lan") == Endpoint("https", "ima2.example.lan", 443)
    for bad in ("null", "http://x/y", "ftp://x", "http://u@x", "http://x?y=1"):
        assert parse_origin(bad) is None, bad


def test_public_origins() -> None:
    assert parse_public_origins('["http://a.lan:8080", "https://b.lan"]') == (
        Endpoint("http", "a.lan", 8080),
        Endpoint("https", "b.lan", 443),
    )
    for bad in (
        "nope",
        '{"a": 1}',
        '["http://*.lan"]',
        '["http://a.lan/x"]',
        str([f"http://h{i}" for i in range(17)]),
    ):
        with pytest.raises(AccessConfigError):
            parse_public_origins(bad.replace("'", '"'))


def test_path_aliases() -> None:
    for bad in (
        b"/api/../x",
        b"/generated/%2e%2e/config.json",
        b"/api%2Fhealth",
        b"/a\\b",
        b"/x%00",
        b"/./api",
    ):
        assert path_rejected(bad), bad
    assert not path_rejected(b"/generated/image%20one.png")


def test_startup_rules() -> None:
    assert AccessPolicy.from_settings(Settings(host="127.0.0.1")).lan is False
    with pytest.raises(AccessConfigError, match="IMA2_ACCESS_TOKEN"):
        AccessPolicy.from_settings(Settings(host="0.0.0.0"))
    with pytest.raises(AccessConfigError, match="at least"):
        AccessPolicy.from_settings(Settings(host="192.168.1.5", access_token="short"))
    assert AccessPolicy.from_settings(Settings(host="127.0.0.2", access_token=TOKEN)).lan is True


def test_served_hosts() -> None:
    wildcard = AccessPolicy("0.0.0.0", 3333, TOKEN, parse_public_origins('["https://ima2.lan"]'))
    scope = {"scheme": "http", "server": ("192.168.1.5", 3333)}
    for host in (
        "192.168.1.5:3333",
        "localhost:3333",
        "127.0.0.1:3333",
        "[::1]:3333",
        "ima2.lan",
        "localhost",
    ):
        assert wildcard.match_host(scope, host) is not None, host
    for host in ("evil.lan:3333", "192.168.1.5:3334", "0.0.0.0:3333"):
        assert wildcard.match_host(scope, host) is None, host
    single = AccessPolicy("192.168.1.5", 3333, TOKEN, ())
    assert (
        single.match_host(scope, "localhost:3333") is None and single.match_host(scope, "localhost") is None
    )


def test_session_cookies_are_signed_bound_and_expire() -> None:
    policy = AccessPolicy("127.0.0.2", 3333, TOKEN, ())
    here, there = Endpoint("http", "127.0.0.2", 3333), Endpoint("http", "ima2.lan", 3333)
    value = policy.new_session(here)
    assert policy.session_ok(value, here) and not policy.session_ok(value, there)
    assert not policy.session_ok(value, here, now=time.time() + SESSION_SECONDS + 1)
    assert not AccessPolicy("127.0.0.2", 3333, TOKEN + "-rotated", ()).session_ok(value, here)
    assert policy.token_ok(TOKEN) and not policy.token_ok(TOKEN[:-1]) and not policy.token_ok("")
    assert policy.cookie_name(here) != policy.cookie_name(there)
    assert "Secure" in policy.set_cookie_header(Endpoint("https", "ima2.lan", 443)).decode()
