"""The revenue chart on the staff dashboard (Wagtail's home): the last twelve months of
"Revenue by month", for whoever may read that report (clinic admins; a practitioner
sees their own). It lives here, not in clinic/dashboard.py, because reports sit above
the core app (ARCHITECTURE.md §2). Three queries, the report's own."""

from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component

from portal.tenancy import clinic_zone

from .base import PRACTITIONER, REGISTRY, Filters, access_for, clinic_currency
from .charts import render
from .filters import default_range

SLUG = "ingresos-por-mes"


class RevenuePanel(Component):
    order = 45  # above the day's appointments: what a clinic owner opens the admin for
    template_name = "reports/revenue_panel.html"

    class Media:
        css = {"all": ["reports/reports.css"]}

    def __init__(self, access):
        self.access = access

    def get_context_data(self, parent_context):
        report = REGISTRY[SLUG]()
        start, end = default_range(timezone.localdate(timezone=clinic_zone()))
        own = self.access.practitioner if self.access.role == PRACTITIONER else None
        filters = Filters(start=start, end=end, practitioner=own, zone=clinic_zone(), currency=clinic_currency())
        columns = report.visible_columns(self.access)
        rows = report.rows(filters)
        by_key = {c.key: c for c in report.columns}
        svg = render(report.chart_for(columns), rows, by_key, currency=filters.currency, title=report.title, uid="chart-dashboard-revenue")
        query = f"desde={start.isoformat()}&hasta={end.isoformat()}"
        return {
            "report": report, "svg": svg, "own": own is not None, "currency": filters.currency,
            "totals": [(c.label, c.format(sum(row[c.key] for row in rows), filters.currency)) for c in columns if c.money],
            "columns": columns, "table": [[c.format(row[c.key], filters.currency) for c in columns] for row in rows],
            "url": reverse("clinic_reports:report", args=[SLUG]) + "?" + query,
            "csv": reverse("clinic_reports:csv", args=[SLUG]) + "?" + query,
            "pdf": reverse("clinic_reports:pdf", args=[SLUG]) + "?" + query,
        }


def add_panel(request, panels):
    access = access_for(request.user)
    if SLUG in REGISTRY and access.may_read(REGISTRY[SLUG]):
        panels.append(RevenuePanel(access))
