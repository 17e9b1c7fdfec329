"""Pages: a person's notifications."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from exchange.database import transaction
from exchange.notifications import services
from exchange.pagination import page_number
from exchange.templating import actor

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index():
    page = services.list_notifications(actor(), page_number(request.args))
    return render_template("notifications/index.html", page=page)


@bp.post("/notifications/read")
@login_required
def mark_read():
    with transaction():
        services.mark_all_read(actor())
    flash("All notifications are marked as read.", "success")
    return redirect(url_for("notifications.index"))
