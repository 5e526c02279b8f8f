from http import HTTPStatus

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_renders_for_the_admin(records, as_role, clinic_a):
    from clinic.records.models import ClinicalDocument, OdontogramVersion, Visit
    from portal.tenancy import clinic_context

    patient = records["patient"]
    with clinic_context(clinic_a):
        visit = Visit.objects.filter(patient=patient).first()
        version = OdontogramVersion.objects.filter(patient=patient).last()
        document = ClinicalDocument.objects.filter(patient=patient).first()
    client = as_role("admin")
    for url in [reverse("clinic_records:directory"), reverse("clinic_records:directory") + "?q=garcia", reverse("clinic_records:patient", args=[patient.pk]),
                reverse("clinic_records:history", args=[patient.pk]), reverse("clinic_records:visits", args=[patient.pk]),
                reverse("clinic_records:new_visit", args=[patient.pk]), reverse("clinic_records:visit", args=[visit.pk]),
                reverse("clinic_records:odontogram", args=[patient.pk]), reverse("clinic_records:odontogram_version", args=[patient.pk, version.pk]),
                reverse("clinic_records:upload", args=[patient.pk]), reverse("clinic_records:merge", args=[patient.pk]),
                reverse("clinic_records:log", args=[patient.pk]), reverse("access_log:index"),
                reverse("clinic_records:document", args=[document.pk]), reverse("clinic_records:export", args=[patient.pk, "json"]),
                reverse("clinic_records:export", args=[patient.pk, "pdf"])]:
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, (url, response.status_code, response.content[:3000])
