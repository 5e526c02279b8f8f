"""Issue 11, items 1 and 2: treatment plans, frozen estimates and their versions, the
patient's answer (only theirs, only at their clinic), booking the accepted items, the
items done when their appointment is completed, and invoicing an instalment."""

from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry

from clinic.actions import CompleteAppointment
from clinic.actions.base import ActionError, ActionPermissionDenied
from clinic.actions.plans import (
    AddPlanItem, AnswerEstimate, BookPlanItems, CreatePlan, DropPlanItem, IssueInstalmentInvoice, ItemData, PresentPlan, estimate_from_token,
    estimate_link_token, instalment_lines, instalments_for,
)
from clinic.availability import find_slots
from clinic.models import Appointment, Estimate, EstimateLine, Invoice, Patient, PlanItem, Practitioner, Service, TreatmentPlan
from clinic.records.models import AccessLogEntry
from portal.models import User
from portal.tenancy import clinic_context
from tests.conftest import DEMO_PASSWORD
from tests.helpers import login, next_tuesday, text, triggers_off

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")


def staff(email):
    return User.objects.get(email=email)


@pytest.fixture
def dentist(clinic_a):
    with clinic_context(clinic_a):
        return staff("lucia.fernandez@sonrisa.example")


@pytest.fixture
def patient(clinic_a):
    """The demo patient of Sonrisa, who has an online account."""
    with clinic_context(clinic_a):
        return Patient.objects.get(user__email="paciente@sonrisa.example")


def services():
    practitioner = Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")
    return practitioner, list(practitioner.services.filter(active=True).order_by("pk")[:3])


def build_plan(patient, dentist, *, items=3):
    """A three-item plan: two fillings on 16 (the second discounted) and one more in phase 2."""
    practitioner, offered = services()
    plan = CreatePlan(patient, title="Rehabilitación", practitioner=practitioner, actor=dentist).execute()
    data = [ItemData(service=offered[0], tooth="16", surfaces="om", practitioner=practitioner, unit_price=Decimal("80.00")),
            ItemData(service=offered[1 % len(offered)], tooth="26", surfaces="D", practitioner=practitioner, unit_price=Decimal("50.00"),
                     discount_percent=Decimal("10"), quantity=2),
            ItemData(service=offered[2 % len(offered)], tooth="36", practitioner=practitioner, phase=2, unit_price=Decimal("120.00"))][:items]
    for entry in data:
        AddPlanItem(plan, entry, dental=True, actor=dentist).execute()
    return TreatmentPlan.objects.get(pk=plan.pk)


def test_presenting_freezes_prices_and_a_change_makes_a_new_version(clinic_a, patient, dentist):
    with clinic_context(clinic_a):
        plan = build_plan(patient, dentist)
        first = PresentPlan(plan, schedule=Estimate.Schedule.PHASES, send_email=False, actor=dentist).execute()
        # 80 + 2 × 50 − 10 % + 120 = 290
        assert (first.version, first.gross, first.discount, first.total) == (1, Decimal("300.00"), Decimal("10.00"), Decimal("290.00"))
        assert [(i.on_acceptance, i.phase, i.amount) for i in first.instalments.all()] == [(True, None, Decimal("170.00")), (False, 2, Decimal("120.00"))]
        assert sorted(line.surfaces for line in first.lines.all()) == ["", "D", "MO"]
        # The catalogue changes: the estimate does not.
        service = first.lines.first().item.service
        Service.objects.filter(pk=service.pk).update(price=Decimal("999"), tax_rate=Decimal("21"))
        first.refresh_from_db()
        assert first.total == Decimal("290.00") and all(line.tax == 0 for line in first.lines.all())
        # Changing the plan withdraws version 1 and the next presentation is version 2.
        item = plan.items.get(tooth="36")
        DropPlanItem(item, actor=dentist).execute()
        plan.refresh_from_db()
        assert plan.status == TreatmentPlan.Status.DRAFT
        second = PresentPlan(plan, send_email=False, actor=dentist).execute()
        first.refresh_from_db()
        assert (first.status, first.total, second.version, second.total) == (Estimate.Status.WITHDRAWN, Decimal("290.00"), 2, Decimal("186.80"))  # today's VAT on 16
        assert PlanItem.objects.get(pk=item.pk).status == PlanItem.Status.DROPPED  # priced once, so kept
        assert ModelLogEntry.objects.filter(action="clinic.plan.present", object_id__in=[str(first.pk), str(second.pk)]).count() == 2


def test_the_database_refuses_changing_a_presented_estimate(clinic_a, patient, dentist):
    with clinic_context(clinic_a):
        estimate = PresentPlan(build_plan(patient, dentist), send_email=False, actor=dentist).execute()
        for statement in (f"UPDATE clinic_estimate SET total = 1 WHERE id = {estimate.pk}",
                          f"UPDATE clinic_estimateline SET unit_price = 1 WHERE estimate_id = {estimate.pk}",
                          f"DELETE FROM clinic_estimateinstalment WHERE estimate_id = {estimate.pk}",
                          f"DELETE FROM clinic_estimate WHERE id = {estimate.pk}"):
            with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
        with pytest.raises(IntegrityError), transaction.atomic():
            EstimateLine.objects.filter(estimate=estimate).update(amount=0)
        # Its answer once recorded stays as it was.
        AnswerEstimate(estimate, accept=True, name="Ana", via=Estimate.Via.LINK, ip="203.0.113.9").execute()
        with pytest.raises(IntegrityError), transaction.atomic():
            Estimate.objects.filter(pk=estimate.pk).update(accepted_name="Someone else")


def test_an_item_refuses_what_is_not_a_tooth_or_a_price(clinic_a, patient, dentist):
    with clinic_context(clinic_a):
        practitioner, offered = services()
        plan = CreatePlan(patient, title="Revisión", actor=dentist).execute()
        for bad in (dict(tooth="19"), dict(tooth="1\x00"), dict(surfaces="XZ", tooth="16"), dict(surfaces="O"), dict(unit_price=Decimal("-1")),
                    dict(unit_price=Decimal("10000000")), dict(discount_percent=Decimal("101")), dict(quantity=0), dict(phase=99), dict(priority=9)):
            with pytest.raises(ActionError):
                AddPlanItem(plan, ItemData(service=offered[0], **bad), dental=True, actor=dentist).execute()
        # A medical clinic's plan has no teeth at all.
        with pytest.raises(ActionError):
            AddPlanItem(plan, ItemData(service=offered[0], tooth="16"), dental=False, actor=dentist).execute()
        assert not plan.items.exists()
        with pytest.raises(ActionPermissionDenied):
            AddPlanItem(plan, ItemData(service=offered[0]), dental=True, actor=staff("recepcion@sonrisa.example")).execute()


def test_only_the_patient_it_belongs_to_accepts_it(clinic_a, patient, dentist):
    with clinic_context(clinic_a):
        estimate = PresentPlan(build_plan(patient, dentist), send_email=False, actor=dentist).execute()
        other = User.objects.create_user(email="otra@example.com", password="x-Long-Password-1")
        Patient.objects.create(first_name="Otra", last_name="Paciente", user=other)
        with pytest.raises(ActionPermissionDenied):
            AnswerEstimate(estimate, accept=True, name="Otra", via=Estimate.Via.PORTAL, actor=other).execute()
        with pytest.raises(ActionPermissionDenied):  # a link opened while someone else is signed in
            AnswerEstimate(estimate, accept=True, name="Otra", via=Estimate.Via.LINK, actor=other).execute()
        with pytest.raises(ActionPermissionDenied):  # paper answers are for staff who may record them
            AnswerEstimate(estimate, accept=True, via=Estimate.Via.PAPER, actor=other).execute()
        with pytest.raises(ActionError):  # the name is required
            AnswerEstimate(estimate, accept=True, name="  ", via=Estimate.Via.PORTAL, actor=patient.user).execute()
        answered = AnswerEstimate(estimate, accept=True, name="Ana García", via=Estimate.Via.PORTAL, ip="203.0.113.7", actor=patient.user).execute()
        assert (answered.accepted_name, answered.accepted_ip, answered.accepted_user, answered.accepted_via) == (
            "Ana García", "203.0.113.7", patient.user, Estimate.Via.PORTAL)
        assert answered.plan.status == TreatmentPlan.Status.ACCEPTED
        with pytest.raises(ActionError):
            AnswerEstimate(estimate, accept=False, via=Estimate.Via.PORTAL, actor=patient.user).execute()


def test_an_expired_or_replaced_estimate_cannot_be_accepted(clinic_a, patient, dentist):
    with clinic_context(clinic_a):
        plan = build_plan(patient, dentist)
        estimate = PresentPlan(plan, valid_until=timezone.localdate(timezone=MADRID), send_email=False, actor=dentist).execute()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks before ALTER TABLE
        with triggers_off("clinic_estimate"), connection.cursor() as cursor:  # a day later, as the clinic's calendar reads it
            cursor.execute("UPDATE clinic_estimate SET valid_until = valid_until - 1 WHERE id = %s", [estimate.pk])
        estimate.refresh_from_db()
        with pytest.raises(ActionError, match="expired"), translation.override("en"):
            AnswerEstimate(estimate, accept=True, name="Ana", via=Estimate.Via.PORTAL, actor=patient.user).execute()
        AddPlanItem(plan, ItemData(service=services()[1][0], tooth="11"), dental=True, actor=dentist).execute()
        estimate.refresh_from_db()
        with pytest.raises(ActionError, match="replaced"), translation.override("en"):
            AnswerEstimate(estimate, accept=True, name="Ana", via=Estimate.Via.PORTAL, actor=patient.user).execute()


def test_the_link_is_bound_to_its_clinic_and_patient(clinic_a, clinic_b, patient, dentist):
    with clinic_context(clinic_a):
        estimate = PresentPlan(build_plan(patient, dentist), send_email=False, actor=dentist).execute()
        token = estimate_link_token(estimate)
        assert estimate_from_token(token) == estimate
        assert estimate_from_token(token[:-2] + "xx") is None
        assert estimate_from_token("\x00") is None and estimate_from_token("a" * 5000) is None
    with clinic_context(clinic_b):
        assert estimate_from_token(token) is None  # one SECRET_KEY signs for every clinic: the schema is in the salt


def test_booking_the_accepted_items_and_doing_them(clinic_a, patient, dentist):
    with clinic_context(clinic_a):
        plan = build_plan(patient, dentist)
        estimate = PresentPlan(plan, send_email=False, actor=dentist).execute()
        reception = staff("recepcion@sonrisa.example")
        first = plan.items.get(tooth="16")
        with pytest.raises(ActionError):  # not accepted yet
            BookPlanItems(plan, [(first, timezone.now(), first.practitioner)], actor=reception).execute()
        AnswerEstimate(estimate, accept=True, name="Ana", via=Estimate.Via.PORTAL, actor=patient.user).execute()
        day = next_tuesday()
        slots = find_slots(service=first.service, practitioner=first.practitioner, start=day, end=day, staff=True)
        BookPlanItems(plan, [(first, slots[0].start, first.practitioner)], actor=reception).execute()
        first.refresh_from_db()
        appointment = first.appointment
        line = estimate.lines.get(item=first)
        assert (appointment.start, appointment.price, appointment.status) == (slots[0].start, line.amount, Appointment.Status.CONFIRMED)
        with pytest.raises(ActionError):  # once
            BookPlanItems(plan, [(first, slots[3].start, first.practitioner)], actor=reception).execute()
        # The visit that performs it is completed: the item is done, the plan shows it.
        Appointment.objects.filter(pk=appointment.pk).update(start=timezone.now() - timedelta(hours=1), end=timezone.now() - timedelta(minutes=30))
        CompleteAppointment(Appointment.objects.get(pk=appointment.pk), actor=dentist).execute()
        first.refresh_from_db()
        assert first.status == PlanItem.Status.DONE and first.done_at is not None
        plan.refresh_from_db()
        assert plan.status == TreatmentPlan.Status.ACCEPTED  # two items still to do


def test_an_instalment_invoice_carries_its_share_of_each_tax_rate(clinic_a, patient, dentist, issuer):
    with clinic_context(clinic_a):
        practitioner, offered = services()
        Service.objects.filter(pk=offered[0].pk).update(tax_rate=Decimal("21"))
        plan = build_plan(patient, dentist)
        estimate = PresentPlan(plan, schedule=Estimate.Schedule.MONTHLY, months=3, send_email=False, actor=dentist).execute()
        # 80 × 1.21 + 90 + 120 = 306.80, in three: 102.28 + 102.26 + 102.26
        assert estimate.total == Decimal("306.80")
        assert [i.amount for i in estimate.instalments.all()] == [Decimal("102.28"), Decimal("102.26"), Decimal("102.26")]
        first = estimate.instalments.first()
        lines = instalment_lines(first)
        assert sum(line.base + line.tax for line in lines) == Decimal("102.28")
        with pytest.raises(ActionError):  # not accepted
            IssueInstalmentInvoice(first, actor=staff("recepcion@sonrisa.example")).execute()
        AnswerEstimate(estimate, accept=True, name="Ana", via=Estimate.Via.PORTAL, actor=patient.user).execute()
        invoice = IssueInstalmentInvoice(first, actor=staff("recepcion@sonrisa.example")).execute()
        assert (invoice.total, invoice.instalment, invoice.patient) == (Decimal("102.28"), first, patient)
        assert {line.tax_rate for line in invoice.lines.all()} == {Decimal("21"), Decimal("0")}
        with pytest.raises(ActionError):
            IssueInstalmentInvoice(first, actor=staff("recepcion@sonrisa.example")).execute()


def test_schedules_add_up_to_the_total():
    lines = [EstimateLine(phase=p, amount=Decimal(a), tax=Decimal("0")) for p, a in ((1, "100.01"), (1, "0.02"), (3, "50"))]
    for schedule, months in ((Estimate.Schedule.FULL, 1), (Estimate.Schedule.PHASES, 1), (Estimate.Schedule.MONTHLY, 7), (Estimate.Schedule.MONTHLY, 24)):
        parts = instalments_for(lines, schedule=schedule, months=months)
        assert sum(p["amount"] for p in parts) == Decimal("150.03") and parts[0]["on_acceptance"]
        assert all(p["amount"] > 0 for p in parts)


# -- through the pages ----------------------------------------------------------------------

def test_the_dentist_builds_and_presents_a_plan_and_the_patient_gets_the_email(clinic_a, client_a, patient, django_capture_on_commit_callbacks):
    login(client_a, "lucia.fernandez@sonrisa.example", DEMO_PASSWORD)
    response = client_a.post(reverse("clinic_records:new_plan", args=[patient.pk]), {"title": "Plan de prueba"})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        plan = TreatmentPlan.objects.filter(patient=patient).latest("pk")
        service = services()[1][0]
    page = client_a.get(reverse("clinic_records:plan", args=[plan.pk]))
    assert page.status_code == HTTPStatus.OK and 'data-surface="O"' in page.content.decode()  # the chart to pick from
    response = client_a.post(reverse("clinic_records:plan_item_add", args=[plan.pk]),
                             {"service": service.pk, "tooth": "46", "surfaces": ["O", "M"], "phase": 1, "priority": 2, "quantity": 1, "unit_price": "75.50"})
    assert response.status_code == HTTPStatus.FOUND
    for bad in ({"service": "x"}, {"service": service.pk, "tooth": "99", "phase": 1, "priority": 3, "quantity": 1},
                {"service": service.pk, "phase": "1\x00", "priority": 3, "quantity": 1}, {"service": str(10**20), "phase": 1, "priority": 3, "quantity": 1}):
        assert client_a.post(reverse("clinic_records:plan_item_add", args=[plan.pk]), bad).status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        assert [(i.tooth, i.surfaces, i.unit_price) for i in plan.items.all()] == [("46", "MO", Decimal("75.50"))]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post(reverse("clinic_records:plan_present", args=[plan.pk]),
                                 {"valid_until": (timezone.localdate(timezone=MADRID) + timedelta(days=10)).isoformat(), "schedule": "full", "send_email": "on"})
    assert response.status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [patient.email]
    assert "75,50\xa0€" in message.body and "46 MO" in message.body  # the patient's language: Spanish
    link = next(word for word in message.body.split() if "/presupuesto/" in word)
    assert link.startswith(f"http://{clinic_a.primary_host}")
    with clinic_context(clinic_a):
        assert AccessLogEntry.objects.filter(patient=patient, area=AccessLogEntry.Area.PLAN, action=AccessLogEntry.Action.CREATE).exists()


def test_the_patient_accepts_in_the_portal_and_another_patient_sees_nothing(clinic_a, client_a, patient, dentist, host_client):
    with clinic_context(clinic_a):
        estimate = PresentPlan(build_plan(patient, dentist), send_email=False, actor=dentist).execute()
    login(client_a, "paciente@sonrisa.example", DEMO_PASSWORD)
    account = client_a.get(reverse("patients_portal:account"))
    assert reverse("patients_portal:estimates") in account.content.decode()
    url = reverse("patients_portal:estimate", args=[estimate.pk])
    page = client_a.get(url)
    assert page.status_code == HTTPStatus.OK and "290,00 €" in text(page)
    refused = client_a.post(url, {"answer": "accept", "name": "Ana"})  # box not ticked
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    with clinic_context(clinic_a):
        assert Estimate.objects.get(pk=estimate.pk).status == Estimate.Status.PRESENTED
    assert client_a.post(url, {"answer": "accept", "agree": "on", "name": "Ana\x00"}).status_code == HTTPStatus.BAD_REQUEST
    assert client_a.post(url, {"answer": "accept", "agree": "on", "name": "Ana García"}, REMOTE_ADDR="198.51.100.4").status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        accepted = Estimate.objects.get(pk=estimate.pk)
        assert (accepted.status, accepted.accepted_ip, accepted.accepted_via) == (Estimate.Status.ACCEPTED, "198.51.100.4", Estimate.Via.PORTAL)
        other = User.objects.create_user(email="curiosa@example.com", password="x-Long-Password-1")
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    nosy = host_client(clinic_a.primary_host)
    login(nosy, "curiosa@example.com", "x-Long-Password-1")
    assert nosy.get(url).status_code == HTTPStatus.NOT_FOUND
    assert nosy.get(reverse("patients_portal:estimate", args=[10**12])).status_code == HTTPStatus.NOT_FOUND


def test_the_emailed_link_works_without_signing_in_only_at_its_clinic(clinic_a, clinic_b, client_a, client_b, patient, dentist):
    with clinic_context(clinic_a):
        estimate = PresentPlan(build_plan(patient, dentist), send_email=False, actor=dentist).execute()
        token = estimate_link_token(estimate)
    url = reverse("patients_portal:estimate_link", args=[token])
    assert client_b.get(url).status_code == HTTPStatus.NOT_FOUND  # another clinic: worthless
    assert client_a.get(url[:-3] + "abc/").status_code == HTTPStatus.NOT_FOUND
    page = client_a.get(url)
    assert page.status_code == HTTPStatus.OK and "Rehabilitación" in text(page)
    assert client_a.post(url, {"answer": "reject", "reason": "Prefiero pensarlo"}).status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        rejected = Estimate.objects.get(pk=estimate.pk)
        assert (rejected.status, rejected.rejection_reason, rejected.plan.status) == (Estimate.Status.REJECTED, "Prefiero pensarlo", TreatmentPlan.Status.REJECTED)


@pytest.mark.parametrize("email, sees, builds", [
    ("admin@sonrisa.example", True, True), ("lucia.fernandez@sonrisa.example", True, True), ("recepcion@sonrisa.example", True, False),
])
def test_each_role_sees_its_part(clinic_a, client_a, patient, dentist, email, sees, builds):
    with clinic_context(clinic_a):
        plan = build_plan(patient, dentist, items=1)
    login(client_a, email, DEMO_PASSWORD)
    assert (client_a.get(reverse("clinic_records:plan", args=[plan.pk])).status_code == HTTPStatus.OK) is sees
    response = client_a.post(reverse("clinic_records:plan_present", args=[plan.pk]), {"valid_until": timezone.localdate(timezone=MADRID).isoformat(), "schedule": "full"})
    with clinic_context(clinic_a):
        assert plan.estimates.exists() is builds
    assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)


def test_another_clinics_staff_get_nothing(clinic_a, clinic_b, client_b, patient, dentist):
    with clinic_context(clinic_a):
        plan = build_plan(patient, dentist, items=1)
        estimate = PresentPlan(plan, send_email=False, actor=dentist).execute()
    login(client_b, "admin@alamos.example", DEMO_PASSWORD)
    with clinic_context(clinic_b):
        assert not TreatmentPlan.objects.filter(pk=plan.pk, title="Rehabilitación").exists()
    for url in (reverse("clinic_records:plan", args=[plan.pk]), reverse("clinic_records:estimate", args=[estimate.pk])):
        response = client_b.get(url)
        assert response.status_code == HTTPStatus.NOT_FOUND or "Rehabilitación" not in text(response)


def test_the_demo_plans_render_for_staff_and_patient(clinic_a, clinic_b, client_a, client_b, issuer):
    from tenants.demo_plans import seed_plans

    assert seed_plans(clinic_a) == 2 and seed_plans(clinic_a) == 0  # idempotent
    assert seed_plans(clinic_b) == 2
    with clinic_context(clinic_a):
        accepted = TreatmentPlan.objects.get(patient__email="paciente@sonrisa.example", status=TreatmentPlan.Status.ACCEPTED)
        assert sorted(accepted.items.values_list("tooth", flat=True)) == ["16", "26", "36"]  # a dental clinic's plan sits on teeth
        assert accepted.items.filter(status=PlanItem.Status.DONE).count() == 1
        first = accepted.estimates.get().instalments.first()
        assert first.invoices.count() == 1 and first.payments.count() == 1
    with clinic_context(clinic_b):
        assert not TreatmentPlan.objects.filter(items__tooth__gt="").exists()  # a medical one's does not
    login(client_a, "recepcion@sonrisa.example", DEMO_PASSWORD)
    page = client_a.get(reverse("clinic_records:plan", args=[accepted.pk]))
    assert page.status_code == HTTPStatus.OK and "P-" in text(page)
    login(client_b, "paciente@alamos.example", DEMO_PASSWORD)
    assert client_b.get(reverse("patients_portal:estimates")).status_code == HTTPStatus.OK


def test_the_estimate_prints_as_a_pdf_for_staff_only(clinic_a, client_a, patient, dentist, host_client):
    with clinic_context(clinic_a):
        estimate = PresentPlan(build_plan(patient, dentist), send_email=False, actor=dentist).execute()
    url = reverse("clinic_records:estimate", args=[estimate.pk]) + "?pdf=1"
    login(client_a, "recepcion@sonrisa.example", DEMO_PASSWORD)
    response = client_a.get(url)
    assert response.status_code == HTTPStatus.OK and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and f'filename="{estimate.number}.pdf"' in response["Content-Disposition"]
    stranger = host_client(clinic_a.primary_host)
    login(stranger, "paciente@sonrisa.example", DEMO_PASSWORD)  # a patient reads it in the portal, not here
    assert stranger.get(url).status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND)
    with clinic_context(clinic_a):
        assert AccessLogEntry.objects.filter(patient=patient, area=AccessLogEntry.Area.PLAN, detail=estimate.number).exists()
