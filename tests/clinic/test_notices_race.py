"""Issue 12, item 4: two workers running the daily summary at once send it once. Each
worker has its own connection and really commits, so this module has no test
transaction (and no ``transaction=True``, whose flush would empty the public schema the
other tests and the browser journeys share); what it writes is removed afterwards."""

import threading

from django.core import mail
from django.db import connections

from clinic.models import Appointment, NoticeRead, NoticeSummarySent
from clinic.notice_summary import send_daily_summaries
from portal.tenancy import clinic_context, public_context
from tests.clinic.test_notices import book_tomorrow, seven_oh_five


def test_two_workers_at_once_send_one_summary(django_db_setup, django_db_blocker):
    from tenants.models import Clinic

    with django_db_blocker.unblock():
        with public_context():
            sonrisa = Clinic.objects.get(slug="sonrisa")
        with clinic_context(sonrisa):
            NoticeSummarySent.objects.all().delete()  # an interrupted earlier run
            appointment = book_tomorrow(sonrisa, first_name="Carrera")
        mail.outbox.clear()
        barrier, results, errors = threading.Barrier(2), [], []

        def worker():
            try:
                with clinic_context(sonrisa):
                    barrier.wait(10)
                    results.append(send_daily_summaries(now=seven_oh_five(sonrisa)))
            except Exception as error:  # noqa: BLE001 (reported below)
                errors.append(error)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert not errors and sorted(results) == [0, 1]
            assert len(mail.outbox) == 1
        finally:
            with clinic_context(sonrisa):
                NoticeSummarySent.objects.all().delete()
                NoticeRead.objects.all().delete()
                patient = appointment.patient
                Appointment.objects.filter(pk=appointment.pk).delete()
                patient.delete()
