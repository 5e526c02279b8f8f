"""Settings shared by every environment.

Everything that differs between machines comes from the environment, read through
django-environ. ``dev.py`` and ``test.py`` add the embedded database; ``production.py``
refuses to start without a ``SECRET_KEY`` and a ``DATABASE_URL``.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

from portal.security import content_security_policies, permissions_policy

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)  # optional, git-ignored

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
# No default: dev.py and test.py set one, production.py requires the variable.
SECRET_KEY = env("SECRET_KEY", default=None)

# The platform site's host (and port in dev). Clinics live at <slug>.<host>.
PLATFORM_DOMAIN = env("PLATFORM_DOMAIN", default="localhost:8000")
PLATFORM_HOST, _sep, _port = PLATFORM_DOMAIN.partition(":")
PLATFORM_PORT = int(_port) if _port else None
PLATFORM_SCHEME = env("PLATFORM_SCHEME", default="https")
# The Domain table is the real allow-list: TenantMainMiddleware answers 404 to any host
# that is not the platform, a clinic subdomain or a clinic's custom domain, and clinics
# add custom domains without a deploy. Set ALLOWED_HOSTS to narrow it further.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])

TIME_ZONE = "UTC"  # storage; every clinic shows times in its own zone
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]

# DATABASES
# ------------------------------------------------------------------------------
# https://django-tenants.readthedocs.io/en/latest/install.html
DATABASES = {"default": env.db("DATABASE_URL", default="postgres:///portal")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# TENANCY
# ------------------------------------------------------------------------------
TENANT_MODEL = "tenants.Clinic"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_URLCONF = "portal.urls_public"
ROOT_URLCONF = "portal.urls_tenant"
# Unknown hosts get a plain 404 page, never the platform or a default clinic.
DEFAULT_NOT_FOUND_TENANT_VIEW = "portal.views.unknown_host"
# Seconds a process remembers which clinic a host name belongs to (portal.middleware).
TENANT_HOST_CACHE_SECONDS = env.int("TENANT_HOST_CACHE_SECONDS", default=30)
# How often each process checks the shared tenancy version, so that a suspension or a
# domain change made in another process shows within about this many seconds.
TENANT_STATE_CHECK_SECONDS = env.float("TENANT_STATE_CHECK_SECONDS", default=1.0)
# Anonymous clinic pages kept on the shared cache (portal.pagecache); 0 turns it off.
# Invalidated at once on every change; the lifetime only bounds what no signal reports
# (the year in the footer).
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)
# Halves the queries of a Wagtail page (STACK-NOTES "Settings").
TENANT_LIMIT_SET_CALLS = True
# New clinics are cloned from this pre-migrated schema, then migrations are faked.
# portal.tenancy refuses to clone a template that lags the code's migrations.
TENANT_BASE_SCHEMA = "clinic_template"
TENANT_CREATION_FAKES_MIGRATIONS = True

# APPS
# ------------------------------------------------------------------------------
SHARED_APPS = [
    "django_tenants",
    "portal",  # the user model: platform operators in public, staff and patients per clinic
    "tenants",
    "billing",
    "django_q",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # range fields and the no-double-booking exclusion constraint
]
TENANT_APPS = [
    "portal",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "clinic",
    "clinic.records",
    "clinic.inventory",
    "clinic.reports",  # no models: staff reports over clinic data (issue 12, item 3)
    "patients_portal",
    "theme",
    "allauth",
    "allauth.account",
    "allauth.mfa",  # two-factor sign-in: authenticators live with each clinic's users
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "clinic.apps.ClinicUsersAppConfig",  # wagtail.users with staff-only Users pages (issue 8, #7)
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
]
INSTALLED_APPS = SHARED_APPS + [a for a in TENANT_APPS if a not in SHARED_APPS]

# AUTHENTICATION
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
# ModelBackend alone: USERNAME_FIELD is the e-mail, and allauth's rate limits live in
# its adapter, not its backend. One backend also works on the public schema, where
# allauth has no tables.
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"  # clinic hosts: AccountAdapter sends people to their account page

# allauth: https://docs.allauth.org/en/latest/account/configuration.html
ACCOUNT_ADAPTER = "portal.accounts.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "patients_portal.forms.PatientSignupForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_TOKEN_GENERATOR = "portal.accounts.ClinicTokenGenerator"
# E-mail confirmation keys are random and stored in the clinic's own schema. allauth's default
# (HMAC) signs only the address's row id with the shared SECRET_KEY, and row ids repeat across
# clinics: a link made at one clinic verified (and showed) an address at another (issue 8, #5).
ACCOUNT_EMAIL_CONFIRMATION_HMAC = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# Two-factor sign-in (issue 12, item 5): https://docs.allauth.org/en/latest/mfa/configuration.html
# TOTP and recovery codes only; WebAuthn would need fido2 (portal.mfa stands in for it).
# The code step shares "login_failed" above (allauth keys it per account: 5 wrong codes in
# 5 minutes lock the code step, 10 a minute per IP). The issuer is the clinic's name and
# the QR code is drawn with segno (portal.mfa.ClinicMFAAdapter).
MFA_ADAPTER = "portal.mfa.ClinicMFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_PERIOD = 30
MFA_TOTP_DIGITS = 6
MFA_TOTP_TOLERANCE = 1  # one step either side: a phone's clock a little off still works
MFA_RECOVERY_CODE_COUNT = 10
MFA_RECOVERY_CODE_DIGITS = 8
MFA_TRUST_ENABLED = False  # every sign-in asks for the code; no "trust this browser" cookie
# The operators' Django admin sign-in (platform host): failed attempts allowed per client IP
# and per account within the window, then even the right password is refused. Stricter
# than "login_failed" above. Failures are logged to "portal.security" with the IP.
OPERATOR_LOGIN_FAILURES = {"ip": 10, "account": 5}
OPERATOR_LOGIN_WINDOW_SECONDS = 15 * 60

# MIDDLEWARE
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    # Response headers only (no database, no urlconf): outside the tenant middleware so
    # that its own answers (the 404 for an unknown host) carry them too.
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",  # nonce set before any view renders
    "portal.middleware.PermissionsPolicyMiddleware",
    "portal.middleware.TenantMiddleware",  # first to touch the database: the clinic from the Host header
    "portal.pagecache.PageCacheMiddleware",  # anonymous clinic pages from the shared cache, before any other work
    "portal.pagecache.ClinicSiteMiddleware",  # Wagtail's site and route from the per-process memo
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.ClinicStatusMiddleware",  # suspended clinics: 503 notice
    "portal.mfa.StaffTwoFactorMiddleware",  # staff of a clinic that requires it: set up two-factor first
]

# Flash messages live in the session (per clinic schema), not in a cookie signed with the
# SECRET_KEY every clinic shares (issue 8, #5).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Cookies are host-only: a clinic's session or CSRF cookie never reaches another clinic.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# TEMPLATES
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "portal.context_processors.platform",
            ],
        },
    },
]

# STATIC AND MEDIA
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Each clinic's uploads live under <root>/<schema>/ (tenancy rule 4): website images
# under MEDIA_ROOT (public, /media/<schema>/ on the clinic's host); documents and every
# other upload under PRIVATE_MEDIA_ROOT, outside the media root, served only by views
# that check the user (portal.storage; issue 8, item 9). portal.checks refuses a
# private root inside the media root.
PRIVATE_MEDIA_ROOT = env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media"))
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
STORAGES = {
    "default": {"BACKEND": "portal.storage.ClinicStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# CACHES
# ------------------------------------------------------------------------------
# Shared by every web worker. Keys carry the schema (tenancy rule 3): without it
# Wagtail's site-root cache leaked one clinic's host name into another's links.
_TENANT_KEYS = {
    "KEY_FUNCTION": "django_tenants.cache.make_key",
    "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
}
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, **_TENANT_KEYS}}
else:
    # The default 300 entries would cull page copies and generations many times a
    # minute once a few dozen clinics are visited (portal.pagecache).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "portal_cache",
                          "OPTIONS": {"MAX_ENTRIES": 50000}, **_TENANT_KEYS}}

# BACKGROUND JOBS
# ------------------------------------------------------------------------------
# https://django-q2.readthedocs.io/en/master/configure.html
# All clinic work is queued through portal.tasks.enqueue, which carries the schema.
Q_CLUSTER = {
    "name": "portal",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 3,
    "catch_up": False,
    "poll": 0.1,  # ORM broker: a new clinic is live within a second of its payment
    "label": _("Background jobs"),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# E-MAIL
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"Clinic Portal <no-reply@{PLATFORM_HOST}>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# STRIPE AND BILLING (read through billing.conf)
# ------------------------------------------------------------------------------
# With no STRIPE_SECRET_KEY, dev and tests use localstripe on loopback (dev.py).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")  # empty: Stripe itself
STRIPE_JS_URL = env("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=7)
BILLING_RETRY_DAYS = env.list("BILLING_RETRY_DAYS", cast=int, default=[1, 3, 5])
# The platform as the issuer of the clinics' invoices (billing.invoices): its legal name,
# Spanish NIF, fiscal address and the VAT rate its plans' prices include. Empty here:
# dev.py and test.py have demo values, production.py requires them, and the check
# billing.E001 refuses to start with any of them blank (no invoice without its issuer).
PLATFORM_LEGAL_NAME = env("PLATFORM_LEGAL_NAME", default="")
PLATFORM_TAX_ID = env("PLATFORM_TAX_ID", default="")
PLATFORM_ADDRESS = env("PLATFORM_ADDRESS", default="")
PLATFORM_VAT_RATE = env("PLATFORM_VAT_RATE", default="21")
# The series of the platform's invoices and credit notes (the year is added: P2026-000001),
# and the wall clock their records are dated by (the issuer is Spanish).
PLATFORM_INVOICE_PREFIX = "P"
PLATFORM_CREDIT_PREFIX = "PR"
PLATFORM_INVOICE_TIME_ZONE = "Europe/Madrid"

# SECURITY HEADERS
# ------------------------------------------------------------------------------
# Content-Security-Policy (django-csp 4: https://django-csp.readthedocs.io/) and
# Permissions-Policy on every page: our own origin plus Stripe.js, nothing else from
# outside; inline code only with the request's nonce, except in Wagtail's admin
# (portal.security, portal.middleware). dev.py rebuilds them for localstripe.
CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_ADMIN = content_security_policies(STRIPE_JS_URL, STRIPE_API_BASE)
PERMISSIONS_POLICY = permissions_policy(STRIPE_JS_URL)

# WAGTAIL
# ------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Clinic Portal"
# One global setting; e-mails build per-clinic admin links themselves (STACK-NOTES).
WAGTAILADMIN_BASE_URL = f"{PLATFORM_SCHEME}://{PLATFORM_DOMAIN}"
# Staff sign in through the clinic's own (rate-limited) allauth login.
WAGTAILADMIN_LOGIN_URL = "account_login"
# Private documents and pages send visitors to the clinic's one sign-in (Wagtail's own
# /_util/login/ leads there as well).
WAGTAIL_FRONTEND_LOGIN_URL = "/accounts/login/"
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("es", "Español"), ("en", "English")]
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 8 * 1024 * 1024
# Documents: limited in size, checked by content (portal.documents), stored privately
# (portal.storage) and always served through Wagtail's view, which checks the
# collection's privacy; never a redirect to a file URL.
WAGTAILDOCS_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "txt", "docx", "xlsx", "odt", "ods"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILDOCS_DOCUMENT_FORM_BASE = "portal.documents.DocumentForm"
WAGTAILDOCS_SERVE_METHOD = "serve_view"
WAGTAIL_ENABLE_UPDATE_CHECK = False
# No Gravatar: it would send a hash of every staff e-mail to a third party.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = True
WAGTAIL_PASSWORD_RESET_ENABLED = False  # allauth owns password reset
# Nobody types another person's password: staff are invited by e-mail (clinic/staff_admin.py)
# and choose their own; everyone changes their own under Account with the current one.
WAGTAILUSERS_PASSWORD_ENABLED = False

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "pgserver": {"level": "WARNING"}, "django_tasks": {"level": "WARNING"}, "stripe": {"level": "WARNING"}},
}

WSGI_APPLICATION = "portal.wsgi.application"
