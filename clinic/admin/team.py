"""Team set-up in the staff admin: the team list, each practitioner's weekly hours (a
grid of stretches per day, "copy Monday to the weekdays") and time off, and the
clinic's holidays. Profile and services stay on the practitioner's edit page."""

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime, parse_time
from django.utils.translation import gettext as _

from portal.tenancy import clinic_zone

from ..actions import ActionError
from ..actions.team import AddTimeOff, RemoveTimeOff, SetWeeklyHours
from ..availability import BadRequest, parse_id
from ..models import WEEKDAYS, Practitioner, TimeOff
from ..roles import staff_users

STRETCHES_PER_DAY = 3


def _require(request, perm):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def team_view(request):
    _require(request, "clinic.view_practitioner")
    now = timezone.now()
    practitioners = list(Practitioner.objects.select_related("user").prefetch_related("services", "working_hours", "time_off"))
    rows = []
    for p in practitioners:
        minutes = sum((datetime.combine(datetime.min, h.end) - datetime.combine(datetime.min, h.start)).seconds // 60 for h in p.working_hours.all())
        upcoming = sorted((t for t in p.time_off.all() if t.end > now), key=lambda t: t.start)
        rows.append({"practitioner": p, "services": len([s for s in p.services.all() if s.active]), "hours": minutes / 60,
                     "next_off": timezone.localtime(upcoming[0].start, clinic_zone()) if upcoming else None})
    others = staff_users().exclude(practitioner__isnull=False).order_by("first_name", "last_name")
    return TemplateResponse(request, "clinic/team/team.html", {"rows": rows, "others": others,
                                                               "can_edit": request.user.has_perm("clinic.change_workinghours")})


def _parse_grid(post):
    """{weekday: [(start, end), …]} and {weekday: message} from the grid's fields."""
    stretches, errors = {}, {}
    for day, _label in WEEKDAYS:
        spans = []
        for i in range(STRETCHES_PER_DAY):
            raw_start, raw_end = post.get(f"d{day}-{i}-start", "").strip(), post.get(f"d{day}-{i}-end", "").strip()
            if not raw_start and not raw_end:
                continue
            try:
                start, end = parse_time(raw_start), parse_time(raw_end)
            except ValueError:
                start = end = None
            if start is None or end is None:
                errors[day] = _("Give both times as HH:MM, or leave both empty.")
                continue
            spans.append((start, end))
        if spans:
            stretches[day] = spans
    for day, message in SetWeeklyHours.problems(stretches).items():
        errors.setdefault(day, message)
    return stretches, errors


def _grid(stretches, errors=None):
    errors = errors or {}
    days = []
    for day, label in WEEKDAYS:
        spans = list(stretches.get(day, []))
        spans += [(None, None)] * (STRETCHES_PER_DAY - len(spans))
        days.append({"day": day, "label": label, "spans": [(i, s, e) for i, (s, e) in enumerate(spans[:STRETCHES_PER_DAY])], "error": errors.get(day, "")})
    return days


def hours_view(request, pk):
    _require(request, "clinic.view_workinghours")
    practitioner = get_object_or_404(Practitioner.objects.select_related("user"), pk=pk)
    can_edit = request.user.has_perm("clinic.change_workinghours")
    current = {}
    for h in practitioner.working_hours.order_by("weekday", "start"):
        current.setdefault(h.weekday, []).append((h.start, h.end))
    errors = {}
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        stretches, errors = _parse_grid(request.POST)
        if "copy" in request.POST and not errors.get(0):
            stretches.update({day: list(stretches.get(0, [])) for day in range(1, 5)})
            errors = {}
            current = stretches
            messages.info(request, _("Monday's hours are copied to Tuesday–Friday. Check them and save."))
        elif not errors:
            try:
                SetWeeklyHours(practitioner=practitioner, stretches=stretches, actor=request.user).execute()
            except ActionError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Weekly hours of %(name)s saved.") % {"name": practitioner.display_name})
                return redirect(reverse("clinic_team:hours", args=[practitioner.pk]))
            current = stretches
        else:
            current = stretches
            messages.error(request, _("The hours could not be saved: see the days marked below."))
    now = timezone.now()
    time_off = [(t, timezone.localtime(t.start, clinic_zone()), timezone.localtime(t.end, clinic_zone()))
                for t in practitioner.time_off.filter(end__gt=now).order_by("start")]
    return TemplateResponse(request, "clinic/team/hours.html", {
        "practitioner": practitioner, "days": _grid(current, errors), "can_edit": can_edit, "time_off": time_off,
        "can_add_time_off": request.user.has_perm("clinic.add_timeoff"), "can_remove_time_off": request.user.has_perm("clinic.delete_timeoff"),
        "time_off_url": reverse("clinic_team:time_off", args=[practitioner.pk]),
    })


def _instant(value):
    try:
        parsed = parse_datetime((value or "").strip())
    except ValueError:
        return None
    if parsed is None or not (2000 <= parsed.year <= 2200):
        return None
    return timezone.make_aware(parsed, clinic_zone()) if timezone.is_naive(parsed) else parsed


def time_off_view(request, pk=None):
    """POST: add (``start``/``end`` as local date-times, ``reason``) or remove (``remove``=id)
    time off of one practitioner, or of the whole clinic without ``pk`` (holidays)."""
    practitioner = get_object_or_404(Practitioner, pk=pk) if pk is not None else None
    back = reverse("clinic_team:hours", args=[pk]) if pk is not None else reverse("clinic_team:holidays")
    if request.method != "POST":
        return holidays_view(request) if pk is None else redirect(back)
    remove = request.POST.get("remove", "")
    try:
        if remove:
            try:
                remove_id = parse_id(remove)
            except BadRequest as error:
                raise ActionError(str(error)) from error
            row = get_object_or_404(TimeOff, pk=remove_id, practitioner=practitioner)
            RemoveTimeOff(time_off=row, actor=request.user).execute()
            messages.success(request, _("Time off removed."))
        else:
            start, end = _instant(request.POST.get("start")), _instant(request.POST.get("end"))
            if start is None or end is None:
                raise ActionError(_("Give the start and the end as a date and a time."))
            AddTimeOff(practitioner=practitioner, start=start, end=end, reason=request.POST.get("reason", ""), actor=request.user).execute()
            messages.success(request, _("Time off added."))
    except ActionError as error:
        messages.error(request, error.message)
    return redirect(back)


def holidays_view(request):
    _require(request, "clinic.view_timeoff")
    now = timezone.now()
    rows = [(t, timezone.localtime(t.start, clinic_zone()), timezone.localtime(t.end, clinic_zone()))
            for t in TimeOff.objects.filter(practitioner__isnull=True, end__gt=now).order_by("start")]
    return TemplateResponse(request, "clinic/team/holidays.html", {
        "time_off": rows, "can_add_time_off": request.user.has_perm("clinic.add_timeoff"),
        "can_remove_time_off": request.user.has_perm("clinic.delete_timeoff"), "time_off_url": reverse("clinic_team:holidays"),
        "default_start": datetime.combine(timezone.localdate(timezone=clinic_zone()) + timedelta(days=1), time(0)),
    })
