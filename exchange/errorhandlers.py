"""One set of error handlers: JSON bodies (API.md) under /api/, HTML pages elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

from exchange.api import error_body, is_api_request, webargs_errors
from exchange.errors import DomainError, flatten_errors, summarize_errors
from exchange.extensions import db

log = logging.getLogger(__name__)

HTML_MESSAGES = {
    400: "The request could not be understood.",
    401: "Please sign in to continue.",
    403: "You do not have permission to do that.",
    404: "We could not find that page. It may have moved, or you may not have access to it.",
    405: "That action is not available here.",
    409: "That action does not fit the record's current state.",
    413: "The upload is too large.",
    422: "Some of the input is not valid.",
    429: "Too many attempts. Please wait a minute and try again.",
    500: "Something went wrong on our side. The error has been logged.",
}


def _html(code: int, message: str | None = None, headers=None):
    body = render_template(
        "errors/error.html", code=code, message=message or HTML_MESSAGES.get(code, "Error.")
    )
    return body, code, headers or {}


def handle_http_exception(error: HTTPException):
    code = error.code or 500
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    if is_api_request():
        data = getattr(error, "data", None) or {}
        errors = webargs_errors(data.get("messages")) if data.get("messages") else {}
        if code == 400 and data.get("messages"):
            message = "The request body is not valid JSON."
        elif errors:
            message = summarize_errors(errors)
        else:
            message = data.get("message") or _description(error)
        headers.update(data.get("headers") or {})
        if code == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
        return error_body(code, message, errors), code, headers
    return _html(code, _description(error) if code not in (404, 500) else None, headers)


def _description(error: HTTPException) -> str | None:
    # Werkzeug's stock descriptions are long paragraphs; ours are single sentences.
    default = type(error).description
    if error.description and error.description != default:
        return error.description
    return HTML_MESSAGES.get(error.code or 500)


def handle_domain_error(error: DomainError):
    code = error.http_status
    if is_api_request():
        return error_body(code, error.message, flatten_errors(error.errors)), code
    return _html(code, error.message)


def handle_validation_error(error: ValidationError):
    errors = flatten_errors(error.messages)
    if is_api_request():
        return error_body(422, summarize_errors(errors), errors), 422
    return _html(422, summarize_errors(errors))


def handle_csrf_error(error: CSRFError):
    if is_api_request():
        return error_body(400, error.description), 400
    return _html(
        400, "This form has expired or was sent from another site. Reload the page and try again."
    )


def handle_integrity_error(error: IntegrityError):
    """Two requests changed the same record at once (e.g. both publishing version 3)."""
    db.session.rollback()
    log.warning("Integrity error (concurrent change): %s", error.orig)
    message = "This record was changed by someone else at the same time. Reload it and try again."
    if is_api_request():
        return error_body(409, message), 409
    return _html(409, message)


def handle_unexpected(error: Exception):
    log.exception("Unhandled error", exc_info=error)
    if is_api_request():
        return error_body(500, "Something went wrong on our side. The error has been logged."), 500
    return _html(500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
