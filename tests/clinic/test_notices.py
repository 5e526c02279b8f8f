"""Issue 12, item 4: notifications inside the staff admin.

Per kind, a notice appears and disappears by itself once resolved; per role, who sees
which; read per user; the bell's count and what it costs; the patient's "Confirm I'll
come" link; the daily summary e-mail for clinic admins (once, in the clinic's zone).
"""

from datetime import datetime, time, timedelta
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation
from wagtail.models import ModelLogEntry

from clinic import notices
from clinic.actions.appointments import appointment_from_token, attendance_link_token
from clinic.actions.invoices import IssueInvoice, Line
from clinic.actions.payments import record_payment_failure
from clinic.actions.plans import AnswerEstimate, PresentPlan
from clinic.models import (
    Appointment, Estimate, Invoice, NoticePreference, NoticeRead, NoticeSummarySent, Patient, PatientPayment, PaymentAttempt, Practitioner,
)
from clinic.notice_summary import send_daily_summaries
from portal.models import User
from portal.tenancy import clinic_context, clinic_url
from tests.clinic.test_plans import build_plan
from tests.helpers import login, text, triggers_off

pytestmark = pytest.mark.django_db

ZONES = {"sonrisa": ZoneInfo("Europe/Madrid"), "alamos": ZoneInfo("America/Mexico_City")}
PRACTITIONERS = {"sonrisa": "lucia.fernandez@sonrisa.example", "alamos": "alejandro.ramirez@alamos.example"}


def staff(email):
    return User.objects.get(email=email)


def refused(response) -> bool:
    """Wagtail answers a PermissionDenied in the admin with a redirect to its home and a message."""
    return response.status_code == HTTPStatus.FORBIDDEN or (response.status_code == HTTPStatus.FOUND and response.url == "/admin/")


def keys(email):
    """The notice keys the staff member ``email`` sees (in the current clinic)."""
    return {n.key for n in notices.all_notices(notices.viewer_for(staff(email)))}


def other_practitioner(clinic):
    return Practitioner.objects.exclude(user__email=PRACTITIONERS[clinic.slug]).select_related("user").first()


def book_tomorrow(clinic, *, at=time(9, 45), first_name="Eva", email="eva@correo.example", status=Appointment.Status.CONFIRMED,
                  days=1, practitioner=None, patient=None):
    """An appointment ``days`` from today at ``at`` (the clinic's wall clock), in the current schema."""
    zone = ZONES[clinic.slug]
    start = datetime.combine(timezone.localdate(timezone=zone) + timedelta(days=days), at, zone)
    practitioner = practitioner or Practitioner.objects.get(user__email=PRACTITIONERS[clinic.slug])
    patient = patient or Patient.objects.create(first_name=first_name, last_name="Prueba", email=email)
    return Appointment.objects.create(patient=patient, practitioner=practitioner, service=practitioner.services.filter(active=True).first(),
                                      start=start, end=start + timedelta(minutes=30), price=Decimal("70"), status=status)


# -- tomorrow's appointments not confirmed ----------------------------------------------------

def test_tomorrow_s_unconfirmed_appointment_per_role_until_reception_marks_it_confirmed_by_phone(clinic_a, client_a, password):
    with clinic_context(clinic_a):
        appointment = book_tomorrow(clinic_a)
        key = f"appointment-unconfirmed:{appointment.pk}"
        other = other_practitioner(clinic_a)
        assert key in keys("admin@sonrisa.example") and key in keys("recepcion@sonrisa.example") and key in keys(PRACTITIONERS["sonrisa"])
        assert key not in keys(other.user.email)  # another practitioner's appointment
        [notice] = [n for n in notices.all_notices(notices.viewer_for(staff("recepcion@sonrisa.example"))) if n.key == key]
        assert notice.url == reverse("clinic_agenda:appointment", args=[appointment.pk])
    login(client_a, "recepcion@sonrisa.example", password)
    page = client_a.get(reverse("clinic_agenda:appointment", args=[appointment.pk]), HTTP_ACCEPT_LANGUAGE="es")
    assert "Sin confirmar todavía" in text(page) and "El paciente confirmó por teléfono" in text(page)
    response = client_a.post(reverse("clinic_confirmed_by_phone", args=[appointment.pk]))
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        appointment.refresh_from_db()
        assert appointment.patient_confirmed_via == Appointment.AttendanceVia.PHONE and appointment.patient_confirmed_at
        assert key not in keys("admin@sonrisa.example") and key not in keys("recepcion@sonrisa.example")
        assert ModelLogEntry.objects.filter(object_id=str(appointment.pk), action="clinic.appointment.attendance").count() == 1


def test_only_tomorrow_s_appointments_still_to_happen_are_notices(clinic_b):
    with clinic_context(clinic_b):
        today = book_tomorrow(clinic_b, days=0, at=time(23, 0), first_name="Hoy")
        later = book_tomorrow(clinic_b, days=2, first_name="Pasado")
        cancelled = book_tomorrow(clinic_b, at=time(11, 0), first_name="Cancelada", status=Appointment.Status.CANCELLED)
        held = book_tomorrow(clinic_b, at=time(12, 0), first_name="Retenida", status=Appointment.Status.PENDING_PAYMENT)
        # Late in the clinic's evening tomorrow: still tomorrow in Mexico City, the day after in UTC.
        late = book_tomorrow(clinic_b, at=time(23, 30), first_name="Noche")
        seen = keys("admin@alamos.example")
        assert f"appointment-unconfirmed:{held.pk}" in seen and f"appointment-unconfirmed:{late.pk}" in seen
        assert not {f"appointment-unconfirmed:{a.pk}" for a in (today, later, cancelled)} & seen


def test_a_practitioner_who_cannot_change_another_s_appointment_cannot_mark_it(clinic_a, client_a, password):
    with clinic_context(clinic_a):
        appointment = book_tomorrow(clinic_a)
        other = other_practitioner(clinic_a)
    login(client_a, other.user.email, password)
    assert refused(client_a.post(reverse("clinic_confirmed_by_phone", args=[appointment.pk])))
    with clinic_context(clinic_a):
        assert Appointment.objects.get(pk=appointment.pk).patient_confirmed_at is None


# -- the patient's "Confirm I'll come" --------------------------------------------------------

def test_the_reminder_carries_the_confirmation_link_and_it_confirms_once(clinic_a, clinic_b, client_a, client_b):
    from clinic.emails import send_appointment_email

    with clinic_context(clinic_a):
        appointment = book_tomorrow(clinic_a)
        mail.outbox.clear()
        assert send_appointment_email(appointment_id=appointment.pk, template="reminder")
        [message] = mail.outbox
        token = attendance_link_token(appointment)
        link = clinic_url(clinic_a, reverse("patients_portal:confirm_attendance", args=[token]))
        assert f"Confirma que vendrás: {link}" in message.body
    url = reverse("patients_portal:confirm_attendance", args=[token])
    assert client_b.get(url).status_code == HTTPStatus.NOT_FOUND  # worthless at another clinic
    assert client_b.post(url).status_code == HTTPStatus.NOT_FOUND
    page = client_a.get(url, HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == HTTPStatus.OK and "Confirma tu cita" in text(page) and "Confirmo que iré" in text(page)
    with clinic_context(clinic_a):
        assert Appointment.objects.get(pk=appointment.pk).patient_confirmed_at is None  # opening the link confirms nothing (mail scanners)
    done = client_a.post(url, HTTP_ACCEPT_LANGUAGE="es")
    assert done.status_code == HTTPStatus.OK and "Gracias, te esperamos" in text(done) and "09:45" in text(done)
    with clinic_context(clinic_a):
        first = Appointment.objects.get(pk=appointment.pk)
        assert first.patient_confirmed_via == Appointment.AttendanceVia.LINK
    again = client_a.post(url, HTTP_ACCEPT_LANGUAGE="es")
    assert again.status_code == HTTPStatus.OK and "Gracias, te esperamos" in text(again)
    with clinic_context(clinic_a):
        assert Appointment.objects.get(pk=appointment.pk).patient_confirmed_at == first.patient_confirmed_at
        assert ModelLogEntry.objects.filter(object_id=str(appointment.pk), action="clinic.appointment.attendance").count() == 1
        assert f"appointment-unconfirmed:{appointment.pk}" not in keys("recepcion@sonrisa.example")
        mail.outbox.clear()
        Appointment.objects.filter(pk=appointment.pk).update(reminder_sent_at=None)
        assert send_appointment_email(appointment_id=appointment.pk, template="reminder")
        assert "Confirma que vendrás" not in mail.outbox[0].body  # confirmed already: no link


@pytest.mark.parametrize("token", ["tampered", "\x00", "a" * 5000, "%00", "W10:1tampered:sig"])
def test_a_bad_token_is_a_translated_not_found(clinic_a, client_a, token):
    with clinic_context(clinic_a):
        appointment = book_tomorrow(clinic_a)
        good = attendance_link_token(appointment)
        assert appointment_from_token(good[:-3] + "xyz") is None and appointment_from_token(token) is None
    for bad in (good[:-3] + "xyz", token):
        response = client_a.post(f"/cita/confirmar/{bad}/", HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == HTTPStatus.NOT_FOUND and "Página no encontrada" in text(response)
    with clinic_context(clinic_a):
        assert Appointment.objects.get(pk=appointment.pk).patient_confirmed_at is None


def test_a_token_for_a_json_list_or_another_patient_is_refused(clinic_a):
    from django.core import signing

    from portal.tenancy import current_schema

    with clinic_context(clinic_a):
        appointment = book_tomorrow(clinic_a)
        salt = f"clinic.attendance-link:{current_schema()}"
        assert appointment_from_token(signing.dumps([appointment.pk], salt=salt)) is None
        assert appointment_from_token(signing.dumps({"a": appointment.pk, "p": appointment.patient_id + 1}, salt=salt)) is None
        assert appointment_from_token(signing.dumps({"a": 10**30, "p": appointment.patient_id}, salt=salt)) is None


def test_a_cancelled_appointment_cannot_be_confirmed_by_its_link(clinic_a, client_a):
    with clinic_context(clinic_a):
        appointment = book_tomorrow(clinic_a, status=Appointment.Status.CANCELLED)
        url = reverse("patients_portal:confirm_attendance", args=[attendance_link_token(appointment)])
    response = client_a.post(url, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST and "Esta cita ya no va a tener lugar" in text(response)


def test_the_patient_confirms_in_their_account_and_not_another_s(clinic_a, client_a, password):
    with clinic_context(clinic_a):
        mine = book_tomorrow(clinic_a, patient=Patient.objects.get(user__email="paciente@sonrisa.example"))
        theirs = book_tomorrow(clinic_a, at=time(11, 0))
        link_of_theirs = reverse("patients_portal:confirm_attendance", args=[attendance_link_token(theirs)])
    login(client_a, "paciente@sonrisa.example", password)
    assert "Confirmo que iré" in text(client_a.get(reverse("patients_portal:appointment", args=[mine.pk]), HTTP_ACCEPT_LANGUAGE="es"))
    assert client_a.post(reverse("patients_portal:confirm", args=[theirs.pk])).status_code == HTTPStatus.NOT_FOUND
    assert client_a.post(link_of_theirs).status_code == HTTPStatus.NOT_FOUND  # signed in as someone else
    assert client_a.post(reverse("patients_portal:confirm", args=[10**20])).status_code == HTTPStatus.NOT_FOUND
    response = client_a.post(reverse("patients_portal:confirm", args=[mine.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="es")
    assert "Gracias: la clínica sabe que vendrás." in text(response) and "Has confirmado que vendrás." in text(response)
    with clinic_context(clinic_a):
        assert Appointment.objects.get(pk=mine.pk).patient_confirmed_via == Appointment.AttendanceVia.PORTAL
        assert Appointment.objects.get(pk=theirs.pk).patient_confirmed_at is None


# -- overdue balances -------------------------------------------------------------------------

def backdate(invoice, days):
    """Test set-up only: an invoice issued ``days`` earlier (the database refuses editing an
    issued invoice, so its trigger is switched off for this one update)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks before ALTER TABLE
    with triggers_off("clinic_invoice"):
        Invoice.objects.filter(pk=invoice.pk).update(issue_date=invoice.issue_date - timedelta(days=days))


def test_an_invoice_unpaid_30_days_after_issue_is_a_notice_until_it_is_paid(clinic_a, issuer):
    with clinic_context(clinic_a):
        reception = staff("recepcion@sonrisa.example")
        patient = Patient.objects.create(first_name="Deuda", last_name="Antigua")
        overdue = IssueInvoice(patient, lines=[Line("Limpieza", Decimal("60"))], actor=reception).execute()
        recent = IssueInvoice(patient, lines=[Line("Revisión", Decimal("40"))], actor=reception).execute()
        backdate(overdue, 31)
        backdate(recent, 30)
        key, recent_key = f"invoice-overdue:{overdue.pk}", f"invoice-overdue:{recent.pk}"
        assert key in keys("admin@sonrisa.example") and key in keys("recepcion@sonrisa.example")
        assert key not in keys(PRACTITIONERS["sonrisa"]) and recent_key not in keys("admin@sonrisa.example")
        with timezone.override(ZONES["sonrisa"]), translation.override("es"):
            [notice] = [n for n in notices.all_notices(notices.viewer_for(reception)) if n.key == key]
        issued = (timezone.localdate(timezone=ZONES["sonrisa"]) - timedelta(days=31)).strftime("%d/%m/%Y")
        assert notice.text == f"Factura {overdue.full_number} · Deuda Antigua: 60,00\u00a0€ pendiente desde el {issued}"
        PatientPayment.objects.create(patient=patient, invoice=overdue, amount=Decimal("60"), currency="EUR", method=PatientPayment.Method.CASH)
        assert key not in keys("recepcion@sonrisa.example")


# -- failed online payments -------------------------------------------------------------------

def test_a_failed_online_payment_is_a_notice_until_paid_since(clinic_a):
    with clinic_context(clinic_a):
        appointment = book_tomorrow(clinic_a)
        attempt = PaymentAttempt.objects.create(appointment=appointment, amount=Decimal("70"), currency="EUR", stripe_payment_intent="pi_notice_1",
                                                attempted_at=timezone.now() - timedelta(minutes=5))
        key = f"payment-failed:{attempt.pk}"
        assert key not in keys("admin@sonrisa.example")  # still under way
        record_payment_failure(kind="appointment", object_id=appointment.pk, payment_intent="pi_notice_1", message="Your card was declined.")
        assert key in keys("admin@sonrisa.example") and key in keys("recepcion@sonrisa.example")
        assert key not in keys(PRACTITIONERS["sonrisa"])
        PatientPayment.objects.create(patient=appointment.patient, appointment=appointment, amount=Decimal("70"), currency="EUR",
                                      method=PatientPayment.Method.CARD)
        assert key not in keys("recepcion@sonrisa.example")


def test_an_old_failure_or_one_followed_by_a_success_is_no_notice(clinic_a, issuer):
    with clinic_context(clinic_a):
        patient = Patient.objects.create(first_name="Pago", last_name="Reintentado")
        invoice = IssueInvoice(patient, lines=[Line("Limpieza", Decimal("60"))], actor=staff("recepcion@sonrisa.example")).execute()
        appointment = book_tomorrow(clinic_a, at=time(12, 0), patient=patient)
        old = PaymentAttempt.objects.create(appointment=appointment, amount=Decimal("70"), currency="EUR", status=PaymentAttempt.Status.FAILED,
                                            created=timezone.now() - timedelta(days=8))
        failed = PaymentAttempt.objects.create(invoice=invoice, amount=Decimal("60"), currency="EUR", status=PaymentAttempt.Status.FAILED,
                                               created=timezone.now() - timedelta(hours=2))
        seen = keys("recepcion@sonrisa.example")
        assert f"payment-failed:{failed.pk}" in seen and f"payment-failed:{old.pk}" not in seen
        with timezone.override(ZONES["sonrisa"]), translation.override("es"):
            [notice] = [n for n in notices.all_notices(notices.viewer_for(staff("admin@sonrisa.example"))) if n.key == f"payment-failed:{failed.pk}"]
        local = timezone.localtime(failed.created, ZONES["sonrisa"])
        assert notice.text == (f"El pago en línea de 60,00\u00a0€ de Pago Reintentado (factura {invoice.full_number}) falló el "
                               f"{local:%d/%m/%Y} a las {local:%H:%M}")
        PaymentAttempt.objects.create(invoice=invoice, amount=Decimal("60"), currency="EUR", status=PaymentAttempt.Status.SUCCEEDED)
        assert f"payment-failed:{failed.pk}" not in keys("recepcion@sonrisa.example")


# -- estimates waiting for the patient --------------------------------------------------------

def test_an_estimate_waiting_is_its_practitioner_s_and_the_admins_until_answered(clinic_a):
    with clinic_context(clinic_a):
        dentist = staff(PRACTITIONERS["sonrisa"])
        patient = Patient.objects.get(user__email="paciente@sonrisa.example")
        estimate = PresentPlan(build_plan(patient, dentist), send_email=False, actor=dentist).execute()
        key = f"estimate-waiting:{estimate.pk}"
        assert key in keys("admin@sonrisa.example") and key in keys(dentist.email)
        assert key not in keys(other_practitioner(clinic_a).user.email) and key not in keys("recepcion@sonrisa.example")
        AnswerEstimate(Estimate.objects.get(pk=estimate.pk), accept=False, via=Estimate.Via.PAPER, actor=staff("admin@sonrisa.example")).execute()
        assert key not in keys("admin@sonrisa.example") and key not in keys(dentist.email)


# -- the registry ---------------------------------------------------------------------------

def test_a_plugged_in_kind_reaches_only_its_roles(clinic_a, monkeypatch):
    from clinic.roles import Role

    monkeypatch.setattr(notices, "_providers", dict(notices._providers))
    notices.providers()
    notices.register_provider(
        "low-stock", label="Low stock", roles={Role.RECEPTIONIST},
        collect=lambda viewer: [notices.Notice(key="low-stock:1", text="Guantes: 2 cajas", url="/admin/", at=timezone.now())],
    )
    with clinic_context(clinic_a):
        assert "low-stock:1" in keys("admin@sonrisa.example") and "low-stock:1" in keys("recepcion@sonrisa.example")
        assert "low-stock:1" not in keys(PRACTITIONERS["sonrisa"])


# -- read per user, the bell and the list ---------------------------------------------------

def test_marking_read_is_per_user_and_the_bell_counts_what_is_unread(clinic_a, client_a, password):
    with clinic_context(clinic_a):
        earlier = book_tomorrow(clinic_a, first_name="Luis", at=time(8, 15))
        appointment = book_tomorrow(clinic_a)
        key = f"appointment-unconfirmed:{appointment.pk}"
        reception, admin = staff("recepcion@sonrisa.example"), staff("admin@sonrisa.example")
        before = notices.unread_count(reception)
    login(client_a, "recepcion@sonrisa.example", password)
    page = client_a.get(reverse("clinic_notices:list"), HTTP_ACCEPT_LANGUAGE="es")
    assert page.status_code == HTTPStatus.OK
    assert f"Avisos ({before})" in page.content.decode() and f'"data-unread": "{before}"' in page.content.decode()
    assert "Citas de mañana sin confirmar" in text(page) and "Mañana 09:45 · Eva Prueba" in text(page)
    assert "Resumen diario" not in text(page)  # the summary is for clinic admins
    assert client_a.post(reverse("clinic_notices:read"), {"key": key}).status_code == HTTPStatus.FOUND
    assert client_a.post(reverse("clinic_notices:read"), {"key": key}).status_code == HTTPStatus.FOUND  # twice: harmless
    with clinic_context(clinic_a):
        assert NoticeRead.objects.filter(user=reception, key=key).count() == 1
        assert notices.unread_count(reception) == before - 1  # the cached count was forgotten
        assert key not in notices.read_keys(admin, [key])
        admin_rows = {r["notice"].key: r["read"] for r in notices.listing_for(admin).rows}
        assert admin_rows[key] is False
    page = client_a.get(reverse("clinic_notices:list"), HTTP_ACCEPT_LANGUAGE="es")
    words = text(page)
    assert words.index("Mañana 08:15 · Luis Prueba") < words.index("Mañana 09:45 · Eva Prueba")  # unread first, then read
    assert f"{before - 1} avisos sin leer" in words or before == 2 and "1 aviso sin leer" in words
    with clinic_context(clinic_a):
        assert f"appointment-unconfirmed:{earlier.pk}" not in notices.read_keys(reception, [f"appointment-unconfirmed:{earlier.pk}"])
    response = client_a.post(reverse("clinic_notices:read_all"), follow=True, HTTP_ACCEPT_LANGUAGE="es")
    assert "Todos los avisos marcados como leídos." in text(response) and "0 avisos sin leer" in text(response)
    with clinic_context(clinic_a):
        notices.forget_count(admin)  # a count another test's admin left in the shared cache
        assert notices.unread_count(reception) == 0 and notices.unread_count(admin) >= 1


def test_the_bell_costs_a_constant_few_queries(clinic_a, client_a, password, django_assert_max_num_queries):
    from django.core.cache import cache

    with clinic_context(clinic_a):
        reception = staff("recepcion@sonrisa.example")
        cache.clear()
        # cache get, the viewer, one per provider (reception: 4, with low stock), the read keys, and
        # the database cache's set (count, then select and insert in a savepoint; one round trip with Redis)
        with django_assert_max_num_queries(12):
            few = notices.unread_count(reception)
        with django_assert_max_num_queries(1):  # cached for a minute
            assert notices.unread_count(reception) == few
        with django_assert_max_num_queries(14):  # a clinic admin: every provider (6)
            notices.unread_count(staff("admin@sonrisa.example"))
    login(client_a, "recepcion@sonrisa.example", password)
    url = reverse("clinic_notices:list")

    def count():
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client_a.get(url).status_code == HTTPStatus.OK
        return len(queries)

    with clinic_context(clinic_a):
        patient = Patient.objects.create(first_name="Muchas", last_name="Citas")
        book_tomorrow(clinic_a, at=time(7, 5), patient=patient)
    count()
    baseline = count()
    with clinic_context(clinic_a):
        for hour in range(8, 19):
            book_tomorrow(clinic_a, at=time(hour, 5), patient=patient)
        notices.forget_count(reception)  # the page just cached the count (for a minute)
        assert notices.unread_count(reception) >= 12
    assert count() == baseline  # the page and the bell do not grow with the notices
    with clinic_context(clinic_a):
        cache.set(notices._cache_key(reception), 3, 60)
    assert '"data-unread": "3"' in client_a.get(reverse("clinic_agenda:day")).content.decode()


# -- malformed input ------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["", "\x00", "appointment-unconfirmed:1\x00", "x" * 5000, "invoice-overdue:99999999999999999999999", "otro:1"])
def test_marking_a_notice_one_cannot_see_is_a_translated_400_and_writes_nothing(clinic_a, client_a, password, key):
    login(client_a, "recepcion@sonrisa.example", password)
    response = client_a.post(reverse("clinic_notices:read"), {"key": key}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST and "Ese aviso no está en tu lista" in text(response)
    with clinic_context(clinic_a):
        assert not NoticeRead.objects.filter(user=staff("recepcion@sonrisa.example")).exists()


def test_another_role_s_notice_cannot_be_marked(clinic_a, client_a, password):
    with clinic_context(clinic_a):
        dentist = staff(PRACTITIONERS["sonrisa"])
        estimate = PresentPlan(build_plan(Patient.objects.get(user__email="paciente@sonrisa.example"), dentist), send_email=False, actor=dentist).execute()
    login(client_a, "recepcion@sonrisa.example", password)
    response = client_a.post(reverse("clinic_notices:read"), {"key": f"estimate-waiting:{estimate.pk}"}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("value", ["\x00", "yes", "on\x00", "x" * 5000])
def test_a_malformed_summary_choice_is_a_translated_400(clinic_a, client_a, password, value):
    login(client_a, "admin@sonrisa.example", password)
    response = client_a.post(reverse("clinic_notices:summary"), {"daily_summary": value}, HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST and "Marca la casilla o déjala vacía." in text(response)
    with clinic_context(clinic_a):
        assert not NoticePreference.objects.exists()


def test_only_clinic_admins_choose_the_summary_and_gets_are_refused(clinic_a, client_a, password):
    login(client_a, "recepcion@sonrisa.example", password)
    assert refused(client_a.post(reverse("clinic_notices:summary"), {}))
    for name in ("read", "read_all", "summary"):
        assert client_a.get(reverse(f"clinic_notices:{name}")).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_huge_ids_are_not_found(clinic_a, client_a, password):
    login(client_a, "recepcion@sonrisa.example", password)
    assert client_a.post(reverse("clinic_confirmed_by_phone", args=[10**20])).status_code == HTTPStatus.NOT_FOUND


def test_patients_and_signed_out_visitors_do_not_reach_the_notices(clinic_a, client_a, password):
    assert client_a.get(reverse("clinic_notices:list")).status_code == HTTPStatus.FOUND  # to sign in
    login(client_a, "paciente@sonrisa.example", password)
    assert client_a.get(reverse("clinic_notices:list")).status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
    assert client_a.post(reverse("clinic_notices:read_all")).status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)


# -- the daily summary ------------------------------------------------------------------------

def seven_oh_five(clinic):
    zone = ZONES[clinic.slug]
    return datetime.combine(timezone.localdate(timezone=zone), time(7, 5), zone)


@pytest.mark.parametrize("clinic_fixture", ["clinic_a", "clinic_b"])
def test_the_summary_lists_the_day_s_notices_in_spanish_in_the_clinic_s_zone(request, clinic_fixture):
    from theme.models import BrandSettings

    clinic = request.getfixturevalue(clinic_fixture)
    with clinic_context(clinic):
        appointment = book_tomorrow(clinic, at=time(9, 45))
        mail.outbox.clear()
        assert send_daily_summaries(now=seven_oh_five(clinic) - timedelta(minutes=10)) == 0  # 06:55: not yet
        assert send_daily_summaries(now=seven_oh_five(clinic)) == 1
        [message] = mail.outbox
        name = BrandSettings.for_default_site().display_name or clinic.name
        admin = staff(f"admin@{clinic.slug}.example")
        others = [n for n in notices.all_notices(notices.viewer_for(admin)) if n.key != f"appointment-unconfirmed:{appointment.pk}"]
        assert not others, "the test clinic should have no other notices"
        practitioner = appointment.practitioner.display_name
    assert message.to == [f"admin@{clinic.slug}.example"]
    assert message.subject == f"{name}: 1 aviso hoy"
    with translation.override("es"):
        day = formats.date_format(seven_oh_five(clinic).date(), "DATE_FORMAT")
    assert message.body == (
        f"Hola, {admin.first_name}:\n\n"
        f"Lo que pide atención hoy, {day}:\n\n"
        "Citas de mañana sin confirmar (1)\n"
        f"- Mañana 09:45 · Eva Prueba · {appointment.service.name} con {practitioner}: sin confirmar por el paciente\n"
        f"  {clinic_url(clinic, f'/admin/agenda/cita/{appointment.pk}/')}\n\n"
        f"Todos los avisos: {clinic_url(clinic, '/admin/avisos/')}\n"
        f"Para dejar de recibir este correo diario, desmárcalo aquí: {clinic_url(clinic, '/admin/avisos/#resumen')}\n"
    )


def test_the_summary_goes_once_a_day_and_not_to_who_opted_out(clinic_a, client_a, password):
    with clinic_context(clinic_a):
        book_tomorrow(clinic_a)
        mail.outbox.clear()
        assert send_daily_summaries(now=seven_oh_five(clinic_a)) == 1
        assert send_daily_summaries(now=seven_oh_five(clinic_a) + timedelta(hours=3)) == 0  # run again: nothing more
        assert len(mail.outbox) == 1
        assert NoticeSummarySent.objects.filter(user__email="admin@sonrisa.example").count() == 1
        NoticeSummarySent.objects.all().delete()
    login(client_a, "admin@sonrisa.example", password)
    page = client_a.get(reverse("clinic_notices:list"), HTTP_ACCEPT_LANGUAGE="es")
    assert "Resumen diario" in text(page) and 'name="daily_summary" checked' in page.content.decode()
    response = client_a.post(reverse("clinic_notices:summary"), {}, follow=True, HTTP_ACCEPT_LANGUAGE="es")
    assert "Ya no recibirás el resumen diario por correo." in text(response)
    with clinic_context(clinic_a):
        mail.outbox.clear()
        assert send_daily_summaries(now=seven_oh_five(clinic_a)) == 0 and mail.outbox == []
    client_a.post(reverse("clinic_notices:summary"), {"daily_summary": "on"})
    with clinic_context(clinic_a):
        assert send_daily_summaries(now=seven_oh_five(clinic_a)) == 1


def test_a_failed_send_releases_the_claim_for_the_retry(clinic_a, monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    with clinic_context(clinic_a):
        book_tomorrow(clinic_a)

        def refuse(self, *args, **kwargs):
            raise OSError("mail server down")

        monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)  # no mail server can refuse here: the one mock
        with pytest.raises(OSError):
            send_daily_summaries(now=seven_oh_five(clinic_a))
        assert not NoticeSummarySent.objects.exists()
        monkeypatch.undo()
        mail.outbox.clear()
        assert send_daily_summaries(now=seven_oh_five(clinic_a)) == 1


def test_a_long_kind_is_cut_in_the_e_mail_with_how_many_more(clinic_a, monkeypatch):
    from clinic import notice_summary

    monkeypatch.setattr(notice_summary, "PER_KIND", 2)
    with clinic_context(clinic_a):
        patient = Patient.objects.create(first_name="Varias", last_name="Citas")
        for hour in (9, 10, 11):
            book_tomorrow(clinic_a, at=time(hour, 0), patient=patient)
        mail.outbox.clear()
        assert send_daily_summaries(now=seven_oh_five(clinic_a)) == 1
    body = mail.outbox[0].body
    assert "Citas de mañana sin confirmar (3)" in body and body.count("· Varias Citas ·") == 2 and "- y 1 más\n" in body


def test_an_admin_who_reads_english_gets_the_summary_in_english(clinic_b):
    with clinic_context(clinic_b):
        appointment = book_tomorrow(clinic_b, at=time(8, 0), first_name="Rosa")
        User.objects.filter(email="admin@alamos.example").update(language="en")
        mail.outbox.clear()
        assert send_daily_summaries(now=seven_oh_five(clinic_b)) == 1
        practitioner = appointment.practitioner.display_name
    [message] = mail.outbox
    assert message.subject.endswith(": 1 notice today")
    assert "Tomorrow's appointments not confirmed (1)\n" in message.body
    assert f"- Tomorrow 08:00 · Rosa Prueba · {appointment.service.name} with {practitioner}: not confirmed by the patient\n" in message.body
