"""API: tokens and the signed-in user."""

from __future__ import annotations

from flask import abort, current_app, g
from flask_smorest import Blueprint

from exchange.accounts import services
from exchange.accounts.schemas import CredentialsSchema, MeSchema, TokenSchema
from exchange.api import authenticated, require_api_user
from exchange.database import transaction
from exchange.extensions import limiter

blp = Blueprint("Auth", __name__, description="Sign in for a token; the signed-in user.")


@blp.route("/auth/tokens", methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"])
@blp.arguments(CredentialsSchema)
@blp.response(201, TokenSchema)
@blp.alt_response(401, description="Email or password is incorrect.")
def create_token(credentials):
    """Exchange an email and password for a bearer token."""
    user = services.authenticate(credentials["email"], credentials["password"])
    if user is None:
        abort(401, description="The email or password is incorrect.")
    with transaction():
        token, record = services.issue_token(user)
    return {"token": token, "expires_at": record.expires_at}


@blp.route("/auth/tokens/current", methods=["DELETE"])
@authenticated
@blp.response(204)
@blp.doc(security=[{"bearerAuth": []}])
def revoke_current_token():
    """Revoke the token this request was made with."""
    require_api_user()
    with transaction():
        services.revoke_token(g.api_token)


@blp.route("/me", methods=["GET"])
@authenticated
@blp.response(200, MeSchema)
@blp.doc(security=[{"bearerAuth": []}])
def me():
    """The signed-in user and their memberships."""
    return require_api_user()
