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
    "User",
]
