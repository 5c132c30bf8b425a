import pytest
from django.test import RequestFactory

from clinic.net import client_ip

PROXY = "10.0.0.2"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_IPS = [PROXY]


def address(forwarded_for, remote=PROXY):
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded_for)
    return client_ip(request)


@pytest.mark.parametrize(
    ("appended", "kind"),
    [
        ("10.1.2.3", "private"),
        ("192.168.1.20", "private"),
        ("127.0.0.1", "loopback"),
        ("100.64.12.34", "carrier-grade NAT"),
        ("169.254.10.1", "link-local"),
        ("203.0.113.9", "documentation (public-looking)"),
        ("2a00:1450:4001:82b::200e", "public IPv6"),
        ("fd00::5", "unique-local IPv6"),
        ("::1", "IPv6 loopback"),
        ("fe80::1", "IPv6 link-local"),
    ],
)
def test_the_client_is_the_entry_our_proxy_appended_whatever_its_kind(behind_proxy, appended, kind):
    # A forged, public-looking left-hand entry never wins.
    assert address(f"8.8.8.8, 1.1.1.1, {appended}") == appended, kind


def test_ipv6_is_normalised_and_may_come_in_brackets(behind_proxy):
    assert address("8.8.8.8, 2A00:1450:4001:082B:0:0:0:200E") == "2a00:1450:4001:82b::200e"
    assert address("8.8.8.8, [2a00:1450:4001:82b::200e]") == "2a00:1450:4001:82b::200e"
    assert address("8.8.8.8,  10.1.2.3  ") == "10.1.2.3"


@pytest.mark.parametrize(
    "appended",
    ["garbage", "", "10.1.2.3:4567", "999.1.2.3", "10.1.2", "unknown", "[::1]:80", "2001:db8::zz"],
)
def test_a_last_entry_that_is_not_an_address_falls_back_to_the_proxy(behind_proxy, appended):
    assert address(f"8.8.8.8, {appended}") == PROXY


def test_no_header_from_the_proxy_is_the_proxy(behind_proxy):
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY)
    assert client_ip(request) == PROXY


def test_the_header_is_ignored_unless_the_request_comes_from_a_trusted_proxy(behind_proxy):
    assert address("8.8.8.8, 10.1.2.3", remote="198.51.100.4") == "198.51.100.4"


def test_without_trusted_proxies_every_request_is_its_remote_address(settings):
    settings.TRUSTED_PROXY_IPS = []
    assert address("8.8.8.8, 10.1.2.3", remote="10.0.0.2") == "10.0.0.2"
