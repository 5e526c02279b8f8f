"""Issue 9, item 8: team set-up — the weekly-hours grid, time off, clinic holidays, who may do what."""

from datetime import time, timedelta
from http import HTTPStatus

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from clinic.models import Practitioner, TimeOff, WorkingHours
from portal.tenancy import clinic_context
from tests.helpers import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia(clinic_a):
    with clinic_context(clinic_a):
        return Practitioner.objects.select_related("user").get(user__email="lucia.fernandez@sonrisa.example")


def grid(**days):
    """{"d0-0-start": "09:00", …} from monday=[("09:00", "14:00"), …] style arguments."""
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    data = {}
    for day, spans in days.items():
        for i, (start, end) in enumerate(spans):
            data[f"d{names.index(day)}-{i}-start"], data[f"d{names.index(day)}-{i}-end"] = start, end
    return data


def hours(clinic, practitioner):
    with clinic_context(clinic):
        return sorted((h.weekday, f"{h.start:%H:%M}", f"{h.end:%H:%M}") for h in WorkingHours.objects.filter(practitioner=practitioner))


def test_the_grid_saves_stretches_and_is_audited(client_a, clinic_a, lucia, password):
    login(client_a, "admin@sonrisa.example", password)
    url = reverse("clinic_team:hours", args=[lucia.pk])
    response = client_a.post(url, grid(monday=[("09:00", "14:00"), ("16:00", "20:00")], friday=[("08:30", "15:00")]))
    assert response.status_code == HTTPStatus.FOUND
    assert hours(clinic_a, lucia) == [(0, "09:00", "14:00"), (0, "16:00", "20:00"), (4, "08:30", "15:00")]
    with clinic_context(clinic_a):
        entry = ModelLogEntry.objects.get(action="clinic.team.hours", object_id=str(lucia.pk))
    assert entry.data["after"] == {"0": ["09:00-14:00", "16:00-20:00"], "4": ["08:30-15:00"]} and "1" in entry.data["before"]


def test_copy_monday_fills_the_weekdays_without_saving(client_a, clinic_a, lucia, password):
    login(client_a, "admin@sonrisa.example", password)
    before = hours(clinic_a, lucia)
    page = client_a.post(reverse("clinic_team:hours", args=[lucia.pk]), {**grid(monday=[("10:00", "13:00")]), "copy": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == HTTPStatus.OK
    for day in range(5):
        assert f'name="d{day}-0-start" value="10:00"' in page.content.decode()
    assert 'name="d5-0-start" value=""' in page.content.decode()
    assert hours(clinic_a, lucia) == before


@pytest.mark.parametrize("data,message", [
    (grid(tuesday=[("14:00", "09:00")]), "A stretch must end after it starts (14:00–09:00)."),
    (grid(tuesday=[("09:00", "14:00"), ("13:00", "18:00")]), "Two stretches overlap (09:00–14:00 and 13:00–18:00)."),
    (grid(tuesday=[("09:00", "")]), "Give both times as HH:MM, or leave both empty."),
    (grid(tuesday=[("25:00", "26:00")]), "Give both times as HH:MM, or leave both empty."),
])
def test_inverted_overlapping_or_half_stretches_are_refused_with_a_message(client_a, clinic_a, lucia, password, data, message):
    login(client_a, "admin@sonrisa.example", password)
    before = hours(clinic_a, lucia)
    response = client_a.post(reverse("clinic_team:hours", args=[lucia.pk]), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode() and "clinic_workinghours" not in response.content.decode()
    assert hours(clinic_a, lucia) == before


def test_the_database_refuses_overlapping_stretches_too(clinic_a, lucia):
    with clinic_context(clinic_a):
        WorkingHours.objects.filter(practitioner=lucia).delete()
        WorkingHours.objects.create(practitioner=lucia, weekday=2, start=time(9), end=time(14))
        with pytest.raises(IntegrityError), transaction.atomic():
            WorkingHours.objects.create(practitioner=lucia, weekday=2, start=time(13), end=time(15))
        WorkingHours.objects.create(practitioner=lucia, weekday=2, start=time(14), end=time(15))  # touching is fine
        WorkingHours.objects.create(practitioner=lucia, weekday=3, start=time(9), end=time(14))  # another day


def test_the_old_working_hours_form_shows_a_sentence_not_a_constraint_name(client_a, clinic_a, lucia, password):
    login(client_a, "admin@sonrisa.example", password)
    response = client_a.post("/admin/clinic/workinghours/new/", {"practitioner": lucia.pk, "weekday": 6, "start": "14:00", "end": "09:00"},
                             HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.OK
    assert "A stretch must end after it starts." in response.content.decode() and "clinic_workinghours_end_after_start" not in response.content.decode()


def test_time_off_is_added_and_removed_and_blocks_booking(client_a, clinic_a, lucia, password):
    from clinic.availability import find_slots

    login(client_a, "admin@sonrisa.example", password)
    day = timezone.localdate() + timedelta(days=14)
    while day.weekday() != 1:
        day += timedelta(days=1)
    url = reverse("clinic_team:time_off", args=[lucia.pk])
    response = client_a.post(url, {"start": f"{day}T00:00", "end": f"{day}T23:59", "reason": "Congreso"})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        row = TimeOff.objects.get(practitioner=lucia, reason="Congreso")
        service = lucia.services.first()
        assert find_slots(service=service, practitioner=lucia, start=day, end=day, staff=True) == []
    inverted = client_a.post(url, {"start": f"{day}T10:00", "end": f"{day}T09:00"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "The time off must end after it starts." in inverted.content.decode()
    client_a.post(url, {"remove": row.pk})
    with clinic_context(clinic_a):
        assert not TimeOff.objects.filter(pk=row.pk).exists()
        assert ModelLogEntry.objects.filter(action="clinic.team.time_off_removed", object_id=str(row.pk)).exists()


def test_clinic_holidays(client_a, clinic_a, password):
    login(client_a, "admin@sonrisa.example", password)
    day = timezone.localdate() + timedelta(days=20)
    response = client_a.post(reverse("clinic_team:holidays"), {"start": f"{day}T00:00", "end": f"{day}T23:59", "reason": "Fiesta local"})
    assert response.status_code == HTTPStatus.FOUND
    page = client_a.get(reverse("clinic_team:holidays"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Fiesta local" in page
    with clinic_context(clinic_a):
        assert TimeOff.objects.filter(practitioner__isnull=True, reason="Fiesta local").exists()


def test_the_team_page_lists_practitioners_with_their_week(client_a, password):
    login(client_a, "admin@sonrisa.example", password)
    page = client_a.get(reverse("clinic_team:team"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Dra. Lucía Fernández Ruiz" in page and "Ana Recepción" in page


@pytest.mark.parametrize("email,team,view_hours,edit_hours", [
    ("admin@sonrisa.example", 200, 200, 302),
    ("recepcion@sonrisa.example", 200, 200, "denied"),
    ("lucia.fernandez@sonrisa.example", 200, "denied", "denied"),
    ("paciente@sonrisa.example", "denied", "denied", "denied"),
])
def test_who_sees_and_changes_the_team(client_a, clinic_a, lucia, password, email, team, view_hours, edit_hours):
    login(client_a, email, password)
    before = hours(clinic_a, lucia)

    def status(response):
        # Wagtail turns a refusal in its admin into a redirect to the dashboard (or to sign in, for a patient).
        if response.status_code == 403 or (response.status_code == 302 and response["Location"].split("?")[0] in ("/admin/", "/accounts/login/")):
            return "denied"
        return response.status_code

    assert status(client_a.get(reverse("clinic_team:team"))) == team
    assert status(client_a.get(reverse("clinic_team:hours", args=[lucia.pk]))) == view_hours
    result = status(client_a.post(reverse("clinic_team:hours", args=[lucia.pk]), grid(monday=[("07:00", "08:00")])))
    assert result == edit_hours
    if edit_hours == "denied":
        assert hours(clinic_a, lucia) == before


def test_an_id_that_is_not_this_clinic_s_is_not_found(client_b, password):
    login(client_b, "admin@alamos.example", password)
    assert client_b.get(reverse("clinic_team:hours", args=[900001])).status_code == HTTPStatus.NOT_FOUND
    assert client_b.post(reverse("clinic_team:time_off", args=[900001]), {"start": "2030-01-01T00:00", "end": "2030-01-02T00:00"}).status_code == HTTPStatus.NOT_FOUND


def test_inviting_a_practitioner_makes_their_profile_and_leads_to_their_hours(client_a, clinic_a, password, django_capture_on_commit_callbacks):
    from clinic.roles import Role

    login(client_a, "admin@sonrisa.example", password)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_a.post("/admin/users/new/", {"first_name": "Nora", "last_name": "Nueva", "email": "nora.nueva@sonrisa.example",
                                                        "role": Role.PRACTITIONER.value})
    with clinic_context(clinic_a):
        practitioner = Practitioner.objects.get(user__email="nora.nueva@sonrisa.example")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == reverse("clinic_team:hours", args=[practitioner.pk])
    team = client_a.get(reverse("clinic_team:team"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nora Nueva" in team
