"""Booking at the desk: find the patient (or create them, asking "is this the same
person?" when one looks alike), then a service, a practitioner and a free time from
the same availability engine as online booking (staff may book inside the notice
period and beyond the online horizon), then BookAppointment. The agenda's free times
link here with the practitioner and the time already chosen."""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.tenancy import clinic_zone

from ..actions import ActionError, BookAppointment
from ..actions.patients import CreatePatient, likely_duplicates, search
from ..availability import BadRequest, find_slots, parse_day, parse_id, parse_instant
from ..models import Patient, Practitioner, Service
from .agenda import bad_request

DAYS_SHOWN = 3


class NewPatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "phone", "email", "date_of_birth", "national_id"]
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "phone": forms.TextInput(attrs={"type": "tel"})}

    def clean(self):
        data = super().clean()
        if not (data.get("phone") or data.get("email")):
            raise forms.ValidationError(gettext_lazy("Give a phone number or an e-mail, so the clinic can reach the patient."))
        for name, value in data.items():
            if isinstance(value, str) and "\x00" in value:
                self.add_error(name, gettext_lazy("Remove the invisible characters."))
        return data


def _carry(request, **extra):
    """The query string that keeps what was chosen so far (practitioner, time, service, day)."""
    keep = {k: request.GET.get(k) for k in ("profesional", "inicio", "servicio", "dia") if request.GET.get(k)}
    keep.update({k: v for k, v in extra.items() if v is not None})
    return "?" + urlencode(keep)


def book_view(request):
    if not request.user.has_perm("clinic.add_appointment"):
        raise PermissionDenied
    zone = clinic_zone()
    try:
        patient_id, practitioner_id, service_id = parse_id(request.GET.get("paciente")), parse_id(request.GET.get("profesional")), parse_id(request.GET.get("servicio"))
        day = parse_day(request.GET.get("dia"))
        start = parse_instant(request.GET.get("inicio"), timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=800)) if request.GET.get("inicio") else None
    except BadRequest as error:
        return bad_request(request, str(error))
    patient = Patient.objects.filter(pk=patient_id).first() if patient_id else None
    practitioner = Practitioner.objects.select_related("user").filter(pk=practitioner_id).first() if practitioner_id else None
    service = Service.objects.active().filter(pk=service_id).first() if service_id else None
    if (patient_id and patient is None) or (practitioner_id and practitioner is None) or (service_id and service is None):
        return bad_request(request, _("That choice is not valid."))
    url = reverse("clinic_desk:book")
    context = {"patient": patient, "practitioner": practitioner, "service": service, "start": timezone.localtime(start, zone) if start else None,
               "carry": _carry(request), "url": url}

    if patient is None:
        return _choose_patient(request, context)

    if request.method == "POST" and request.POST.get("step") in ("book", "series"):
        return _book(request, context)

    # Step 2: service, practitioner, time.
    services = Service.objects.active()
    if practitioner is not None:
        services = services.filter(practitioners=practitioner)
    context["services"] = services
    context["practitioners"] = Practitioner.objects.active().select_related("user").filter(**({"services": service} if service else {}))
    if service is not None:
        if start is not None:
            context["confirm"] = True
        else:
            first = day or timezone.localdate(timezone=zone)
            slots = find_slots(service=service, practitioner=practitioner, start=first, end=first + timedelta(days=DAYS_SHOWN - 1), one_per_time=False, staff=True)
            names = {p.pk: p for p in context["practitioners"]}
            by_day = {}
            for slot in slots:
                local = timezone.localtime(slot.start, zone)
                if slot.practitioner_id in names:
                    by_day.setdefault(local.date(), []).append((local, names[slot.practitioner_id], slot.start.isoformat()))
            context.update(by_day=sorted(by_day.items()), day=first, next_day=first + timedelta(days=DAYS_SHOWN))
    return TemplateResponse(request, "clinic/desk/book.html", context)


def _choose_patient(request, context):
    query = request.GET.get("q", "")
    form = NewPatientForm(request.POST or None)
    if request.method == "POST" and request.POST.get("step") == "patient":
        if not request.user.has_perm("clinic.add_patient"):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            matches = list(likely_duplicates(first_name=data["first_name"], last_name=data["last_name"], date_of_birth=data.get("date_of_birth"),
                                             phone=data.get("phone", ""), email=data.get("email", "")))
            if matches and request.POST.get("confirm_new") != "1":
                context.update(form=form, duplicates=matches)
                return TemplateResponse(request, "clinic/desk/patient.html", context)
            patient = CreatePatient(**data, actor=request.user).execute()
            messages.success(request, _("Patient %(name)s created.") % {"name": patient})
            return redirect(context["url"] + _carry(request, paciente=patient.pk))
    context.update(form=form, query=query, results=list(search(query)) if query else None)
    return TemplateResponse(request, "clinic/desk/patient.html", context)


def _book(request, context):
    zone = clinic_zone()
    try:
        start = parse_instant(request.POST.get("inicio"), timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=800))
        service_id, practitioner_id = parse_id(request.POST.get("servicio")), parse_id(request.POST.get("profesional"))
    except BadRequest as error:
        return bad_request(request, str(error))
    service = Service.objects.active().filter(pk=service_id).first() if service_id else None
    practitioner = Practitioner.objects.select_related("user").filter(pk=practitioner_id).first() if practitioner_id else None
    if service is None or (practitioner_id and practitioner is None):
        return bad_request(request, _("That choice is not valid."))
    interval, count = request.POST.get("repetir", "0"), request.POST.get("veces", "0")
    if interval != "0" and practitioner is not None:
        if interval not in ("1", "2") or not count.isdigit() or not 2 <= int(count) <= 52:
            return bad_request(request, _("Repeat every one or two weeks, 2 to 52 times."))
        return _series(request, context, service=service, practitioner=practitioner, start=start, interval=int(interval), count=int(count))
    try:
        appointment = BookAppointment(patient=context["patient"], service=service, start=start, practitioner=practitioner, desk=True,
                                      actor=request.user).execute()
    except ActionError as error:
        messages.error(request, error.message)
        return redirect(context["url"] + _carry(request, paciente=context["patient"].pk, servicio=service.pk, inicio=None))
    local = timezone.localtime(appointment.start, zone)
    booked = {"patient": appointment.patient, "when": local.strftime("%d/%m/%Y %H:%M"), "who": appointment.practitioner.display_name}
    if appointment.patient.email:
        messages.success(request, _("Booked: %(patient)s, %(when)s with %(who)s. The patient is e-mailed the details.") % booked)
    else:
        messages.success(request, _("Booked: %(patient)s, %(when)s with %(who)s. The patient has no e-mail: tell them the time.") % booked)
    return redirect(reverse("clinic_agenda:day") + "?" + urlencode({"dia": local.date().isoformat()}))


def _series(request, context, *, service, practitioner, start, interval, count):
    """A repeated booking: first every date with free or why not (nothing written), then,
    confirmed, BookSeries books the free ones."""
    from ..actions.series import BookSeries, preview

    if request.POST.get("step") != "series":
        dates = preview(service=service, practitioner=practitioner, first=start, interval_weeks=interval, count=count)
        context.update(service=service, practitioner=practitioner, start=timezone.localtime(start, clinic_zone()), series_dates=dates,
                       series_free=sum(d.free for d in dates), interval=interval, count=count)
        return TemplateResponse(request, "clinic/desk/book.html", context)
    try:
        action = BookSeries(patient=context["patient"], service=service, practitioner=practitioner, first=start, interval_weeks=interval,
                            count=count, actor=request.user)
        action.execute()
    except ActionError as error:
        messages.error(request, error.message)
        return redirect(context["url"] + _carry(request, paciente=context["patient"].pk))
    messages.success(request, _("%(booked)s appointments booked for %(patient)s; %(skipped)s dates were not free.") % {
        "booked": len(action.booked), "patient": context["patient"], "skipped": len(action.skipped)})
    local = timezone.localtime(action.booked[0].start, clinic_zone())
    return redirect(reverse("clinic_agenda:day") + "?" + urlencode({"dia": local.date().isoformat()}))
