"""Issue 8, item 14: every page of the operators' admin on the platform host answers
without a 500, and models whose tables exist only in clinic schemas are not offered."""

from http import HTTPStatus

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.urls import NoReverseMatch, reverse

from portal.tenancy import public_context

pytestmark = pytest.mark.django_db
URLCONF = "portal.urls_public"


def _shared_labels():
    return {apps.get_app_config(name.rsplit(".", 1)[-1]).label for name in settings.SHARED_APPS if apps.is_installed(name)}


@pytest.fixture
def operator(platform_client, password):
    response = platform_client.post("/admin/login/", {"username": "operador@platform.example", "password": password})
    assert response.status_code == HTTPStatus.FOUND
    return platform_client


def test_only_models_with_tables_in_public_are_registered():
    shared = _shared_labels()
    registered = {model._meta.label for model in admin.site._registry}
    assert {label for label in registered if label.split(".")[0] not in shared} == set()
    for tenant_only in ("account.EmailAddress", "wagtailimages.Image", "wagtaildocs.Document", "taggit.Tag"):
        assert tenant_only not in registered


def _urls_for(model):
    info = (model._meta.app_label, model._meta.model_name)
    try:
        with public_context(), transaction.atomic():
            obj = model._default_manager.order_by("pk").first()
    except DatabaseError:  # a clinic-only table: its pages are still walked, without a row
        obj = None
    names = [("changelist", ()), ("add", ())]
    if obj is not None:
        names += [("change", (obj.pk,)), ("delete", (obj.pk,)), ("history", (obj.pk,))]
    for name, args in names:
        try:
            yield reverse("admin:%s_%s_%s" % (*info, name), args=args, urlconf=URLCONF)
        except NoReverseMatch:
            continue


def test_every_admin_page_answers_without_a_server_error(operator):
    failures = []
    pages = ["/admin/", "/admin/password_change/"] + [
        reverse("admin:app_list", args=[label], urlconf=URLCONF) for label in {m._meta.app_label for m in admin.site._registry}
    ]
    for model in list(admin.site._registry):
        pages += list(_urls_for(model))
    operator.raise_request_exception = False  # count every 500, not only the first
    for url in pages:
        savepoint = transaction.savepoint()  # a failed query must not poison the pages after it
        status = operator.get(url).status_code
        transaction.savepoint_rollback(savepoint)
        if status >= 500:
            failures.append((url, status))
    assert failures == [], f"{len(failures)} of {len(pages)} pages answered 5xx: {failures}"
    assert len(pages) > 10


def test_tenant_only_admin_pages_are_not_found(operator):
    for url in ("/admin/account/emailaddress/", "/admin/wagtailimages/image/", "/admin/wagtaildocs/document/", "/admin/taggit/tag/"):
        assert operator.get(url).status_code == HTTPStatus.NOT_FOUND, url


def test_an_operator_deletes_a_platform_user(operator):
    User = get_user_model()
    with public_context():
        leaver = User.objects.create_user(email="leaver@platform.example", password="Irrelevant-2026-x")
    url = reverse("admin:portal_user_delete", args=[leaver.pk], urlconf=URLCONF)
    assert operator.get(url).status_code == HTTPStatus.OK
    response = operator.post(url, {"post": "yes"})
    assert response.status_code == HTTPStatus.FOUND
    with public_context():
        assert not User.objects.filter(pk=leaver.pk).exists()


def test_an_operator_bulk_deletes_platform_users(operator):
    User = get_user_model()
    with public_context():
        ids = [User.objects.create_user(email=f"bulk{i}@platform.example", password="Irrelevant-2026-x").pk for i in range(2)]
    changelist = reverse("admin:portal_user_changelist", urlconf=URLCONF)
    confirm = operator.post(changelist, {"action": "delete_selected", "_selected_action": ids})
    assert confirm.status_code == HTTPStatus.OK
    done = operator.post(changelist, {"action": "delete_selected", "_selected_action": ids, "post": "yes"})
    assert done.status_code == HTTPStatus.FOUND
    with public_context():
        assert not User.objects.filter(pk__in=ids).exists()
