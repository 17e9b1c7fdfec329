"""The license state machine against a model: hypothesis runs random sequences of requests,
grants and decisions, including illegal ones, and after every step the database must agree
with the model (statuses, one open request at most, the history of each license)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from exchange.database import commit, rollback
from exchange.errors import ConflictError
from exchange.licensing import services
from exchange.licensing.models import License
from tests.factories import make_module, make_offer, make_org, make_provider, staff_of

# Which decisions each recorded status allows (licenses here start today, so an approved
# license is active).
ALLOWED = {
    "approve": {"requested"},
    "decline": {"requested"},
    "withdraw": {"requested"},
    "revoke": {"approved"},
}
RESULT = {
    "approve": "approved",
    "decline": "declined",
    "withdraw": "withdrawn",
    "revoke": "revoked",
}


class LicenseMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        provider = make_provider("accme")
        self.licensee = make_org()
        self.module = make_module(provider, status="published")
        self.offer = make_offer(self.module)
        self.provider_staff = staff_of(provider)
        self.licensee_staff = staff_of(self.licensee)
        self.model: dict[int, str] = {}  # license id -> status
        self.steps: dict[int, int] = {}  # license id -> decisions recorded

    def _data(self):
        return {
            "module_id": self.module.id,
            "offer_id": self.offer.id,
            "licensee_id": self.licensee.id,
        }

    def _open(self) -> bool:
        return "requested" in self.model.values()

    def _held(self) -> bool:
        """An approved license (active: every license here starts today) is held already."""
        return "approved" in self.model.values()

    @rule()
    def request(self):
        try:
            license = services.request_license(self.licensee_staff, self._data())
            commit()
        except ConflictError:
            rollback()
            assert self._open()
        else:
            assert not self._open()
            self.model[license.id] = "requested"
            self.steps[license.id] = 1

    @rule()
    def grant(self):
        try:
            license = services.grant_license(self.provider_staff, self._data())
            commit()
        except ConflictError:
            rollback()
            assert self._open() or self._held()
        else:
            assert not self._open() and not self._held()
            self.model[license.id] = "approved"
            self.steps[license.id] = 1

    @precondition(lambda self: self.model)
    @rule(action=st.sampled_from(sorted(ALLOWED)), pick=st.integers(min_value=0))
    def decide(self, action, pick):
        license_id = sorted(self.model)[pick % len(self.model)]
        license = services.get_license(self.provider_staff, license_id)
        actor = self.licensee_staff if action == "withdraw" else self.provider_staff
        call = {
            "approve": lambda: services.approve_license(actor, license, {}),
            "decline": lambda: services.decline_license(actor, license, "Declined in a test."),
            "withdraw": lambda: services.withdraw_license(actor, license),
            "revoke": lambda: services.revoke_license(actor, license, "Revoked in a test."),
        }[action]
        try:
            call()
            commit()
        except ConflictError:
            rollback()
            assert self.model[license_id] not in ALLOWED[action] or (
                action == "approve" and self._held()
            )
        else:
            assert self.model[license_id] in ALLOWED[action]
            assert not (action == "approve" and self._held())
            self.model[license_id] = RESULT[action]
            self.steps[license_id] += 1

    @invariant()
    def database_agrees_with_the_model(self):
        from exchange.extensions import db

        rows = dict(
            db.session.execute(
                db.select(License.id, License.status).where(License.module_id == self.module.id)
            ).all()
        )
        assert rows == self.model
        assert list(rows.values()).count("requested") <= 1
        for license_id, count in self.steps.items():
            license = db.session.get(License, license_id)
            assert len(services.history(license)) == count
            if license.status == "approved":
                assert license.terms is not None and license.end_date >= license.start_date


def test_license_state_machine():
    LicenseMachine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    LicenseMachine.TestCase().runTest()
