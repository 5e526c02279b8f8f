"""Issue 12, item 5: one recovery code, or one authenticator code, sent five times at once
signs in once. Each request on its own connection with real commits (so this module has no
test transaction)."""

import threading
import time
from http import HTTPStatus

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.db import connection, connections
from django.test import Client

from portal.models import User
from portal.tenancy import clinic_context, public_context
from tests.conftest import DEMO_PASSWORD

PATIENT = "paciente@sonrisa.example"


def test_one_recovery_code_sent_five_times_at_once_signs_in_once(django_db_setup, django_db_blocker, monkeypatch):
    """allauth re-reads the codes under a row lock before marking one used; a pause before
    the write (as a busy server makes) shows the others wait for it and then refuse."""
    mark = RecoveryCodes._mark_code_used

    def slow_mark(self, i):
        time.sleep(0.3)
        mark(self, i)

    monkeypatch.setattr(RecoveryCodes, "_mark_code_used", slow_mark)
    with django_db_blocker.unblock():
        from tenants.models import Clinic

        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        with clinic_context(clinic):
            patient = User.objects.get(email=PATIENT)
            Authenticator.objects.filter(user=patient).delete()
            TOTP.activate(patient, generate_totp_secret())
            code = RecoveryCodes.activate(patient).generate_codes()[0]
        connection.set_schema_to_public()
        clients = []
        for _i in range(5):
            client = Client(HTTP_HOST=clinic.primary_host)
            assert client.post("/accounts/login/", {"login": PATIENT, "password": DEMO_PASSWORD})["Location"] == "/accounts/2fa/authenticate/"
            clients.append(client)
        outcomes, barrier = [], threading.Barrier(5)

        def send(client):
            try:
                barrier.wait()
                response = client.post("/accounts/2fa/authenticate/", {"code": code})
                outcomes.append(response.status_code)
            except Exception as error:  # noqa: BLE001 - shown in the assertion
                outcomes.append(repr(error))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=send, args=(client,)) for client in clients]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert sorted(outcomes) == [HTTPStatus.OK] * 4 + [HTTPStatus.FOUND], outcomes
            with clinic_context(clinic):
                codes = RecoveryCodes(Authenticator.objects.get(user=patient, type="recovery_codes"))
                assert code not in codes.get_unused_codes() and len(codes.get_unused_codes()) == 9
        finally:
            with clinic_context(clinic):
                Authenticator.objects.filter(user=patient).delete()
            connection.set_schema_to_public()


def test_one_authenticator_code_sent_five_times_at_once_signs_in_once(django_db_setup, django_db_blocker):
    """A TOTP code is marked used with an atomic cache ``add`` (the clinic's cache keys):
    one of five simultaneous requests passes."""
    with django_db_blocker.unblock():
        from tenants.models import Clinic

        with public_context():
            clinic = Clinic.objects.get(slug="sonrisa")
        secret = generate_totp_secret()
        with clinic_context(clinic):
            patient = User.objects.get(email=PATIENT)
            Authenticator.objects.filter(user=patient).delete()
            TOTP.activate(patient, secret)
        connection.set_schema_to_public()
        clients = []
        for _i in range(5):
            client = Client(HTTP_HOST=clinic.primary_host)
            client.post("/accounts/login/", {"login": PATIENT, "password": DEMO_PASSWORD})
            clients.append(client)
        # Not at the end of a 30-second step, so all five send the same code.
        while int(time.time()) % 30 > 20:
            time.sleep(1)
        code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
        outcomes, barrier = [], threading.Barrier(5)

        def send(client):
            try:
                barrier.wait()
                outcomes.append(client.post("/accounts/2fa/authenticate/", {"code": code}).status_code)
            except Exception as error:  # noqa: BLE001 - shown in the assertion
                outcomes.append(repr(error))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=send, args=(client,)) for client in clients]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert sorted(outcomes) == [HTTPStatus.OK] * 4 + [HTTPStatus.FOUND], outcomes
        finally:
            with clinic_context(clinic):
                Authenticator.objects.filter(user=patient).delete()
            connection.set_schema_to_public()
