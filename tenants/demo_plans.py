"""Treatment plans for the demo clinics, so every plan screen shows something real.

For the demo patient (who signs in with the demo password): one plan accepted online,
paid in part (its first instalment by card at the desk), invoiced for that instalment,
one item booked and one done; and one plan waiting for an answer. A dental clinic's
items sit on teeth; a medical clinic's do not. Run by seed_demo after seed_invoices;
everything goes through clinic.actions, so versions, acceptance and invoices are real.
Idempotent: a clinic whose demo patient has plans gets none added.
"""

from datetime import timedelta
from decimal import Decimal

from portal.tenancy import clinic_context


def seed_plans(clinic) -> int:
    with clinic_context(clinic):
        from django.utils import timezone

        from clinic.actions.plans import AddPlanItem, AnswerEstimate, BookPlanItems, CreatePlan, IssueInstalmentInvoice, ItemData, PresentPlan
        from clinic.availability import find_slots
        from clinic.models import Appointment, Estimate, Patient, PatientPayment, PlanItem, Practitioner, TreatmentPlan

        patient = Patient.objects.filter(email=f"paciente@{clinic.slug}.example").first()
        if patient is None or TreatmentPlan.objects.filter(patient=patient).exists():
            return 0
        dental = clinic.practice_type == "dental"
        practitioner = Practitioner.objects.filter(active=True).order_by("sort_order").first()
        offered = list(practitioner.services.filter(active=True).order_by("price"))
        if not offered:
            return 0
        pick = lambda n: offered[min(n, len(offered) - 1)]  # noqa: E731
        teeth = (("16", "MO"), ("26", "D"), ("36", "")) if dental else (("", ""), ("", ""), ("", ""))

        plan = CreatePlan(patient, title="Rehabilitación de la arcada superior" if dental else "Seguimiento y pruebas", practitioner=practitioner,
                          notes="Empezaremos por lo más urgente." if dental else "").execute()
        for n, ((tooth, surfaces), phase, discount) in enumerate(zip(teeth, (1, 1, 2), ("0", "10", "0"))):
            AddPlanItem(plan, ItemData(service=pick(n), tooth=tooth, surfaces=surfaces, practitioner=practitioner, phase=phase,
                                       priority=PlanItem.Priority.HIGH if n == 0 else PlanItem.Priority.NORMAL, discount_percent=Decimal(discount)),
                        dental=dental).execute()
        estimate = PresentPlan(plan, schedule=Estimate.Schedule.PHASES, send_email=False).execute()
        AnswerEstimate(estimate, accept=True, name=str(patient), via=Estimate.Via.PORTAL, ip="127.0.0.1", actor=patient.user).execute()
        first = estimate.instalments.first()
        PatientPayment.objects.create(patient=patient, amount=first.amount, currency=clinic.currency, method=PatientPayment.Method.CARD,
                                      instalment=first, reference="TPV demo")
        IssueInstalmentInvoice(first).execute()
        # The first item booked in the coming days, the second done last week.
        items = list(plan.items.order_by("phase", "position"))
        day = timezone.localdate() + timedelta(days=3)
        slots = find_slots(service=items[0].service, practitioner=practitioner, start=day, end=day + timedelta(days=7), staff=True)
        if slots:
            BookPlanItems(plan, [(items[0], slots[-1].start, practitioner)]).execute()
        done = Appointment.objects.filter(patient=patient, status=Appointment.Status.COMPLETED, plan_items__isnull=True).first()
        if done:
            PlanItem.objects.filter(pk=items[1].pk).update(appointment=done, status=PlanItem.Status.DONE, done_at=done.end)

        waiting = CreatePlan(patient, title="Blanqueamiento" if dental else "Revisión anual", practitioner=practitioner).execute()
        AddPlanItem(waiting, ItemData(service=pick(1), practitioner=practitioner, discount_percent=Decimal("5")), dental=dental).execute()
        PresentPlan(waiting, schedule=Estimate.Schedule.MONTHLY, months=3, send_email=False).execute()
        return TreatmentPlan.objects.filter(patient=patient).count()
