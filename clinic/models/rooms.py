"""Rooms (surgeries, chairs) and the equipment in them (tenant schema).

A clinic that defines no rooms books exactly as before. Once it has active rooms,
every appointment booked takes a room with all the equipment its service needs, and
the database refuses two appointments in one room at one time (an exclusion
constraint on Appointment, like the practitioner's).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Equipment(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["name"]

    def __str__(self):
        return self.name


class RoomQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def suitable_for(self, service):
        """Active rooms with every piece of equipment the service needs."""
        rooms = self.active()
        for equipment_id in service.required_equipment.values_list("pk", flat=True):
            rooms = rooms.filter(equipment=equipment_id)
        return rooms.order_by("sort_order", "name")


class Room(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    equipment = models.ManyToManyField(Equipment, verbose_name=_("equipment"), blank=True, related_name="rooms")
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name
