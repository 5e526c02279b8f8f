from django.urls import path

from . import views

app_name = "tenants"
urlpatterns = [
    path("", views.LandingView.as_view(), name="landing"),
    path("precios/", views.PricingView.as_view(), name="pricing"),
    path("alta/", views.signup, name="signup"),
    path("alta/comprobar/", views.check_slug, name="check_slug"),
    path("alta/<uuid:signup_id>/pago/", views.signup_payment, name="signup_payment"),
    path("alta/<uuid:signup_id>/pagar/", views.signup_pay, name="signup_pay"),
    path("alta/<uuid:signup_id>/", views.signup_status, name="signup_status"),
    path("alta/<uuid:signup_id>/estado/", views.signup_status_json, name="signup_status_json"),
    path("alta/<uuid:signup_id>/confirmar/<str:token>/", views.signup_confirm, name="signup_confirm"),
]
