from allauth.account.decorators import secure_admin_login
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
    path("intake/", include("intake.survivor.urls")),
)


urlpatterns += [
    path("healthz", views.healthz, name="healthz"),
    # No self-service password reset: a reset would make a new key and lose the staff member's
    # cases, so only a coordinator does it (issue 5). This path comes before allauth's.
    path("accounts/password/reset/", views.password_reset_disabled),
    path("accounts/", include("allauth.urls")),
    path("caseworker/", include("intake.caseworker.urls")),
]

if settings.ADMIN_ENABLED:
    # The admin's own login would skip allauth, and with it MFA and login rate limits.
    admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
    urlpatterns += [path(settings.ADMIN_URL, admin.site.urls)]

handler500 = "portal.views.server_error"
