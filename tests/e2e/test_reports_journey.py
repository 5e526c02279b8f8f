"""Issue 12: the clinic owner's week in a real browser. The clinic admin opens the
dashboard and reads the revenue chart, opens the report for this month and downloads it
as CSV and PDF, then opens the bell and finds the low-stock notice and marks it read.
Screenshots in tests/artifacts/reports-*.png (desktop in English, phone in Spanish)."""

import re
from decimal import Decimal

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

SUPPLY = "Guantes de nitrilo (recorrido)"


@pytest.fixture(scope="module")
def owner_week(django_db_blocker):
    """Committed set-up in the dental clinic: a card payment received today and a supply
    under its minimum. Both removed afterwards."""
    from django.utils import timezone

    from clinic.inventory.actions import ReceiveStock
    from clinic.inventory.models import Supply
    from clinic.models import Patient, PatientPayment
    from portal.models import User
    from portal.tenancy import clinic_context, clinic_zone, public_context
    from tenants.models import Clinic

    with django_db_blocker.unblock():
        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            purge(clinic)
            patient = Patient.objects.create(first_name="Rocío", last_name="Recorrido Informes")
            PatientPayment.objects.create(patient=patient, amount=Decimal("250.00"), currency="EUR", method=PatientPayment.Method.CARD,
                                          received_at=timezone.now())
            supply = Supply.objects.create(name=SUPPLY, unit=Supply.Unit.BOX, minimum=Decimal("5"), cost_price=Decimal("7.50"))
            ReceiveStock(supply, quantity=Decimal("2"), actor=User.objects.get(email="admin@sonrisa.example")).execute()
            month = timezone.localdate(timezone=clinic_zone()).replace(day=1)
    yield {"host": clinic.primary_host.split(":")[0], "supply_pk": supply.pk, "month": month}
    with django_db_blocker.unblock(), clinic_context(clinic):
        purge(clinic)


def purge(clinic):
    from wagtail.models import ModelLogEntry

    from tests.helpers import triggers_off

    from clinic import notices
    from clinic.inventory.models import StockMovement, Supply
    from clinic.models import NoticeRead, Patient, PatientPayment
    from portal.models import User

    supplies = Supply.objects.filter(name=SUPPLY)
    with triggers_off("inventory_stockmovement"):  # the ledger is append-only: the test's own rows only
        StockMovement.objects.filter(supply__in=supplies).delete()
    ModelLogEntry.objects.filter(object_id__in=[str(pk) for pk in supplies.values_list("pk", flat=True)], action__startswith="inventory.").delete()
    for pk in supplies.values_list("pk", flat=True):
        NoticeRead.objects.filter(key__startswith=f"low-stock:{pk}:").delete()
    supplies.delete()
    notices.forget_count(User.objects.get(email="admin@sonrisa.example"))  # the bell's cached count, in the shared cache
    PatientPayment.objects.filter(patient__last_name="Recorrido Informes").delete()
    Patient.objects.filter(last_name="Recorrido Informes").delete()


def sign_in(browser, site, *, locale="en-US", language="en", viewport=(1280, 900)):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale=locale, accept_downloads=True,
                                  extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    page.goto(site + "/accounts/login/?next=/admin/")
    page.fill("#id_login", "admin@sonrisa.example")
    page.fill("#id_password", DEMO_PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile("/admin/$"))
    return page


def test_the_clinic_owner_reads_revenue_exports_the_month_and_sees_low_stock(owner_week, browser, live_clinics, artifacts):
    site = live_clinics.format(host=owner_week["host"])
    shot = lambda page, name: page.screenshot(path=str(artifacts / f"reports-{name}.png"), full_page=True)  # noqa: E731
    admin = sign_in(browser, site)

    # 1. The dashboard: the revenue chart of the last twelve months, its figures beside it.
    panel = admin.locator("section.revenue-panel")
    assert "Revenue, the last twelve months" in panel.inner_text()
    chart = panel.locator("svg.report-chart")
    assert chart.get_attribute("role") == "img"
    assert chart.locator("title").first.text_content() == "Revenue by month"
    month_label = owner_week["month"].strftime("%b %Y")
    bar = chart.locator("rect title", has_text=re.compile(rf"^{month_label} · Collected: "))
    collected = bar.first.text_content().split(": ", 1)[1]
    assert collected.endswith("€") and collected != "0.00\u00a0€"
    panel.locator("summary").click()
    assert panel.locator("tr", has_text=month_label).locator("td").nth(1).inner_text() == collected  # the table says what the bar says
    shot(admin, "1-dashboard")

    # 2. This month's report, then its CSV and PDF.
    panel.get_by_role("link", name="Open the report").click()
    admin.wait_for_url(re.compile("/admin/informes/ingresos-por-mes/"))
    admin.fill("#desde", owner_week["month"].isoformat())
    admin.get_by_role("button", name="Show").click()
    admin.wait_for_url(re.compile(rf"desde={owner_week['month'].isoformat()}"))
    rows = admin.locator(".report-table tbody tr")
    assert rows.count() == 1 and rows.first.inner_text().split("\t")[0] == month_label
    assert rows.first.locator("td").nth(1).inner_text() == collected
    shot(admin, "2-month")
    with admin.expect_download() as csv_download:
        admin.get_by_role("link", name="Download CSV").click()
    csv = open(csv_download.value.path(), encoding="utf-8").read().splitlines()
    assert csv[0].lstrip("\ufeff") == "Month,Invoiced,Collected" and csv[1].startswith(owner_week["month"].strftime("%Y-%m") + ",")
    assert csv[1].split(",")[2] == f"{Decimal(collected.replace(',', '').replace(chr(160) + '€', '')):.2f}" and len(csv) == 2
    with admin.expect_download() as pdf_download:
        admin.get_by_role("link", name="Download PDF").click()
    assert csv_download.value.suggested_filename.endswith(".csv") and pdf_download.value.suggested_filename.endswith(".pdf")
    assert open(pdf_download.value.path(), "rb").read(5) == b"%PDF-"

    # 3. The bell: the low-stock notice, read.
    admin.goto(site + "/admin/")
    bell = admin.locator("a[href='/admin/avisos/']").first
    unread = int(re.search(r"\((\d+)\)", bell.inner_text()).group(1))
    with admin.expect_navigation():
        bell.click()
    notice = admin.locator("li", has_text=f"{SUPPLY}: 2 boxes in stock (minimum 5)")
    assert notice.count() == 1, admin.locator("main").inner_text()
    shot(admin, "3-notices")
    with admin.expect_navigation():
        notice.get_by_role("button", name=re.compile("Mark as read")).click()
    admin.goto(site + "/admin/")
    after = re.search(r"\((\d+)\)", admin.locator("a[href='/admin/avisos/']").first.inner_text())
    assert (int(after.group(1)) if after else 0) == unread - 1

    # 4. The same dashboard on a phone, in Spanish.
    phone = sign_in(browser, site, locale="es-ES", language="es", viewport=(390, 844))
    assert "Ingresos de los últimos doce meses" in phone.locator("section.revenue-panel").inner_text()
    shot(phone, "4-dashboard-phone-es")
