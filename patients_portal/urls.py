from django.urls import path

from . import views

app_name = "patients_portal"
urlpatterns = [
    path("", views.AccountView.as_view(), name="account"),
]
