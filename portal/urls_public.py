"""URLs on the platform host: the platform site and the operators' Django admin. No clinic pages."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("stripe/", include("billing.urls")),
    path("", include("tenants.urls")),
]
