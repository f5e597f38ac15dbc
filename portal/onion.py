"""The portal's onion address: requests that come through Tor (docker-compose.yml, profile onion).

Tor hands onion visitors to Caddy's onion listener (deploy/Caddyfile), which only the Tor
container can reach and which passes the `.onion` Host on unchanged; ALLOWED_HOSTS accepts that
host only when ONION_HOST names it (portal/settings.py). So the Host says where a visitor came
from. Onion traffic is plain HTTP inside an end-to-end encrypted, authenticated Tor circuit, so
on that host:

- there is no redirect to HTTPS (the onion has no certificate) and no HSTS header;
- cookies lose the `Secure` flag (Tor Browser may refuse a Secure cookie over http://*.onion);
  they keep HttpOnly and SameSite, and belong to the onion host alone;
- the clearnet site tells Tor Browser about the onion with an `Onion-Location` header.

Rate limits that must not lock every onion visitor out together (they all arrive from Caddy's
loopback address) import is_onion_request: see intake/ratelimit.py and docs/security.md.
"""

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.http.request import split_domain_port
from django.middleware.security import SecurityMiddleware


def is_onion_request(request: HttpRequest) -> bool:
    """True when the request came through the onion service (its Host ends in `.onion`).

    A Host that ALLOWED_HOSTS refuses is not an onion request: Django answers it with a 400.
    """
    try:
        host = request.get_host()
    except DisallowedHost:
        return False
    domain, _ = split_domain_port(host)
    return domain.endswith(".onion")


class OnionAwareSecurityMiddleware(SecurityMiddleware):
    """Django's SecurityMiddleware, except on the onion host (see the module docstring)."""

    def process_request(self, request: HttpRequest) -> HttpResponsePermanentRedirect | None:
        if is_onion_request(request):
            return None  # no redirect to HTTPS: an onion address has no certificate
        return super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response = super().process_response(request, response)
        if is_onion_request(request):
            del response["Strict-Transport-Security"]
            for morsel in response.cookies.values():
                morsel["secure"] = ""
        elif settings.ONION_HOST and request.is_secure():
            # Tor Browser offers the onion for this very page; it reads the header over HTTPS only.
            response.headers["Onion-Location"] = (
                f"http://{settings.ONION_HOST}{request.get_full_path()}"
            )
        return response
