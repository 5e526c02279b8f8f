"""The same change twice at once: two saves of the same odontogram make one version, and
two merges of the same duplicate move everything once. Separate threads and
connections with real commits, so this module has no test transaction."""

import threading

from django.db import connection, connections

from clinic.actions.base import ActionError
from clinic.models import Patient
from clinic.records.actions import MergePatients, SaveOdontogram
from clinic.records.models import OdontogramVersion, Visit
from portal.models import User
from portal.tenancy import clinic_context, public_context
from tests.helpers import purge_clinical_rows


def race(clinic, fn, n=2):
    outcomes, barrier = [], threading.Barrier(n)

    def attempt():
        try:
            with clinic_context(clinic):
                barrier.wait()
                fn()
            outcomes.append("done")
        except ActionError as error:
            outcomes.append(f"refused: {error.message}")
        except Exception as error:  # noqa: BLE001 - shown in the assertion
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return sorted(outcomes)


def test_two_identical_odontogram_saves_at_once_make_one_version(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from tenants.models import Clinic

        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            patient = Patient.objects.create(first_name="Carrera", last_name="Odontograma")
            lucia = User.objects.get(email="lucia.fernandez@sonrisa.example")
        chart = {"16": {"state": "healthy", "surfaces": {"O": "caries", "M": "caries"}}}
        try:
            outcomes = race(clinic, lambda: SaveOdontogram(patient, chart=chart, actor=lucia).execute())
            assert outcomes[0] == "done" and outcomes[1].startswith("refused:"), outcomes
            with clinic_context(clinic):
                assert OdontogramVersion.objects.filter(patient=patient).count() == 1
        finally:
            with clinic_context(clinic):
                purge_clinical_rows(patients=[patient])
                Patient.objects.filter(pk=patient.pk).delete()
            connection.set_schema_to_public()


def test_two_merges_of_one_duplicate_at_once_move_it_once(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        from tenants.models import Clinic

        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            keep = Patient.objects.create(first_name="Carrera", last_name="Fusión")
            duplicate = Patient.objects.create(first_name="Carrera", last_name="Fusión Duplicado")
            lucia = User.objects.get(email="lucia.fernandez@sonrisa.example")
            admin = User.objects.get(email="admin@sonrisa.example")
            Visit.objects.create(patient=duplicate, practitioner=lucia.practitioner, author=lucia, date="2026-01-10", reason="Revisión")
        try:
            outcomes = race(clinic, lambda: MergePatients(keep, duplicate, actor=admin).execute())
            assert outcomes[0] == "done" and outcomes[1].startswith("refused:"), outcomes
            with clinic_context(clinic):
                assert Visit.objects.filter(patient=keep).count() == 1
                assert Patient.objects.get(pk=duplicate.pk).merged_into_id == keep.pk
        finally:
            with clinic_context(clinic):
                purge_clinical_rows(patients=[keep, duplicate])
                Patient.objects.filter(pk=duplicate.pk).update(merged_into=None)
                Patient.objects.filter(pk__in=[keep.pk, duplicate.pk]).delete()
            connection.set_schema_to_public()
