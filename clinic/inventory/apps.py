from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "clinic.inventory"
    label = "inventory"
    verbose_name = _("Inventory")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from clinic.actions.appointments import appointment_completed

        from .actions import consume_for_appointment
        from .notices import register as register_low_stock_notice

        def consume(sender, appointment, actor=None, **kwargs):
            consume_for_appointment(appointment, actor=actor)

        # Completing a visit consumes its service's bill of materials, in the same
        # transaction as the completion (never blocking it: a shortage is recorded).
        appointment_completed.connect(consume, dispatch_uid="inventory_consume_bom", weak=False)
        register_low_stock_notice()  # the staff bell's "Low stock" (clinic.notices)
