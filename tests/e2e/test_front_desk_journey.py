"""Issue 9: a day at the front desk in a real browser. The receptionist opens today's
agenda, books a walk-in in a free slot, checks in the patient who booked online; the
practitioner marks that visit completed; the receptionist records a card payment.
Screenshots in tests/artifacts/desk-*.png."""

import re
from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.conftest import DEMO_PASSWORD
from tests.helpers import purge_clinical_rows

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def day(django_db_blocker):
    """Committed set-up, before the browser starts (Django refuses database calls while
    Playwright's loop runs): the clinic whose local time is mid-day, one practitioner
    working all of today, and a patient who booked online and whose visit has begun.
    Everything is put back afterwards."""
    from django.utils import timezone

    from clinic.models import Appointment, Patient, Practitioner, WorkingHours
    from portal.tenancy import clinic_context, clinic_zone, public_context
    from tenants.models import Clinic

    with django_db_blocker.unblock():
        with public_context():
            clinics = list(Clinic.objects.filter(slug__in=["sonrisa", "alamos"]).order_by("-slug"))
        for clinic in clinics:  # Madrid and Mexico City are seven hours apart: one has an afternoon ahead
            with clinic_context(clinic):
                # At least six hours of the day ahead: the walk-in moves a little later the same day,
                # the service and its buffer inside the hours (one of the two always qualifies).
                if 1 <= timezone.localtime(timezone.now(), clinic_zone()).hour <= 17:
                    break
        with clinic_context(clinic):
            zone = clinic_zone()
            now = timezone.localtime(timezone.now(), zone)
            practitioner = Practitioner.objects.active().select_related("user").order_by("sort_order").first()
            service = practitioner.services.filter(active=True).order_by("duration_minutes").first()
            online = Patient.objects.get(email=f"paciente@{clinic.slug}.example")
            # Leftovers of an interrupted earlier run (committed data), as the booking journey cleans up.
            from clinic.models import PatientPayment

            PatientPayment.objects.filter(patient__in=[online, *Patient.objects.filter(last_name="Sin Cita Journey")]).delete()
            purge_clinical_rows(appointments=Appointment.objects.filter(patient__in=[online, *Patient.objects.filter(last_name="Sin Cita Journey")]))
            Appointment.objects.filter(patient__in=[online, *Patient.objects.filter(last_name="Sin Cita Journey")]).delete()
            Patient.objects.filter(last_name="Sin Cita Journey").delete()
            saved_hours = list(WorkingHours.objects.filter(practitioner=practitioner, weekday=now.weekday()).values_list("start", "end"))
            WorkingHours.objects.filter(practitioner=practitioner, weekday=now.weekday()).delete()
            WorkingHours.objects.create(practitioner=practitioner, weekday=now.weekday(), start=time(0), end=time(23, 55))
            start = (now - timedelta(minutes=10)).replace(second=0, microsecond=0)
            booked = Appointment.objects.create(patient=online, practitioner=practitioner, service=service, start=start,
                                                end=start + timedelta(minutes=service.duration_minutes), price=Decimal("50"))
        host = clinic.primary_host.split(":")[0]
    yield {"clinic": clinic, "host": host, "slug": clinic.slug, "practitioner_pk": practitioner.pk, "practitioner_email": practitioner.user.email,
           "service_pk": service.pk, "booked_pk": booked.pk}
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import ModelLogEntry

    from clinic.models import PatientPayment

    with django_db_blocker.unblock(), clinic_context(clinic):
        walk_ins = Patient.objects.filter(last_name="Sin Cita Journey")
        appointments = Appointment.objects.filter(pk=booked.pk) | Appointment.objects.filter(patient__in=walk_ins)
        ids = [str(pk) for pk in appointments.values_list("pk", flat=True)]
        payments = PatientPayment.objects.filter(appointment__in=appointments)
        ModelLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(PatientPayment),
                                     object_id__in=[str(pk) for pk in payments.values_list("pk", flat=True)]).delete()
        payments.delete()
        ModelLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Appointment), object_id__in=ids).delete()
        purge_clinical_rows(appointments=[int(pk) for pk in ids])  # the completed visit opened its clinical record
        ModelLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Patient),
                                     object_id__in=[str(pk) for pk in walk_ins.values_list("pk", flat=True)]).delete()
        appointments.delete()
        walk_ins.delete()
        WorkingHours.objects.filter(practitioner=practitioner, weekday=start.weekday()).delete()
        WorkingHours.objects.bulk_create(WorkingHours(practitioner=practitioner, weekday=start.weekday(), start=s, end=e) for s, e in saved_hours)


def sign_in(browser, site, email, viewport=(1280, 900)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="en-US", extra_http_headers={"Accept-Language": "en"})
    page = context.new_page()
    page.goto(site + "/accounts/login/?next=/admin/agenda/")
    page.fill("#id_login", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile("/admin/agenda/"))
    return page


def test_a_day_at_the_front_desk(day, browser, live_clinics, artifacts):
    site = live_clinics.format(host=day["host"])
    slug, practitioner_pk, booked_pk = day["slug"], day["practitioner_pk"], day["booked_pk"]
    desk = sign_in(browser, site, f"recepcion@{slug}.example")
    shot = lambda page, name: page.screenshot(path=str(artifacts / f"desk-{name}.png"), full_page=True)  # noqa: E731

    # 1. Today's agenda: the online booking is there, with its payment state.
    block = desk.locator(f'a.agenda__block[href="/admin/agenda/cita/{booked_pk}/"]')
    assert block.count() == 1 and "Pablo Paciente Demo" in block.inner_text()
    shot(desk, "1-agenda")

    # 2. A walk-in in a free slot of that practitioner: a new patient, then book.
    desk.locator(f'a.agenda__free[data-practitioner="{practitioner_pk}"]').first.click()
    desk.wait_for_url(re.compile("/admin/recepcion/cita/"))
    desk.fill("input[name=first_name]", "Walter")
    desk.fill("input[name=last_name]", "Sin Cita Journey")
    desk.fill("input[name=phone]", "+34 699 123 456")
    desk.get_by_role("button", name="Create patient").click()
    desk.select_option("select[name=servicio]", str(day["service_pk"]))
    desk.get_by_role("button", name="Show free times").click()
    shot(desk, "2-walk-in")
    desk.get_by_role("button", name="Book", exact=True).click()
    desk.wait_for_url(re.compile("/admin/agenda/"))
    assert "Booked: Walter Sin Cita Journey" in desk.content()
    assert desk.locator("a.agenda__block", has_text="Walter Sin Cita Journey").count() == 1

    # 3. The patient who booked online arrives: check in.
    desk.goto(site + f"/admin/agenda/cita/{booked_pk}/")
    with desk.expect_navigation():
        desk.get_by_role("button", name="Check in").click()
    assert "Pablo Paciente Demo: arrived." in desk.content()
    shot(desk, "3-checked-in")

    # 4. The practitioner completes the visit.
    doctor = sign_in(browser, site, day["practitioner_email"])
    doctor.goto(site + f"/admin/agenda/cita/{booked_pk}/")
    with doctor.expect_navigation():
        doctor.get_by_role("button", name="Mark completed").click()
    assert "Pablo Paciente Demo: completed." in doctor.content()
    shot(doctor, "4-completed")

    # 5. Reception records the card payment, prefilled from the appointment.
    desk.goto(site + f"/admin/agenda/cita/{booked_pk}/")
    desk.get_by_role("link", name="Record a payment").click()
    assert desk.locator("input[name=amount]").input_value() == "50.00"
    desk.select_option("select[name=method]", "card")
    with desk.expect_navigation():
        desk.locator("main form [type=submit]").first.click()
    desk.goto(site + f"/admin/agenda/cita/{booked_pk}/")
    page = desk.content()
    assert "card, at the clinic" in page and "Paid" in page
    history = desk.locator(".appointment-history").inner_text()
    assert "Patient checked in" in history and "Appointment completed" in history
    shot(desk, "5-paid")

    # 6. The walk-in can't come yet: drag their block onto a later free time (the server re-checks).
    desk.goto(site + "/admin/agenda/")
    walk_in = desk.locator("a.agenda__block[draggable=true]", has_text="Walter Sin Cita Journey")
    free = desk.locator(f'a.agenda__free[data-practitioner="{practitioner_pk}"]')
    # Half an hour after the walk-in ends: a free time its service fits (the day has hours left).
    starts = [datetime.fromisoformat(free.nth(i).get_attribute("data-start")) for i in range(free.count())]
    walk_in_end = datetime.combine(starts[0].date(), time.fromisoformat(walk_in.inner_text()[6:11]), starts[0].tzinfo)
    target = free.nth(next(i for i, t in enumerate(starts) if t >= walk_in_end + timedelta(minutes=30)))
    moved_to = target.get_attribute("data-start")[11:16]
    target.scroll_into_view_if_needed()
    with desk.expect_navigation():
        walk_in.drag_to(target)
    assert f"Appointment moved to" in desk.content() and moved_to in desk.content()
    assert desk.locator("a.agenda__block", has_text="Walter Sin Cita Journey").inner_text().startswith(moved_to)
    shot(desk, "6-moved")
