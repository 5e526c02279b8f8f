"""Issue 8, item 9: nothing private is reachable under /media/.

Documents live in a private root outside MEDIA_ROOT and are served only by Wagtail's
document view, which checks the collection's privacy; /media/ serves website images
of the clinic on its own host and nothing else. Uploads of documents are limited in
size and checked by content, not by extension.
"""

import io
import os
from http import HTTPStatus
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, CollectionViewRestriction

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The smallest valid PNG: 1x1 pixel, grey.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c63600000000200015e2a2bfc0000000049454e44ae426082"
)


def login(client, email, password):
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == HTTPStatus.FOUND, response.content[:300]
    return client


@pytest.fixture
def private_document(clinic_a, in_clinic):
    """A PDF in a login-restricted collection of clinic A; its file is removed afterwards."""
    Document = get_document_model()
    with in_clinic(clinic_a):
        collection = Collection.get_first_root_node().add_child(name="Historias clínicas")
        CollectionViewRestriction.objects.create(collection=collection, restriction_type=CollectionViewRestriction.LOGIN)
        document = Document(title="Historia de Pablo", collection=collection)
        document.file.save("historia-pablo.pdf", ContentFile(PDF), save=False)
        document.save()
        path = document.file.path
    yield document
    if os.path.exists(path):
        os.remove(path)


@pytest.fixture
def website_image(clinic_a, in_clinic):
    Image = get_image_model()
    with in_clinic(clinic_a):
        image = Image(title="Fachada", file=ImageFile(io.BytesIO(PNG), name="fachada.png"))
        image.save()
        rendition = image.get_rendition("fill-10x10")  # what pages show: images/…
        paths, urls = [image.file.path, rendition.file.path], [image.file.url, rendition.url]
    yield urls
    for path in paths:
        if os.path.exists(path):
            os.remove(path)


def test_documents_are_stored_outside_the_media_root(private_document, clinic_a, in_clinic):
    with in_clinic(clinic_a):
        path = os.path.realpath(private_document.file.path)
    assert not path.startswith(os.path.realpath(settings.MEDIA_ROOT) + os.sep)
    assert path.startswith(os.path.join(os.path.realpath(settings.PRIVATE_MEDIA_ROOT), clinic_a.schema_name) + os.sep)
    with in_clinic(clinic_a), pytest.raises(NotImplementedError):
        private_document.file.url  # noqa: B018  (a private file has no public address)


def test_a_private_document_is_not_served_at_any_media_url(private_document, clinic_a, clinic_b, client_a, client_b):
    name = private_document.file.name  # documents/historia-pablo.pdf
    filename = name.rsplit("/", 1)[1]
    a, b = clinic_a.schema_name, clinic_b.schema_name
    candidates = [
        f"/media/{a}/{name}",
        f"/media/{a}/documents/{quote(filename)}",
        f"/media/{a}/{quote(name, safe='')}",  # documents%2Fhistoria-pablo.pdf
        f"/media/{a}/documents%2F{filename}",
        f"/media/{a}/images/../{name}",
        f"/media/{a}/images/%2e%2e/{name}",
        f"/media/{a}/./{name}",
        f"/media/{a}//{name}",
        f"/media/{a}/original_images/../../{a}/{name}",
        f"/media/{b}/{name}",
        f"/media/{b}/../{a}/{name}",
        f"/media/public/{name}",
        f"/media/{a.upper()}/{name}",
        f"/media/{a}/../../private/{a}/{name}",
    ]
    for url in candidates:
        for client in (client_a, client_b):
            response = client.get(url)
            assert response.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.FORBIDDEN, HTTPStatus.BAD_REQUEST), url
            assert PDF not in b"".join(getattr(response, "streaming_content", [response.content])), url


def test_a_private_document_is_served_by_the_document_view_only_to_an_allowed_user(
    private_document, client_a, client_b, password
):
    url = private_document.url
    assert url.startswith("/documents/")
    anonymous = client_a.get(url)
    assert anonymous.status_code == HTTPStatus.FOUND and anonymous["Location"].startswith("/accounts/login/?next=")
    assert client_b.get(url).status_code == HTTPStatus.NOT_FOUND  # no such document at clinic B
    # "Logged-in users" means the clinic's staff: anyone can sign up as a patient.
    login(client_a, "paciente@sonrisa.example", password)
    assert client_a.get(url).status_code == HTTPStatus.FORBIDDEN
    client_a.logout()
    login(client_a, "recepcion@sonrisa.example", password)
    allowed = client_a.get(url)
    assert allowed.status_code == HTTPStatus.OK
    assert b"".join(allowed.streaming_content) == PDF
    assert allowed["Content-Security-Policy"] == "default-src 'none'"


def test_a_website_image_is_public_on_its_own_clinic_host_only(website_image, clinic_a, clinic_b, client_a, client_b):
    original, rendition = website_image
    assert original.startswith(f"/media/{clinic_a.schema_name}/original_images/")
    assert rendition.startswith(f"/media/{clinic_a.schema_name}/images/")
    response = client_a.get(original)
    assert response.status_code == HTTPStatus.OK
    assert b"".join(response.streaming_content) == PNG
    assert client_a.get(rendition).status_code == HTTPStatus.OK
    for url in (original, rendition):
        assert client_b.get(url).status_code == HTTPStatus.NOT_FOUND
        assert client_b.get(url.replace(clinic_a.schema_name, clinic_b.schema_name)).status_code == HTTPStatus.NOT_FOUND


def test_other_uploads_are_private_by_default(clinic_a, client_a, in_clinic):
    """Anything that is not a website image (a future upload field, Wagtail's temporary
    uploads) lands in the private root and is not served under /media/."""
    from django.core.files.storage import default_storage

    with in_clinic(clinic_a):
        name = default_storage.save("wagtail_uploads/notas.txt", ContentFile(b"secreto"))
        path = default_storage.path(name)
    try:
        assert not os.path.realpath(path).startswith(os.path.realpath(settings.MEDIA_ROOT) + os.sep)
        assert client_a.get(f"/media/{clinic_a.schema_name}/{name}").status_code == HTTPStatus.NOT_FOUND
    finally:
        os.remove(path)


def test_documents_left_under_the_media_root_move_to_the_private_root(clinic_a, client_a, tmp_path, settings):
    """Documents uploaded before this change lived under MEDIA_ROOT/<schema>/documents/:
    `manage.py move_private_uploads` (run by `release` and `make dev`) moves them."""
    from django.core.management import call_command

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    old = tmp_path / "media" / clinic_a.schema_name / "documents" / "antiguo.pdf"
    image = tmp_path / "media" / clinic_a.schema_name / "original_images" / "logo.png"
    for path, data in ((old, PDF), (image, PNG)):
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
    call_command("move_private_uploads", stdout=io.StringIO())
    call_command("move_private_uploads", stdout=io.StringIO())  # idempotent
    assert not old.exists()
    assert (tmp_path / "private" / clinic_a.schema_name / "documents" / "antiguo.pdf").read_bytes() == PDF
    assert image.read_bytes() == PNG  # images stay public
    assert client_a.get(f"/media/{clinic_a.schema_name}/documents/antiguo.pdf").status_code == HTTPStatus.NOT_FOUND


def test_private_root_inside_the_media_root_is_refused(settings):
    from portal.checks import check_private_media_root

    settings.PRIVATE_MEDIA_ROOT = os.path.join(settings.MEDIA_ROOT, "private")
    assert [error.id for error in check_private_media_root(None)] == ["portal.E001"]
    settings.PRIVATE_MEDIA_ROOT = settings.MEDIA_ROOT
    assert [error.id for error in check_private_media_root(None)] == ["portal.E001"]


def _upload(client, name, data, content_type="application/pdf"):
    with translation.override("en"):
        return client.post(
            "/admin/documents/add/",
            {"title": name, "file": SimpleUploadedFile(name, data, content_type=content_type), "collection": Collection.get_first_root_node().pk},
            HTTP_ACCEPT_LANGUAGE="en",
        )


@pytest.fixture
def staff_a(client_a, password):
    login(client_a, "admin@sonrisa.example", password)
    client_a.cookies["django_language"] = "en"
    return client_a


def _documents(clinic, in_clinic):
    with in_clinic(clinic):
        return list(get_document_model().objects.values_list("title", flat=True))


def test_a_real_pdf_upload_is_accepted(staff_a, clinic_a, in_clinic):
    with in_clinic(clinic_a):
        response = _upload(staff_a, "consentimiento.pdf", PDF)
    assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:2000]
    assert "consentimiento.pdf" in _documents(clinic_a, in_clinic)
    with in_clinic(clinic_a):
        document = get_document_model().objects.get(title="consentimiento.pdf")
        path = document.file.path
    try:
        assert not os.path.realpath(path).startswith(os.path.realpath(settings.MEDIA_ROOT) + os.sep)
        # The admin shows it (edit page, listing) and serves it through the checked view.
        assert staff_a.get(f"/admin/documents/edit/{document.pk}/").status_code == HTTPStatus.OK
        assert "consentimiento.pdf" in staff_a.get("/admin/documents/").content.decode()
        assert b"".join(staff_a.get(document.url).streaming_content) == PDF
    finally:
        os.remove(path)


@pytest.mark.parametrize(
    "name, data",
    [
        ("factura.pdf", b"<html><script>alert(1)</script></html>"),  # not a PDF at all
        ("radiografia.png", PDF),  # a PDF named .png
        ("informe.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),  # a Windows program
        ("vacio.pdf", b""),
    ],
)
def test_a_disguised_upload_is_refused_with_a_message(staff_a, clinic_a, in_clinic, name, data):
    with in_clinic(clinic_a):
        response = _upload(staff_a, name, data)
    assert response.status_code == HTTPStatus.OK
    text = response.content.decode()
    assert "does not match its extension" in text or "The submitted file is empty" in text
    assert name not in _documents(clinic_a, in_clinic)


def test_an_oversize_upload_is_refused_with_a_message(staff_a, clinic_a, in_clinic, settings):
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 1024
    with in_clinic(clinic_a):
        response = _upload(staff_a, "grande.pdf", PDF + b"0" * 2048)
    assert response.status_code == HTTPStatus.OK
    assert "This file is too big" in response.content.decode()
    assert "grande.pdf" not in _documents(clinic_a, in_clinic)


def test_documents_have_an_upload_limit():
    assert settings.WAGTAILDOCS_MAX_UPLOAD_SIZE == 20 * 1024 * 1024
    assert settings.WAGTAILDOCS_SERVE_METHOD == "serve_view"


def test_a_staff_only_document_is_refused_to_a_signed_in_patient(clinic_a, client_a, in_clinic, password, host_client):
    """A collection restricted to the clinic-admin group: the patient, signed in, is not
    served; the clinic admin is."""
    from django.contrib.auth.models import Group

    from clinic.roles import Role

    Document = get_document_model()
    with in_clinic(clinic_a):
        collection = Collection.get_first_root_node().add_child(name="Solo administración")
        restriction = CollectionViewRestriction.objects.create(collection=collection, restriction_type=CollectionViewRestriction.GROUPS)
        restriction.groups.set(Group.objects.filter(name=Role.CLINIC_ADMIN.value))
        assert restriction.groups.exists()
        document = Document(title="Nóminas", collection=collection)
        document.file.save("nominas.pdf", ContentFile(PDF), save=False)
        document.save()
        path, url = document.file.path, document.url
    try:
        patient = login(client_a, "paciente@sonrisa.example", password)
        refused = patient.get(url)
        assert refused.status_code != HTTPStatus.OK
        assert PDF not in b"".join(getattr(refused, "streaming_content", [refused.content]))
        admin = login(host_client(clinic_a.primary_host), "admin@sonrisa.example", password)
        allowed = admin.get(url)
        assert allowed.status_code == HTTPStatus.OK and b"".join(allowed.streaming_content) == PDF
    finally:
        os.remove(path)


def test_the_storage_routes_by_the_top_folder():
    from portal.storage import is_public_name

    assert is_public_name("original_images/logo.png") and is_public_name("images/logo.max-800x600.png")
    assert is_public_name("avatar_images/avatar_1.png")
    for name in ("documents/x.pdf", "x.png", "images", "images/", "./images/x.png", "images/../documents/x.pdf",
                 "images//x.png", "/images/x.png", "../images/x.png", "images\\..\\documents\\x.pdf", "IMAGES/x.png", ""):
        assert not is_public_name(name), name


def test_the_multiple_uploader_refuses_a_disguised_file_too(staff_a, clinic_a, in_clinic):
    with in_clinic(clinic_a):
        root = Collection.get_first_root_node().pk
    response = staff_a.post(
        "/admin/documents/multiple/add/",
        {"files[]": SimpleUploadedFile("analitica.pdf", b"<svg onload=alert(1)>", content_type="application/pdf"), "collection": root},
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert data["success"] is False and "does not match its extension" in data["error_message"]
    assert "analitica.pdf" not in _documents(clinic_a, in_clinic)


def test_a_disguised_upload_gets_one_message_not_an_empty_extension_too(staff_a, clinic_a, in_clinic):
    """Found on make dev: under the content message the form also said 'File extension “” is
    not allowed' (Wagtail's model check ran on the refused, hence empty, file)."""
    with in_clinic(clinic_a):
        response = _upload(staff_a, "factura.pdf", b"<html><script>alert(1)</script></html>")
    text = response.content.decode()
    assert "does not match its extension (.pdf)" in text
    assert "is not allowed" not in text
