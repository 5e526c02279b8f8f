import logging

from django.db import IntegrityError, transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.tasks import enqueue

from . import gateway
from .models import StripeEvent

logger = logging.getLogger(__name__)


# Stripe cannot send a CSRF token; the signature check below is the authentication.
# Not atomic as a whole: the event row must be committed before the job can see it,
# and a redelivery must find the first delivery's row (STYLE.md "Stripe webhooks").
@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Transport only: verify, store once by event id, queue, answer 200."""
    try:
        event = gateway.parse_webhook(request.body, request.headers.get("Stripe-Signature"))
    except gateway.InvalidWebhook as error:
        logger.warning("refused Stripe webhook: %s", error)
        return HttpResponseBadRequest("invalid signature")
    try:
        with transaction.atomic():
            StripeEvent.objects.create(id=event["id"], type=event["type"], payload=event)
    except IntegrityError:
        return HttpResponse("duplicate")  # a redelivery: already stored and queued
    enqueue("billing.services.process_event", schema_name="public", event_id=event["id"])
    return HttpResponse("ok")
