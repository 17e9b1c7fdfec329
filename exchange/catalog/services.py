"""Module operations: create, edit (a new version once published), publish, retire, read
and list. Each checks permission, applies the CME rules, flushes and records an audit event;
none commits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import joinedload, selectinload

from exchange import permissions
from exchange.accounts.models import User
from exchange.audit import services as audit
from exchange.catalog import rules
from exchange.catalog.content import discard_content_file, store_content_file
from exchange.catalog.models import (
    Module,
    ModuleCredit,
    ModuleProfession,
    ModuleSpecialty,
    ModuleVersion,
)
from exchange.catalog.presenters import module_page_data
from exchange.database import today as current_day
from exchange.database import utcnow
from exchange.errors import (
    ConflictError,
    DomainError,
    FieldValidationError,
    NotFoundError,
    PermissionDeniedError,
)
from exchange.extensions import db
from exchange.organizations.models import Organization
from exchange.search import indexing as search_index

# Fields of the input schema, in the order a form shows them.
EDITABLE_FIELDS = (
    "title",
    "summary",
    "description",
    "objectives",
    "professions",
    "specialties",
    "keywords",
    "competencies",
    "outcome_levels",
    "format",
    "delivery",
    "estimated_minutes",
    "credits",
    "release_date",
    "last_review_date",
    "termination_date",
    "provider_id",
    "provider_activity_id",
    "content_url",
    "faculty",
    "commercial_support",
    # Set from an upload (exchange.catalog.content), never from JSON input.
    "content_file",
    "content_file_name",
)
_SCALARS = (
    "title",
    "summary",
    "description",
    "format",
    "delivery",
    "estimated_minutes",
    "release_date",
    "last_review_date",
    "termination_date",
    "provider_id",
    "provider_activity_id",
    "content_url",
    "content_file",
    "content_file_name",
)
_JSON_LISTS = ("objectives", "keywords", "competencies", "outcome_levels")


# Reading ------------------------------------------------------------------------------


def _with_page_data(stmt: Select) -> Select:
    """Eager-load everything a module page or list row shows: a fixed number of queries."""
    return stmt.options(
        joinedload(Module.provider),
        joinedload(Module.owner),
        selectinload(Module.credits),
        selectinload(Module.profession_rows),
        selectinload(Module.specialty_rows),
    )


def get_module(actor: User | None, module_id: int) -> Module:
    """The module, if it exists and `actor` may see it; otherwise NotFound (never a hint)."""
    module = db.session.scalar(_with_page_data(select(Module).where(Module.id == module_id)))
    if module is None or not permissions.can_view_module(actor, module):
        raise NotFoundError("No such module.")
    return module


def get_module_version(actor: User | None, module: Module, version: int) -> ModuleVersion:
    row = db.session.scalar(
        select(ModuleVersion).where(
            ModuleVersion.module_id == module.id, ModuleVersion.version == version
        )
    )
    if row is None or not permissions.can_view_module(actor, module):
        raise NotFoundError("No such version of this module.")
    return row


def list_versions(module: Module) -> list[ModuleVersion]:
    return list(
        db.session.scalars(
            select(ModuleVersion)
            .where(ModuleVersion.module_id == module.id)
            .order_by(ModuleVersion.version.desc())
        )
    )


def _max_credit_subquery():
    return (
        select(func.max(ModuleCredit.amount_hundredths))
        .where(ModuleCredit.module_id == Module.id)
        .correlate(Module)
        .scalar_subquery()
    )


def catalog_query(actor: User | None, filters: dict[str, Any], on: date | None = None) -> Select:
    """The module listing: what `actor` may see, narrowed by `filters` (ModuleListQuerySchema)."""
    on = on or current_day()
    stmt = select(Module).where(permissions.visible_modules_clause(actor))
    status = filters.get("status") or "published"
    stmt = stmt.where(Module.status == status)
    available_only = filters.get("available_only")
    if status == "published" and available_only is not False:
        stmt = stmt.where(Module.available_clause(on))
    if filters.get("specialty"):
        stmt = stmt.where(
            exists().where(
                ModuleSpecialty.module_id == Module.id,
                ModuleSpecialty.specialty == filters["specialty"],
            )
        )
    if filters.get("profession"):
        stmt = stmt.where(
            exists().where(
                ModuleProfession.module_id == Module.id,
                ModuleProfession.profession == filters["profession"],
            )
        )
    credit_conditions = []
    if filters.get("credit_type"):
        credit_conditions.append(ModuleCredit.credit_type == filters["credit_type"])
    if filters.get("min_credits") is not None:
        credit_conditions.append(
            ModuleCredit.amount_hundredths >= int(filters["min_credits"] * 100)
        )
    if filters.get("max_credits") is not None:
        credit_conditions.append(
            ModuleCredit.amount_hundredths <= int(filters["max_credits"] * 100)
        )
    if credit_conditions:
        stmt = stmt.where(exists().where(ModuleCredit.module_id == Module.id, *credit_conditions))
    for field in ("format", "provider_id", "owner_id"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(Module, field) == filters[field])
    if filters.get("other_provider"):  # built by the owner, certified by someone else
        stmt = stmt.where(Module.provider_id != Module.owner_id)
    sort = filters.get("sort") or "newest"
    if sort == "title":
        stmt = stmt.order_by(func.lower(Module.title), Module.id)
    elif sort == "credits":
        stmt = stmt.order_by(_max_credit_subquery().desc(), Module.id.desc())
    else:  # newest released first; relevance needs a query and falls back to newest
        stmt = stmt.order_by(
            Module.release_date.desc().nulls_last(),
            Module.published_at.desc().nulls_last(),
            Module.id.desc(),
        )
    return stmt


def list_modules(actor: User | None, filters: dict[str, Any], on: date | None = None):
    """One page of the catalog: a count query plus the page with everything it shows."""
    stmt = _with_page_data(catalog_query(actor, filters, on))
    return db.paginate(
        stmt,
        page=filters.get("page", 1),
        per_page=filters.get("per_page", 20),
        max_per_page=100,
        error_out=False,
    )


def list_staff_modules(actor: User | None, organization_ids: set[int], status: str, page: int):
    """Modules owned or provided by `organization_ids`, in one status, newest change first."""
    stmt = (
        select(Module)
        .where(
            permissions.visible_modules_clause(actor),
            Module.status == status,
            (Module.owner_id.in_(organization_ids)) | (Module.provider_id.in_(organization_ids)),
        )
        .order_by(Module.updated_at.desc(), Module.id.desc())
    )
    return db.paginate(_with_page_data(stmt), page=page, per_page=20, error_out=False)


def accredited_providers(on: date | None = None) -> list[Organization]:
    on = on or current_day()
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.accredited_clause(on))
            .order_by(Organization.name)
        )
    )


def default_provider(owner: Organization, on: date | None = None) -> Organization | None:
    """An accredited owner is its own provider of record unless told otherwise."""
    return owner if owner.is_accredited(on or current_day()) else None


def owner_choices(actor: User | None) -> list[Organization]:
    """Organizations `actor` may create modules for (never an ineligible company)."""
    if actor is None:
        return []
    orgs = [m.organization for m in actor.memberships if m.role in permissions.EDITOR_ROLES]
    return sorted((o for o in orgs if not o.is_ineligible_company), key=lambda o: o.name.casefold())


# State of a module as plain values -----------------------------------------------------


def module_state(module: Module) -> dict[str, Any]:
    """The module's editable fields in the input schema's shape (Decimal amounts, dates)."""
    state: dict[str, Any] = {field: getattr(module, field) for field in _SCALARS}
    for field in _JSON_LISTS:
        state[field] = list(getattr(module, field) or [])
    state["professions"] = module.professions
    state["specialties"] = module.specialties
    state["credits"] = [
        {"credit_type": c.credit_type, "amount": c.amount, "uan": c.uan} for c in module.credits
    ]
    state["faculty"] = [dict(person) for person in module.faculty or []]
    state["commercial_support"] = [
        {**support, "amount": _decimal_or_none(support.get("amount"))}
        for support in module.commercial_support or []
    ]
    return state


def _decimal_or_none(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    """Order-insensitive where order carries no meaning, so a no-op edit is no new version."""
    result = dict(state)
    for field in ("professions", "specialties", "competencies", "outcome_levels"):
        result[field] = sorted(result.get(field) or [])
    result["credits"] = sorted(
        ((c["credit_type"], c["amount"], (c.get("uan") or None)) for c in state["credits"]),
    )
    return result


def _apply(module: Module, state: dict[str, Any]) -> None:
    for field in _SCALARS:
        setattr(module, field, state.get(field))
    for field in _JSON_LISTS:
        setattr(module, field, list(state.get(field) or []))
    if sorted(module.professions) != sorted(state.get("professions") or []):
        module.profession_rows = [
            ModuleProfession(profession=p) for p in state.get("professions") or []
        ]
    if sorted(module.specialties) != sorted(state.get("specialties") or []):
        module.specialty_rows = [
            ModuleSpecialty(specialty=s) for s in state.get("specialties") or []
        ]
    wanted = [
        (c["credit_type"], int(c["amount"] * 100), c.get("uan") or None)
        for c in state.get("credits") or []
    ]
    current = [(c.credit_type, c.amount_hundredths, c.uan) for c in module.credits]
    if wanted != current:
        module.credits.clear()
        db.session.flush()  # the unique (module, credit type) must be free before re-adding
        module.credits.extend(
            ModuleCredit(credit_type=t, amount_hundredths=a, uan=u) for t, a, u in wanted
        )
    module.faculty = [
        {
            "name": person["name"],
            "role": person.get("role") or "",
            "disclosures": None
            if person.get("disclosures") is None
            else [
                {
                    "company": d["company"],
                    "relationship": d["relationship"],
                    "mitigated": bool(d["mitigated"]),
                }
                for d in person["disclosures"]
            ],
        }
        for person in state.get("faculty") or []
    ]
    module.commercial_support = [
        {
            "source": s["source"],
            "kind": s["kind"],
            "amount": None if s.get("amount") is None else float(s["amount"]),
        }
        for s in state.get("commercial_support") or []
    ]


# Checks that need the database --------------------------------------------------------


def _organization_or_error(organization_id: int | None, field: str) -> Organization | None:
    if organization_id is None:
        return None
    org = db.session.get(Organization, organization_id)
    if org is None:
        raise FieldValidationError({field: ["No organization with this ID."]})
    return org


def _provider_problems(provider: Organization | None, on: date) -> rules.Problems:
    if provider is None:
        return {}
    if provider.is_ineligible_company:
        return {
            "provider_id": [
                f"{provider.name} is an ineligible company and cannot be a provider of record."
            ]
        }
    if not provider.is_accredited(on):
        return {
            "provider_id": [
                f"{provider.name} has no verified, current accreditation, so it cannot be the "
                "provider of record."
            ]
        }
    return {}


def _activity_id_problems(module: Module | None, state: dict[str, Any]) -> rules.Problems:
    activity_id, provider_id = state.get("provider_activity_id"), state.get("provider_id")
    if not activity_id or provider_id is None:
        return {}
    clash = db.session.scalar(
        select(Module.id).where(
            Module.provider_id == provider_id,
            Module.provider_activity_id == activity_id,
            Module.id != (module.id if module else -1),
        )
    )
    if clash:
        return {
            "provider_activity_id": [
                "This provider already uses that activity ID for another module."
            ]
        }
    return {}


def _merge(problems: rules.Problems, more: rules.Problems) -> rules.Problems:
    for field, messages in more.items():
        problems.setdefault(field, []).extend(messages)
    return problems


def publish_problems(module: Module, on: date | None = None) -> rules.Problems:
    """Everything that stands between this module and publication, by field."""
    on = on or current_day()
    state = module_state(module)
    problems = rules.completeness_problems(state, on)
    if module.provider is None:
        _merge(problems, {"provider_id": ["Choose the accredited provider of record."]})
    else:
        _merge(problems, _provider_problems(module.provider, on))
        _merge(problems, rules.accreditor_problems(state["credits"], module.provider.accreditor))
    if module.owner.is_ineligible_company:
        _merge(problems, {"owner_id": ["An ineligible company cannot own a module."]})
    return problems


# Changing modules ---------------------------------------------------------------------


def create_module(actor: User | None, data: dict[str, Any], on: date | None = None) -> Module:
    """A new draft from validated input (ModuleInputSchema)."""
    on = on or current_day()
    owner = _organization_or_error(data.get("owner_id"), "owner_id")
    if owner is None or not permissions.can_create_module_for(actor, owner):
        raise PermissionDeniedError(
            "Only education staff of the owning organization can create its modules."
        )
    if owner.is_ineligible_company:
        raise FieldValidationError({"owner_id": ["An ineligible company cannot own modules."]})
    state = {field: data.get(field) for field in EDITABLE_FIELDS}
    if state["provider_id"] is None and (default := default_provider(owner, on)):
        state["provider_id"] = default.id
    provider = _organization_or_error(state["provider_id"], "provider_id")
    problems = _merge(rules.cross_field_problems(state), _provider_problems(provider, on))
    _merge(problems, _activity_id_problems(None, state))
    if problems:
        raise FieldValidationError(problems)
    module = Module(owner=owner, created_by=actor, status="draft", version=1)
    db.session.add(module)
    _apply(module, state)
    db.session.flush()
    search_index.enqueue(module.id)
    return module


def edit_refusal(module: Module) -> str:
    """Why an edit is refused, in words that say who can make it."""
    if module.status != "draft" and module.provider is not None:
        return (
            f"Changes to a published module are made by education staff of "
            f"{module.provider.name}, its provider of record."
        )
    return "Only staff of the owner or the provider of record can edit this module."


def update_module(
    actor: User | None, module: Module, changes: dict[str, Any], on: date | None = None
) -> Module:
    """Apply a partial update. On a published module a real change makes a new version,
    and the result must still meet every rule of publication."""
    on = on or current_day()
    if not permissions.can_edit_module(actor, module):
        raise PermissionDeniedError(edit_refusal(module))
    if module.status == "retired":
        raise ConflictError("A retired module cannot be edited.")
    changes = dict(changes)
    change_note = changes.pop("change_note", "") or ""
    before = module_state(module)
    state = {**before, **{k: v for k, v in changes.items() if k in EDITABLE_FIELDS}}
    problems = rules.cross_field_problems(state)
    if state["provider_id"] != before["provider_id"]:
        if module.status != "draft":
            _merge(
                problems,
                {
                    "provider_id": [
                        "The provider of record of a published module cannot change; retire it and "
                        "publish a new module instead."
                    ]
                },
            )
        else:
            _merge(
                problems,
                _provider_problems(_organization_or_error(state["provider_id"], "provider_id"), on),
            )
    if module.status != "draft" and state["provider_activity_id"] != before["provider_activity_id"]:
        _merge(
            problems,
            {
                "provider_activity_id": [
                    "The provider activity ID of a published module cannot change: "
                    "reports are keyed on it."
                ]
            },
        )
    _merge(problems, _activity_id_problems(module, state))
    if _comparable(state) == _comparable(before):
        return module
    if module.status == "published":
        # A new version is published at once, under the provider's accreditation.
        _merge(problems, rules.completeness_problems(state, on))
        _merge(problems, _provider_problems(module.provider, on))
        if module.provider:
            _merge(
                problems, rules.accreditor_problems(state["credits"], module.provider.accreditor)
            )
    if problems:
        raise FieldValidationError(problems)
    _apply(module, state)
    if state["provider_id"] != before["provider_id"]:
        module.provider = (
            db.session.get(Organization, state["provider_id"]) if state["provider_id"] else None
        )
    module.updated_at = utcnow()
    if module.status == "published":
        module.version += 1
        module.version_changed_at = utcnow()
        db.session.flush()
        _snapshot(actor, module, change_note)
        audit.record(
            actor,
            "module.new_version",
            subject_type="module",
            subject_id=module.id,
            summary=f"Published version {module.version} of “{module.title}”.",
            organization_id=module.owner_id,
            related_organization_id=module.provider_id,
            data={
                "version": module.version,
                "change_note": change_note,
                "fields": sorted(k for k in changes if k in EDITABLE_FIELDS),
            },
        )
        from exchange.licensing.services import module_changed

        module_changed(actor, module, on)
    search_index.enqueue(module.id)
    db.session.flush()
    return module


def attach_content(actor: User | None, module: Module, upload) -> Module:
    """Store an uploaded content file and make it the module's content (a new version when
    published). Permission is checked before anything is written to disk."""
    if not permissions.can_edit_module(actor, module):
        raise PermissionDeniedError(edit_refusal(module))
    if module.status == "retired":
        raise ConflictError("A retired module cannot be edited.")
    stored, name = store_content_file(upload, "file")
    try:
        return update_module(actor, module, {"content_file": stored, "content_file_name": name})
    except DomainError:
        discard_content_file(stored)
        raise


def _snapshot(actor: User | None, module: Module, change_note: str) -> None:
    db.session.add(
        ModuleVersion(
            module_id=module.id,
            version=module.version,
            data=module_page_data(module),
            created_at=module.version_changed_at,
            created_by_id=actor.id if actor else None,
            change_note=change_note,
        )
    )


def _free_activity_id(module: Module) -> str:
    """EXC-000123, or EXC-000123-2... if the provider already uses that ID."""
    base = candidate = f"EXC-{module.id:06d}"
    suffix = 2
    while db.session.scalar(
        select(Module.id).where(
            Module.provider_id == module.provider_id,
            Module.provider_activity_id == candidate,
            Module.id != module.id,
        )
    ):
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate


def publish_module(actor: User | None, module: Module, on: date | None = None) -> Module:
    on = on or current_day()
    if not permissions.can_publish_module(actor, module):
        raise PermissionDeniedError(
            "Only education staff of the provider of record can publish this module."
        )
    if module.status != "draft":
        raise ConflictError(f"This module is already {module.status}.")
    problems = publish_problems(module, on)
    if problems:
        raise ConflictError("This module cannot be published yet.", problems)
    if not module.provider_activity_id:
        module.provider_activity_id = _free_activity_id(module)
    now = utcnow()
    module.status = "published"
    module.published_at = now
    module.version_changed_at = now
    db.session.flush()
    _snapshot(actor, module, "First published version.")
    audit.record(
        actor,
        "module.published",
        subject_type="module",
        subject_id=module.id,
        summary=f"Published “{module.title}”.",
        organization_id=module.owner_id,
        related_organization_id=module.provider_id,
        data={"version": module.version, "provider_activity_id": module.provider_activity_id},
    )
    search_index.enqueue(module.id)
    db.session.flush()
    return module


def delete_module(actor: User | None, module: Module) -> None:
    """Delete a draft. Published and retired modules are never deleted: they have versions,
    and (later) licenses and completions that refer to them."""
    if not permissions.can_edit_module(actor, module):
        raise PermissionDeniedError(edit_refusal(module))
    if module.status != "draft":
        raise ConflictError("Only a draft can be deleted; retire a published module instead.")
    module_id, title = module.id, module.title
    audit.record(
        actor,
        "module.deleted",
        subject_type="module",
        subject_id=module_id,
        summary=f"Deleted the draft “{title}”.",
        organization_id=module.owner_id,
        related_organization_id=module.provider_id,
        data={"title": title},
    )
    db.session.delete(module)
    search_index.enqueue(module_id)
    db.session.flush()


def retire_module(actor: User | None, module: Module) -> Module:
    if not permissions.can_retire_module(actor, module):
        raise PermissionDeniedError(
            "Only staff of the owner or the provider of record can retire this module."
        )
    if module.status != "published":
        raise ConflictError(
            "Only a published module can be retired."
            if module.status == "draft"
            else "This module is already retired."
        )
    module.status = "retired"
    module.retired_at = utcnow()
    audit.record(
        actor,
        "module.retired",
        subject_type="module",
        subject_id=module.id,
        summary=f"Retired “{module.title}”.",
        organization_id=module.owner_id,
        related_organization_id=module.provider_id,
        data={"version": module.version},
    )
    search_index.enqueue(module.id)
    db.session.flush()
    return module
