import ipaddress

from django.conf import settings


def client_ip(request):
    """The visitor's address, for login lockout and rate limits.

    X-Forwarded-For is believed only when the request comes straight from one of
    our own proxies (TRUSTED_PROXY_IPS); anyone else could write that header.
    The client is then the last entry, the one our proxy appended, whatever kind
    of address it is (private, loopback, carrier-grade NAT): every entry to its
    left was written by the client and proves nothing. An entry that is not an
    address at all falls back to the proxy's own address.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if remote not in settings.TRUSTED_PROXY_IPS:
        return remote
    last = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
    if last.startswith("[") and last.endswith("]"):
        last = last[1:-1]
    try:
        # Normalised, so one IPv6 address spelled two ways is one visitor.
        return str(ipaddress.ip_address(last))
    except ValueError:
        return remote
