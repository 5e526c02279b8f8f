"""The staff agenda: a day with one column per practitioner, a practitioner's week, an
appointment's page with the steps of the day, and moving an appointment.

Server-rendered in the Wagtail admin; a little JavaScript (static/clinic/agenda.js)
adds drag-to-move and keeps the now-line current. Every change is a clinic action;
these views only parse, call and redirect. Bad parameters are a translated 400.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.models import ModelLogEntry

from portal.tenancy import clinic_zone

from .. import agenda
from ..actions import ActionError, RescheduleAppointment, change_status, may_change
from ..availability import BadRequest, find_slots, parse_day, parse_id, parse_instant
from ..models import Appointment, Practitioner, Room, Service

MOVE_DAYS = 7


def _require(request, perm="clinic.view_appointment"):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def bad_request(request, message):
    return TemplateResponse(request, "clinic/agenda/bad_request.html", {"message": message}, status=400)


def _int_param(request, name):
    return parse_id(request.GET.get(name), _("That filter is not valid."))


def _filters(request):
    """(day, practitioner, service, status) from GET, or BadRequest (translated)."""
    day = parse_day(request.GET.get("dia")) or timezone.localdate(timezone=clinic_zone())
    practitioner_id, service_id = _int_param(request, "profesional"), _int_param(request, "servicio")
    status = request.GET.get("estado", "")
    if status and status not in Appointment.Status.values:
        raise BadRequest(_("That filter is not valid."))
    practitioner = service = None
    if practitioner_id is not None:
        practitioner = Practitioner.objects.select_related("user").filter(pk=practitioner_id).first()
        if practitioner is None:
            raise BadRequest(_("That practitioner does not exist."))
    if service_id is not None:
        service = Service.objects.filter(pk=service_id).first()
        if service is None:
            raise BadRequest(_("That service does not exist."))
    return day, practitioner, service, status


def book_url(practitioner, start) -> str:
    """Where a click on a free time goes: desk booking with practitioner and time."""
    return reverse("clinic_desk:book") + "?" + urlencode({"profesional": practitioner.pk, "inicio": start.isoformat()})


def _links(request, grid):
    """Each free time's booking link (when this user may book there) and each block's
    page and, when this user may move it, its move URL (for drag and drop); then each
    column's cells as HTML (built here with format_html: a few hundred cells through
    template tags cost more than everything else on the page)."""
    if grid is None:
        return None
    can_book, any_agenda = request.user.has_perm("clinic.add_appointment"), request.user.has_perm("clinic.change_any_appointment")
    desk, page, move = reverse("clinic_desk:book"), reverse("clinic_agenda:appointment", args=[0]), reverse("clinic_agenda:move", args=[0])
    late, book_label = gettext_lazy("late"), _("Book %(time)s with %(who)s")
    for index, column in enumerate(grid.columns, start=2):
        mine = column.practitioner is not None and column.practitioner.user_id == request.user.pk
        name = column.practitioner.display_name if column.practitioner else column.room.name
        who = {"profesional": column.practitioner.pk} if column.practitioner else {}
        cells = [format_html('<div class="agenda__closed" style="grid-row: {} / span {}; grid-column: {};" aria-hidden="true"></div>', row + 1, span, index)
                 for row, span in column.closed]
        for cell in column.free:
            iso, hhmm = cell.start.isoformat(), cell.start.strftime("%H:%M")
            practitioner_pk = column.practitioner.pk if column.practitioner else ""
            if cell.bookable and can_book and (any_agenda or mine):
                url = desk + "?" + urlencode({**who, "inicio": iso})
                cells.append(format_html(
                    '<a class="agenda__free" href="{}" style="grid-row: {} / span {}; grid-column: {};" data-start="{}" data-practitioner="{}" aria-label="{}"><span>+ {}</span></a>',
                    url, cell.row + 1, cell.span, index, iso, practitioner_pk, book_label % {"time": hhmm, "who": name}, hhmm))
            else:
                cells.append(format_html('<div class="agenda__free agenda__free--past" style="grid-row: {} / span {}; grid-column: {};" data-start="{}" data-practitioner="{}"></div>',
                                         cell.row + 1, cell.span, index, iso, practitioner_pk))
        for block in column.blocks:
            a = block.appointment
            block.url = page.replace("/0/", f"/{a.pk}/")
            movable = a.is_active and may_change(request.user, a)
            block.move_url = move.replace("/0/", f"/{a.pk}/") if movable else ""
            times = f"{block.start:%H:%M}–{block.end:%H:%M}"
            state = format_html("{}{} · <span class=\"pay-{}\">{}</span>", block.status_label.capitalize(), f" · {late}" if block.late else "", block.payment[0], block.payment[1])
            drag = format_html(' draggable="true" data-move-url="{}"', block.move_url) if movable else ""
            cells.append(format_html(
                '<a class="agenda__block status-{}{}" href="{}" style="grid-row: {} / span {}; grid-column: {};"{} aria-label="{}">'
                '<span class="agenda__time">{}</span><strong class="agenda__patient">{}{}</strong><span class="agenda__service">{}</span>'
                '<span class="agenda__state">{}</span></a>',
                a.status, " is-late" if block.late else "", block.url, block.row + 1, block.span, index, drag,
                f"{block.start:%H:%M} {a.patient}{alert_words(a.patient)}, {a.service.name}, {block.status_label}{f' ({late})' if block.late else ''}, {block.payment[1]}",
                times, alert_mark(a.patient), a.patient, f"{a.service.name} · {a.room}" if a.room_id else a.service.name, state))
        column.html = mark_safe("".join(cells))  # noqa: S308 - every piece above went through format_html
    return grid


def alert_words(patient) -> str:
    """", alerts: allergies, anticoagulants" for a screen reader's label, or ""."""
    labels = patient.alert_labels
    return f", {_('alerts')}: {', '.join(labels)}" if labels else ""


def alert_mark(patient):
    """A red ⚠ before the name of a patient with alerts (allergies, anticoagulants, …);
    every staff role sees it, the list of alerts in its tooltip."""
    labels = patient.alert_labels
    if not labels:
        return ""
    text = ", ".join(labels) + (f" ({patient.alert_note})" if patient.alert_note else "")
    return format_html('<span class="agenda__alert" title="{}" aria-hidden="true">⚠ </span>', text)


def _list_html(blocks, *, week: bool):
    """The day (or week) as one list, for phones; built like the grid's cells."""
    from django.utils import formats

    late = gettext_lazy("late")
    items = []
    for block in blocks:
        a = block.appointment
        when = (formats.date_format(block.start, "D j") + " " if week else "") + f"{block.start:%H:%M}–{block.end:%H:%M}"
        items.append(format_html(
            '<li class="agenda-list__item status-{}{}"><a href="{}"><span class="agenda__time">{}</span><strong>{}{}</strong>'
            '<span>{} · {}</span><span class="agenda__state">{}{} · {}</span></a></li>',
            a.status, " is-late" if block.late else "", block.url, when, alert_mark(a.patient), a.patient, a.service.name, a.practitioner.display_name,
            block.status_label.capitalize(), f" · {late}" if block.late else "", block.payment[1]))
    if not items:
        items.append(format_html('<li class="agenda-list__empty">{}</li>', _("No appointments on this day.")))
    return mark_safe("".join(items))  # noqa: S308 - every piece above went through format_html


def _context(request, *, day, practitioner, service, status, view):
    practitioners = list(Practitioner.objects.active().select_related("user"))
    return {
        "day": day, "today": timezone.localdate(timezone=clinic_zone()), "practitioner": practitioner, "service": service, "status": status,
        "practitioners": practitioners, "services": Service.objects.active(), "statuses": Appointment.Status.choices, "view": view,
        "previous": day - timedelta(days=7 if view == "week" else 1), "next": day + timedelta(days=7 if view == "week" else 1),
        "user_practitioner_id": getattr(getattr(request.user, "practitioner", None), "pk", None),
    }


def _agenda_page(kind):
    """The day and week views' common start: the permission, then the filters (a bad one
    is a translated 400), then the toolbar's context for ``kind`` ("day" or "week")."""
    from functools import wraps

    def decorate(view):
        @wraps(view)
        def wrapper(request):
            _require(request)
            try:
                day, practitioner, service, status = _filters(request)
            except BadRequest as error:
                return bad_request(request, str(error))
            return view(request, _context(request, day=day, practitioner=practitioner, service=service, status=status, view=kind))

        return wrapper

    return decorate


@_agenda_page("day")
def day_view(request, context):
    day, practitioner, service, status = context["day"], context["practitioner"], context["service"], context["status"]
    shown = [practitioner] if practitioner else context["practitioners"]
    rooms = list(Room.objects.active()) if request.GET.get("por") == "sala" else None
    context.update(by_room=rooms is not None, has_rooms=bool(rooms) if rooms is not None else Room.objects.active().exists())
    if rooms:
        grid = agenda.build(days=[day], practitioners=context["practitioners"], service=service, status=status, rooms=rooms)
    else:
        grid = agenda.build(days=[day], practitioners=shown, service=service, status=status) if shown else None
    grid = _links(request, grid)
    context.update(grid=grid, day_list=_list_html(agenda.day_list(grid) if grid else [], week=False))
    return TemplateResponse(request, "clinic/agenda/agenda.html", context)


@_agenda_page("week")
def week_view(request, context):
    day, practitioner, service, status = context["day"], context["practitioner"], context["service"], context["status"]
    if practitioner is None:
        own = context["user_practitioner_id"]
        practitioner = next((p for p in context["practitioners"] if p.pk == own), context["practitioners"][0] if context["practitioners"] else None)
        context["practitioner"] = practitioner
    monday = day - timedelta(days=day.weekday())
    days = [monday + timedelta(days=i) for i in range(7)]
    grid = agenda.build(days=days, practitioners=[practitioner], service=service, status=status, by_day=True) if practitioner else None
    grid = _links(request, grid)
    context.update(grid=grid, days=days, day_list=_list_html(agenda.day_list(grid) if grid else [], week=True), week=True)
    return TemplateResponse(request, "clinic/agenda/agenda.html", context)


def _appointment(request, pk):
    _require(request)
    return get_object_or_404(Appointment.objects.select_related("patient", "service", "practitioner__user", "rescheduled_from"), pk=pk)


def _back(request, appointment):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("clinic_agenda:appointment", args=[appointment.pk])


STEP_LABELS = {
    Appointment.Status.ARRIVED: gettext_lazy("Check in"),
    Appointment.Status.IN_ROOM: gettext_lazy("Call in"),
    Appointment.Status.COMPLETED: gettext_lazy("Mark completed"),
    Appointment.Status.NO_SHOW: gettext_lazy("Mark no-show"),
    Appointment.Status.CONFIRMED: gettext_lazy("Back to booked"),
}


def steps(appointment) -> list[tuple[str, str]]:
    """The status steps allowed now, as (status, button label); cancelling has its own form."""
    order = [Appointment.Status.ARRIVED, Appointment.Status.IN_ROOM, Appointment.Status.COMPLETED, Appointment.Status.NO_SHOW, Appointment.Status.CONFIRMED]
    allowed = []
    for to in order:
        if appointment.refusal(to) == "":
            label = _("Confirm") if to == Appointment.Status.CONFIRMED and appointment.status == Appointment.Status.PENDING_PAYMENT else STEP_LABELS[to]
            allowed.append((to, label))
    return allowed


def appointment_view(request, pk):
    appointment = _appointment(request, pk)
    paid = agenda._paid([appointment.pk]).get(appointment.pk)
    paid = paid if paid is not None else 0
    can_change = may_change(request.user, appointment)
    context = {
        "appointment": appointment, "start": timezone.localtime(appointment.start, clinic_zone()), "end": timezone.localtime(appointment.end, clinic_zone()),
        "paid": paid, "payment": agenda.payment_state(appointment, paid), "can_change": can_change,
        "steps": steps(appointment) if can_change else [], "can_cancel": can_change and appointment.refusal(Appointment.Status.CANCELLED) == "",
        "can_move": can_change and appointment.is_active, "can_record_payment": request.user.has_perm("clinic.add_patientpayment"),
        "history": ModelLogEntry.objects.filter(content_type__app_label="clinic", content_type__model="appointment", object_id=str(appointment.pk))
        .select_related("user").order_by("-timestamp"),
        "payments": appointment.payments.all(), "next": request.GET.get("next", ""),
        "visit": getattr(appointment, "visit", None) if request.user.has_perm("records.view_visit") else None,
        "series_rest": appointment.series.appointments.filter(start__gte=appointment.start, status__in=[
            Appointment.Status.PENDING_PAYMENT, Appointment.Status.CONFIRMED]).count() if appointment.series_id else 0,
    }
    return TemplateResponse(request, "clinic/agenda/appointment.html", context)


@require_POST
def change_status_view(request, pk):
    appointment = _appointment(request, pk)
    to = request.POST.get("to", "")
    if to not in Appointment.Status.values:
        return bad_request(request, _("Choose a status."))
    try:
        change_status(appointment, to, actor=request.user, reason=request.POST.get("reason", "").replace("\x00", ""))
    except ActionError as error:
        messages.error(request, error.message)
        return redirect(reverse("clinic_agenda:appointment", args=[appointment.pk]))
    appointment.refresh_from_db()
    messages.success(request, _("%(patient)s: %(status)s.") % {"patient": appointment.patient, "status": appointment.get_status_display()})
    return redirect(_back(request, appointment))


@require_POST
def cancel_series_view(request, pk):
    """Cancel this appointment and every later one of its series still to happen."""
    from ..actions.series import cancel_rest_of_series

    appointment = _appointment(request, pk)
    if not may_change(request.user, appointment):
        raise PermissionDenied
    try:
        count = cancel_rest_of_series(appointment, reason=request.POST.get("reason", "").replace("\x00", ""), actor=request.user)
    except ActionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(count)s appointments of the series cancelled.") % {"count": count})
    return redirect(reverse("clinic_agenda:appointment", args=[appointment.pk]))


def move_view(request, pk):
    """Free times for the same service over the next days (any practitioner, or one), and
    the move itself (POST ``inicio``, ``profesional``): RescheduleAppointment."""
    appointment = _appointment(request, pk)
    if not may_change(request.user, appointment):
        raise PermissionDenied
    zone = clinic_zone()
    if request.method == "POST":
        try:
            start = parse_instant(request.POST.get("inicio"), timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=800))
            practitioner_id = parse_id(request.POST.get("profesional"), _("That practitioner does not exist."))
            practitioner = appointment.practitioner
            if practitioner_id is not None:
                practitioner = Practitioner.objects.filter(pk=practitioner_id).first()
                if practitioner is None:
                    raise BadRequest(_("That practitioner does not exist."))
        except BadRequest as error:
            return bad_request(request, str(error))
        try:
            new = RescheduleAppointment(appointment, start=start, practitioner=practitioner, actor=request.user).execute()
        except ActionError as error:
            messages.error(request, error.message)
            return redirect(reverse("clinic_agenda:move", args=[appointment.pk]))
        messages.success(request, _("Appointment moved to %(when)s.") % {"when": timezone.localtime(new.start, zone).strftime("%d/%m/%Y %H:%M")})
        return redirect(_back(request, new))
    try:
        day = parse_day(request.GET.get("dia")) or timezone.localdate(timezone=zone)
        who = _int_param(request, "profesional")
    except BadRequest as error:
        return bad_request(request, str(error))
    practitioners = list(Practitioner.objects.active().filter(services=appointment.service).select_related("user"))
    practitioner = next((p for p in practitioners if p.pk == who), None) if who else None
    slots = find_slots(service=appointment.service, practitioner=practitioner, start=day, end=day + timedelta(days=MOVE_DAYS - 1),
                       one_per_time=False, staff=True)
    by_day = {}
    names = {p.pk: p for p in practitioners}
    for slot in slots:
        if slot.practitioner_id in names:
            local = timezone.localtime(slot.start, zone)
            by_day.setdefault(local.date(), []).append((local, names[slot.practitioner_id], slot.start.isoformat()))
    return TemplateResponse(request, "clinic/agenda/move.html", {
        "appointment": appointment, "start": timezone.localtime(appointment.start, zone), "day": day, "practitioners": practitioners,
        "practitioner": practitioner, "by_day": sorted(by_day.items()), "previous": day - timedelta(days=MOVE_DAYS), "next_day": day + timedelta(days=MOVE_DAYS),
        "today": timezone.localdate(timezone=zone),
    })
