from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [path("webhook/", views.stripe_webhook, name="webhook")]
