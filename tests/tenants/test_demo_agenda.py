"""`make dev`'s demo clinics have a lived-in agenda (issue 9: every screen shows something real)."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from clinic.availability import find_slots
from clinic.models import Appointment, PatientPayment, Service
from portal.tenancy import clinic_zone
from tenants.demo_agenda import seed_agenda

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("hour", [11, 17])
def test_the_demo_fortnight_has_every_state_and_leaves_free_times(clinic_a, in_clinic, hour):
    with in_clinic(clinic_a):
        zone = clinic_zone()
        day = timezone.localdate(timezone=zone)
        while day.weekday() > 3:  # a full working day at Sonrisa (Monday to Thursday)
            day += timedelta(days=1)
        now = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()).replace(hour=hour), zone)
        added = seed_agenda(clinic_a, now=now)
        assert added > 40
        assert seed_agenda(clinic_a, now=now) == 0  # idempotent for the day
        demo = Appointment.objects.filter(patient__email__endswith="@pacientes.sonrisa.example")
        states = Counter(demo.values_list("status", flat=True))
        for status in ("completed", "confirmed", "no_show", "cancelled"):
            assert states[status] > 0, states
        today = demo.filter(start__date=day)
        assert today.filter(status__in=["completed", "in_room", "arrived", "confirmed"]).count() >= 5
        assert today.filter(start__gte=now, status="confirmed").exists()
        unpaid = demo.filter(status="completed").exclude(payments__isnull=False)
        assert unpaid.exists() and PatientPayment.objects.filter(appointment__in=demo, currency="EUR").exists()
        service = Service.objects.get(slug="revision-y-limpieza-dental")
        assert find_slots(service=service, start=day + timedelta(days=1), end=day + timedelta(days=7), now=now, staff=True)
