"""The portal's URLs plus one view that fails, to see what a survivor is shown on a server error."""

from django.conf.urls.i18n import i18n_patterns
from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("simulated failure in a view")


urlpatterns = [*portal_urlpatterns, *i18n_patterns(path("fail/", fail))]
handler500 = "portal.views.server_error"
