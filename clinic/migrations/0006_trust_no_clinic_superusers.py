"""Clinic schemas have no superusers (issue 8, #7).

A clinic admin could tick Wagtail's "Administrator" box, and the account so made opened
groups, sites and collections. Any such account is demoted here, in every clinic schema
(and the clone template); portal.accounts.refuse_clinic_superusers stops new ones. Their
staff roles (groups) are left as they are.
"""

from django.db import migrations


def demote_superusers(apps, schema_editor):
    User = apps.get_model("portal", "User")
    User.objects.filter(is_superuser=True).update(is_superuser=False, is_staff=False)


class Migration(migrations.Migration):

    dependencies = [
        ("clinic", "0005_trust_payment_attempts_and_refunds"),
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(demote_superusers, migrations.RunPython.noop, elidable=True),
    ]
