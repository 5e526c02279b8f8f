"""Two staff members refund the whole of one payment at the same moment: one refund, the
other told what is left. Real threads and commits, so this module has no test transaction."""

import threading
from decimal import Decimal

from django.db import connection, connections

from clinic.actions.base import ActionError
from clinic.actions.payments import RecordDeskPayment, RefundPayment
from clinic.models import Patient, PatientPayment, Refund
from portal.models import User
from portal.tenancy import clinic_context, public_context


def test_two_full_refunds_at_once_refund_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from tenants.models import Clinic

        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            admin = User.objects.get(email="admin@sonrisa.example")
            patient = Patient.objects.create(first_name="Carrera", last_name="Devolución")
            payment = RecordDeskPayment(patient=patient, amount=Decimal("80"), method=PatientPayment.Method.CASH, actor=admin).execute()
        outcomes, barrier = [], threading.Barrier(2)

        def attempt():
            try:
                with clinic_context(clinic):
                    barrier.wait()
                    RefundPayment(payment, amount=Decimal("80"), reason="Doble clic", actor=admin).execute()
                outcomes.append("refunded")
            except ActionError:
                outcomes.append("refused")
            except Exception as error:  # noqa: BLE001 - shown in the assertion
                outcomes.append(repr(error))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=attempt) for _ in range(2)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert sorted(outcomes) == ["refunded", "refused"], outcomes
            with clinic_context(clinic):
                assert Refund.objects.filter(payment=payment).count() == 1
                assert PatientPayment.objects.get(pk=payment.pk).refunded_amount == Decimal("80")
        finally:
            with clinic_context(clinic):
                Refund.objects.filter(payment=payment).delete()
                PatientPayment.objects.filter(pk=payment.pk).delete()
                Patient.objects.filter(pk=patient.pk).delete()
            connection.set_schema_to_public()
