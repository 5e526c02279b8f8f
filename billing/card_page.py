"""The card page's JSON requests, shared by the signup, appointment and clinic billing pages.

Each page saves the card with Stripe.js and posts ``{"setup_intent": ...}`` (the
patient's page may send ``{"saved_card": true}``) to a view that charges. These helpers
read that body one way and answer Stripe's errors one way (issue 8, item 13: a body
that is not a JSON object answered 500).
"""

import json
import re

from django.http import JsonResponse
from django.utils.translation import gettext as _

from . import gateway


def json_object(request) -> dict | None:
    """The request body as a JSON object; None for anything else (malformed, ``[]``,
    ``null``, ``"x"``, ``123``), which the caller answers with a 400 that changes nothing."""
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


# Stripe's object ids: a prefix and up to a few dozen letters and digits.
SETUP_INTENT_ID = re.compile(r"seti_[A-Za-z0-9_]{1,250}")


def setup_intent_of(data: dict | None) -> str:
    """The SetupIntent id the page sent, or "" when it is missing or is not shaped like one
    (a 100 KB string reached Stripe and came back as "the payment service is not answering")."""
    value = data.get("setup_intent") if data else None
    return value if isinstance(value, str) and SETUP_INTENT_ID.fullmatch(value) else ""


def card_not_saved() -> JsonResponse:
    return JsonResponse({"error": _("The card could not be saved. Please try again.")}, status=400)


def charge_refused(error: gateway.GatewayError) -> JsonResponse:
    """Stripe unreachable (outcome unknown): 503, and a retry continues the same claim, so
    nothing is charged twice. Otherwise a 402 with Stripe's own message."""
    if error.unknown_outcome:
        return JsonResponse({"error": _("The payment service is not answering. Please try again in a minute: you will not be charged twice.")}, status=503)
    return JsonResponse({"error": _("The payment did not go through: %(reason)s") % {"reason": error.message}}, status=402)
