"""Accounts: sign-up, sign-in and out, profile, CSRF, password hashing, API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exchange.accounts import services
from exchange.accounts.models import ApiToken, User
from exchange.database import utcnow
from exchange.extensions import db
from tests.factories import PASSWORD, add_member, auth, make_org, make_user, sign_in


def test_sign_up_creates_account_and_signs_in(client):
    response = client.post(
        "/signup",
        data={
            "email": "  New.Person@Example.TEST ",
            "full_name": "New Person, RN",
            "profession": "nurse",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 302
    user = services.find_user_by_email("new.person@example.test")
    assert user is not None and user.email == "new.person@example.test"
    assert user.profession == "nurse"
    assert user.password_hash != "a long enough password"
    assert "Welcome, New Person, RN" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Not a valid email address."),
        ("password", "short", "Use between 10 and 128 characters."),
        ("profession", "wizard", "Must be one of"),
        ("full_name", "", "This field cannot be blank."),
        ("full_name", "x" * 201, "at most 200"),
    ],
)
def test_sign_up_errors_are_inline(client, field, value, message):
    data = {
        "email": "ok@example.test",
        "full_name": "Okay",
        "profession": "nurse",
        "password": "a long enough password",
        field: value,
    }
    response = client.post("/signup", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert db.session.scalar(db.select(db.func.count(User.id))) == 0


def test_sign_up_duplicate_email(client):
    make_user(email="taken@example.test")
    response = client.post(
        "/signup",
        data={
            "email": "TAKEN@example.test",
            "full_name": "X",
            "profession": "nurse",
            "password": "long password 1",
        },
    )
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_sign_in_and_out(client):
    user = make_user(email="doc@example.test")
    bad = client.post("/signin", data={"email": "doc@example.test", "password": "wrong password"})
    assert bad.status_code == 401
    assert "The email or password is incorrect." in bad.get_data(as_text=True)
    good = client.post(
        "/signin?next=/profile", data={"email": "DOC@example.test", "password": PASSWORD}
    )
    assert good.status_code == 302 and good.headers["Location"].endswith("/profile")
    assert user.full_name in client.get("/profile").get_data(as_text=True)
    client.post("/signout")
    assert client.get("/profile").status_code == 302


def test_sign_in_refuses_offsite_next(client):
    make_user(email="doc2@example.test")
    response = client.post(
        "/signin?next=https://evil.example/x",
        data={"email": "doc2@example.test", "password": PASSWORD},
    )
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_inactive_user_cannot_sign_in(client):
    user = make_user(email="gone@example.test")
    user.active = False
    db.session.commit()
    response = client.post("/signin", data={"email": "gone@example.test", "password": PASSWORD})
    assert response.status_code == 401


def test_profile_edit(client):
    user = make_user("physician")
    sign_in(client, user)
    response = client.post(
        "/profile", data={"full_name": "Dr. Renamed", "profession": "pharmacist"}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.full_name, user.profession) == ("Dr. Renamed", "pharmacist")
    bad = client.post("/profile", data={"full_name": "", "profession": "pilot"})
    assert bad.status_code == 422
    db.session.refresh(user)
    assert user.full_name == "Dr. Renamed"


def test_anonymous_profile_redirects_to_sign_in(client):
    response = client.get("/profile")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]


def test_passwords_use_werkzeug_scrypt_by_default(app):
    app.config["PASSWORD_HASH_METHOD"] = "scrypt"
    try:
        user = User(email="x@example.test", full_name="X", profession="other")
        user.set_password("correct horse battery staple")
    finally:
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
    assert user.password_hash.startswith("scrypt:")
    assert user.check_password("correct horse battery staple")
    assert not user.check_password("Correct horse battery staple")


def test_csrf_required_on_forms(app, client):
    make_user(email="csrf@example.test")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        without = client.post("/signin", data={"email": "csrf@example.test", "password": PASSWORD})
        assert without.status_code == 400
        assert "This form has expired" in without.get_data(as_text=True)
        page = client.get("/signin").get_data(as_text=True)
        token = page.split('name="csrf_token" value="')[1].split('"')[0]
        with_token = client.post(
            "/signin",
            data={"email": "csrf@example.test", "password": PASSWORD, "csrf_token": token},
        )
        assert with_token.status_code == 302
        # The JSON API authenticates by bearer token and is exempt.
        api = client.post(
            "/api/v1/auth/tokens", json={"email": "csrf@example.test", "password": PASSWORD}
        )
        assert api.status_code == 201
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# API tokens -----------------------------------------------------------------------------


def test_token_flow(client):
    user = make_user(email="api@example.test")
    org = make_org(name="Token Org")
    add_member(org, "staff", user=user)
    response = client.post(
        "/api/v1/auth/tokens", json={"email": "api@example.test", "password": PASSWORD}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    stored = db.session.scalars(db.select(ApiToken)).one()
    assert stored.token_hash != body["token"] and len(stored.token_hash) == 64
    headers = {"Authorization": f"Bearer {body['token']}"}
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["email"] == "api@example.test"
    assert me["memberships"] == [
        {
            "organization_id": org.id,
            "organization_name": "Token Org",
            "organization_slug": org.slug,
            "role": "staff",
        }
    ]
    assert client.delete("/api/v1/auth/tokens/current", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_wrong_password_token_is_401(client):
    make_user(email="api2@example.test")
    response = client.post(
        "/api/v1/auth/tokens", json={"email": "api2@example.test", "password": "nope nope nope"}
    )
    assert response.status_code == 401
    assert response.get_json()["message"] == "The email or password is incorrect."


@pytest.mark.parametrize("header", ["Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz", "Token abc"])
def test_bad_authorization_header_is_401(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(client):
    user = make_user()
    headers = auth(user)
    token = db.session.scalars(db.select(ApiToken)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_me_needs_a_token(client):
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("payload", [{}, {"email": "a@b.test"}, {"email": 5, "password": []}, []])
def test_token_request_validation(client, payload):
    response = client.post("/api/v1/auth/tokens", json=payload)
    assert response.status_code == 422


def test_sign_in_is_rate_limited(app, client):
    from exchange.extensions import limiter

    app.config["SIGNIN_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        codes = [
            client.post(
                "/api/v1/auth/tokens", json={"email": "x@y.test", "password": "p"}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        body = client.post(
            "/api/v1/auth/tokens", json={"email": "x@y.test", "password": "p"}
        ).get_json()
        assert body["code"] == 429
        page = client.post("/signin", data={"email": "x@y.test", "password": "p"})
        assert [page.status_code] + [
            client.post("/signin", data={"email": "x@y.test", "password": "p"}).status_code
            for _ in range(3)
        ] == [401, 401, 401, 429]
    finally:
        app.config["SIGNIN_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()
