"""URLs on a clinic's host: its account pages, staff admin and Wagtail site (last)."""

from django.urls import include, path, re_path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from portal.accounts import staff_sign_in
from portal.views import clinic_media, set_language

# One sign-in per clinic host, allauth's (rate-limited, e-mail verified, lockouts honoured).
# Wagtail's own login and password-reset routes stay in wagtail.admin.urls and wagtail.urls
# whatever WAGTAILADMIN_LOGIN_URL says, so these patterns shadow them (issue 8, #6).
sign_in_doors = [
    path("admin/login/", staff_sign_in),
    path("_util/login/", staff_sign_in),
    re_path(r"^admin/password_reset/", RedirectView.as_view(pattern_name="account_reset_password")),
]

urlpatterns = [
    *sign_in_doors,
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("", include("patients_portal.urls")),
    path("media/<slug:schema>/<path:path>", clinic_media, name="clinic_media"),
]

urlpatterns += [path("", include(wagtail_urls))]

handler404 = "theme.views.page_not_found"
