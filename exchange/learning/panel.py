"""The licensing and learning panel of a module page: what this viewer can do with it."""

from __future__ import annotations

from typing import Any

from exchange import permissions
from exchange.accounts.models import User
from exchange.catalog.models import Module
from exchange.database import today
from exchange.learning import access, services
from exchange.licensing import services as licensing


def module_panel(user: User | None, module: Module) -> dict[str, Any]:
    on = today()
    manage = permissions.can_manage_offers(user, module)
    panel: dict[str, Any] = {
        "offers": licensing.list_offers(user, module) if module.status != "draft" or manage else [],
        "manage_offers": manage and module.status != "retired",
        "grant": permissions.can_grant_license(user, module) and module.status == "published",
        "request_orgs": [],
        "licenses": [],
        "access": None,
        "refusal": None,
        "completion": None,
        "launched": False,
    }
    if user is None:
        return panel
    if licensing.licensing_refusal(module, on) is None:
        panel["request_orgs"] = licensing.request_choices(user, module)
    if user.organization_ids(*permissions.EDITOR_ROLES):
        panel["licenses"] = licensing.licenses_for_module(user, module, on)
    found = access.find_access(user, module, on)
    panel["access"] = found
    if found is None and module.status in access.TAKEABLE_STATUSES:
        panel["refusal"] = access.refusal(user, module)
    if found is not None:
        panel["launched"] = access.has_launched(user, module)
        panel["completion"] = services.existing_completion(user, module)
    return panel
