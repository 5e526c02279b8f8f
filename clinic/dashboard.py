"""What a clinic's staff see first in the admin: today, per role.

Panels (Wagtail ``Component``s added by ``construct_homepage_panels``):
- Today: each practitioner's appointments of the day with their state (arrived, in
  the room, seen, late = start passed and not arrived), the user's own column first;
- To collect: seen (completed) appointments of the last 30 days with money still due,
  with a link to record it;
- Next free times: the first free times of each practitioner for their shortest service;
- The week ahead: appointments per day and practitioner (clinic admins and reception).

A constant number of queries per panel, whatever the number of appointments.
"""

from collections import defaultdict
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component

from portal.tenancy import clinic_zone

from .models import Appointment, Practitioner

COLLECT_DAYS, FREE_DAYS, LIST_LIMIT = 30, 7, 12


def _today_window():
    zone = clinic_zone()
    today = timezone.localdate(timezone=zone)
    start = datetime.combine(today, time.min, zone)
    return today, start, start + timedelta(days=1)


def _own_practitioner(user):
    return Practitioner.objects.filter(user=user).first() if user.is_authenticated else None


class TodayPanel(Component):
    order = 50
    template_name = "clinic/dashboard/today.html"

    def __init__(self, user, own):
        self.user, self.own = user, own

    def get_context_data(self, parent_context):
        zone = clinic_zone()
        today, start, end = _today_window()
        now = timezone.now()
        own = self.own
        appointments = (
            Appointment.objects.filter(start__gte=start, start__lt=end).exclude(status=Appointment.Status.CANCELLED)
            .select_related("patient", "service", "practitioner__user").order_by("start")
        )
        columns = defaultdict(list)
        for a in appointments:
            columns[a.practitioner].append({
                "appointment": a, "start": timezone.localtime(a.start, zone), "late": a.status == Appointment.Status.CONFIRMED and a.start < now,
                "url": reverse("clinic_agenda:appointment", args=[a.pk]),
            })
        ordered = sorted(columns.items(), key=lambda item: (item[0] != own, item[0].sort_order, item[0].display_name))
        counts = defaultdict(int)
        for _p, rows in ordered:
            for row in rows:
                counts["late" if row["late"] else row["appointment"].status] += 1
        return {"today": today, "columns": ordered, "counts": counts, "own": own, "agenda_url": reverse("clinic_agenda:day")}


class CollectPanel(Component):
    order = 60
    template_name = "clinic/dashboard/collect.html"

    def get_context_data(self, parent_context):
        zone = clinic_zone()
        since = timezone.now() - timedelta(days=COLLECT_DAYS)
        paid = Coalesce(Sum(F("payments__amount") - F("payments__refunded_amount")), Value(Decimal("0")), output_field=DecimalField())
        due = (
            Appointment.objects.filter(status=Appointment.Status.COMPLETED, start__gte=since, price__gt=0)
            .annotate(paid=paid).filter(paid__lt=F("price")).select_related("patient", "service").order_by("-start")
        )
        everything = list(due)  # one query; the total covers them all, the list shows the latest
        rows = [{"appointment": a, "start": timezone.localtime(a.start, zone), "due": a.price - a.paid,
                 "url": reverse("clinic_patientpayment:add") + f"?patient={a.patient_id}&appointment={a.pk}"} for a in everything[:LIST_LIMIT]]
        total = sum((a.price - a.paid for a in everything), Decimal("0"))
        count = len(everything)
        from django.db import connection

        return {"rows": rows, "total": total, "currency": connection.tenant.currency, "more": max(count - LIST_LIMIT, 0), "days": COLLECT_DAYS}


class NextFreePanel(Component):
    order = 70
    template_name = "clinic/dashboard/next_free.html"

    def __init__(self, practitioners):
        self.practitioners = practitioners

    def get_context_data(self, parent_context):
        from .admin.agenda import book_url
        from .availability import find_slots

        zone = clinic_zone()
        today = timezone.localdate(timezone=zone)
        rows = []
        for practitioner in self.practitioners:
            service = min((s for s in practitioner.services.all() if s.active), key=lambda s: s.duration_minutes, default=None)
            if service is None:
                continue
            slots = find_slots(service=service, practitioner=practitioner, start=today, end=today + timedelta(days=FREE_DAYS - 1), staff=True)[:3]
            rows.append({"practitioner": practitioner, "service": service,
                         "slots": [(timezone.localtime(s.start, zone), book_url(practitioner, timezone.localtime(s.start, zone))) for s in slots]})
        return {"rows": rows, "days": FREE_DAYS}


class WeekAheadPanel(Component):
    order = 80
    template_name = "clinic/dashboard/week.html"

    def get_context_data(self, parent_context):
        today, start, _end = _today_window()
        zone = clinic_zone()
        days = [today + timedelta(days=i) for i in range(7)]
        starts = (
            Appointment.objects.filter(start__gte=start, start__lt=start + timedelta(days=7)).exclude(status=Appointment.Status.CANCELLED)
            .values_list("practitioner_id", "start")
        )
        table = defaultdict(lambda: defaultdict(int))
        for practitioner_id, when in starts:
            table[practitioner_id][timezone.localtime(when, zone).date()] += 1
        practitioners = list(Practitioner.objects.active().select_related("user"))
        rows = [{"practitioner": p, "counts": [table[p.pk][d] for d in days], "total": sum(table[p.pk].values())} for p in practitioners]
        totals = [sum(r["counts"][i] for r in rows) for i in range(7)]
        return {"days": days, "rows": rows, "totals": totals, "week_url": reverse("clinic_agenda:week")}


STOCK_PANELS = ("recent_edits", "site_summary", "whats_new_in_wagtail_version")


def construct_panels(request, panels):
    """Replace Wagtail's page-centred panels with the clinic's day (moderation and locked
    pages stay for whoever edits the website)."""
    user = request.user
    panels[:] = [p for p in panels if getattr(p, "name", "") not in STOCK_PANELS]
    if not user.has_perm("clinic.view_appointment"):
        return
    own = _own_practitioner(user)
    panels.append(TodayPanel(user, own))
    if user.has_perm("clinic.add_patientpayment"):
        panels.append(CollectPanel())
    if user.has_perm("clinic.change_any_appointment") or own is None:
        shown = list(Practitioner.objects.active().select_related("user").prefetch_related("services"))
    else:
        shown = [own]
    panels.append(NextFreePanel(shown))
    if user.has_perm("clinic.change_any_appointment"):
        panels.append(WeekAheadPanel())
