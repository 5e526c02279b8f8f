"""The reports' pages in the Wagtail admin: the index of what the reader may see, and one
page per report (filters, chart, table, CSV and PDF). Thin: the report computes, the
chart and exports draw; the role decides (clinic.reports.base)."""

from dataclasses import replace

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse

from .base import PRACTITIONER, REGISTRY, access_for, readable_reports
from .charts import render
from .exports import as_csv, as_pdf, period_text, total_cells
from .filters import FilterError, default_range, parse_filters


def index_view(request):
    reports = [cls() for cls in readable_reports(access_for(request.user))]
    if not reports:
        raise PermissionDenied
    return TemplateResponse(request, "reports/index.html", {"reports": reports})


def _report(request, slug):
    cls = REGISTRY.get(slug)
    if cls is None:
        raise Http404
    access = access_for(request.user)
    if not access.may_read(cls):
        raise PermissionDenied
    return cls(), access


def report_view(request, slug, export=None):
    """The report's page, or its CSV / PDF (``export``); 400 with the form's message when
    the filters cannot be read."""
    from django.utils import timezone

    from clinic.models import Practitioner
    from portal.tenancy import clinic_zone

    report, access = _report(request, slug)
    context = {"report": report, "query": request.GET.urlencode(), "own": access.role == PRACTITIONER,
               "practitioners": [] if access.role == PRACTITIONER else list(Practitioner.objects.select_related("user")),
               "form": {key: (request.GET.get(key) or "").replace("\x00", "")[:10] for key in ("desde", "hasta")}}
    try:
        filters = parse_filters(request.GET, access)
    except FilterError as error:
        start, end = default_range(timezone.localdate(timezone.now(), clinic_zone()))
        context["form"] = {"desde": context["form"]["desde"] or start.isoformat(), "hasta": context["form"]["hasta"] or end.isoformat()}
        context["error"] = str(error)
        return TemplateResponse(request, "reports/report.html", context, status=400)
    if not report.per_practitioner:
        filters = replace(filters, practitioner=None)  # a clinic-wide report: the practitioner filter does not reach it
    columns = report.visible_columns(access)
    rows = report.rows(filters)
    chart = report.chart_for(columns)
    by_key = {c.key: c for c in report.columns}
    totals = report.totals(rows) if rows else None
    name = f"{report.slug}_{filters.start:%Y-%m-%d}_{filters.end:%Y-%m-%d}"
    if export == "csv":
        response = HttpResponse(as_csv(columns, rows, totals), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if export == "pdf":
        pdf = as_pdf(title=str(report.title), definition=report.definition_text(), filters=filters, columns=columns, rows=rows, chart=chart, by_key=by_key,
                     clinic_name=request.tenant.name, totals=totals,
                     clinic_wide=not report.per_practitioner)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    svg = render(chart, rows, by_key, currency=filters.currency, title=report.title, uid=f"chart-{report.slug}") if chart else ""
    context.update(filters=filters, form={"desde": filters.start.isoformat(), "hasta": filters.end.isoformat()}, columns=columns, svg=svg, period=period_text(filters, not report.per_practitioner),
                   table=[[c.format(row[c.key], filters.currency) for c in columns] for row in rows],
                   total_cells=total_cells(columns, totals, filters.currency) if totals is not None else None)
    return TemplateResponse(request, "reports/report.html", context)
