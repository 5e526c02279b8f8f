"""Default staff roles of a clinic, as Django groups with Wagtail permissions.

Group names are stored in Spanish (the clinics' language) and looked up through
the ``Role`` enum, never by hand-typed strings.

Inventory: clinic admins everything (supplies, categories, bills of materials, receive,
use, adjust); reception receives deliveries and views; practitioners view and record use.
Stock movements have only a view permission, so no role can change or delete one.
"""

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page, Site


class Role(models.TextChoices):
    CLINIC_ADMIN = "Administración de la clínica", _("Clinic admin")
    PRACTITIONER = "Profesional", _("Practitioner")
    RECEPTIONIST = "Recepción", _("Receptionist")


ACCESS_ADMIN = "wagtailadmin.access_admin"

# Clinical content (clinic.records): practitioners and clinic admins. A private note is its
# author's; clinic admins read all of them (records.view_any_private_note).
CLINICAL = [
    "records.view_visit", "records.add_visit", "records.change_visit", "records.view_addendum", "records.add_addendum",
    "records.view_medicalhistory", "records.change_medicalhistory", "records.view_odontogramversion", "records.add_odontogramversion",
    "records.view_clinicaldocument", "records.add_clinicaldocument", "records.change_clinicaldocument", "records.view_administrative_document",
]

# Treatment plans: practitioners and clinic admins build and present them; reception reads
# them (to book the items and take payments) and records an estimate signed on paper.
PLANS = ["clinic.add_treatmentplan", "clinic.change_treatmentplan", "clinic.view_treatmentplan", "clinic.view_estimate", "clinic.change_estimate"]
PLANS_READ = ["clinic.view_treatmentplan", "clinic.view_estimate", "clinic.change_estimate"]

# Inventory (clinic.inventory): clinic admins run it (supplies, categories, bills of
# materials, stock counts); reception receives deliveries at the desk; practitioners record
# what they use outside a bill of materials. Everyone on the staff sees stock, lots and the
# ledger. Nobody changes or deletes a movement: the model has no such permissions at all
# (and a trigger refuses it), and supplies are set inactive, never deleted.
INVENTORY_READ = ["inventory.view_supply", "inventory.view_supplycategory", "inventory.view_lot", "inventory.view_stockmovement",
                  "inventory.view_servicesupply"]
INVENTORY = [
    *INVENTORY_READ, "inventory.add_supply", "inventory.change_supply",
    *(f"inventory.{a}_supplycategory" for a in ("add", "change", "delete")),
    *(f"inventory.{a}_servicesupply" for a in ("add", "change", "delete")),
    "inventory.receive_stock", "inventory.use_stock", "inventory.adjust_stock",
]

# Costs (issue 12): clinic admins record expenses, set pay agreements and approve pay
# statements; practitioners read their own statements only (the views filter); reception none.
COSTS = [
    *(f"clinic.{a}_{m}" for m in ("expense", "expensecategory", "recurringexpense", "payagreement") for a in ("add", "change", "view")),
    "clinic.add_paystatement", "clinic.view_paystatement", "clinic.view_any_paystatement", "clinic.approve_paystatement",
]

# app_label.codename per role. Page and collection permissions are added on top.
ROLE_PERMISSIONS = {
    Role.CLINIC_ADMIN: [
        ACCESS_ADMIN,
        *(f"clinic.{a}_{m}" for m in ("service", "servicecategory", "practitioner", "workinghours", "timeoff", "patient", "appointment", "room", "equipment")
          for a in ("add", "change", "delete", "view")),
        "clinic.add_patientpayment", "clinic.view_patientpayment", "clinic.change_bookingsettings", "clinic.change_any_appointment",
        # Contact messages arrive only from the website: nobody adds them by hand.
        "clinic.view_contactmessage", "clinic.change_contactmessage", "clinic.delete_contactmessage",
        "theme.change_brandsettings",
        *(f"portal.{a}_user" for a in ("add", "change", "view")),
        *CLINICAL, "records.view_any_private_note", "records.view_accesslogentry", "clinic.merge_patient",
        "clinic.add_invoice", "clinic.view_invoice", "clinic.change_invoicingsettings", "clinic.add_refund",
        "clinic.add_cashclose", "clinic.view_cashclose", *PLANS,
        "clinic.add_supplier", "clinic.change_supplier", "clinic.view_supplier", *INVENTORY, *COSTS,
        "clinic.change_securitysettings",
        "auth.view_group",
        "wagtailimages.add_image", "wagtailimages.change_image", "wagtailimages.choose_image", "wagtailimages.delete_image",
        "wagtaildocs.add_document", "wagtaildocs.change_document", "wagtaildocs.choose_document", "wagtaildocs.delete_document",
    ],
    Role.RECEPTIONIST: [
        ACCESS_ADMIN,
        "clinic.view_service", "clinic.view_servicecategory", "clinic.view_practitioner", "clinic.view_workinghours", "clinic.view_timeoff",
        "clinic.view_room", "clinic.view_equipment",
        *(f"clinic.{a}_{m}" for m in ("patient", "appointment") for a in ("add", "change", "view")),
        "clinic.change_any_appointment",
        "clinic.add_patientpayment", "clinic.view_patientpayment",
        "clinic.view_contactmessage", "clinic.change_contactmessage",
        # Contact data and alerts (on the patient), administrative documents; no clinical content.
        "records.view_administrative_document", "records.add_clinicaldocument",
        "clinic.add_invoice", "clinic.view_invoice", "clinic.add_cashclose", "clinic.view_cashclose", *PLANS_READ,
        *INVENTORY_READ, "inventory.receive_stock",
    ],
    Role.PRACTITIONER: [
        ACCESS_ADMIN,
        "clinic.view_service", "clinic.view_servicecategory", "clinic.view_practitioner", "clinic.view_patient", "clinic.view_appointment",
        "clinic.change_appointment", "clinic.view_room",
        *CLINICAL, *PLANS, "clinic.view_paystatement",
        *INVENTORY_READ, "inventory.use_stock",
    ],
}
PAGE_PERMISSIONS = {
    Role.CLINIC_ADMIN: ["add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page"],
}
COLLECTION_PERMISSIONS = {
    Role.CLINIC_ADMIN: [
        "wagtailimages.add_image", "wagtailimages.change_image", "wagtailimages.choose_image",
        "wagtaildocs.add_document", "wagtaildocs.change_document", "wagtaildocs.choose_document",
    ],
}


def _permissions(names):
    by_key = {}
    for name in names:
        app_label, codename = name.split(".")
        by_key[(app_label, codename)] = name
    found = Permission.objects.filter(
        content_type__app_label__in={k[0] for k in by_key}, codename__in={k[1] for k in by_key}
    ).select_related("content_type")
    perms = [p for p in found if (p.content_type.app_label, p.codename) in by_key]
    missing = set(by_key) - {(p.content_type.app_label, p.codename) for p in perms}
    if missing:
        raise LookupError(f"Unknown permissions: {sorted(missing)}")
    return perms


def ensure_default_groups() -> dict[Role, Group]:
    """The three staff groups in the current clinic schema, exactly as the code defines
    them (see sync_roles). Idempotent."""
    return sync_roles()


def sync_roles() -> dict[Role, Group]:
    """Make the three built-in staff groups of the current clinic schema match the code:
    missing model, page and collection permissions are added and ones the code no longer
    lists are removed. Groups a clinic made itself are never touched, nor permissions
    given to one person (a clinic admin's "may change every appointment").

    Runs at every release in every clinic schema and the clone template (a post_migrate
    step, clinic/apps.py) and by ``manage.py sync_roles``; cheap when nothing changed."""
    groups = {}
    # Page rights start at the site's home page: staff edit their website, and Wagtail
    # names the admin after that site.
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    root_page = site.root_page if site else Page.get_first_root_node()
    root_collection = Collection.get_first_root_node()
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = _permissions(ROLE_PERMISSIONS[role])
        if set(group.permissions.values_list("pk", flat=True)) != {p.pk for p in wanted}:
            group.permissions.set(wanted)
        page_perms = [Permission.objects.get(content_type__app_label="wagtailcore", codename=c) for c in PAGE_PERMISSIONS.get(role, [])]
        GroupPagePermission.objects.filter(group=group).exclude(page=root_page, permission__in=page_perms).delete()
        for perm in page_perms:
            GroupPagePermission.objects.get_or_create(group=group, page=root_page, permission=perm)
        collection_perms = _permissions(COLLECTION_PERMISSIONS.get(role, []))
        GroupCollectionPermission.objects.filter(group=group).exclude(collection=root_collection, permission__in=collection_perms).delete()
        for perm in collection_perms:
            GroupCollectionPermission.objects.get_or_create(group=group, collection=root_collection, permission=perm)
        groups[role] = group
    return groups


def sync_roles_after_migrate(sender, app_config=None, using="default", **kwargs):
    """post_migrate: once the last app of a migrate run has its permissions (so every
    permission the roles list exists), apply the roles in that schema. Not in the
    public schema, which has no clinic staff."""
    from django.apps import apps
    from django.db import connections

    from portal.tenancy import get_public_schema_name

    if app_config is not list(apps.get_app_configs())[-1]:
        return
    schema = getattr(connections[using], "schema_name", None)
    if schema is None or schema == get_public_schema_name():
        return
    sync_roles()


def clinic_admin_emails() -> list[str]:
    from django.contrib.auth import get_user_model

    return list(
        get_user_model().objects.filter(groups__name=Role.CLINIC_ADMIN.value, is_active=True).values_list("email", flat=True)
    )


def is_clinic_admin(user) -> bool:
    return user.is_active and (user.is_superuser or user.groups.filter(name=Role.CLINIC_ADMIN.value).exists())


def staff_users():
    """The clinic's staff: accounts in one of the staff roles' groups. Everyone else is a patient.

    User pickers and listings in the clinic admin use this, so that patients never appear
    there (issue 8, #7). To take someone's access away, mark them inactive: an account with
    no staff role is a patient account and leaves the staff listing.
    """
    from django.contrib.auth import get_user_model

    User = get_user_model()
    in_staff_groups = User.groups.through.objects.filter(group__name__in=[role.value for role in Role]).values("user_id")
    return User.objects.filter(pk__in=in_staff_groups)
