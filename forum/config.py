"""Settings: defaults in code, overrides from FORUM_* environment variables.

Production refuses to start without a secret key; development generates one once
into the instance folder so sessions survive restarts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production without a secret key)."""


def _env_bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_count(env: Any, name: str, default: int) -> int:
    """A whole number of days or posts, zero or more; anything else stops the start-up."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must be zero or more, not {value}")
    return value


def _crisis_resources(path: str | None) -> dict[str, Any]:
    from .crisis_resources import load_table

    try:
        return load_table(path)
    except ValueError as exc:
        raise ConfigError(f"FORUM_CRISIS_RESOURCES_FILE: {exc}") from None


def _env_number(env: Any, name: str, default: float, least: float = 0.0,
                most: float = float("inf")) -> float:
    """A number from ``least`` to ``most``; anything else stops the start-up."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if not least <= value <= most:
        raise ConfigError(f"{name} must be from {least:g} to {most:g}, not {raw}")
    return value


def _development_secret(instance_path: Path) -> str:
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Write with owner-only permissions: this key signs sessions and tokens.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_config(instance_path: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    forum_env = env.get("FORUM_ENV", "development")
    if forum_env not in {"development", "production"}:
        raise ConfigError(f"FORUM_ENV must be 'development' or 'production', not {forum_env!r}")

    secret = env.get("FORUM_SECRET_KEY")
    if not secret:
        if forum_env == "production":
            raise ConfigError("FORUM_SECRET_KEY is required when FORUM_ENV=production")
        secret = _development_secret(instance_path)

    trusted_proxies = env.get("FORUM_TRUSTED_PROXIES", "0").strip() or "0"
    if not trusted_proxies.isdigit() or int(trusted_proxies) > 10:
        raise ConfigError(
            f"FORUM_TRUSTED_PROXIES must be a whole number from 0 to 10, not {trusted_proxies!r}"
        )

    database_url = env.get("FORUM_DATABASE_URL") or f"sqlite:///{instance_path / 'forum.db'}"
    production = forum_env == "production"
    return {
        "FORUM_ENV": forum_env,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BASE_URL": env.get("FORUM_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        "MAIL_SERVER": env.get("FORUM_MAIL_SERVER", "localhost"),
        "MAIL_PORT": int(env.get("FORUM_MAIL_PORT", "25")),
        "MAIL_USE_TLS": _env_bool(env.get("FORUM_MAIL_USE_TLS")),
        "MAIL_USERNAME": env.get("FORUM_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("FORUM_MAIL_PASSWORD") or None,
        "MAIL_SENDER": env.get("FORUM_MAIL_SENDER", "forum@localhost"),
        "MODERATION_MODEL": env.get(
            "MODERATION_MODEL", str(instance_path / "moderation" / "community.ckpt")
        ),
        "MODERATION_TOXICITY_MODEL": env.get("MODERATION_TOXICITY_MODEL", "original-small"),
        # "pipeline" screens every post; "off" publishes everything (only for tests of other areas).
        "MODERATION_SCREENING": env.get("FORUM_MODERATION_SCREENING", "pipeline"),
        # Posts screened at the same moment in one worker (threads) are scored together: the
        # batch takes what arrives within this many milliseconds, up to SCREENING_BATCH_MAX
        # posts. A post whose screening takes longer than the timeout is held (never lost).
        "SCREENING_BATCH": _env_bool(env.get("FORUM_SCREENING_BATCH"), default=True),
        "SCREENING_BATCH_WINDOW_MS": _env_number(env, "FORUM_SCREENING_BATCH_WINDOW_MS", 2.0,
                                                 most=1000),
        "SCREENING_BATCH_MAX": int(_env_number(env, "FORUM_SCREENING_BATCH_MAX", 16, least=1,
                                               most=256)),
        "SCREENING_TIMEOUT_SECONDS": _env_number(env, "FORUM_SCREENING_TIMEOUT_SECONDS", 30.0,
                                                 least=0.1, most=600),
        "RATELIMIT_STORAGE_URI": env.get("FORUM_RATELIMIT_STORAGE_URL", "memory://"),
        "RATELIMIT_ENABLED": _env_bool(env.get("FORUM_RATELIMIT_ENABLED"), default=True),
        # Several forums (or test runs) can share one Redis: each keeps its own counters.
        "RATELIMIT_KEY_PREFIX": env.get("FORUM_RATELIMIT_KEY_PREFIX", "forum"),
        # If Redis goes away, count in each worker's memory rather than answer 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_LOGIN": env.get("FORUM_RATELIMIT_LOGIN", "10 per minute"),
        # Sign-in attempts per account name, whichever address they come from.
        "RATELIMIT_LOGIN_ACCOUNT": env.get("FORUM_RATELIMIT_LOGIN_ACCOUNT", "10 per 15 minutes"),
        # Emails a visitor can make us send: password resets, new confirmation links.
        "RATELIMIT_EMAIL": env.get("FORUM_RATELIMIT_EMAIL", "5 per hour"),
        "RATELIMIT_REGISTER": env.get("FORUM_RATELIMIT_REGISTER", "5 per hour"),
        "RATELIMIT_POSTING": env.get("FORUM_RATELIMIT_POSTING", "30 per hour"),
        # Anything that looks a member up by name (block, unblock): slows down anyone testing
        # which names exist (the answers are the same for unknown names anyway).
        "RATELIMIT_LOOKUP": env.get("FORUM_RATELIMIT_LOOKUP", "30 per minute"),
        # New members (trust level "new") write at a slower pace: spam and pile-ons by fresh
        # accounts are the commonest attack on a forum like this one.
        "RATELIMIT_POSTING_NEW": env.get("FORUM_RATELIMIT_POSTING_NEW", "6 per hour"),
        # Trust levels (forum/trust.py): days since joining and published posts needed.
        "TRUST_MEMBER_DAYS": _env_count(env, "FORUM_TRUST_MEMBER_DAYS", 3),
        "TRUST_MEMBER_POSTS": _env_count(env, "FORUM_TRUST_MEMBER_POSTS", 2),
        "TRUST_TRUSTED_DAYS": _env_count(env, "FORUM_TRUST_TRUSTED_DAYS", 14),
        "TRUST_TRUSTED_POSTS": _env_count(env, "FORUM_TRUST_TRUSTED_POSTS", 5),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        # "Keep me signed in" (forum/sign_ins.py): one random token per sign-in, rotated on use.
        # (Flask-Login's own remember cookie is not used: it could be neither revoked nor rotated.)
        "KEEP_SIGNED_IN_COOKIE": "forum_remember",
        "KEEP_SIGNED_IN_SECURE": production,
        "REMEMBER_DAYS": 30,
        "VERIFY_LINK_HOURS": 48,
        "RESET_LINK_MINUTES": 60,
        # X-Forwarded-* headers are believed from this many proxies in front of the app.
        "TRUSTED_PROXIES": int(trusted_proxies),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # How many past periods each digest run looks at: a cron that missed a run, or a mail
        # outage, is caught up by the next run (3 days of daily digests, 2 weeks of weekly).
        "ALERT_ESCALATE_AFTER_MINUTES": float(env.get("FORUM_ALERT_ESCALATE_MINUTES", "10")),
        "DIGEST_CATCH_UP_PERIODS": {
            "daily": int(env.get("FORUM_DIGEST_CATCH_UP_DAYS", "3")),
            "weekly": int(env.get("FORUM_DIGEST_CATCH_UP_WEEKS", "2")),
        },
        "THREADS_PER_PAGE": 20,
        "POSTS_PER_PAGE": 50,
        # Rendered post cards and anonymous pages kept by each worker (forum/render_cache.py),
        # in MiB; 0 turns the cache off.
        "RENDER_CACHE_BYTES": _env_count(env, "FORUM_RENDER_CACHE_MB", 32) * 1024 * 1024,
        "API_TOKEN_MAX_AGE_DAYS": 30,
        # Crisis lines by region (forum/crisis_resources.py); a file may replace the defaults.
        "CRISIS_RESOURCES": _crisis_resources(env.get("FORUM_CRISIS_RESOURCES_FILE")),
    }
