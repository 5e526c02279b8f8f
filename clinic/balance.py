"""What a patient owes or has in their favour, and what the desk should hold at the end
of a day: read from the ledger and the invoices, a few aggregate queries each."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import F, Q, Sum

from portal.tenancy import clinic_zone

from .models import Appointment, Estimate, EstimateLine, Invoice, PatientPayment, PlanItem, Refund

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Balance:
    invoiced: Decimal  # invoices less credit notes
    paid: Decimal  # money received less money given back
    uninvoiced: Decimal  # completed appointments with no invoice yet, and plan work done beyond its invoices

    @property
    def pending(self) -> Decimal:
        return max(self.invoiced + self.uninvoiced - self.paid, ZERO)

    @property
    def credit(self) -> Decimal:
        return max(self.paid - self.invoiced - self.uninvoiced, ZERO)


def patient_balance(patient) -> Balance:
    """The patient's figures in four aggregate queries (benchmarks/bench_balance.py)."""
    on_plans = Q(instalment__isnull=False) | Q(corrects__instalment__isnull=False)
    invoices = Invoice.objects.filter(patient=patient).aggregate(every=Sum("total"), plans=Sum("total", filter=on_plans))
    money = PatientPayment.objects.filter(patient=patient).aggregate(paid=Sum("amount"), refunded=Sum("refunded_amount"))
    # A plan's visits are invoiced through the plan (by instalment), not one by one.
    visits = Appointment.objects.filter(patient=patient, status=Appointment.Status.COMPLETED, plan_items__isnull=True).exclude(
        invoices__kind=Invoice.Kind.INVOICE).aggregate(total=Sum("price"))["total"] or ZERO
    done = EstimateLine.objects.filter(estimate__plan__patient=patient, estimate__status=Estimate.Status.ACCEPTED, item__status=PlanItem.Status.DONE
                                       ).aggregate(total=Sum(F("amount") + F("tax")))["total"] or ZERO
    uninvoiced = visits + max(done - (invoices["plans"] or ZERO), ZERO)
    return Balance(invoiced=invoices["every"] or ZERO, paid=(money["paid"] or ZERO) - (money["refunded"] or ZERO), uninvoiced=uninvoiced)


DESK_METHODS = (PatientPayment.Method.CASH, PatientPayment.Method.CARD, PatientPayment.Method.TRANSFER)


def day_bounds(day: date):
    zone = clinic_zone()
    start = datetime.combine(day, time.min, zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, zone)


def expected_at_the_desk(day: date) -> dict[str, dict]:
    """Per desk method: the payments received on ``day`` (the clinic's day), the refunds
    completed that day, and what the counter should hold."""
    start, end = day_bounds(day)
    received = dict(PatientPayment.objects.filter(method__in=DESK_METHODS, received_at__gte=start, received_at__lt=end)
                    .values_list("method").annotate(total=Sum("amount")).values_list("method", "total"))
    returned = dict(Refund.objects.filter(Q(payment__method__in=DESK_METHODS), status=Refund.Status.SUCCEEDED, completed_at__gte=start,
                                          completed_at__lt=end).values_list("payment__method").annotate(total=Sum("amount"))
                    .values_list("payment__method", "total"))
    return {method: {"received": received.get(method, ZERO), "refunded": returned.get(method, ZERO),
                     "expected": received.get(method, ZERO) - returned.get(method, ZERO)} for method in DESK_METHODS}
