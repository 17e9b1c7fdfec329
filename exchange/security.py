"""Request-level protections: body size limits per route and security headers."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, g, request

# Endpoints that accept an uploaded content file.
UPLOAD_ENDPOINTS = {"catalog.new_module", "catalog.edit_module", "Modules.upload_content"}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action {form_action}; "
    "base-uri 'self'; object-src 'none'"
)


def allow_form_redirect_to(url: str | None) -> None:
    """Let a form on this page end at `url`'s origin: browsers apply `form-action` to where
    a form's redirect leads (the launch button redirects to a module's external content)."""
    parts = urlsplit(url or "")
    if parts.scheme in ("http", "https") and parts.netloc:
        g.setdefault("form_action_origins", set()).add(f"{parts.scheme}://{parts.netloc}")


def _limit_body_size() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = current_app.config["UPLOAD_MAX_BYTES"]


def _security_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    origins = sorted(g.get("form_action_origins", ()))
    headers.setdefault(
        "Content-Security-Policy",
        CONTENT_SECURITY_POLICY.format(form_action=" ".join(["'self'", *origins])),
    )
    return response


def register_security(app: Flask) -> None:
    # Before every other before_request function (CSRF reads the form, so the limit must
    # already be in place).
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_body_size)
    app.after_request(_security_headers)
