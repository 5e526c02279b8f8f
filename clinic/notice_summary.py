"""The daily summary e-mail of the notices, for clinic admins (issue 12, item 4).

Scheduled every 30 minutes in every clinic (tenants.services.SCHEDULES through
clinic.tasks.in_every_clinic); from 07:00 clinic time, each clinic admin who has not
opted out (clinic.models.NoticePreference) and has something to read gets one e-mail
that day: the day's notices grouped by kind, with counts and links to the clinic's host,
in their language, times in the clinic's zone. A day with no notices sends nothing (a
later run that day may, once there is something).

Sent once per user and day: a ``NoticeSummarySent`` row (unique per user and day) is
the claim, committed before the mail server is called (never inside a transaction); a
second worker or a retried job fails to insert it and sends nothing. A failed send
deletes the claim and raises, so django-q2's retry sends it.
"""

from datetime import time

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from portal.mail import header_text, language_for, recipient_language, render_email, sender
from portal.tenancy import clinic_url, clinic_zone

from .models import NoticePreference, NoticeSummarySent
from .notices import notices_for, prune_reads, viewer_for
from .roles import Role

SEND_FROM = time(7, 0)
PER_KIND = 20  # the e-mail lists this many of each kind; the page has them all


def summary_recipients(day):
    """Active clinic admins with an e-mail address, not opted out, not yet sent ``day``'s."""
    opted_out = NoticePreference.objects.filter(daily_summary=False).values("user_id")
    sent = NoticeSummarySent.objects.filter(day=day).values("user_id")
    return (get_user_model().objects.filter(groups__name=Role.CLINIC_ADMIN.value, is_active=True).exclude(email="")
            .exclude(pk__in=opted_out).exclude(pk__in=sent).distinct().order_by("pk"))


def send_daily_summaries(*, now=None) -> int:
    """Job (per clinic): send today's summary to each clinic admin still due one, from
    07:00 clinic time; then forget read marks of notices gone a month. Returns how many
    e-mails were sent."""
    zone = clinic_zone()
    local = timezone.localtime(now or timezone.now(), zone)
    if local.time() < SEND_FROM:
        return 0
    sent = sum(1 for user in list(summary_recipients(local.date())) if send_summary(user=user, day=local.date()))
    prune_reads()
    return sent


def send_summary(*, user, day) -> bool:
    """One admin's summary of ``day`` (the clinic's date), at most once. Returns True when sent."""
    from theme.models import BrandSettings

    zone = clinic_zone()
    with recipient_language(user), timezone.override(zone):
        groups = [(provider.label, items) for provider, items in notices_for(viewer_for(user))]
        groups = [(str(label), items) for label, items in groups]
    total = sum(len(items) for _label, items in groups)
    if not total:
        return False
    try:
        with transaction.atomic():
            claim = NoticeSummarySent.objects.create(user=user, day=day, notices=total)
    except IntegrityError:
        return False  # another worker (or an earlier run) has it
    clinic = connection.tenant
    brand = BrandSettings.for_default_site()
    name = brand.display_name or clinic.name
    context = {
        "user": user, "clinic_name": name, "day": day, "total": total,
        "groups": [{"label": label, "count": len(items), "more": max(len(items) - PER_KIND, 0),
                    "notices": [{"text": n.text, "url": clinic_url(clinic, n.url)} for n in items[:PER_KIND]]} for label, items in groups],
        "list_url": clinic_url(clinic, reverse("clinic_notices:list")),
        "preferences_url": clinic_url(clinic, reverse("clinic_notices:list") + "#resumen"),
    }
    with timezone.override(zone):
        message = render_email("clinic/email/notice_summary", context, language=language_for(user), to=[user.email],
                               from_email=sender(header_text(name)))
    try:
        message.send()
    except Exception:
        NoticeSummarySent.objects.filter(pk=claim.pk).delete()
        raise
    return True
