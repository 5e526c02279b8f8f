"""Issue 10, item 6: every record view and action by role. Practitioners read and write
clinical content; reception sees contact data, alerts and administrative documents but
no clinical content; clinic admins everything; patients and strangers nothing here.
A route of the records app missing from these tables fails the test."""

from http import HTTPStatus

import pytest
from django.urls import URLResolver, get_resolver, reverse

from clinic.actions.plans import AddPlanItem, AnswerEstimate, CreatePlan, ItemData, PresentPlan
from clinic.models import Estimate, Practitioner
from clinic.records.models import AccessLogEntry, ClinicalDocument, OdontogramVersion, Visit
from portal.tenancy import clinic_context
from tests.clinic.test_permission_matrix import NO, OK, outcome
from tests.helpers import text

pytestmark = pytest.mark.django_db

ROLES = ["admin", "reception", "practitioner", "patient", "anonymous"]  # as in tests/clinic/test_permission_matrix.py

PAGES = {
    "clinic_records:directory": (OK, OK, OK, NO, NO),
    "clinic_records:patient": (OK, OK, OK, NO, NO),  # reception: contact, alerts, appointments, money
    "clinic_records:photo": (NO, NO, NO, NO, NO),  # no photo in the demo: 404 for all
    "clinic_records:history": (OK, NO, OK, NO, NO),
    "clinic_records:visits": (OK, NO, OK, NO, NO),
    "clinic_records:new_visit": (OK, NO, OK, NO, NO),
    "clinic_records:visit": (OK, NO, OK, NO, NO),
    "clinic_records:odontogram": (OK, NO, OK, NO, NO),
    "clinic_records:odontogram_version": (OK, NO, OK, NO, NO),
    "clinic_records:upload": (OK, OK, OK, NO, NO),
    "clinic_records:export": (OK, NO, OK, NO, NO),
    "clinic_records:merge": (OK, NO, NO, NO, NO),
    "clinic_records:log": (OK, NO, NO, NO, NO),
    "clinic_records:document": (OK, NO, OK, NO, NO),  # an X-ray: clinical
    "access_log:index": (OK, NO, NO, NO, NO),
    "access_log:index_results": (OK, NO, NO, NO, NO),
    # Treatment plans: reception reads them (to book and take payments), does not build them.
    "clinic_records:new_plan": (OK, NO, OK, NO, NO),
    "clinic_records:plan": (OK, OK, OK, NO, NO),
    "clinic_records:plan_item": (OK, NO, OK, NO, NO),
    "clinic_records:plan_book": (OK, OK, NO, NO, NO),  # booking is the desk's (clinic.add_appointment)
    "clinic_records:estimate": (OK, OK, OK, NO, NO),
}
ACTIONS = {
    "clinic_records:archive": (OK, NO, NO, NO, NO),
    "clinic_records:share_document": (OK, NO, OK, NO, NO),
    "clinic_records:plan_item_add": (OK, NO, OK, NO, NO),
    "clinic_records:plan_present": (OK, NO, OK, NO, NO),
    "clinic_records:plan_cancel": (OK, NO, OK, NO, NO),
    "clinic_records:plan_item_drop": (OK, NO, OK, NO, NO),
    "clinic_records:estimate_paper": (OK, OK, OK, NO, NO),
    "clinic_records:instalment_invoice": (OK, OK, NO, NO, NO),
}


@pytest.fixture
def ids(records, clinic_a):
    with clinic_context(clinic_a):
        patient = records["patient"]
        plan = CreatePlan(patient, title="Plan", practitioner=Practitioner.objects.get(user__email="lucia.fernandez@sonrisa.example")).execute()
        item = AddPlanItem(plan, ItemData(service=plan.practitioner.services.first(), tooth="11"), dental=True).execute()
        estimate = PresentPlan(plan, send_email=False).execute()
        AnswerEstimate(estimate, accept=True, name="Pablo", via=Estimate.Via.LINK).execute()
        return {"pk": patient.pk, "visit": Visit.objects.filter(patient=patient).first().pk,
                "version": OdontogramVersion.objects.filter(patient=patient).first().pk,
                "xray": ClinicalDocument.objects.get(patient=patient, kind="xray").pk,
                "plan": plan.pk, "item": item.pk, "estimate": estimate.pk, "instalment": estimate.instalments.first().pk}


def url_for(name, ids):
    pk = ids["pk"]
    return {
        "clinic_records:visit": lambda: reverse(name, args=[ids["visit"]]),
        "clinic_records:document": lambda: reverse(name, args=[ids["xray"]]),
        "clinic_records:share_document": lambda: reverse(name, args=[ids["xray"]]),
        "clinic_records:odontogram_version": lambda: reverse(name, args=[pk, ids["version"]]),
        "clinic_records:export": lambda: reverse(name, args=[pk, "json"]),
        "clinic_records:directory": lambda: reverse(name),
        "access_log:index": lambda: reverse(name),
        "clinic_records:plan_book": lambda: reverse(name, args=[ids["plan"]]) + f"?item={ids['item']}",
        **{f"clinic_records:{n}": (lambda: reverse(name, args=[ids["plan"]])) for n in ("plan", "plan_item_add", "plan_present", "plan_cancel")},
        **{f"clinic_records:{n}": (lambda: reverse(name, args=[ids["item"]])) for n in ("plan_item", "plan_item_drop")},
        **{f"clinic_records:{n}": (lambda: reverse(name, args=[ids["estimate"]])) for n in ("estimate", "estimate_paper")},
        "clinic_records:instalment_invoice": lambda: reverse(name, args=[ids["instalment"]]),
        "access_log:index_results": lambda: reverse(name),
    }.get(name, lambda: reverse(name, args=[pk]))()


def test_every_records_route_is_in_the_tables():
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, f"{pattern.namespace}:" if pattern.namespace else prefix)
            elif pattern.name:
                yield f"{prefix}{pattern.name}"

    names = {n for n in walk(get_resolver().url_patterns) if n.startswith(("clinic_records:", "access_log:"))}
    assert names == set(PAGES) | set(ACTIONS)


@pytest.mark.parametrize("name", list(PAGES))
def test_pages_by_role(ids, as_role, name):
    got = tuple(outcome(as_role(role).get(url_for(name, ids))) for role in ROLES)
    assert got == PAGES[name]


@pytest.mark.parametrize("name", list(ACTIONS))
def test_actions_by_role_and_a_refusal_changes_nothing(ids, as_role, name, clinic_a):
    got = []
    for role in ROLES:
        with clinic_context(clinic_a):
            before = (AccessLogEntry.objects.exclude(action="view").count(), list(ClinicalDocument.objects.values_list("shared_with_patient", flat=True)))
        data = {"shared": "0"} if name == "clinic_records:share_document" else {}
        result = outcome(as_role(role).post(url_for(name, ids), data))
        got.append(result)
        if result == NO:
            with clinic_context(clinic_a):
                after = (AccessLogEntry.objects.exclude(action="view").count(), list(ClinicalDocument.objects.values_list("shared_with_patient", flat=True)))
            assert after == before, role
    assert tuple(got) == ACTIONS[name]


def test_reception_sees_alerts_and_contact_but_no_clinical_content(records, as_role):
    page = text(as_role("reception").get(reverse("clinic_records:patient", args=[records["patient"].pk])))
    assert "alergias" in page and "anticoagulantes" in page and "paciente@sonrisa.example" in page
    for clinical in ("Antecedentes médicos", "Penicilina (urticaria", "Visitas", "Odontograma", "Radiografía panorámica", "Exportar historia"):
        assert clinical not in page, clinical


def test_the_agenda_shows_alerts_to_every_staff_role(records, as_role, clinic_a):
    from clinic.models import Appointment, Patient
    from tenants.demo_agenda import seed_agenda

    seed_agenda(clinic_a)
    with clinic_context(clinic_a):
        flagged = Patient.objects.filter(alerts__len__gt=0, appointments__isnull=False).distinct().first()
        appointment = Appointment.objects.filter(patient=flagged).order_by("start").first()
    for role in ("admin", "reception", "practitioner"):
        day = as_role(role).get(reverse("clinic_agenda:day") + f"?dia={appointment.start.date().isoformat()}&vista=lista")
        html = day.content.decode()
        assert 'class="agenda__alert"' in html, role
        page = as_role(role).get(reverse("clinic_agenda:appointment", args=[appointment.pk]))
        assert "record-alerts" in page.content.decode(), role
