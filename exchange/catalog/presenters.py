"""What a module page shows, as one JSON-ready dict.

The same dict renders the live module page and is frozen into each published version, so a
previous version reads exactly as it did: designation statements and the provider's
accreditation statement included.
"""

from __future__ import annotations

from typing import Any

from exchange import vocab
from exchange.catalog import rules
from exchange.catalog.models import Module


def module_page_data(module: Module) -> dict[str, Any]:
    from exchange.catalog.schemas import ModuleSchema

    data = ModuleSchema().dump(module)
    provider = module.provider
    provider_name = provider.name if provider else "the provider of record"
    data["designations"] = [
        {
            "credit_type": credit.credit_type,
            "label": vocab.CREDIT_TYPE_SHORT[credit.credit_type],
            "amount": float(credit.amount),
            "uan": credit.uan,
            "statement": rules.designation_statement(
                credit.credit_type,
                credit.amount,
                provider_name,
                module.format,
                module.title,
                module.delivery,
            ),
        }
        for credit in module.credits
    ]
    data["provider"] = (
        {
            "id": provider.id,
            "name": provider.name,
            "slug": provider.slug,
            "accreditor": provider.accreditor,
            "accreditor_label": vocab.ACCREDITORS.get(provider.accreditor or "", ""),
            "accredited_until": provider.accredited_until.isoformat()
            if provider.accredited_until
            else None,
            "accreditation_statement": provider.accreditation_statement,
        }
        if provider
        else None
    )
    data["owner"] = {"id": module.owner.id, "name": module.owner.name, "slug": module.owner.slug}
    data["accreditation_statement"] = accreditation_statement(module)
    return data


def accreditation_statement(module: Module) -> str:
    """The provider's statement, in its joint-providership wording when another
    organization planned the activity with it."""
    provider = module.provider
    if provider is None or not provider.accreditor:
        return ""
    if module.owner_id != provider.id:
        return vocab.JOINT_PROVIDERSHIP_STATEMENTS[provider.accreditor].format(
            provider=provider.name, partner=module.owner.name
        )
    return provider.accreditation_statement
