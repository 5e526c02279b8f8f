"""The e-mail that brings a patient their estimate, with the link to answer it."""

from django.db import connection
from django.urls import reverse

from portal.mail import header_text, queue_email, render_email, sender
from portal.tenancy import clinic_url


def queue_estimate_email(estimate) -> None:
    """Inside the presenting transaction: render the e-mail in the patient's language and
    queue it with the transaction (portal.mail.queue_email), so it goes once the estimate
    exists and never for one that was rolled back. The link is bound to this clinic and
    this patient (clinic.actions.plans.estimate_link_token)."""
    from theme.models import BrandSettings

    from .actions.plans import estimate_link_token

    plan = estimate.plan
    patient = plan.patient
    brand = BrandSettings.for_default_site()
    clinic = connection.tenant
    context = {
        "estimate": estimate, "plan": plan, "patient": patient, "brand": brand, "clinic": clinic,
        "lines": list(estimate.lines.all()), "instalments": list(estimate.instalments.all()),
        "link": clinic_url(clinic, reverse("patients_portal:estimate_link", args=[estimate_link_token(estimate)])),
    }
    queue_email(render_email("clinic/email/estimate", context, language=patient.user, to=[patient.email],
                             from_email=sender(header_text(brand.display_name or clinic.name))))
