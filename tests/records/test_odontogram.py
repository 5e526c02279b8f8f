"""Issue 10, item 3: the odontogram is validated structured data (FDI teeth, five surfaces,
known states), every save is a new dated version by its author, and any version can be
compared with the current one."""

import json
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from clinic.actions.base import ActionError
from clinic.records.actions import SaveOdontogram
from clinic.records.models import AccessLogEntry, OdontogramVersion
from clinic.records.odontogram import PERMANENT, PRIMARY, TEETH, compare, validate_chart
from portal.tenancy import clinic_context
from tests.helpers import text

pytestmark = pytest.mark.django_db


def test_the_notation_is_fdi_permanent_and_primary():
    assert len(PERMANENT) == 32 and len(PRIMARY) == 20
    assert {"11", "18", "48", "51", "55", "85"} <= TEETH
    assert not {"10", "19", "49", "56", "86", "90", "0"} & TEETH


@pytest.mark.parametrize("chart, message", [
    ([], "must be a list of teeth"),
    ("16", "must be a list of teeth"),
    (None, "must be a list of teeth"),
    ({"19": {"state": "crown"}}, "not a tooth in FDI notation"),
    ({"99": {"state": "crown"}}, "not a tooth in FDI notation"),
    ({"56": {"state": "crown"}}, "not a tooth in FDI notation"),
    ({"16": {"state": "rotten"}}, "not a tooth state"),
    ({"16": {"state": "healthy", "surfaces": {"X": "caries"}}}, "not a surface"),
    ({"16": {"state": "healthy", "surfaces": {"O": "crown"}}}, "not a surface state"),
    ({"16": {"state": "healthy", "surfaces": ["O"]}}, "unexpected data"),
    ({"16": {"state": "healthy", "colour": "red"}}, "unexpected data"),
    ({"16": "caries"}, "unexpected data"),
    ({"16": {"state": "healthy", "note": "x" * 201}}, "at most 200 characters"),
    ({"16": {"state": "healthy", "note": "a\x00b"}}, "at most 200 characters"),
    ({"16": {"state": "missing", "surfaces": {"O": "caries"}}}, "has no surfaces to mark"),
])
def test_invalid_charts_are_refused_with_a_message(chart, message, english):
    with pytest.raises(ValidationError) as error:
        validate_chart(chart)
    assert message in error.value.messages[0]


def test_a_valid_chart_is_normalised():
    chart = validate_chart({"46": {"state": "healthy", "surfaces": {"O": "caries", "D": "", "M": "filled"}}, "11": {"state": "healthy"},
                            "18": {"state": "extracted", "note": "  2019 "}})
    assert chart == {"18": {"state": "extracted", "note": "2019"}, "46": {"state": "healthy", "surfaces": {"M": "filled", "O": "caries"}}}
    assert list(chart) == ["18", "46"]  # FDI order, plain healthy teeth dropped


def test_compare_lists_the_teeth_that_differ():
    old = {"46": {"state": "healthy", "surfaces": {"O": "caries"}}, "18": {"state": "extracted"}}
    new = {"46": {"state": "healthy", "surfaces": {"O": "filled"}}, "18": {"state": "extracted"}, "11": {"state": "crown"}}
    assert [(c.tooth, c.before, c.after) for c in compare(old, new)] == [
        ("11", {}, {"state": "crown"}), ("46", {"state": "healthy", "surfaces": {"O": "caries"}}, {"state": "healthy", "surfaces": {"O": "filled"}})]


@pytest.fixture
def lucia_and_patient(records, clinic_a):
    from portal.models import User

    with clinic_context(clinic_a):
        return User.objects.get(email="lucia.fernandez@sonrisa.example"), records["other"]


def test_every_save_is_a_new_version_by_its_author_and_unchanged_saves_are_refused(clinic_a, lucia_and_patient, english):
    lucia, patient = lucia_and_patient
    with clinic_context(clinic_a):
        before = OdontogramVersion.objects.filter(patient=patient).count()
        first = SaveOdontogram(patient, chart={"46": {"state": "healthy", "surfaces": {"O": "caries"}}}, actor=lucia).execute()
        second = SaveOdontogram(patient, chart={"46": {"state": "healthy", "surfaces": {"O": "filled"}}}, note="Obturación", actor=lucia).execute()
        with pytest.raises(ActionError, match="Nothing changed"):
            SaveOdontogram(patient, chart={"46": {"state": "healthy", "surfaces": {"O": "filled"}}}, actor=lucia).execute()
        with pytest.raises(ActionError, match="not a tooth"):
            SaveOdontogram(patient, chart={"19": {"state": "crown"}}, actor=lucia).execute()
        assert OdontogramVersion.objects.filter(patient=patient).count() == before + 2
        first.refresh_from_db()
        assert first.chart == {"46": {"state": "healthy", "surfaces": {"O": "caries"}}}  # the old version is untouched
        assert second.author == lucia and second.created <= timezone.now()
        entry = ModelLogEntry.objects.get(action="records.odontogram.save", object_id=str(second.pk))
        assert entry.user == lucia and entry.data["teeth"] == ["46"]
        assert AccessLogEntry.objects.filter(patient=patient, user=lucia, area="odontogram", action="change").count() == 2


def test_the_editor_saves_two_surfaces_posted_as_a_chart(records, as_role, clinic_a):
    patient = records["other"]
    client = as_role("practitioner")
    url = reverse("clinic_records:odontogram", args=[patient.pk])
    with clinic_context(clinic_a):
        current = OdontogramVersion.objects.filter(patient=patient).first().chart
    chart = {**current, "16": {"state": "healthy", "surfaces": {"O": "caries", "M": "caries"}}}
    response = client.post(url, {"tooth": "16", "state": "healthy", "chart": json.dumps(chart), "version_note": "Caries en 16"})
    assert response.status_code == HTTPStatus.FOUND
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert "16 healthy; mesial: caries; occlusal / incisal: caries" in text(page)  # the text table
    assert 'aria-label="Tooth 16, mesial: caries"' in page.content.decode()  # the chart
    with clinic_context(clinic_a):
        latest = OdontogramVersion.objects.filter(patient=patient).first()
        assert latest.chart["16"] == {"state": "healthy", "surfaces": {"M": "caries", "O": "caries"}}
        assert latest.note == "Caries en 16"


def test_the_form_without_script_edits_one_tooth(records, as_role, clinic_a):
    patient = records["other"]
    client = as_role("practitioner")
    url = reverse("clinic_records:odontogram", args=[patient.pk])
    response = client.post(url, {"tooth": "21", "state": "crown", "surface_M": "", "note": "Corona de zirconio"})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        latest = OdontogramVersion.objects.filter(patient=patient).first()
        assert latest.chart["21"] == {"state": "crown", "note": "Corona de zirconio"}
        assert latest.chart["46"]  # the rest of the chart is kept


@pytest.mark.parametrize("posted", ["[]", '"16"', "null", "{not json", '{"19": {"state": "crown"}}', '{"16": {"state": "healthy", "surfaces": {"Q": "caries"}}}'])
def test_bad_charts_from_the_browser_change_nothing(records, as_role, clinic_a, posted):
    patient = records["other"]
    client = as_role("practitioner")
    with clinic_context(clinic_a):
        before = OdontogramVersion.objects.filter(patient=patient).count()
    response = client.post(reverse("clinic_records:odontogram", args=[patient.pk]), {"tooth": "16", "state": "healthy", "chart": posted},
                           HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert ("El odontograma debe ser una lista de dientes" in text(response) or "no es un diente" in text(response)
            or "no es una superficie" in text(response))
    with clinic_context(clinic_a):
        assert OdontogramVersion.objects.filter(patient=patient).count() == before


def test_a_version_is_drawn_and_compared_with_the_current_one(records, as_role, clinic_a):
    patient = records["patient"]
    with clinic_context(clinic_a):
        oldest = OdontogramVersion.objects.filter(patient=patient).last()
    page = as_role("practitioner").get(reverse("clinic_records:odontogram_version", args=[patient.pk, oldest.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == HTTPStatus.OK
    words = text(page)
    assert "Compared with the current version" in words
    # 46 had caries on O and D in the first version; now both are filled.
    assert "46 healthy; distal: caries; occlusal / incisal: caries healthy; distal: filled; occlusal / incisal: filled" in words
    assert 'class="odontogram__tooth is-changed state-healthy" data-tooth="46"' in page.content.decode()


def test_the_chart_is_keyboard_operable_and_has_a_text_equivalent(records, as_role):
    page = as_role("practitioner").get(reverse("clinic_records:odontogram", args=[records["patient"].pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert html.count('role="button"') == 52 * 6  # five surfaces and the number of every tooth
    assert 'aria-label="Tooth 46, distal: filled"' in html
    assert "The chart in words" in html and "root canal; “Endodoncia 2023”" in text(page)


def test_a_version_of_another_patient_is_not_found(records, as_role, clinic_a):
    with clinic_context(clinic_a):
        theirs = OdontogramVersion.objects.filter(patient=records["patient"]).first()
    response = as_role("admin").get(reverse("clinic_records:odontogram_version", args=[records["other"].pk, theirs.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
