from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from portal import views

# Survivor pages carry the language in the URL (/en/, /ar/, ...), so a link can be shared in the
# reader's language and nothing is stored in a cookie to remember it.
urlpatterns = i18n_patterns(
    path("", views.home, name="home"),
    path("help/", views.get_help, name="help"),
    path("rights/", include("rights.urls")),
    path("intake/", include("intake.urls")),
)

urlpatterns += [
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler500 = "portal.views.server_error"
