"""Issue 11, items 1 and 2 under concurrency, each thread on its own connection with real
commits (so this module has no test transaction): two "Present" clicks make one version,
and two acceptances of one estimate (two tabs) record one."""

import threading
from decimal import Decimal

from django.db import connection, connections

from clinic.actions.base import ActionError
from clinic.actions.plans import AddPlanItem, AnswerEstimate, CreatePlan, ItemData, PresentPlan
from clinic.models import Estimate, Patient, Practitioner, TreatmentPlan
from portal.models import User
from portal.tenancy import clinic_context, public_context
from tests.helpers import triggers_off


def purge(patient):
    with triggers_off("clinic_estimateinstalment", "clinic_estimateline", "clinic_estimate"), connection.cursor() as cursor:
        plans = "SELECT id FROM clinic_treatmentplan WHERE patient_id = %s"
        estimates = f"SELECT id FROM clinic_estimate WHERE plan_id IN ({plans})"
        cursor.execute(f"DELETE FROM clinic_estimateinstalment WHERE estimate_id IN ({estimates})", [patient.pk])
        cursor.execute(f"DELETE FROM clinic_estimateline WHERE estimate_id IN ({estimates})", [patient.pk])
        cursor.execute(f"DELETE FROM clinic_estimate WHERE plan_id IN ({plans})", [patient.pk])
        cursor.execute(f"DELETE FROM clinic_planitem WHERE plan_id IN ({plans})", [patient.pk])
        cursor.execute("DELETE FROM clinic_treatmentplan WHERE patient_id = %s", [patient.pk])
    Patient.objects.filter(pk=patient.pk).delete()


def at_once(count, work):
    outcomes, barrier = [], threading.Barrier(count)

    def run():
        try:
            barrier.wait()
            outcomes.append(("done", work()))
        except ActionError:
            outcomes.append(("refused", None))  # the rules said no, with a message for the person
        except Exception as error:  # noqa: BLE001 - shown in the assertion
            outcomes.append(("error", repr(error)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_two_presentations_and_two_acceptances_at_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from tenants.models import Clinic

        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            dentist = User.objects.get(email="lucia.fernandez@sonrisa.example")
            practitioner = Practitioner.objects.get(user=dentist)
            user = User.objects.create_user(email="carrera.plan@example.com", password="x-Long-Password-1")
            patient = Patient.objects.create(first_name="Carrera", last_name="Plan", user=user)
            plan = CreatePlan(patient, title="Carrera", practitioner=practitioner, actor=dentist).execute()
            AddPlanItem(plan, ItemData(service=practitioner.services.first(), tooth="11", unit_price=Decimal("40")), dental=True, actor=dentist).execute()
        try:
            def present():
                with clinic_context(clinic):
                    return PresentPlan(TreatmentPlan.objects.get(pk=plan.pk), send_email=False, actor=dentist).execute().version

            outcomes = at_once(2, present)
            assert sorted(outcomes, key=str) == [("done", 1), ("refused", None)], outcomes  # one version, one refusal
            with clinic_context(clinic):
                estimate = Estimate.objects.get(plan=plan)  # one version

            def accept():
                with clinic_context(clinic):
                    return AnswerEstimate(Estimate.objects.get(pk=estimate.pk), accept=True, name="Carrera Plan", via=Estimate.Via.PORTAL,
                                          actor=user).execute().status

            outcomes = at_once(2, accept)
            assert sorted(outcomes, key=str) == [("done", Estimate.Status.ACCEPTED), ("refused", None)], outcomes
            with clinic_context(clinic):
                assert Estimate.objects.filter(plan=plan, status=Estimate.Status.ACCEPTED).count() == 1
                assert TreatmentPlan.objects.get(pk=plan.pk).status == TreatmentPlan.Status.ACCEPTED
        finally:
            with clinic_context(clinic):
                purge(patient)
                user.delete()
