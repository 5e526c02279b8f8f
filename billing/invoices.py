"""The platform's invoices to clinics for their plan (public schema): one per paid
subscription payment, one credit note per refund of it.

*When.* In the transaction that records a payment as paid
(tenants.services.record_signup_payment, billing.subscriptions.record_renewal_paid) and
in the one that marks a platform refund refunded (billing.refunds.send_refund), inside a
savepoint (:func:`invoice_within`, :func:`credit_within`). The payment and its invoice
commit together: there is no moment in which a worker can die with the payment recorded
and its invoice still to be issued by a job queued on commit (STACK-NOTES: such work is
lost). An invoice that cannot be issued there (a bug, a broken setting) never undoes the
payment: it is logged and :func:`sweep_invoices`, every 10 minutes, issues it (and any
payment recorded before the platform invoiced, dated the day it runs).

*Exactly once.* Each issue takes the payment's row lock, then the platform's invoice lock
(a transaction-level advisory lock), and first looks for what it would issue; the
database also keeps one invoice per payment and one credit note per refund. Numbers come
from the series row under that lock, in the order of issue, without gaps, and each
record links to the one issued before it (portal.invoicing, portal.verifactu), exactly as
a clinic's invoices do. Locks are always taken refund → payment → invoice lock.

*What.* Issuer: ``PLATFORM_*`` settings (billing.conf). Recipient: the clinic's legal data
(its name and no tax ID when it gave none: then a simplified invoice), or its signup's
when the first period is paid before the clinic exists. The plan's price includes VAT at
``PLATFORM_VAT_RATE``: base and VAT are worked out of the amount paid, so the invoice's
total is what the card was charged. Texts are in the platform's language (Spanish).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.invoicing import record_now, take_number

from .conf import billing_settings
from .models import Payment, PlatformInvoice, PlatformInvoiceLine, PlatformInvoiceSeries, PlatformRefund

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
LOCK_KEY = 2020  # with hashtext('public'): the platform's invoice lock (clinics use their schema and 1010)
SWEEP_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Recipient:
    name: str
    tax_id: str
    address: str


@dataclass(frozen=True)
class Line:
    description: str
    unit_price: Decimal
    tax_rate: Decimal
    base: Decimal
    tax: Decimal
    quantity: Decimal = Decimal("1")


def split_gross(amount: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """``amount`` (VAT included at ``rate`` %) as its base and VAT, which add up to it exactly."""
    base = (Decimal(amount) * 100 / (100 + rate)).quantize(CENT, ROUND_HALF_UP)
    return base, Decimal(amount) - base


def recipient_for(payment: Payment) -> Recipient:
    """Who ``payment`` is invoiced to: the clinic as it is now, or its signup before it exists."""
    clinic = payment.clinic or (payment.signup.clinic if payment.signup_id else None)
    if clinic is not None:
        return Recipient(name=clinic.legal_name or clinic.name, tax_id=clinic.tax_id, address=clinic.fiscal_address)
    signup = payment.signup
    return Recipient(name=signup.legal_name or signup.clinic_name, tax_id=signup.tax_id, address=signup.fiscal_address)


def _plan_name(payment: Payment) -> str:
    if payment.signup_id:
        return payment.signup.plan.name
    subscription = getattr(payment.clinic, "subscription", None)
    plan = subscription.plan if subscription else payment.clinic.plan
    return plan.name if plan else ""


def _describe(payment: Payment) -> str:
    zone = billing_settings.invoice_zone
    start, end = (timezone.localtime(moment, zone).strftime("%d/%m/%Y") for moment in (payment.period_start, payment.period_end))
    plan = _plan_name(payment)
    with translation.override(settings.LANGUAGE_CODE):
        if not plan:  # a clinic made by hand with no plan of record
            return _("Clinic Portal subscription: %(start)s to %(end)s") % {"start": start, "end": end}
        return _("Clinic Portal, plan %(plan)s: %(start)s to %(end)s") % {"plan": plan, "start": start, "end": end}


def _lock_platform_invoices() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('public'), %s)", [LOCK_KEY])


def _issuer():
    issuer = billing_settings.platform_issuer
    if issuer.missing:
        raise ImproperlyConfigured(f"{', '.join(issuer.missing)} must be set before the platform can invoice (billing.E001)")
    return issuer


def _write(*, kind: str, prefix: str, payment: Payment, recipient: Recipient, lines: list[Line], **extra) -> PlatformInvoice:
    """The record: the series' next number, the issuer as configured now, the chain link;
    then its lines. Under the platform's invoice lock."""
    issuer = _issuer()
    now = record_now(billing_settings.invoice_zone)
    code = f"{prefix}{now.year}"
    base = sum((line.base for line in lines), Decimal("0"))
    tax = sum((line.tax for line in lines), Decimal("0"))
    invoice = PlatformInvoice(
        kind=kind, series=code, number=take_number(PlatformInvoiceSeries, code),
        issuer_name=issuer.legal_name, issuer_tax_id=issuer.tax_id, issuer_address=issuer.address,
        recipient_name=recipient.name[:200], recipient_tax_id=recipient.tax_id, recipient_address=recipient.address,
        payment=payment, currency=payment.currency, base=base, tax=tax, total=base + tax, **extra,
    )
    invoice.seal(now=now, previous=PlatformInvoice.last_fingerprint())
    invoice.save()
    PlatformInvoiceLine.objects.bulk_create(
        PlatformInvoiceLine(invoice=invoice, description=line.description[:200], quantity=line.quantity, unit_price=line.unit_price,
                            tax_rate=line.tax_rate, base=line.base, tax=line.tax) for line in lines
    )
    logger.info("platform invoice %s issued for payment %s: %s %s", invoice.full_number, payment.pk, invoice.total, invoice.currency)
    return invoice


def issue_invoice(*, payment_id: int) -> PlatformInvoice | None:
    """The invoice of a paid subscription payment: the one it has, or a new one. None for a
    payment not paid, or paid nothing (a free plan's renewal). Idempotent.
    Side effects: an invoice and its line; the series moves on by one."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update(of=("self",)).select_related("clinic__subscription__plan", "clinic__plan", "signup__plan", "signup__clinic").get(pk=payment_id)
        _lock_platform_invoices()
        existing = PlatformInvoice.objects.filter(payment=payment, corrects__isnull=True).first()
        if existing is not None:
            return existing
        if payment.status != Payment.Status.SUCCEEDED or payment.amount <= 0:
            return None
        rate = billing_settings.platform_vat_rate
        base, tax = split_gross(payment.amount, rate)
        recipient = recipient_for(payment)
        kind = PlatformInvoice.Kind.INVOICE if recipient.tax_id else PlatformInvoice.Kind.SIMPLIFIED
        line = Line(description=_describe(payment), unit_price=base, tax_rate=rate, base=base, tax=tax)
        return _write(kind=kind, prefix=billing_settings.invoice_prefix, payment=payment, recipient=recipient, lines=[line])


def issue_credit_note(*, refund_id: int) -> PlatformInvoice | None:
    """The credit note of a refunded platform refund, referring to its payment's invoice
    (issued first when it is still missing): the invoice's lines with the opposite sign for
    a full refund, the amount refunded (VAT included) otherwise. The recipient is the
    invoice's. None while the refund is not refunded. Idempotent.
    Side effects: a credit note and its line (and perhaps the invoice)."""
    with transaction.atomic():
        refund = PlatformRefund.objects.select_for_update().get(pk=refund_id)
        if refund.status != PlatformRefund.Status.SUCCEEDED:
            return None
        invoice = issue_invoice(payment_id=refund.payment_id)  # the payment's lock, then the invoice lock
        if invoice is None:
            return None
        existing = PlatformInvoice.objects.filter(refund=refund).first()
        if existing is not None:
            return existing
        if refund.amount >= invoice.total:
            lines = [Line(description=line.description, unit_price=-line.unit_price, quantity=line.quantity, tax_rate=line.tax_rate,
                          base=-line.base, tax=-line.tax) for line in invoice.lines.all()]
        else:
            rate = invoice.lines.first().tax_rate
            base, tax = split_gross(refund.amount, rate)
            with translation.override(settings.LANGUAGE_CODE):
                description = _("Partial refund of invoice %(number)s") % {"number": invoice.full_number}
            lines = [Line(description=description, unit_price=-base, tax_rate=rate, base=-base, tax=-tax)]
        kind = PlatformInvoice.Kind.CREDIT if invoice.kind == PlatformInvoice.Kind.INVOICE else PlatformInvoice.Kind.SIMPLIFIED_CREDIT
        with translation.override(settings.LANGUAGE_CODE):
            reason = refund.reason.strip() or _("Refund")
        return _write(
            kind=kind, prefix=billing_settings.credit_prefix, payment=invoice.payment,
            recipient=Recipient(invoice.recipient_name, invoice.recipient_tax_id, invoice.recipient_address), lines=lines,
            corrects=invoice, refund=refund, correction_reason=reason[:200],
        )


def invoice_within(payment: Payment) -> PlatformInvoice | None:
    """Inside the caller's transaction (the one that records ``payment`` paid): its invoice,
    in a savepoint. A failure is logged and left to :func:`sweep_invoices`; it never undoes
    the payment."""
    try:
        with transaction.atomic():
            return issue_invoice(payment_id=payment.pk)
    except Exception:
        logger.exception("payment %s: its invoice could not be issued now; the sweep will issue it", payment.pk)
        return None


def credit_within(refund: PlatformRefund) -> PlatformInvoice | None:
    """Inside the caller's transaction (the one that marks ``refund`` refunded): its credit
    note, in a savepoint; a failure is logged and left to :func:`sweep_invoices`."""
    try:
        with transaction.atomic():
            return issue_credit_note(refund_id=refund.pk)
    except Exception:
        logger.exception("platform refund %s: its credit note could not be issued now; the sweep will issue it", refund.pk)
        return None


def sweep_invoices(*, older_than: timedelta = SWEEP_AFTER) -> int:
    """Scheduled job (public schema, every 10 minutes): issue what is missing. Paid payments
    without an invoice (its issue failed, or the payment is older than the platform's
    invoices) and refunded refunds without a credit note, recorded more than ``older_than``
    ago. Each in its own transaction; one that fails is logged and tried again next time.
    Returns how many records were issued."""
    cutoff = timezone.now() - older_than
    invoiced = PlatformInvoice.objects.filter(payment=OuterRef("pk"), corrects__isnull=True)
    payments = list(
        Payment.objects.filter(status=Payment.Status.SUCCEEDED, amount__gt=0)
        .filter(Q(paid_at__lt=cutoff) | Q(paid_at__isnull=True, created__lt=cutoff))
        .exclude(Exists(invoiced)).order_by("pk").values_list("pk", flat=True)
    )
    refunds = list(
        PlatformRefund.objects.filter(status=PlatformRefund.Status.SUCCEEDED, credit_note__isnull=True, completed_at__lt=cutoff)
        .order_by("pk").values_list("pk", flat=True)
    )
    issued = 0
    for issue, key, ids in ((issue_invoice, "payment_id", payments), (issue_credit_note, "refund_id", refunds)):
        for pk in ids:
            try:
                issued += issue(**{key: pk}) is not None
            except Exception:
                logger.exception("sweep: could not issue the platform invoice of %s %s", key, pk)
    return issued


def invoices_of(clinic):
    """A clinic's platform invoices and credit notes, newest first (its "Plan and billing" page)."""
    return PlatformInvoice.objects.filter(payment__clinic=clinic).order_by("-generated_at", "-pk")


def invoice_pdf(invoice: PlatformInvoice) -> bytes:
    """The PDF, in the layout every invoice shares (portal.pdf.draw_invoice), labels in the
    active language."""
    from portal.pdf import draw_invoice

    recipient = "\n".join(part for part in (invoice.recipient_name, f"NIF {invoice.recipient_tax_id}" if invoice.recipient_tax_id else "",
                                            invoice.recipient_address) if part)
    return draw_invoice(invoice.document(recipient_label=_("Clinic"), recipient=recipient, lines=invoice.lines.all()))
