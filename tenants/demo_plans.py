"""Treatment plans for the demo clinics, so every plan screen shows something real.

For the demo patient (who signs in with the demo password): one plan accepted online,
paid in part (its first instalment by card at the desk), invoiced for that instalment,
one item booked and one done; and one plan waiting for an answer. A dental clinic's
items sit on teeth; a medical clinic's do not. Run by seed_demo after seed_invoices;
everything goes through clinic.actions, so versions, acceptance and invoices are real.
Idempotent: a clinic whose demo patient has plans gets none added.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

from portal.tenancy import clinic_context, clinic_zone


def seed_plans(clinic) -> int:
    with clinic_context(clinic):
        from django.utils import timezone

        from clinic.actions.plans import AddPlanItem, AnswerEstimate, BookPlanItems, CreatePlan, IssueInstalmentInvoice, ItemData, PresentPlan
        from clinic.availability import find_slots
        from clinic.models import Appointment, Estimate, Patient, PatientPayment, PlanItem, Practitioner, TreatmentPlan

        patient = Patient.objects.filter(email=f"paciente@{clinic.slug}.example").first()
        if patient is None or TreatmentPlan.objects.filter(patient=patient).exists():
            return 0
        from tenants.models import Clinic

        dental = Clinic.objects.filter(pk=clinic.pk, practice_type="dental").exists()  # seed_clinic sets it after creating the row
        practitioner = Practitioner.objects.filter(active=True).order_by("sort_order").first()
        offered = list(practitioner.services.filter(active=True).order_by("price"))
        if not offered:
            return 0
        # The dental demo's catalogue has fillings, root canals and whitening: use them where they are.
        wanted = ("empaste", "empaste", "endodoncia") if dental else ()
        named = [next((s for s in offered if word in s.name.lower()), None) for word in wanted]

        def pick(n):
            return (named[n] if n < len(named) and named[n] else None) or offered[min(n, len(offered) - 1)]
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
        from clinic.models import InvoicingSettings

        if InvoicingSettings.load().complete:  # seed_invoices fills the clinic's invoicing details first
            IssueInstalmentInvoice(first).execute()
        # The first item booked in the coming days, the second done last week.
        items = list(plan.items.order_by("phase", "position"))
        day = timezone.localdate() + timedelta(days=3)
        slots = find_slots(service=items[0].service, practitioner=practitioner, start=day, end=day + timedelta(days=7), staff=True)
        if slots:
            BookPlanItems(plan, [(items[0], slots[-1].start, practitioner)], notify=False).execute()  # demo data e-mails nobody
        zone = clinic_zone()
        start = datetime.combine(timezone.localdate(timezone=zone) - timedelta(days=8), time(7, 30), zone)  # before the demo agenda's hours
        service = items[1].service
        done = Appointment.objects.create(patient=patient, practitioner=practitioner, service=service, start=start,
                                          end=start + timedelta(minutes=service.duration_minutes), price=items[1].amount,
                                          status=Appointment.Status.COMPLETED, completed_at=start + timedelta(minutes=service.duration_minutes))
        PlanItem.objects.filter(pk=items[1].pk).update(appointment=done, status=PlanItem.Status.DONE, done_at=done.end)

        waiting = CreatePlan(patient, title="Blanqueamiento" if dental else "Revisión anual", practitioner=practitioner).execute()
        from clinic.models import Service

        whitening = Service.objects.filter(active=True, name__icontains="blanque").first() if dental else None
        by = whitening.practitioners.filter(active=True).first() if whitening else None
        AddPlanItem(waiting, ItemData(service=whitening or pick(1), practitioner=by or practitioner, discount_percent=Decimal("5")), dental=dental).execute()
        PresentPlan(waiting, schedule=Estimate.Schedule.MONTHLY, months=3, send_email=False).execute()
        return TreatmentPlan.objects.filter(patient=patient).count()
