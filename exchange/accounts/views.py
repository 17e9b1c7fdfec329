"""Pages: sign up, sign in and out, profile."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from exchange.accounts import services
from exchange.accounts.schemas import CredentialsSchema, ProfileSchema, SignUpSchema
from exchange.database import transaction
from exchange.errors import FieldValidationError
from exchange.extensions import limiter
from exchange.forms import error_fields, load_form

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return url_for("catalog.home")


@bp.route("/signup", methods=["GET", "POST"])
def sign_up():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.home"))
    form, errors = request.form, {}
    if request.method == "POST":
        result = load_form(
            SignUpSchema(),
            {k: form.get(k, "") for k in ("email", "full_name", "profession", "password")},
        )
        errors = result.errors
        if result.ok:
            try:
                with transaction():
                    user = services.sign_up(result.data)
            except FieldValidationError as error:
                errors = error_fields(error)
            else:
                login_user(user)
                flash(f"Welcome, {user.full_name}. Your account is ready.", "success")
                return redirect(url_for("catalog.home"))
    return render_template("accounts/signup.html", form=form, errors=errors), 422 if errors else 200


@bp.route("/signin", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNIN_RATE_LIMIT"], methods=["POST"])
def sign_in():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form, errors, failed = request.form, {}, False
    if request.method == "POST":
        result = load_form(
            CredentialsSchema(),
            {"email": form.get("email", ""), "password": form.get("password", "")},
        )
        errors = result.errors
        if result.ok:
            user = services.authenticate(result.data["email"], result.data["password"])
            if user is None:
                failed = True
            else:
                login_user(user, remember=bool(form.get("remember")))
                flash(f"Signed in as {user.full_name}.", "success")
                return redirect(_safe_next(request.args.get("next")))
    status = 401 if failed else (422 if errors else 200)
    return render_template("accounts/signin.html", form=form, errors=errors, failed=failed), status


@bp.post("/signout")
def sign_out():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("catalog.home"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    errors = {}
    if request.method == "POST":
        form = request.form
        result = load_form(
            ProfileSchema(),
            {"full_name": form.get("full_name", ""), "profession": form.get("profession", "")},
        )
        errors = result.errors
        if result.ok:
            with transaction():
                services.update_profile(current_user, result.data)
            flash("Your profile is saved.", "success")
            return redirect(url_for("accounts.profile"))
    else:
        form = {"full_name": current_user.full_name, "profession": current_user.profession}
    return render_template(
        "accounts/profile.html", form=form, errors=errors
    ), 422 if errors else 200
