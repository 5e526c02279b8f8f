"""Production settings are safe by default and fail loudly without secrets (PRIOR-ART #26)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL")}
    base.update(DJANGO_SETTINGS_MODULE="portal.settings.production", **env)
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
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.production", SECRET_KEY="x" * 64, DATABASE_URL="postgres://db.invalid/portal")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_no_secret_key_is_committed_for_production():
    text = (ROOT / "portal" / "settings" / "production.py").read_text()
    assert 'SECRET_KEY = env("SECRET_KEY")' in text
