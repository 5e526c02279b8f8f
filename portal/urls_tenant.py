"""URLs on a clinic's host: its account pages, staff admin and Wagtail site (last)."""

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from portal.views import clinic_media, set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("", include("patients_portal.urls")),
    path("media/<slug:schema>/<path:path>", clinic_media, name="clinic_media"),
]

urlpatterns += [path("", include(wagtail_urls))]

handler404 = "theme.views.page_not_found"
