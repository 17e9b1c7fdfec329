"""Who may do what, on every route the app has: HTML pages and the JSON API, every actor.

The expected status codes are written out as grids, one row per route (and object), one
column per actor, so the rules of DOMAIN.md, API.md and exchange/permissions.py read at a
glance. The grids state the RULES; where the app breaks one, the case is listed in
KNOWN_BUGS and runs as a strict xfail.

Actors (columns):
    anon   anonymous (no session, no token)
    mem    member of the owning organization      xmem  member of another organization
    stf    staff of the owning organization       xstf  staff of another organization
    adm    admin of the owning organization       xadm  admin of another organization
    padm   platform admin (belongs to no organization)
    pstf   staff of the provider of record (module grids only: an association builds the
           module, an accredited provider certifies it)

Codes: HTTP statuses, plus
    302    a redirect after success (or an "already signed in" redirect): anywhere but /signin
    login  302 to /signin: anonymous on a page that needs sign-in

Every case builds its own organizations, people and records through the factories, so a
successful POST never leaks into another case.
"""

from __future__ import annotations

import io
import itertools
from datetime import timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from exchange.catalog import services as catalog
from exchange.catalog.forms import module_form_values
from exchange.catalog.models import Module
from exchange.database import commit, today
from exchange.extensions import db
from exchange.organizations.models import Membership, Organization
from tests.factories import (
    PASSWORD,
    add_member,
    auth,
    make_module,
    make_org,
    make_provider,
    make_user,
    module_input,
    platform_admin,
    staff_of,
)

LOGIN = "login"

# --------------------------------------------------------------------------------------
# The grids
# --------------------------------------------------------------------------------------

# A module owned by an association, with an accredited provider of record and an uploaded
# content file, in each status. Drafts: seen, edited and deleted by staff/admins of owner
# and provider only (platform admins do not see drafts); published only by provider staff.
# Once published, only the provider's staff edit it (each change is a new version under its
# accreditation); owner or provider staff retire it. A retired module is read-only (409 on
# the API, a redirect with a message in HTML). Only drafts are deleted. The uploaded file
# downloads for owner and provider staff; to everyone else it does not exist (404).
MODULE_GRID = """
route                                    object     anon  mem  stf  adm xmem xstf xadm padm pstf
# -- HTML pages --
GET    /modules/{m}                      draft       404  404  200  200  404  404  404  404  200
GET    /modules/{m}                      published   200  200  200  200  200  200  200  200  200
GET    /modules/{m}                      retired     200  200  200  200  200  200  200  200  200
GET    /modules/{m}/versions/{v}         draft       404  404  404  404  404  404  404  404  404
GET    /modules/{m}/versions/{v}         published   200  200  200  200  200  200  200  200  200
GET    /modules/{m}/versions/{v}         retired     200  200  200  200  200  200  200  200  200
GET    /modules/{m}/edit                 draft     login  404  200  200  404  404  404  404  200
GET    /modules/{m}/edit                 published login  403  403  403  403  403  403  403  200
GET    /modules/{m}/edit                 retired   login  403  403  403  403  403  403  403  302
POST   /modules/{m}/edit                 draft     login  404  302  302  404  404  404  404  302
POST   /modules/{m}/edit                 published login  403  403  403  403  403  403  403  302
POST   /modules/{m}/edit                 retired   login  403  403  403  403  403  403  403  302
POST   /modules/{m}/delete               draft     login  404  302  302  404  404  404  404  302
POST   /modules/{m}/delete               published login  403  403  403  403  403  403  403  302
POST   /modules/{m}/delete               retired   login  403  403  403  403  403  403  403  302
POST   /modules/{m}/publish              draft     login  404  403  403  404  404  404  404  302
POST   /modules/{m}/publish              published login  403  403  403  403  403  403  403  302
POST   /modules/{m}/publish              retired   login  403  403  403  403  403  403  403  302
POST   /modules/{m}/retire               draft     login  404  302  302  404  404  404  404  302
POST   /modules/{m}/retire               published login  403  302  302  403  403  403  403  302
POST   /modules/{m}/retire               retired   login  403  302  302  403  403  403  403  302
GET    /modules/{m}/content              draft     login  404  200  200  404  404  404  404  200
GET    /modules/{m}/content              published login  404  200  200  404  404  404  404  200
GET    /modules/{m}/content              retired   login  404  200  200  404  404  404  404  200
# -- JSON API --
GET    /api/v1/modules/{m}               draft       404  404  200  200  404  404  404  404  200
GET    /api/v1/modules/{m}               published   200  200  200  200  200  200  200  200  200
GET    /api/v1/modules/{m}               retired     200  200  200  200  200  200  200  200  200
GET    /api/v1/modules/{m}/versions      draft       404  404  200  200  404  404  404  404  200
GET    /api/v1/modules/{m}/versions      published   200  200  200  200  200  200  200  200  200
GET    /api/v1/modules/{m}/versions      retired     200  200  200  200  200  200  200  200  200
GET    /api/v1/modules/{m}/versions/{v}  draft       404  404  404  404  404  404  404  404  404
GET    /api/v1/modules/{m}/versions/{v}  published   200  200  200  200  200  200  200  200  200
GET    /api/v1/modules/{m}/versions/{v}  retired     200  200  200  200  200  200  200  200  200
PATCH  /api/v1/modules/{m}               draft       401  404  200  200  404  404  404  404  200
PATCH  /api/v1/modules/{m}               published   401  403  403  403  403  403  403  403  200
PATCH  /api/v1/modules/{m}               retired     401  403  403  403  403  403  403  403  409
DELETE /api/v1/modules/{m}               draft       401  404  204  204  404  404  404  404  204
DELETE /api/v1/modules/{m}               published   401  403  403  403  403  403  403  403  409
DELETE /api/v1/modules/{m}               retired     401  403  403  403  403  403  403  403  409
POST   /api/v1/modules/{m}/publish       draft       401  404  403  403  404  404  404  404  200
POST   /api/v1/modules/{m}/publish       published   401  403  403  403  403  403  403  403  409
POST   /api/v1/modules/{m}/publish       retired     401  403  403  403  403  403  403  403  409
POST   /api/v1/modules/{m}/retire        draft       401  404  409  409  404  404  404  404  409
POST   /api/v1/modules/{m}/retire        published   401  403  200  200  403  403  403  403  200
POST   /api/v1/modules/{m}/retire        retired     401  403  409  409  403  403  403  403  409
PUT    /api/v1/modules/{m}/content       draft       401  404  200  200  404  404  404  404  200
PUT    /api/v1/modules/{m}/content       published   401  403  403  403  403  403  403  403  200
PUT    /api/v1/modules/{m}/content       retired     401  403  403  403  403  403  403  403  409
"""

# Creating a module for the owning organization: its staff and admins. The HTML editor
# lets any staff/admin start a draft for an organization they are staff of (others: 403).
MODULE_CREATION_GRID = """
route                    anon  mem  stf  adm xmem xstf xadm padm pstf
GET    /modules/new     login  403  200  200  403  200  200  403  200
POST   /modules/new     login  403  302  302  403  302  302  403  302
POST   /api/v1/modules    401  403  201  201  403  403  403  403  403
"""

# The owning organization's pages. Members: its staff/admins and platform admins read;
# its admins and platform admins add, re-role and remove. Audit log and profile edit: its
# admins and platform admins. Accreditation: platform admins only.
ORGANIZATION_GRID = """
route                                               anon  mem  stf  adm xmem xstf xadm padm
# -- HTML pages --
GET    /organizations/{slug}                         200  200  200  200  200  200  200  200
GET    /organizations/{slug}/members               login  403  200  200  403  403  403  200
POST   /organizations/{slug}/members               login  403  403  302  403  403  403  302
POST   /organizations/{slug}/members/{mid}/role    login  403  403  302  403  403  403  302
POST   /organizations/{slug}/members/{mid}/remove  login  403  403  302  403  403  403  302
GET    /organizations/{slug}/audit                 login  403  403  200  403  403  403  200
GET    /organizations/{slug}/accreditation         login  403  403  403  403  403  403  200
POST   /organizations/{slug}/accreditation         login  403  403  403  403  403  403  302
GET    /organizations/{slug}/edit                  login  403  403  200  403  403  403  200
POST   /organizations/{slug}/edit                  login  403  403  302  403  403  403  302
# -- JSON API --
GET    /api/v1/organizations/{org}                   200  200  200  200  200  200  200  200
PUT    /api/v1/organizations/{org}/accreditation     401  403  403  403  403  403  403  200
GET    /api/v1/organizations/{org}/members           401  403  200  200  403  403  403  200
POST   /api/v1/organizations/{org}/members           401  403  403  201  403  403  403  201
PATCH  /api/v1/organizations/{org}/members/{mid}     401  403  403  200  403  403  403  200
DELETE /api/v1/organizations/{org}/members/{mid}     401  403  403  204  403  403  403  204
"""

# Everything else: public pages, the signed-in user's own pages, creating organizations
# (platform admins only), tokens. Signed-in users are sent home from sign-in and sign-up.
SITE_GRID = """
route                                anon  mem  stf  adm xmem xstf xadm padm
# -- HTML pages --
GET    /                              200  200  200  200  200  200  200  200
GET    /catalog                       200  200  200  200  200  200  200  200
GET    /workspace                   login  200  200  200  200  200  200  200
GET    /organizations                 200  200  200  200  200  200  200  200
GET    /organizations/new           login  403  403  403  403  403  403  200
POST   /organizations/new           login  403  403  403  403  403  403  302
GET    /profile                     login  200  200  200  200  200  200  200
POST   /profile                     login  302  302  302  302  302  302  302
GET    /signin                        200  302  302  302  302  302  302  302
POST   /signin                        302  302  302  302  302  302  302  302
GET    /signup                        200  302  302  302  302  302  302  302
POST   /signup                        302  302  302  302  302  302  302  302
POST   /signout                       302  302  302  302  302  302  302  302
# -- JSON API --
POST   /api/v1/auth/tokens            201  201  201  201  201  201  201  201
DELETE /api/v1/auth/tokens/current    401  204  204  204  204  204  204  204
GET    /api/v1/me                     401  200  200  200  200  200  200  200
GET    /api/v1/modules                200  200  200  200  200  200  200  200
GET    /api/v1/organizations          200  200  200  200  200  200  200  200
POST   /api/v1/organizations          401  403  403  403  403  403  403  201
"""

# Static files and the API's own documentation: anyone reads them (one case each).
PUBLIC_FILES = {
    ("GET", "/static/<path:filename>"): "/static/exchange.css",
    ("GET", "/bootstrap/static/<path:filename>"): "/bootstrap/static/css/bootstrap.min.css",
    ("GET", "/api/v1/docs/static/<path:filename>"): "/api/v1/docs/static/swagger-ui.css",
    ("GET", "/api/v1/openapi.json"): "/api/v1/openapi.json",
    ("GET", "/api/v1/docs"): "/api/v1/docs",
}

# Drafts each actor may open, of three: one the owner builds for the provider of record,
# one another organization builds (no provider yet), one the provider builds for itself.
VISIBLE_DRAFTS = {
    "anon": set(),
    "mem": set(),
    "stf": {"owner"},
    "adm": {"owner"},
    "xmem": set(),
    "xstf": {"other"},
    "xadm": {"other"},
    "padm": set(),
    "pstf": {"owner", "provider"},
}

# Cases where the app breaks a rule: (route, object, actor) -> reason. Object is None for
# grids without an object column and "organization" for ORGANIZATION_GRID.
KNOWN_BUGS: dict[tuple[str, str | None, str], str] = {}


# --------------------------------------------------------------------------------------
# Reading the grids
# --------------------------------------------------------------------------------------


def parse_grid(text: str, *, objects: bool) -> list[tuple[str, str | None, str, Any]]:
    """Grid text -> [(route "METHOD /path", object or None, actor, expected code)]."""
    lines = [
        line.split()
        for line in text.strip().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    header, rows = lines[0], lines[1:]
    first = 2 if objects else 1
    actors = header[first:]
    cases = []
    for row in rows:
        route, obj = f"{row[0]} {row[1]}", (row[2] if objects else None)
        codes = row[first + 1 :]
        assert len(codes) == len(actors), f"{route} {obj}: {len(codes)} codes"
        for actor, code in zip(actors, codes, strict=True):
            cases.append((route, obj, actor, code if code == LOGIN else int(code)))
    return cases


MODULE_CASES = parse_grid(MODULE_GRID, objects=True)
MODULE_CREATION_CASES = parse_grid(MODULE_CREATION_GRID, objects=False)
ORGANIZATION_CASES = [
    (route, "organization", actor, code)
    for route, _, actor, code in parse_grid(ORGANIZATION_GRID, objects=False)
]
SITE_CASES = parse_grid(SITE_GRID, objects=False)
ALL_CASES = MODULE_CASES + MODULE_CREATION_CASES + ORGANIZATION_CASES + SITE_CASES


def params(cases) -> list:
    """pytest params, with the strict xfail of KNOWN_BUGS where the app breaks the rule."""
    result = []
    for route, obj, actor, expected in cases:
        reason = KNOWN_BUGS.get((route, obj, actor))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        case_id = " ".join(part for part in (route, obj, actor) if part)
        result.append(pytest.param(route, obj, actor, expected, id=case_id, marks=marks))
    return result


PLACEHOLDER_RULES = {
    "{m}": "<int:module_id>",
    "{v}": "<int:version>",
    "{slug}": "<slug>",
    "{org}": "<int:organization_id>",
    "{mid}": "<int:membership_id>",
}


def url_rule(path: str) -> str:
    for placeholder, rule in PLACEHOLDER_RULES.items():
        path = path.replace(placeholder, rule)
    return path


# --------------------------------------------------------------------------------------
# The world of one case
# --------------------------------------------------------------------------------------

ACTOR_SPECS: dict[str, tuple[str, str] | str | None] = {
    "anon": None,
    "mem": ("owner", "member"),
    "stf": ("owner", "staff"),
    "adm": ("owner", "admin"),
    "xmem": ("other", "member"),
    "xstf": ("other", "staff"),
    "xadm": ("other", "admin"),
    "padm": "platform admin",
    "pstf": ("provider", "staff"),
}
_unique = itertools.count(1)


def pdf_upload(field: str) -> FileStorage:
    return FileStorage(io.BytesIO(b"%PDF-1.4 matrix content"), "handout.pdf", name=field)


class World:
    """An association that owns modules, an accredited provider that certifies them,
    another association, and the actors; each built (through the factories) when first
    needed."""

    def __init__(self) -> None:
        self._users: dict[str, Any] = {}
        self._modules: dict[str, Any] = {}

    @cached_property
    def owner(self):
        return make_org("association")

    @cached_property
    def other(self):
        return make_org("association")

    @cached_property
    def provider(self):
        return make_provider("accme")

    def user(self, actor: str):
        if actor not in self._users:
            spec = ACTOR_SPECS[actor]
            if spec is None:
                user = None
            elif spec == "platform admin":
                user = platform_admin()
            else:
                org_name, role = spec
                user = add_member(getattr(self, org_name), role, profession="physician")
            self._users[actor] = user
        return self._users[actor]

    def module(self, status: str):
        """A module in `status`, with an uploaded content file (attached while a draft)."""
        if status not in self._modules:
            module = make_module(self.owner, self.provider)
            catalog.attach_content(staff_of(self.owner), module, pdf_upload("file"))
            if status in ("published", "retired"):
                catalog.publish_module(staff_of(self.provider), module)
            if status == "retired":
                catalog.retire_module(staff_of(self.provider), module)
            commit()
            self._modules[status] = module
        return self._modules[status]

    def membership_id(self, actor: str) -> int:
        """The membership of `actor` in the owning organization."""
        return db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == self.user(actor).id,
                Membership.organization_id == self.owner.id,
            )
        )


class Placeholders(dict):
    """Values for a route's {placeholders}, built only when the route uses them."""

    def __init__(self, world: World, obj: str | None) -> None:
        super().__init__()
        self.world, self.obj = world, obj

    def __missing__(self, key: str) -> Any:
        world = self.world
        value = {
            "m": lambda: world.module(self.obj).id,
            "v": lambda: 1,
            "slug": lambda: world.owner.slug,
            "org": lambda: world.owner.id,
            "mid": lambda: world.membership_id("mem"),  # the owner's plain member
        }[key]()
        self[key] = value
        return value

    def format_all(self, route: str) -> str:
        return route.split(" ", 1)[1].format_map(self)


# Request bodies: valid input, so an allowed request succeeds. (world, object, user) -> the
# keyword arguments of client.open.


def _n() -> int:
    return next(_unique)


def _edited_module_form(world, obj, user):
    form = module_form_values(world.module(obj))
    form["summary"] = "A revised summary, edited through the permission matrix."
    form["change_note"] = "Matrix edit."
    return {"data": form}


def _new_member(world, obj, user):
    return {
        "email": f"matrix-added-{_n()}@example.test",
        "full_name": "Added Through The Matrix",
        "profession": "nurse",
        "role": "member",
        "password": "a long enough password",
    }


def _accreditation(world, obj, user):
    until = (today() + timedelta(days=365)).isoformat()
    return {"kind": "both", "accreditor": "accme", "accredited_until": until}


def _pdf_file(world, obj, user):
    return {"data": {"file": (io.BytesIO(b"%PDF-1.4 a new handout"), "new-handout.pdf")}}


def _credentials(world, obj, user):
    someone = user or make_user()
    return {"email": someone.email, "password": PASSWORD}


PAYLOADS = {
    "POST /modules/{m}/edit": _edited_module_form,
    "POST /modules/new": lambda w, o, u: {"data": {"title": f"Matrix draft {_n()}"}},
    "POST /api/v1/modules": lambda w, o, u: {"json": module_input(w.owner, w.provider)},
    "PATCH /api/v1/modules/{m}": lambda w, o, u: {"json": {"summary": "A revised summary."}},
    "PUT /api/v1/modules/{m}/content": _pdf_file,
    "POST /organizations/{slug}/members": lambda w, o, u: {"data": _new_member(w, o, u)},
    "POST /organizations/{slug}/members/{mid}/role": lambda w, o, u: {"data": {"role": "staff"}},
    "POST /organizations/{slug}/accreditation": lambda w, o, u: {"data": _accreditation(w, o, u)},
    "POST /organizations/{slug}/edit": lambda w, o, u: {
        "data": {"description": "Edited by the matrix.", "website": "https://example.test/"}
    },
    "PUT /api/v1/organizations/{org}/accreditation": lambda w, o, u: {
        "json": _accreditation(w, o, u)
    },
    "POST /api/v1/organizations/{org}/members": lambda w, o, u: {"json": _new_member(w, o, u)},
    "PATCH /api/v1/organizations/{org}/members/{mid}": lambda w, o, u: {"json": {"role": "staff"}},
    "POST /organizations/new": lambda w, o, u: {
        "data": {"name": f"Matrix Organization {_n()}", "kind": "association"}
    },
    "POST /api/v1/organizations": lambda w, o, u: {
        "json": {"name": f"Matrix Organization {_n()}", "kind": "association"}
    },
    "POST /profile": lambda w, o, u: {"data": {"full_name": "Renamed User", "profession": "nurse"}},
    "POST /signin": lambda w, o, u: {"data": _credentials(w, o, u)},
    "POST /signup": lambda w, o, u: {
        "data": {
            "email": f"matrix-signup-{_n()}@example.test",
            "full_name": "New Learner",
            "profession": "nurse",
            "password": "a long enough password",
        }
    },
    "POST /api/v1/auth/tokens": lambda w, o, u: {"json": _credentials(w, o, u)},
}


# --------------------------------------------------------------------------------------
# Requests and checks
# --------------------------------------------------------------------------------------


def sign_in(client, user) -> None:
    response = client.post("/signin", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, "could not sign in"


def send(client, world: World, route: str, obj: str | None, actor: str):
    method, path = route.split(" ", 1)
    url = Placeholders(world, obj).format_all(route)
    user = world.user(actor)
    build = PAYLOADS.get(route)
    kwargs = build(world, obj, user) if build else {}
    if path.startswith("/api/"):
        kwargs["headers"] = auth(user)
    elif user is not None:
        sign_in(client, user)
    return client.open(url, method=method, **kwargs)


def assert_status(response, expected, route: str) -> None:
    location = urlsplit(response.headers.get("Location", "")).path
    detail = (
        f"{route}: got {response.status_code}"
        f"{' -> ' + location if location else ''}: {response.get_data(as_text=True)[:400]}"
    )
    if expected == LOGIN:
        assert (response.status_code, location) == (302, "/signin"), detail
    elif expected == 302:
        assert response.status_code == 302 and location != "/signin", detail
    else:
        assert response.status_code == expected, detail
    if " /api/" in route and response.status_code >= 400:
        assert response.get_json()["code"] == response.status_code, detail


# What each state-changing route changes, read before and after the request: an allowed
# request must change it, a refused one must leave it alone (a 403 that half-saved, or a
# 302 that only flashed an error, would otherwise pass on its status code alone).


def _module_state(world: World, obj: str | None):
    module = world.module(obj)
    return (module.status, module.summary, module.version, module.content_file)


def _people(world: World, obj: str | None):
    rows = db.session.execute(
        select(Membership.user_id, Membership.role).where(
            Membership.organization_id == world.owner.id
        )
    )
    return sorted(rows)


def _organization_state(world: World, obj: str | None):
    org = world.owner
    return (org.kind, org.accreditor, org.description, org.website)


def _count(model):
    return lambda world, obj: db.session.scalar(select(func.count(model.id)))


STATE = {
    "POST /modules/{m}/edit": _module_state,
    "POST /modules/{m}/publish": _module_state,
    "POST /modules/{m}/retire": _module_state,
    "PATCH /api/v1/modules/{m}": _module_state,
    "POST /api/v1/modules/{m}/publish": _module_state,
    "POST /api/v1/modules/{m}/retire": _module_state,
    "PUT /api/v1/modules/{m}/content": _module_state,
    "POST /modules/{m}/delete": _count(Module),
    "DELETE /api/v1/modules/{m}": _count(Module),
    "POST /modules/new": _count(Module),
    "POST /api/v1/modules": _count(Module),
    "POST /organizations/{slug}/members": _people,
    "POST /organizations/{slug}/members/{mid}/role": _people,
    "POST /organizations/{slug}/members/{mid}/remove": _people,
    "POST /api/v1/organizations/{org}/members": _people,
    "PATCH /api/v1/organizations/{org}/members/{mid}": _people,
    "DELETE /api/v1/organizations/{org}/members/{mid}": _people,
    "POST /organizations/{slug}/accreditation": _organization_state,
    "PUT /api/v1/organizations/{org}/accreditation": _organization_state,
    "POST /organizations/{slug}/edit": _organization_state,
    "POST /organizations/new": _count(Organization),
    "POST /api/v1/organizations": _count(Organization),
}
# Allowed requests that rightly change nothing: the HTML flashes why and redirects.
NO_CHANGE = {
    ("POST /modules/{m}/edit", "retired"),
    ("POST /modules/{m}/publish", "published"),
    ("POST /modules/{m}/publish", "retired"),
    ("POST /modules/{m}/retire", "draft"),
    ("POST /modules/{m}/retire", "retired"),
    ("POST /modules/{m}/delete", "published"),
    ("POST /modules/{m}/delete", "retired"),
}
SUCCESS = (200, 201, 204, 302)


def check(client, route, obj, actor, expected) -> None:
    world = World()
    state = STATE.get(route)
    if state:
        world.user(actor)  # people first: adding them is not the change under test
        Placeholders(world, obj).format_all(route)
        before = state(world, obj)
    response = send(client, world, route, obj, actor)
    try:
        assert_status(response, expected, route)
    finally:
        response.close()
    if state:
        changes = expected in SUCCESS and (route, obj) not in NO_CHANGE
        after = state(world, obj)
        assert (after != before) == changes, f"{route} {obj} {actor}: {before} -> {after}"


# --------------------------------------------------------------------------------------
# The tests
# --------------------------------------------------------------------------------------


def test_every_route_is_in_the_matrix(app):
    """Every (method, route) of app.url_map has a row, and every row is a real route."""
    in_app = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    in_matrix = {
        (route.split(" ", 1)[0], url_rule(route.split(" ", 1)[1])) for route, *_ in ALL_CASES
    }
    assert in_matrix | set(PUBLIC_FILES) == in_app


@pytest.mark.parametrize(("route", "obj", "actor", "expected"), params(MODULE_CASES))
def test_module_routes(client, route, obj, actor, expected):
    check(client, route, obj, actor, expected)


@pytest.mark.parametrize(("route", "obj", "actor", "expected"), params(MODULE_CREATION_CASES))
def test_module_creation_routes(client, route, obj, actor, expected):
    check(client, route, obj, actor, expected)


@pytest.mark.parametrize(("route", "obj", "actor", "expected"), params(ORGANIZATION_CASES))
def test_organization_routes(client, route, obj, actor, expected):
    check(client, route, obj, actor, expected)


@pytest.mark.parametrize(("route", "obj", "actor", "expected"), params(SITE_CASES))
def test_site_routes(client, route, obj, actor, expected):
    check(client, route, obj, actor, expected)


@pytest.mark.parametrize("url", sorted(PUBLIC_FILES.values()))
def test_anonymous_can_read_static_files_and_api_docs(client, url):
    response = client.get(url)
    try:
        assert response.status_code == 200
        if url.endswith("openapi.json"):
            assert response.get_json()["openapi"].startswith("3.")
    finally:
        response.close()


@pytest.mark.parametrize("actor", list(VISIBLE_DRAFTS))
def test_a_list_never_shows_what_the_detail_refuses(client, actor):
    world = World()
    drafts = {
        "owner": make_module(world.owner, world.provider),
        "other": make_module(world.other, None),
        "provider": make_module(world.provider, world.provider),
    }
    published = make_module(world.owner, world.provider, status="published")
    ids = {name: module.id for name, module in drafts.items()}
    user = world.user(actor)
    headers = auth(user)

    # The detail decides, through the API and the HTML page alike.
    openable = {
        name
        for name, module_id in ids.items()
        if client.get(f"/api/v1/modules/{module_id}", headers=headers).status_code == 200
    }
    assert openable == VISIBLE_DRAFTS[actor]

    # API list of drafts: exactly the drafts the actor can open.
    body = client.get("/api/v1/modules?status=draft&per_page=100", headers=headers).get_json()
    listed = {item["id"] for item in body["items"]}
    assert {name for name, module_id in ids.items() if module_id in listed} == openable
    assert all(item["status"] == "draft" for item in body["items"])
    # The default list (published) shows no draft at all.
    body = client.get("/api/v1/modules?per_page=100", headers=headers).get_json()
    assert not set(ids.values()) & {item["id"] for item in body["items"]}
    assert published.id in {item["id"] for item in body["items"]}

    # HTML: pages that list modules never link a draft the actor cannot open.
    if user is not None:
        sign_in(client, user)

    def linked(url: str) -> set[str]:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        return {name for name, module_id in ids.items() if f'href="/modules/{module_id}"' in page}

    for name, module_id in ids.items():
        expected = 200 if name in openable else 404
        assert client.get(f"/modules/{module_id}").status_code == expected, name
    catalog_page = client.get("/catalog").get_data(as_text=True)
    assert f'href="/modules/{published.id}"' in catalog_page  # the check below can see a link
    for url in (
        "/",
        "/catalog",
        "/catalog?status=draft",
        "/catalog?available_only=false&filtered=1",
        f"/organizations/{world.owner.slug}",
        f"/organizations/{world.other.slug}",
        f"/organizations/{world.provider.slug}",
    ):
        assert linked(url) <= openable, url
    if user is not None:
        # The workspace lists the drafts of the actor's organizations: all it may open.
        assert linked("/workspace") == openable
        assert linked("/workspace?status=draft") == openable
