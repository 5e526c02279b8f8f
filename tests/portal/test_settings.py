"""Production settings are safe by default and fail loudly without secrets (PRIOR-ART #26)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


STRIPE = {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_PUBLISHABLE_KEY": "pk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
# The platform invoices clinics: production refuses to start without its issuer's data.
ISSUER = {"PLATFORM_LEGAL_NAME": "Clinic Portal S.L.", "PLATFORM_TAX_ID": "B87654323", "PLATFORM_ADDRESS": "Calle Ejemplo 1, Madrid"}


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL", *STRIPE)}
    base.update(DJANGO_SETTINGS_MODULE="portal.settings.production", **{**STRIPE, **ISSUER, **env})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY="x" * 64 + "-production-like-secret", DATABASE_URL="postgres://db.invalid/portal")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DATABASE_URL="postgres://db.invalid/portal")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_a_database_url():
    result = manage("check", SECRET_KEY="x" * 64)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_debug_is_off_unless_asked_for():
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.production", SECRET_KEY="x" * 64, DATABASE_URL="postgres://db.invalid/portal", **STRIPE, **ISSUER)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_production_refuses_to_start_without_stripe_keys():
    env_without = {k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")}
    env_without.update(DJANGO_SETTINGS_MODULE="portal.settings.production", SECRET_KEY="x" * 64, DATABASE_URL="postgres://db.invalid/portal", **ISSUER)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env_without, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "STRIPE_SECRET_KEY" in result.stderr


def test_no_secret_key_is_committed_for_production():
    text = (ROOT / "portal" / "settings" / "production.py").read_text()
    assert 'SECRET_KEY = env("SECRET_KEY")' in text


def test_redis_url_switches_both_the_cache_and_the_job_broker():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['KEY_FUNCTION'], "
        "settings.Q_CLUSTER.get('redis'), settings.Q_CLUSTER.get('orm'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.production", SECRET_KEY="x" * 64, DATABASE_URL="postgres://db.invalid/portal", **STRIPE, **ISSUER)
    without = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert without.stdout.split() == ["django.core.cache.backends.db.DatabaseCache", "django_tenants.cache.make_key", "None", "default"], without.stderr
    env["REDIS_URL"] = "redis://cache.invalid:6379/0"
    with_redis = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert with_redis.stdout.split() == ["django.core.cache.backends.redis.RedisCache", "django_tenants.cache.make_key", "redis://cache.invalid:6379/0", "None"], with_redis.stderr


def test_production_refuses_to_start_without_the_platforms_issuer_data():
    result = manage("check", SECRET_KEY="x" * 64, DATABASE_URL="postgres://db.invalid/portal", PLATFORM_LEGAL_NAME="")
    assert result.returncode != 0 and "PLATFORM_LEGAL_NAME" in result.stdout + result.stderr
