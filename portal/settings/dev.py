"""Local development: DEBUG on, e-mails on the console, the embedded PostgreSQL."""

from .base import *  # noqa: F403
from .base import BASE_DIR, content_security_policies, env, permissions_policy

DEBUG = env.bool("DEBUG", default=True)
# A fixed key is acceptable only because DEBUG is on and it never leaves this machine.
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-never-used-in-production")
PLATFORM_SCHEME = env("PLATFORM_SCHEME", default="http")
WAGTAILADMIN_BASE_URL = f"{PLATFORM_SCHEME}://{PLATFORM_DOMAIN}"  # noqa: F405
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
PRIVATE_MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / ".data" / "private-media"))
# A made-up issuer for the platform's invoices in dev and tests (a valid-looking CIF).
PLATFORM_LEGAL_NAME = env("PLATFORM_LEGAL_NAME", default="Clinic Portal Demo S.L.")
PLATFORM_TAX_ID = env("PLATFORM_TAX_ID", default="B87654323")
PLATFORM_ADDRESS = env("PLATFORM_ADDRESS", default="Calle Ejemplo 1, 28001 Madrid")

if not env("DATABASE_URL", default=""):
    from portal.devdb import database_url

    DATABASES["default"].update(env.db_url_config(database_url(BASE_DIR)))  # noqa: F405
    DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"  # noqa: F405
# runserver answers every kept-alive browser socket in its own thread; with persistent
# connections each such thread held one, and three browsers exhausted PostgreSQL's 100
# (STACK-NOTES "Traps"). Close the connection after every request in dev.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)  # noqa: F405

# localstripe instead of Stripe when no key is given (README "Run it" and "Sign up a clinic").
if not env("STRIPE_SECRET_KEY", default=""):
    LOCALSTRIPE_PORT = env.int("LOCALSTRIPE_PORT", default=8420)
    STRIPE_SECRET_KEY = "sk_test_localstripe"
    STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    STRIPE_WEBHOOK_SECRET = "whsec_localstripe_dev_only"
    STRIPE_API_BASE = f"http://127.0.0.1:{LOCALSTRIPE_PORT}"
    STRIPE_JS_URL = f"http://127.0.0.1:{LOCALSTRIPE_PORT}/js.stripe.com/v3/"
    CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_ADMIN = content_security_policies(STRIPE_JS_URL, STRIPE_API_BASE)
    PERMISSIONS_POLICY = permissions_policy(STRIPE_JS_URL)
