"""Every model, imported in one place so the metadata (and Alembic) sees the whole schema."""

from exchange.accounts.models import ApiToken, User
from exchange.audit.models import AuditEvent
from exchange.catalog.models import (
    Module,
    ModuleCredit,
    ModuleProfession,
    ModuleSpecialty,
    ModuleVersion,
)
from exchange.learning.models import Completion, CompletionCredit, ModuleLaunch
from exchange.licensing.models import License, LicenseSeat, Offer
from exchange.notifications.models import Notification
from exchange.organizations.models import Membership, Organization
from exchange.search.models import SearchEvent, SearchEventProvider, SearchOutbox

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Completion",
    "CompletionCredit",
    "License",
    "LicenseSeat",
    "Membership",
    "Module",
    "ModuleCredit",
    "ModuleLaunch",
    "ModuleProfession",
    "ModuleSpecialty",
    "ModuleVersion",
    "Notification",
    "Offer",
    "Organization",
    "SearchEvent",
    "SearchEventProvider",
    "SearchOutbox",
    "User",
]
