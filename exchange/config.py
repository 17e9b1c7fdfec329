"""Settings, read from the environment once at start-up.

Every setting has a safe development default under `instance/`, except SECRET_KEY in
production: the app refuses to start without one (see `load_config`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigurationError(RuntimeError):
    """The app cannot start with these settings."""


def normalize_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain `postgresql://` URLs (the form most hosts hand out)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret_key(instance_path: Path) -> str:
    """A random key generated on first start and kept in the instance folder (mode 0600)."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from the environment, then apply explicit overrides (tests)."""
    overrides = dict(overrides or {})
    env = os.environ
    instance = Path(instance_path)
    environment = overrides.get("EXCHANGE_ENV", env.get("EXCHANGE_ENV", "development"))

    secret_key = overrides.get("SECRET_KEY") or env.get("SECRET_KEY")
    if not secret_key:
        if environment == "production":
            raise ConfigurationError(
                "SECRET_KEY must be set in the environment when EXCHANGE_ENV=production."
            )
        secret_key = _instance_secret_key(instance)

    timezone = overrides.get("EXCHANGE_TIMEZONE") or env.get("EXCHANGE_TIMEZONE") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigurationError(
            f"EXCHANGE_TIMEZONE={timezone!r} is not a time zone (try America/New_York)."
        ) from error

    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance / 'exchange.db'}"
    config: dict[str, Any] = {
        "EXCHANGE_ENV": environment,
        "EXCHANGE_TIMEZONE": timezone,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SEARCH_INDEX_DIR": env.get("SEARCH_INDEX_DIR") or str(instance / "search-index"),
        "UPLOAD_DIR": env.get("UPLOAD_DIR") or str(instance / "uploads"),
        # Request bodies are small, except on the routes that take content uploads
        # (PDF, video, SCORM zip), which get UPLOAD_MAX_BYTES (exchange.security).
        "MAX_CONTENT_LENGTH": int(env.get("MAX_REQUEST_MB", "4")) * 1024 * 1024,
        "UPLOAD_MAX_BYTES": int(env.get("MAX_UPLOAD_MB", "200")) * 1024 * 1024,
        "API_TOKEN_TTL_HOURS": int(env.get("API_TOKEN_TTL_HOURS", "720")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment == "production",
        "REMEMBER_COOKIE_SECURE": environment == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead of a clock
        "BOOTSTRAP_SERVE_LOCAL": True,
        "BOOTSTRAP_BTN_STYLE": "primary",
        "RATELIMIT_ENABLED": env.get("RATELIMIT_ENABLED", "1") != "0",
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "SIGNIN_RATE_LIMIT": env.get("SIGNIN_RATE_LIMIT", "10 per minute"),
        # flask-smorest / OpenAPI
        "API_TITLE": "CME Exchange API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": None,
        "OPENAPI_REDOC_PATH": None,
        "CATALOG_PAGE_SIZE": 20,
        # Email (Flask-Mail). Without MAIL_SERVER, messages are written to the log instead.
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(env.get("MAIL_PORT", "587")),
        "MAIL_USE_TLS": env.get("MAIL_USE_TLS", "1") != "0",
        "MAIL_USE_SSL": env.get("MAIL_USE_SSL", "0") == "1",
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "CME Exchange <no-reply@localhost>"),
        # The site's address in emails sent outside a request (CLI), e.g. https://cme.example.org
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
    }
    config.update(overrides)
    if "DATABASE_URL" in overrides:
        config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(overrides["DATABASE_URL"])
    return config
