from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class AccountView(LoginRequiredMixin, TemplateView):
    """The signed-in person's home on the clinic site: who they are and what they can do."""

    template_name = "patients_portal/account.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["is_staff_member"] = user.has_perm("wagtailadmin.access_admin")
        return context
