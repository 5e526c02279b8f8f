"""The browser-side security policies of every page (issue 8, item 16).

Built from the Stripe settings, so that dev and tests allow localstripe's mock of
Stripe.js and production allows Stripe's own origins, and nothing else from outside.
Settings call these once; the middleware in ``portal.middleware`` sends the headers.
"""

from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_API_ORIGIN = "https://api.stripe.com"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def stripe_origins(stripe_js_url: str, stripe_api_base: str) -> dict[str, list[str]]:
    """What Stripe.js needs: its script, its frames (card fields, 3-D Secure) and the API.

    https://docs.stripe.com/security/guide#content-security-policy
    """
    js = _origin(stripe_js_url)
    api = _origin(stripe_api_base) if stripe_api_base else STRIPE_API_ORIGIN
    if js == STRIPE_JS_ORIGIN:
        return {
            "script": [js, "https://*.js.stripe.com"],
            "frame": [js, "https://*.js.stripe.com", "https://hooks.stripe.com"],
            "connect": [api],
        }
    return {"script": [js], "frame": [js], "connect": [api]}  # localstripe in dev and tests


def content_security_policies(stripe_js_url: str, stripe_api_base: str) -> tuple[dict, dict]:
    """``(site, admin)`` policies in django-csp 4's ``{"DIRECTIVES": ...}`` form.

    The site (platform, clinic pages, patient pages) allows no inline code: the few
    inline ``<style>`` blocks carry the request's nonce. Wagtail's admin still writes
    inline scripts and styles (panels, date widgets), so ``/admin/`` gets a policy that
    allows inline code but still no other origin than Stripe's.
    """
    stripe = stripe_origins(stripe_js_url, stripe_api_base)
    common = {
        "default-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF, *stripe["connect"]],
        "frame-src": [*stripe["frame"]],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [SELF],
    }
    site = {
        **common,
        "script-src": [SELF, NONCE, *stripe["script"]],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
    }
    admin = {
        **common,
        "script-src": [SELF, UNSAFE_INLINE, *stripe["script"]],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "frame-src": [SELF, *stripe["frame"]],  # Wagtail's page preview
    }
    return {"DIRECTIVES": site}, {"DIRECTIVES": admin}


def permissions_policy(stripe_js_url: str) -> dict[str, list[str]]:
    """Browser features no page of ours uses are off; payments only for us and Stripe.js."""
    js = _origin(stripe_js_url)
    return {
        "accelerometer": [],
        "autoplay": [],
        "camera": [],
        "display-capture": [],
        "geolocation": [],
        "gyroscope": [],
        "magnetometer": [],
        "microphone": [],
        "midi": [],
        "payment": ["self", f'"{js}"'],
        "usb": [],
    }
