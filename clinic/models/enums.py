"""Values shared by several areas of the clinic: the FDI teeth and their surfaces.

A tooth is an FDI value (ISO 3950), never a foreign key: the odontogram (clinic.records)
and the treatment plans (clinic.models.plans) both speak it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# FDI: quadrant then position. Permanent 11–18, 21–28, 31–38, 41–48; primary 51–55 … 81–85.
PERMANENT = tuple(q * 10 + n for q in (1, 2, 3, 4) for n in range(1, 9))
PRIMARY = tuple(q * 10 + n for q in (5, 6, 7, 8) for n in range(1, 6))
TEETH = frozenset(str(t) for t in PERMANENT + PRIMARY)


class Surface(models.TextChoices):
    MESIAL = "M", _("mesial")
    DISTAL = "D", _("distal")
    OCCLUSAL = "O", _("occlusal / incisal")
    VESTIBULAR = "V", _("vestibular")
    LINGUAL = "L", _("lingual / palatal")


SURFACE_ORDER = "MDOVL"


def normal_surfaces(value: str) -> str:
    """Surfaces as typed or ticked ("om", "O,M") in the fixed order ("MO"); ValueError for
    anything that is not a surface letter."""
    letters = {c for c in (value or "").upper() if c not in " ,"}
    if letters - set(SURFACE_ORDER):
        raise ValueError(value)
    return "".join(c for c in SURFACE_ORDER if c in letters)
