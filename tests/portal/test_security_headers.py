"""Issue 8, item 16: a Content-Security-Policy and a Permissions-Policy on every platform
and clinic page, allowing Stripe.js and nothing else from outside."""

import re
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tenants.models import Plan, Signup

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def stripe_js_origin():
    parts = urlsplit(settings.STRIPE_JS_URL)
    return f"{parts.scheme}://{parts.netloc}"


def outside_origins(directives):
    """Every source that is not our own origin or a keyword: must be Stripe's."""
    found = set()
    for values in directives.values():
        for value in values:
            if value.startswith("'") or value in ("data:", "blob:"):
                continue
            found.add(value)
    return found


def login(client, email, password):
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == HTTPStatus.FOUND, response.content[:300]
    return client


def assert_strict_site_policy(response, path):
    assert response.status_code == HTTPStatus.OK, path
    directives = policy(response)
    assert directives["default-src"] == ["'self'"], path
    assert directives["object-src"] == ["'none'"], path
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"], path
    assert "'unsafe-inline'" not in directives["style-src"], path
    assert outside_origins(directives) <= {stripe_js_origin(), urlsplit(settings.STRIPE_API_BASE).scheme + "://" + urlsplit(settings.STRIPE_API_BASE).netloc}, path
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "usb=()"):
        assert feature in permissions, (path, permissions)
    assert re.search(r'payment=\(self "[^"]+"\)', permissions), permissions
    # Every inline <script> that runs and every inline <style> carries this request's nonce.
    body = response.content.decode()
    nonce = next((v[len("'nonce-"):-1] for v in directives["script-src"] + directives["style-src"] if v.startswith("'nonce-")), None)
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", body):
        if "src=" in tag or 'type="application/json"' in tag:
            continue
        assert nonce and f'nonce="{nonce}"' in tag, (path, tag)
    assert not re.search(r"\son[a-z]+=\"", body), (path, "inline event handler")
    return directives


PLATFORM_PAGES = ["/", "/precios/", "/alta/"]
CLINIC_PAGES = ["/", "/servicios/", "/reservar/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


@pytest.mark.parametrize("path", PLATFORM_PAGES)
def test_platform_pages_have_a_strict_policy(platform_client, path):
    assert_strict_site_policy(platform_client.get(path), path)


@pytest.mark.parametrize("path", CLINIC_PAGES)
def test_clinic_pages_have_a_strict_policy(client_a, path):
    directives = assert_strict_site_policy(client_a.get(path, follow=True), path)
    if path == "/":
        # The brand colours are an inline <style>: it runs only with the nonce.
        assert any(v.startswith("'nonce-") for v in directives["style-src"])


def test_a_patients_account_pages_have_a_strict_policy(client_a, password):
    login(client_a, "paciente@sonrisa.example", password)
    for path in ("/cuenta/", "/cuenta/citas/", "/cuenta/perfil/"):
        assert_strict_site_policy(client_a.get(path), path)


def test_the_signup_payment_page_allows_stripe_js_and_nothing_else(platform_client, stripe_api):
    response = platform_client.post("/alta/", {
        "clinic_name": "Clínica Cabecera", "slug": "cabecera", "contact_name": "Marta Gil", "email": "marta@cabecera.example",
        "phone": "+34 600 000 000", "country": "ES", "time_zone": "Europe/Madrid", "plan": Plan.objects.get(code="mensual").pk,
        "accept_terms": "on", "practice_type": "dental",
    })
    signup = Signup.objects.get(slug="cabecera")
    page = platform_client.get(response["Location"])
    directives = assert_strict_site_policy(page, "payment page")
    js = stripe_js_origin()
    assert settings.STRIPE_JS_URL in page.content.decode()
    assert js in directives["script-src"] and js in directives["frame-src"]
    assert urlsplit(settings.STRIPE_API_BASE).netloc in " ".join(directives["connect-src"])
    assert signup.pk


def test_the_admin_keeps_working_under_its_own_policy(client_a, password):
    login(client_a, "admin@sonrisa.example", password)
    for path in ("/admin/", "/admin/pages/", "/admin/documents/", "/admin/images/", "/admin/clinic/service/"):
        response = client_a.get(path, follow=True)
        assert response.status_code == HTTPStatus.OK, path
        directives = policy(response)
        # Wagtail writes inline scripts: allowed here, and no nonce (which would disable them).
        assert "'unsafe-inline'" in directives["script-src"], path
        assert not any(v.startswith("'nonce-") for v in directives["script-src"]), path
        assert outside_origins(directives) <= {stripe_js_origin(), f"{urlsplit(settings.STRIPE_API_BASE).scheme}://{urlsplit(settings.STRIPE_API_BASE).netloc}"}
        assert "camera=()" in response["Permissions-Policy"]
    # The clinic's billing page in the admin saves a card with Stripe.js.
    assert stripe_js_origin() in directives["script-src"] and stripe_js_origin() in directives["frame-src"]


def test_the_admin_login_redirect_and_errors_carry_the_headers(client_a, platform_client):
    for response in (client_a.get("/admin/"), client_a.get("/no-existe/"), platform_client.get("/no-existe/")):
        assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.NOT_FOUND)
        assert response["Content-Security-Policy"]
        assert response["Permissions-Policy"]


def test_operators_admin_on_the_platform_has_the_headers(platform_client):
    response = platform_client.get("/admin/login/")
    assert response.status_code == HTTPStatus.OK
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]


def test_production_allows_stripe_itself():
    from portal.security import content_security_policies, permissions_policy

    site, admin = content_security_policies("https://js.stripe.com/v3/", "")
    for directives in (site["DIRECTIVES"], admin["DIRECTIVES"]):
        assert "https://js.stripe.com" in directives["script-src"]
        assert "https://hooks.stripe.com" in directives["frame-src"]
        assert directives["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert permissions_policy("https://js.stripe.com/v3/")["payment"] == ["self", '"https://js.stripe.com"']


SITE_TEMPLATE_DIRS = ["theme/templates", "patients_portal/templates", "tenants/templates", "portal/templates"]


def test_no_site_template_has_inline_code_without_a_nonce():
    """Pages outside the admin run no inline code except nonce'd blocks: no event handler
    attributes, no style attributes, no <script>/<style> without ``request.csp_nonce``.
    E-mails are not pages and are left out."""
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    offenders = []
    for folder in SITE_TEMPLATE_DIRS:
        for template in (root / folder).rglob("*.html"):
            if "/email/" in template.as_posix():
                continue
            text = template.read_text()
            if re.search(r"\son[a-z]+=[\"']|\sstyle=[\"']|javascript:", text):
                offenders.append(f"{template.relative_to(root)}: inline handler or style attribute")
            for tag in re.findall(r"<(?:script|style)\b[^>]*>", text):
                if "src=" in tag or 'type="application/json"' in tag or "csp_nonce" in tag:
                    continue
                offenders.append(f"{template.relative_to(root)}: {tag}")
    assert offenders == []
