from django.urls import path

from . import attendance, history, plans, views

app_name = "patients_portal"
urlpatterns = [
    path("cuenta/", views.AccountView.as_view(), name="account"),
    path("cuenta/perfil/", views.profile, name="profile"),
    path("cuenta/mis-datos.json", views.my_data, name="my_data"),
    path("cuenta/mis-datos.pdf", history.my_data_pdf, name="my_data_pdf"),
    path("cuenta/historial/", history.history, name="history"),
    path("cuenta/historial/odontograma.svg", history.odontogram_image, name="odontogram"),
    path("cuenta/documentos/<int:document_id>/", history.document, name="document"),
    path("cuenta/facturas/<int:invoice_id>.pdf", history.invoice_pdf_view, name="invoice"),
    path("cuenta/facturas/<int:invoice_id>/pagar/", views.pay_invoice, name="pay_invoice"),
    path("cuenta/facturas/<int:invoice_id>/pagar/cobro/", views.pay_invoice_charge, name="pay_invoice_charge"),
    path("cuenta/citas/", views.appointments, name="appointments"),
    path("cuenta/citas/<int:appointment_id>/", views.appointment, name="appointment"),
    path("cuenta/citas/<int:appointment_id>/cancelar/", views.cancel, name="cancel"),
    path("cuenta/citas/<int:appointment_id>/confirmar/", attendance.confirm_attendance, name="confirm"),
    path("cuenta/citas/<int:appointment_id>/cambiar/", views.reschedule, name="reschedule"),
    path("cuenta/citas/<int:appointment_id>/pagar/", views.pay, name="pay"),
    path("cuenta/citas/<int:appointment_id>/pagar/cobro/", views.pay_charge, name="pay_charge"),
    path("cuenta/recibos/<int:payment_id>/", views.receipt, name="receipt"),
    path("cuenta/presupuestos/", plans.estimates, name="estimates"),
    path("cuenta/presupuestos/<int:estimate_id>/", plans.estimate, name="estimate"),
    path("cuenta/presupuestos/plazo/<int:instalment_id>/pagar/", plans.pay_instalment, name="pay_instalment"),
    path("cuenta/presupuestos/plazo/<int:instalment_id>/pagar/cobro/", plans.pay_instalment_charge, name="pay_instalment_charge"),
    path("presupuesto/<str:token>/", plans.estimate_link, name="estimate_link"),
    path("cita/confirmar/<str:token>/", attendance.confirm_attendance_link, name="confirm_attendance"),
    path("reservar/", views.services, name="book"),
    path("reservar/huecos/", views.slots_json, name="slots"),
    path("reservar/<slug:slug>/", views.pick_time, name="pick_time"),
    path("reservar/<slug:slug>/cambiar/<int:appointment_id>/", views.pick_time, name="reschedule_time"),
    path("reservar/<slug:slug>/confirmar/", views.review, name="review"),
]
