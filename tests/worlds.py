"""A small licensing world shared by the licensing and learning tests: an accredited
provider with a published module and an offer, an association that licenses it, a third
organization, and their people."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from exchange.accounts.models import User
from exchange.catalog.models import Module
from exchange.licensing.models import Offer
from exchange.organizations.models import Organization
from tests.factories import add_member, make_module, make_offer, make_org, make_provider, staff_of


@dataclass
class Licensing:
    provider: Organization
    association: Organization
    other: Organization
    module: Module
    offer: Offer
    provider_staff: User
    association_staff: User
    association_admin: User
    member: User
    other_staff: User


@pytest.fixture
def world() -> Licensing:
    provider = make_provider("accme", name="Riverbend CME Institute")
    association = make_org(name="Prairie Society of Family Physicians")
    other = make_org(name="Harbor Society of Internists")
    module = make_module(provider, status="published", title="Asthma Control in Adults")
    offer = make_offer(module, name="Annual member access", seat_limit=3)
    return Licensing(
        provider=provider,
        association=association,
        other=other,
        module=module,
        offer=offer,
        provider_staff=staff_of(provider),
        association_staff=staff_of(association),
        association_admin=add_member(association, "admin", profession="other"),
        member=add_member(association, "member", profession="physician"),
        other_staff=staff_of(other),
    )
