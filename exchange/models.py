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
from exchange.organizations.models import Membership, Organization
from exchange.search.models import SearchEvent, SearchOutbox

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Membership",
    "Module",
    "ModuleCredit",
    "ModuleProfession",
    "ModuleSpecialty",
    "ModuleVersion",
    "Organization",
    "SearchEvent",
    "SearchOutbox",
    "User",
]
