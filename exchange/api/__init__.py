"""The JSON API under /api/v1: flask-smorest setup, bearer-token auth, error bodies, docs.

Feature packages define their endpoints in their own `api.py`; `register_api` mounts them.
"""

from __future__ import annotations

import functools
from typing import Any

import swagger_ui_bundle
from flask import Blueprint, Flask, abort, g, render_template, request
from flask_smorest import Api
from werkzeug.http import HTTP_STATUS_CODES

from exchange.errors import flatten_errors

API_PREFIX = "/api/v1"


class ExchangeApi(Api):
    """flask-smorest's Api without its app-wide error handler: `exchange.errorhandlers`
    answers JSON under /api/ and HTML pages elsewhere."""

    def _register_error_handlers(self):
        pass


api = ExchangeApi()


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def error_body(code: int, message: str | None = None, errors: Any = None) -> dict[str, Any]:
    """The error body of API.md: code, status, message, errors (flat field -> messages)."""
    return {
        "code": code,
        "status": HTTP_STATUS_CODES.get(code, "Error"),
        "message": message or HTTP_STATUS_CODES.get(code, "Error"),
        "errors": errors or {},
    }


def webargs_errors(messages: Any) -> dict[str, list[str]]:
    """webargs nests field errors by location ({"json": {...}}): unwrap, then flatten."""
    merged: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for location, value in messages.items():
            if location in ("json", "query", "form", "files", "headers", "path") and isinstance(
                value, dict
            ):
                merged.update(flatten_errors(value))
            else:
                merged.update(flatten_errors({location: value}))
    return merged


def current_api_user():
    """The user of the request's bearer token; None without a token; 401 for a bad one.
    Session cookies are never honoured here, so the API needs no CSRF protection."""
    if "api_user" in g:
        return g.api_user
    from exchange.accounts import services as accounts

    header = request.headers.get("Authorization", "")
    user, token = None, None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            abort(401, description="Send the token as 'Authorization: Bearer <token>'.")
        token = accounts.token_record(value.strip())
        if token is None:
            abort(401, description="The token is invalid, expired or revoked.")
        user = token.user
    g.api_user, g.api_token = user, token
    return user


def authenticated(view):
    """Refuse anonymous callers (401) before the body is even parsed: place it right
    under `@blp.route`, above `@blp.arguments`."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        require_api_user()
        return view(*args, **kwargs)

    return wrapper


def require_api_user():
    user = current_api_user()
    if user is None:
        abort(
            401,
            description="Sign in: send 'Authorization: Bearer <token>' "
            "from POST /api/v1/auth/tokens.",
        )
    return user


# Swagger UI's files come from the swagger-ui-bundle package: no CDN.
docs = Blueprint(
    "api_docs",
    __name__,
    static_folder=str(swagger_ui_bundle.swagger_ui_path),
    static_url_path=f"{API_PREFIX}/docs/static",
)


@docs.get(f"{API_PREFIX}/docs")
def swagger_ui():
    return render_template("api/docs.html")


def register_api(app: Flask) -> None:
    from exchange.accounts.api import blp as accounts_blp
    from exchange.catalog.api import blp as modules_blp
    from exchange.extensions import csrf
    from exchange.learning.api import blp as learning_blp
    from exchange.licensing.api import blp as licensing_blp
    from exchange.organizations.api import blp as organizations_blp
    from exchange.sharing.api import blp as sharing_blp

    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/tokens"},
    )
    for blp in (
        accounts_blp,
        organizations_blp,
        modules_blp,
        licensing_blp,
        learning_blp,
        sharing_blp,
    ):
        csrf.exempt(blp)
        api.register_blueprint(blp, url_prefix=API_PREFIX + (blp.url_prefix or ""))
    app.register_blueprint(docs)
