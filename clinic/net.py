from django.conf import settings
from ipware import get_client_ip


def client_ip(request):
    """The visitor's address, for login lockout and rate limits.

    X-Forwarded-For is believed only when the request comes straight from one of
    our own proxies (TRUSTED_PROXY_IPS); anyone else could write that header.
    The right-most entry is the one our proxy appended, so a client cannot
    choose it by sending a forged header of its own.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if remote not in settings.TRUSTED_PROXY_IPS:
        return remote
    forwarded, _routable = get_client_ip(
        request, proxy_order="right-most", request_header_order=["HTTP_X_FORWARDED_FOR"]
    )
    return forwarded or remote
