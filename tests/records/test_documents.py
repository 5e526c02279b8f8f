"""Issue 10, item 4: private documents. Kept outside the public media folder, served only
through a view that checks the user; type by content, a per-clinic size limit; shared
ones reach the patient's portal; nothing reaches another patient or another clinic."""

import io
import os
from http import HTTPStatus
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clinic.records.models import AccessLogEntry, ClinicalDocument
from portal.tenancy import clinic_context
from tenants.models import Clinic
from tests.helpers import text
from tests.records.conftest import refused

pytestmark = pytest.mark.django_db


def png_bytes(size=(8, 8)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def upload(client, patient, name, content, **extra):
    data = {"kind": "xray", "title": "Radiografía de aleta", "file": SimpleUploadedFile(name, content), **extra}
    return client.post(reverse("clinic_records:upload", args=[patient.pk]), data, HTTP_ACCEPT_LANGUAGE="es")


def test_an_upload_lands_in_private_storage_and_only_the_checked_view_serves_it(records, as_role, clinic_a, host_client):
    patient = records["other"]
    response = upload(as_role("practitioner"), patient, "aleta.png", png_bytes(), shared_with_patient="on")
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        document = ClinicalDocument.objects.get(patient=patient, title="Radiografía de aleta")
        assert AccessLogEntry.objects.filter(patient=patient, action="create", area="document", detail="Radiografía de aleta").exists()
    path = Path(document.file.path)
    assert str(path).startswith(os.path.join(settings.PRIVATE_MEDIA_ROOT, clinic_a.schema_name, "records"))
    assert not str(path).startswith(str(settings.MEDIA_ROOT))
    assert "aleta" not in path.name and "García" not in str(path)  # a random name, never the patient's or the file's
    assert document.content_type == "image/png" and document.size == len(png_bytes())
    # No URL reaches the file outside the view: the media route, with every spelling of the path.
    anonymous = host_client(clinic_a.primary_host)
    for url in (f"/media/{clinic_a.schema_name}/{document.file.name}", f"/media/{document.file.name}", f"/private-media/{clinic_a.schema_name}/{document.file.name}",
                f"/media/{clinic_a.schema_name}/../../private-media/{clinic_a.schema_name}/{document.file.name}"):
        assert anonymous.get(url).status_code == HTTPStatus.NOT_FOUND, url
        assert as_role("admin").get(url).status_code == HTTPStatus.NOT_FOUND, url
    served = as_role("admin").get(reverse("clinic_records:document", args=[document.pk]))
    assert served.status_code == HTTPStatus.OK and b"".join(served.streaming_content) == png_bytes()
    assert served["X-Content-Type-Options"] == "nosniff" and "attachment" in served["Content-Disposition"]
    assert "sandbox" in served["Content-Security-Policy"] and "no-store" in served["Cache-Control"]
    assert refused(anonymous.get(reverse("clinic_records:document", args=[document.pk])))


@pytest.mark.parametrize("name, content", [
    ("informe.pdf", b"<html><script>alert(1)</script></html>"),  # an HTML page named .pdf
    ("foto.png", b"%PDF-1.4 not a png"),  # a PDF named .png
    ("programa.exe", b"MZ\x90\x00"),
    ("notas.txt", b"plain text"),
    ("vacio.pdf", b""),
    ("foto.jpg", png_bytes()),  # a PNG named .jpg
])
def test_files_are_typed_by_content_and_refusals_store_nothing(records, as_role, clinic_a, name, content):
    patient = records["other"]
    with clinic_context(clinic_a):
        before = ClinicalDocument.objects.count()
    response = upload(as_role("practitioner"), patient, name, content)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    words = text(response)
    assert ("no corresponde a su extensión" in words or "Solo se pueden añadir a una historia archivos PDF, PNG y JPEG." in words
            or "El fichero enviado está vacío." in words), words[-400:]
    with clinic_context(clinic_a):
        assert ClinicalDocument.objects.count() == before


def test_the_clinic_size_limit_is_enforced(records, as_role, clinic_a):
    Clinic.objects.filter(pk=clinic_a.pk).update(document_limit_mb=1)
    big = png_bytes() + b"\x00" * (1024 * 1024 + 10)  # a PNG header, over 1 MB
    response = upload(as_role("practitioner"), records["other"], "grande.png", big)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "El archivo ocupa más de 1 MB, el límite de esta clínica." in text(response)


def test_reception_sees_and_adds_administrative_documents_only(records, as_role, clinic_a):
    patient = records["patient"]
    client = as_role("reception")
    page = text(client.get(reverse("clinic_records:patient", args=[patient.pk])))
    assert "Consentimiento informado" in page  # administrative
    assert "Radiografía panorámica" not in page  # clinical
    with clinic_context(clinic_a):
        xray = ClinicalDocument.objects.get(patient=patient, kind="xray")
        consent = ClinicalDocument.objects.get(patient=patient, kind="consent")
    assert client.get(reverse("clinic_records:document", args=[xray.pk])).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("clinic_records:document", args=[consent.pk])).status_code == HTTPStatus.OK
    # What reception uploads is administrative and never shared, whatever the form said.
    pdf = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    response = client.post(reverse("clinic_records:upload", args=[patient.pk]),
                           {"kind": "consent", "title": "Consentimiento firmado", "file": SimpleUploadedFile("c.pdf", pdf), "shared_with_patient": "on"})
    assert response.status_code == HTTPStatus.FOUND
    with clinic_context(clinic_a):
        document = ClinicalDocument.objects.get(title="Consentimiento firmado")
        assert document.administrative and not document.shared_with_patient


def test_patients_get_shared_documents_and_nothing_else(records, as_role, clinic_a, host_client, password):
    patient = records["patient"]
    with clinic_context(clinic_a):
        shared = ClinicalDocument.objects.get(patient=patient, shared_with_patient=True)
        unshared = ClinicalDocument.objects.get(patient=patient, shared_with_patient=False)
        others = list(ClinicalDocument.objects.exclude(patient=patient).values_list("pk", flat=True))
    client = as_role("patient")
    assert client.get(reverse("patients_portal:document", args=[shared.pk])).status_code == HTTPStatus.OK
    assert client.get(reverse("patients_portal:document", args=[unshared.pk])).status_code == HTTPStatus.NOT_FOUND
    for pk in others:
        assert client.get(reverse("patients_portal:document", args=[pk])).status_code == HTTPStatus.NOT_FOUND
    # The staff route is not theirs either.
    assert refused(client.get(reverse("clinic_records:document", args=[shared.pk])))
    with clinic_context(clinic_a):
        assert AccessLogEntry.objects.filter(patient=patient, action="download", area="document", user__email="paciente@sonrisa.example").exists()


def test_another_clinics_staff_cannot_reach_a_document_by_its_id(records, clinic_a, clinic_b, host_client, password):
    with clinic_context(clinic_a):
        document = ClinicalDocument.objects.filter(patient=records["patient"]).first()
        content = document.file.open("rb").read()
    other = host_client(clinic_b.primary_host)
    assert other.post("/accounts/login/", {"login": "admin@alamos.example", "password": password}).status_code == HTTPStatus.FOUND
    response = other.get(reverse("clinic_records:document", args=[document.pk]))
    if response.status_code == HTTPStatus.OK:  # the same id may exist there: it is then that clinic's own file
        assert b"".join(response.streaming_content) != content
    else:
        assert response.status_code == HTTPStatus.NOT_FOUND
    # Clinic A's session cookie is worthless at clinic B.
    a_client = host_client(clinic_a.primary_host)
    a_client.post("/accounts/login/", {"login": "admin@sonrisa.example", "password": password})
    stolen = host_client(clinic_b.primary_host)
    stolen.cookies = a_client.cookies
    assert refused(stolen.get(reverse("clinic_records:document", args=[document.pk])))


def test_sharing_a_document_is_audited_and_reaches_the_portal(records, as_role, clinic_a):
    patient = records["patient"]
    with clinic_context(clinic_a):
        consent = ClinicalDocument.objects.get(patient=patient, kind="consent")
    assert as_role("practitioner").post(reverse("clinic_records:share_document", args=[consent.pk]), {"shared": "1"}).status_code == HTTPStatus.FOUND
    assert "Consentimiento informado" in text(as_role("patient").get(reverse("patients_portal:history")))
    assert refused(as_role("reception").post(reverse("clinic_records:share_document", args=[consent.pk]), {"shared": "0"}))
    with clinic_context(clinic_a):
        consent.refresh_from_db()
        assert consent.shared_with_patient
