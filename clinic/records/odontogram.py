"""The odontogram's notation, pure: FDI teeth, surfaces, states, validation, comparison.

A chart is stored as ``{"<tooth>": {"state": ..., "surfaces": {"<surface>": ...}, "note": ...}}``
holding only the teeth that are not plain healthy. ``validate_chart`` is the only way a
chart from a browser or an import reaches the database: unknown teeth, surfaces or
states, wrong types, extra keys and over-long notes are refused with a translated
message (PRIOR-ART #29: free-form JSON for the odontogram).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinic.models.enums import PERMANENT, PRIMARY, TEETH, Surface  # noqa: F401 (re-exported: the notation's names)

NOTE_MAX = 200


class ToothState(models.TextChoices):
    """The state of the whole tooth."""

    HEALTHY = "healthy", _("healthy")
    CROWN = "crown", _("crown")
    ROOT_CANAL = "root_canal", _("root canal")
    IMPLANT = "implant", _("implant")
    BRIDGE = "bridge", _("bridge")
    MISSING = "missing", _("missing")
    EXTRACTED = "extracted", _("extracted")
    TO_EXTRACT = "to_extract", _("to extract")
    FRACTURE = "fracture", _("fracture")
    UNERUPTED = "unerupted", _("unerupted")


class SurfaceState(models.TextChoices):
    """The state of one surface."""

    CARIES = "caries", _("caries")
    FILLED = "filled", _("filled")
    SEALANT = "sealant", _("sealant")
    FRACTURE = "fracture", _("fracture")


# Colour and one-letter symbol of each state: the chart shows both (colour is never the only cue).
STYLE = {
    ToothState.HEALTHY: ("#ffffff", ""),
    ToothState.CROWN: ("#f2c94c", "C"),
    ToothState.ROOT_CANAL: ("#9b51e0", "E"),
    ToothState.IMPLANT: ("#2d9cdb", "I"),
    ToothState.BRIDGE: ("#f2994a", "P"),
    ToothState.MISSING: ("#bdbdbd", "A"),
    ToothState.EXTRACTED: ("#828282", "X"),
    ToothState.TO_EXTRACT: ("#eb5757", "/"),
    ToothState.FRACTURE: ("#6d4c41", "F"),
    ToothState.UNERUPTED: ("#e0e0e0", "N"),
    SurfaceState.CARIES: ("#d32f2f", "c"),
    SurfaceState.FILLED: ("#1565c0", "o"),
    SurfaceState.SEALANT: ("#2e7d32", "s"),
    SurfaceState.FRACTURE: ("#6d4c41", "f"),
}
# The key of a surface state in STYLE differs from the tooth's "fracture"; look them up apart.
SURFACE_STYLE = {s.value: STYLE[s] for s in SurfaceState}
TOOTH_STYLE = {s.value: STYLE[s] for s in ToothState}


def validate_chart(data) -> dict:
    """The chart normalised (sorted, healthy teeth dropped), or ``ValidationError``."""
    if not isinstance(data, dict):
        raise ValidationError(_("The odontogram must be a list of teeth."), code="not_object")
    chart = {}
    for tooth, entry in data.items():
        if not isinstance(tooth, str) or tooth not in TEETH:
            raise ValidationError(_("“%(tooth)s” is not a tooth in FDI notation (11–48, 51–85)."), code="tooth", params={"tooth": str(tooth)[:10]})
        if not isinstance(entry, dict) or set(entry) - {"state", "surfaces", "note"}:
            raise ValidationError(_("Tooth %(tooth)s: unexpected data."), code="entry", params={"tooth": tooth})
        state = entry.get("state", ToothState.HEALTHY)
        if state not in ToothState.values:
            raise ValidationError(_("Tooth %(tooth)s: “%(state)s” is not a tooth state."), code="state", params={"tooth": tooth, "state": str(state)[:20]})
        surfaces = entry.get("surfaces", {})
        if not isinstance(surfaces, dict):
            raise ValidationError(_("Tooth %(tooth)s: unexpected data."), code="entry", params={"tooth": tooth})
        clean_surfaces = {}
        for surface, value in surfaces.items():
            if surface not in Surface.values:
                raise ValidationError(_("Tooth %(tooth)s: “%(surface)s” is not a surface (M, D, O, V, L)."), code="surface",
                                      params={"tooth": tooth, "surface": str(surface)[:10]})
            if value in ("", None):
                continue
            if value not in SurfaceState.values:
                raise ValidationError(_("Tooth %(tooth)s: “%(state)s” is not a surface state."), code="surface_state",
                                      params={"tooth": tooth, "state": str(value)[:20]})
            clean_surfaces[surface] = value
        note = entry.get("note", "")
        if not isinstance(note, str) or len(note) > NOTE_MAX or "\x00" in note:
            raise ValidationError(_("Tooth %(tooth)s: the note must be text of at most %(max)s characters."), code="note",
                                  params={"tooth": tooth, "max": NOTE_MAX})
        note = note.strip()
        if state in (ToothState.MISSING, ToothState.EXTRACTED, ToothState.UNERUPTED) and clean_surfaces:
            raise ValidationError(_("Tooth %(tooth)s is marked “%(state)s”: it has no surfaces to mark."), code="no_surfaces",
                                  params={"tooth": tooth, "state": ToothState(state).label})
        if state == ToothState.HEALTHY and not clean_surfaces and not note:
            continue
        item = {"state": state}
        if clean_surfaces:
            item["surfaces"] = {s: clean_surfaces[s] for s in Surface.values if s in clean_surfaces}
        if note:
            item["note"] = note
        chart[tooth] = item
    return {t: chart[t] for t in sorted(chart, key=int)}


@dataclass(frozen=True)
class ToothChange:
    tooth: str
    before: dict
    after: dict


def describe(entry: dict | None) -> str:
    """One tooth's state in words, for the text table and the comparison."""
    if not entry:
        return str(ToothState.HEALTHY.label)
    parts = [str(ToothState(entry.get("state", "healthy")).label)]
    labels = dict(Surface.choices)
    for surface, value in (entry.get("surfaces") or {}).items():
        parts.append(f"{labels[surface]}: {SurfaceState(value).label}")
    if entry.get("note"):
        parts.append(f"“{entry['note']}”")
    return "; ".join(parts)


def compare(old: dict, new: dict) -> list[ToothChange]:
    """The teeth whose entry differs between two charts, in FDI order."""
    teeth = sorted(set(old) | set(new), key=int)
    return [ToothChange(t, old.get(t, {}), new.get(t, {})) for t in teeth if old.get(t, {}) != new.get(t, {})]


def merge_tooth(chart: dict, tooth: str, *, state: str, surfaces: dict, note: str) -> dict:
    """``chart`` with one tooth replaced (the form without JavaScript edits one tooth); validated."""
    data = {t: dict(e) for t, e in chart.items()}
    data[tooth] = {"state": state, "surfaces": surfaces, "note": note}
    return validate_chart(data)
