from django.views.generic import TemplateView

from .models import Plan


class LandingView(TemplateView):
    """The platform's front page: what the product does and what it costs."""

    template_name = "tenants/landing.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["plans"] = Plan.objects.filter(is_active=True)
        return context
