"""The clinic admin's Users pages: staff only, invited by e-mail, never superusers (issue 8, #7).

Wagtail's own user forms offer ``is_superuser`` and password fields to anyone who may add or
change users, and its listing shows every account, patients included. This viewset replaces
Wagtail's (through ``ClinicUsersAppConfig.user_viewset`` in clinic/apps.py, Wagtail's
documented way to customise user forms):

- *Invite a staff member* (name, e-mail, role): the account starts with no usable password
  and the person chooses one through an e-mailed link that works only at this clinic.
- Editing: name, e-mail, active, roles. No superuser flag, no password fields.
- Listing, edit, history, usage and bulk actions reach staff accounts only
  (``clinic.roles.staff_users``); patients are managed as Patients.
- The listing shows who has two-factor sign-in on. A clinic admin may switch off another
  staff member's two-factor sign-in when they lost their phone (audited,
  ``clinic.actions.team.ResetTwoFactor``); if the clinic requires it, the person sets up a
  new authenticator app at their next page.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.views.generic import UsageView
from wagtail.users.forms import UserEditForm
from wagtail.users.views import users as wagtail_users

from portal.mfa import has_totp

from .roles import Role, is_clinic_admin, staff_users
from .staff import invite_staff_member

User = get_user_model()


def staff_groups():
    return Group.objects.filter(name__in=[role.value for role in Role]).order_by("name")


class InviteStaffForm(forms.ModelForm):
    """Who to invite and in which role; no password, no superuser flag."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, help_text=_("What this person may see and do in the admin."))

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        self.fields["email"].help_text = _("We e-mail this address a link to choose a password.")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("This address already has an account at this clinic."), code="exists")
        return email


class StaffUserEditForm(UserEditForm):
    """Wagtail's edit form without ``is_superuser`` and passwords, with the staff roles only.

    Every staff account keeps at least one role: to take someone's access away, untick
    *Active* (an account without a role is a patient's and leaves this listing).
    """

    every_appointment = forms.BooleanField(
        label=_("May change every practitioner's appointments"), required=False,
        help_text=_("Reception and clinic admins always may. Without it, a practitioner changes only their own appointments."),
    )
    reset_two_factor = forms.BooleanField(
        label=_("Switch off two-factor sign-in (lost phone)"), required=False,
        help_text=_("Deletes this person's authenticator app and recovery codes, and is recorded in the history. "
                    "Check who is asking first. If the clinic requires two-factor sign-in, they set it up again at their next sign-in."),
    )

    class Meta(UserEditForm.Meta):
        fields = ["email", "first_name", "last_name", "is_active", "groups"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("is_superuser", "password1", "password2"):
            self.fields.pop(name, None)
        if self.instance.pk:
            self.fields["every_appointment"].initial = self.instance.user_permissions.filter(codename="change_any_appointment").exists()
        self.fields["groups"].queryset = staff_groups()
        self.fields["groups"].required = True
        self.fields["groups"].error_messages["required"] = _("Choose at least one role. To remove someone's access, untick Active.")

    @property
    def password_enabled(self):
        return False


class StaffOnlyObjectMixin:
    """A patient's account is not found here (404), whatever id is typed in the address."""

    def get_object(self, *args, **kwargs):
        instance = super().get_object(*args, **kwargs)
        if not staff_users().filter(pk=instance.pk).exists():
            raise Http404
        return instance


class StaffFilterSet(wagtail_users.UserFilterSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters.pop("is_superuser", None)
        self.filters["group"].queryset = staff_groups()


class StaffIndexView(wagtail_users.IndexView):
    add_item_label = _("Invite a staff member")

    def get_base_queryset(self):
        from allauth.mfa.models import Authenticator

        totp = Authenticator.objects.filter(user_id=OuterRef("pk"), type=Authenticator.Type.TOTP)
        return super().get_base_queryset().filter(pk__in=staff_users().values("pk")).annotate(two_factor=Exists(totp))

    @cached_property
    def columns(self):
        return [*super().columns, BooleanColumn("two_factor", label=_("Two-factor sign-in"), classname="two-factor", width="10%")]


class InviteStaffView(wagtail_users.CreateView):
    page_title = _("Invite a staff member")
    success_message = _("Invitation sent to %(object)s.")
    submit_button_label = _("Send invitation")

    def save_instance(self):
        data = self.form.cleaned_data
        return invite_staff_member(
            clinic=self.request.tenant, email=data["email"], role=Role(data["role"]),
            first_name=data["first_name"], last_name=data["last_name"], invited_by=self.request.user,
        )

    def get_page_subtitle(self):
        return ""  # the header reads "Invite a staff member", not "New: User"

    def get_success_message(self, instance):
        return self.success_message % {"object": instance.email}

    def get_success_url(self):
        """A practitioner's next step is their hours and services (the team page)."""
        from django.urls import reverse

        practitioner = getattr(self.object, "practitioner", None)
        if practitioner is not None and self.request.user.has_perm("clinic.view_workinghours"):
            return reverse("clinic_team:hours", args=[practitioner.pk])
        return super().get_success_url()

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:  # the address was taken since the form was checked
            form.add_error("email", error)
            self.produced_error_code, self.produced_error_message = "validation_error", self.get_error_message()
            return self.form_invalid(form)


class StaffEditView(StaffOnlyObjectMixin, wagtail_users.EditView):

    def get_form(self, *args, **kwargs):
        """"Switch off two-factor sign-in" only for a clinic admin, on someone else's account
        that has it on."""
        form = super().get_form(*args, **kwargs)
        editor = self.request.user
        if not (is_clinic_admin(editor) and editor.pk != self.object.pk and has_totp(self.object)):
            form.fields.pop("reset_two_factor", None)
        return form

    def save_instance(self):
        from .actions.team import ResetTwoFactor, SetEveryAppointment

        instance = super().save_instance()
        SetEveryAppointment(user=instance, allowed=self.form.cleaned_data.get("every_appointment", False), actor=self.request.user).execute()
        if "reset_two_factor" in self.form.fields and self.form.cleaned_data.get("reset_two_factor"):
            ResetTwoFactor(user=instance, actor=self.request.user).execute()
        return instance


class StaffDeleteView(StaffOnlyObjectMixin, wagtail_users.DeleteView):
    pass


class StaffHistoryView(StaffOnlyObjectMixin, wagtail_users.HistoryView):
    pass


class StaffUsageView(StaffOnlyObjectMixin, UsageView):
    pass


class StaffUserViewSet(wagtail_users.UserViewSet):
    """Wagtail's Users pages, for a clinic's staff only."""

    filterset_class = StaffFilterSet
    index_view_class = StaffIndexView
    add_view_class = InviteStaffView
    edit_view_class = StaffEditView
    edit_template_name = "clinic/staff_edit.html"  # adds "may change every practitioner's appointments"
    delete_view_class = StaffDeleteView
    history_view_class = StaffHistoryView
    usage_view_class = StaffUsageView
    copy_view_enabled = False  # a copy would start from another person's account
    create_template_name = "clinic/staff_invite.html"

    def get_form_class(self, for_update=False):
        return StaffUserEditForm if for_update else InviteStaffForm


def refuse_bulk_actions_on_patients(request, action_type, objects, action_class_instance):
    """``before_bulk_action`` hook: user bulk actions (roles, active state, delete) take ids from
    the address, so they could name a patient's account; refuse unless every one is staff."""
    users = [obj for obj in objects if isinstance(obj, User)]
    if users and staff_users().filter(pk__in=[u.pk for u in users]).count() != len(users):
        raise PermissionDenied


class PractitionerAdminForm(WagtailAdminModelForm):
    """A practitioner is one of the clinic's staff accounts: the user picker lists staff only."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields:
            self.fields["user"].queryset = staff_users()
