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
    pstf   staff of the provider of record: in the module and offer grids an association
           (the owner) builds the module and an accredited provider certifies it; in the
           license and learning grids the provider builds and certifies its own module and
           licenses it to the owning association, which plays the licensee

Each grid says which world it runs in (World, OfferWorld, LicensingWorld, LearningWorld)
and what its objects are.

Codes: HTTP statuses, plus
    302    a redirect after success (or an "already signed in" redirect): anywhere but /signin
    login  302 to /signin: anonymous on a page that needs sign-in

Every case builds its own organizations, people and records through the factories, so a
successful POST never leaks into another case.
"""

from __future__ import annotations

import contextlib
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
from exchange.errors import PermissionDeniedError
from exchange.extensions import db
from exchange.learning.models import Completion, ModuleLaunch
from exchange.licensing import services as licensing
from exchange.licensing.models import License, LicenseSeat, Offer
from exchange.notifications import services as notifications
from exchange.notifications.models import Notification
from exchange.organizations.models import Membership, Organization
from tests.factories import (
    PASSWORD,
    add_member,
    auth,
    complete,
    launch,
    make_license,
    make_module,
    make_offer,
    make_org,
    make_provider,
    make_user,
    module_input,
    platform_admin,
    request_license,
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
# downloads for owner and provider staff, and for learners with access once they have
# launched the module (nobody here has); to everyone else it does not exist (404).
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

# Offers (OfferWorld: the modules above, without the uploaded file). Anyone who sees the
# module reads its active offers; only the provider of record's staff create, edit,
# (de)activate and delete them (the owner's staff too are refused). An inactive offer exists
# only for the provider's staff (404 to everyone else); an offer on a draft, only for those
# who see the draft. A retired module takes no new offer (409 on the API, a redirect with a
# message in HTML). An offer a license refers to is kept: deleting it is a 409 (HTML: a
# redirect with the message). Objects: the module (draft, published, retired), or the offer:
# active or inactive on the published module, "draft" (active, on the draft module), "used"
# (active, with a license request by the other association).
OFFER_GRID = """
route                                    object     anon  mem  stf  adm xmem xstf xadm padm pstf
# -- HTML pages --
GET    /modules/{m}/offers/new           draft     login  404  403  403  404  404  404  404  200
GET    /modules/{m}/offers/new           published login  403  403  403  403  403  403  403  200
GET    /modules/{m}/offers/new           retired   login  403  403  403  403  403  403  403  302
POST   /modules/{m}/offers/new           published login  403  403  403  403  403  403  403  302
POST   /modules/{m}/offers/new           retired   login  403  403  403  403  403  403  403  302
GET    /offers/{o}/edit                  active    login  403  403  403  403  403  403  403  200
GET    /offers/{o}/edit                  inactive  login  404  404  404  404  404  404  404  200
POST   /offers/{o}/edit                  active    login  403  403  403  403  403  403  403  302
POST   /offers/{o}/active                active    login  403  403  403  403  403  403  403  302
POST   /offers/{o}/delete                active    login  403  403  403  403  403  403  403  302
POST   /offers/{o}/delete                used      login  403  403  403  403  403  403  403  302
# -- JSON API --
GET    /api/v1/modules/{m}/offers        draft       404  404  200  200  404  404  404  404  200
POST   /api/v1/modules/{m}/offers        published   401  403  403  403  403  403  403  403  201
POST   /api/v1/modules/{m}/offers        retired     401  403  403  403  403  403  403  403  409
GET    /api/v1/offers/{o}                inactive    404  404  404  404  404  404  404  404  200
GET    /api/v1/offers/{o}                draft       404  404  200  200  404  404  404  404  200
PATCH  /api/v1/offers/{o}                active      401  403  403  403  403  403  403  403  200
PATCH  /api/v1/offers/{o}                inactive    401  404  404  404  404  404  404  404  200
DELETE /api/v1/offers/{o}                active      401  403  403  403  403  403  403  403  204
DELETE /api/v1/offers/{o}                used        401  403  403  403  403  403  403  403  409
"""

# Asking for and granting licenses (LicensingWorld: the accredited provider builds and
# certifies the module and licenses it; the owning association, "owner", is the would-be
# licensee, and every request and grant names it). Only the licensee's staff and admins
# request for it; the request page opens for staff of any organization that may license the
# module (the other association's too), not for the provider's own staff, who have nothing
# to request. Only the provider's staff grant. The licensee is never the module's owner or
# provider ("owned": the owner's own module, which the provider certifies: 422 on the API,
# and in HTML the owner's staff have no organization to request for). A retired module is
# no longer licensed (409 on the API, a redirect with a message in HTML). Objects: the
# provider's module, published or retired, and the owned module; each with an active offer.
LICENSE_REQUEST_GRID = """
route                                    object     anon  mem  stf  adm xmem xstf xadm padm pstf
# -- HTML pages --
GET    /modules/{m}/license              published login  403  200  200  403  200  200  403  403
GET    /modules/{m}/license              retired   login  403  302  302  403  302  302  403  403
GET    /modules/{m}/license              owned     login  403  403  403  403  200  200  403  403
POST   /modules/{m}/license              published login  403  302  302  403  403  403  403  403
POST   /modules/{m}/license              retired   login  403  302  302  403  403  403  403  403
GET    /modules/{m}/grant                published login  403  403  403  403  403  403  403  200
GET    /modules/{m}/grant                retired   login  403  403  403  403  403  403  403  302
POST   /modules/{m}/grant                published login  403  403  403  403  403  403  403  302
POST   /modules/{m}/grant                retired   login  403  403  403  403  403  403  403  302
POST   /modules/{m}/grant                owned     login  403  403  403  403  403  403  403  422
# -- JSON API --
POST   /api/v1/licenses                  published   401  403  201  201  403  403  403  403  403
POST   /api/v1/licenses                  retired     401  403  409  409  403  403  403  403  403
POST   /api/v1/licenses                  owned       401  403  422  422  403  403  403  403  403
POST   /api/v1/licenses/grants           published   401  403  403  403  403  403  403  403  201
POST   /api/v1/licenses/grants           retired     401  403  403  403  403  403  403  403  409
POST   /api/v1/licenses/grants           owned       401  403  403  403  403  403  403  403  422
"""

# One license (LicensingWorld): the owning association's, for the provider's module. It
# exists only for the staff and admins of its two parties (the licensee's staff and admins,
# the provider's staff): 404 to everyone else, the licensee's members and platform admins
# included. The provider's staff approve and decline requests and revoke approved licenses;
# the licensee's staff withdraw requests; anyone else who sees the license is refused (403).
# An illegal transition is a 409 (HTML: a redirect with the message).
# Objects: requested, active (granted), declined.
LICENSE_GRID = """
route                                    object     anon  mem  stf  adm xmem xstf xadm padm pstf
# -- HTML pages --
GET    /licenses/{l}                     requested login  404  200  200  404  404  404  404  200
POST   /licenses/{l}/approve             requested login  404  403  403  404  404  404  404  302
POST   /licenses/{l}/approve             active    login  404  403  403  404  404  404  404  302
POST   /licenses/{l}/decline             requested login  404  403  403  404  404  404  404  302
POST   /licenses/{l}/withdraw            requested login  404  302  302  404  404  404  404  403
POST   /licenses/{l}/withdraw            active    login  404  302  302  404  404  404  404  403
POST   /licenses/{l}/revoke              active    login  404  403  403  404  404  404  404  302
# -- JSON API --
GET    /api/v1/licenses/{l}              active      401  404  200  200  404  404  404  404  200
POST   /api/v1/licenses/{l}/approve      requested   401  404  403  403  404  404  404  404  200
POST   /api/v1/licenses/{l}/approve      declined    401  404  403  403  404  404  404  404  409
POST   /api/v1/licenses/{l}/decline      requested   401  404  403  403  404  404  404  404  200
POST   /api/v1/licenses/{l}/withdraw     requested   401  404  200  200  404  404  404  404  403
POST   /api/v1/licenses/{l}/revoke       active      401  404  403  403  404  404  404  404  200
POST   /api/v1/licenses/{l}/revoke       requested   401  404  403  403  404  404  404  404  409
"""

# Taking a module (LearningWorld). Members of any role of an organization holding an active
# license take it (a seat each); members of the module's owner or provider take it without a
# license; nobody else (403, pages and API alike). Objects: the provider's module licensed
# to the owning association ("active"), the same once the license is revoked ("revoked":
# access ends at once) or the module retired ("retired": licenses keep access to their end,
# while the owner's and provider's own members no longer take it), and the owner's own
# module, which the provider certifies, with no license ("owned"). Credit is
# claimed after a launch (the actor launched first, if the app let them).
# A certificate ({n}: the number of the one the owner's member earned on the module) is its
# learner's and the provider of record's staff's; to everyone else it does not exist (404),
# the licensee's and the owner's staff included. Completions of the provider's modules
# ({pslug}, {pid}: the provider) are its staff's only.
LEARNING_GRID = """
route                                          object   anon  mem  stf  adm xmem xstf xadm padm pstf
# -- HTML pages --
GET    /modules/{m}/start                      active  login  200  200  200  403  403  403  403  200
GET    /modules/{m}/start                      revoked login  403  403  403  403  403  403  403  200
POST   /modules/{m}/launch                     active  login  302  302  302  403  403  403  403  302
POST   /modules/{m}/launch                     revoked login  403  403  403  403  403  403  403  302
GET    /modules/{m}/complete                   active  login  200  200  200  403  403  403  403  200
POST   /modules/{m}/complete                   active  login  302  302  302  403  403  403  403  302
GET    /certificates/{n}.pdf                   active  login  200  404  404  404  404  404  404  200
GET    /organizations/{pslug}/completions      active  login  403  403  403  403  403  403  403  200
# -- JSON API --
POST   /api/v1/modules/{m}/launch              active    401  200  200  200  403  403  403  403  200
POST   /api/v1/modules/{m}/launch              revoked   401  403  403  403  403  403  403  403  200
POST   /api/v1/modules/{m}/launch              retired   401  200  200  200  403  403  403  403  403
POST   /api/v1/modules/{m}/launch              owned     401  200  200  200  403  403  403  403  200
POST   /api/v1/completions                     active    401  201  201  201  403  403  403  403  201
POST   /api/v1/completions                     revoked   401  403  403  403  403  403  403  403  201
POST   /api/v1/completions                     owned     401  201  201  201  403  403  403  403  201
GET    /api/v1/completions/{n}/certificate.pdf active    401  200  404  404  404  404  404  404  200
GET    /api/v1/completions/{n}/certificate.pdf owned     401  200  404  404  404  404  404  404  200
GET    /api/v1/organizations/{pid}/completions active    401  403  403  403  403  403  403  403  200
"""

# The signed-in user's own pages: library, transcript, notifications, and the licenses their
# organizations are party to. Each lists only what is the user's (see the list tests).
PERSONAL_GRID = """
route                                anon  mem  stf  adm xmem xstf xadm padm pstf
# -- HTML pages --
GET    /library                     login  200  200  200  200  200  200  200  200
GET    /transcript                  login  200  200  200  200  200  200  200  200
GET    /transcript.csv              login  200  200  200  200  200  200  200  200
GET    /notifications               login  200  200  200  200  200  200  200  200
POST   /notifications/read          login  302  302  302  302  302  302  302  302
GET    /licenses                    login  200  200  200  200  200  200  200  200
# -- JSON API --
GET    /api/v1/me/library             401  200  200  200  200  200  200  200  200
GET    /api/v1/me/transcript          401  200  200  200  200  200  200  200  200
GET    /api/v1/licenses               401  200  200  200  200  200  200  200  200
"""

# Who shares with whom (LicensingWorld: the provider licenses to the owner; "other" is a
# third association). The network and its CSV: every organization's staff and admins (each
# sees its own links in full) and platform admins; members are refused. A link's history:
# the two parties' staff and platform admins. Learner counts (no provider named): a provider's
# staff get their own; others are refused, a platform admin must name one (API: 422; the page
# shows the first provider with a choice of all). Member completions: that organization's
# staff and platform admins.
SHARING_GRID = """
route                                        anon  mem  stf  adm xmem xstf xadm padm pstf
# -- HTML pages --
GET    /sharing                             login  403  200  200  403  200  200  200  200
GET    /sharing.csv                         login  403  200  200  403  200  200  200  200
GET    /sharing/links/{lpid}/{org}          login  403  200  200  403  403  403  200  200
GET    /reports/learner-counts              login  403  403  403  403  403  403  200  200
GET    /reports/learner-counts.csv          login  403  403  403  403  403  403  200  200
GET    /organizations/{slug}/member-completions login 403 200 200 403  403  403  200  403
# -- JSON API --
GET    /api/v1/sharing                        401  403  200  200  403  200  200  200  200
GET    /api/v1/sharing/learner-counts         401  403  403  403  403  403  403  422  200
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

# The licenses and modules of a sharing world (see the list test): which licenses each actor
# may open (its organizations' staff and admins: both parties), and which modules each may
# take (its organizations' active licenses, and the modules its organizations own or provide).
VISIBLE_LICENSES = {
    "mem": set(),
    "stf": {"owner-requested", "owner-active", "owner-revoked"},
    "adm": {"owner-requested", "owner-active", "owner-revoked"},
    "xmem": set(),
    "xstf": {"other-active"},
    "xadm": {"other-active"},
    "padm": set(),
    "pstf": {"owner-requested", "owner-active", "owner-revoked", "other-active"},
}
TAKEABLE = {
    "mem": {"licensed", "owned"},
    "stf": {"licensed", "owned"},
    "adm": {"licensed", "owned"},
    "xmem": {"requested", "other-owned"},
    "xstf": {"requested", "other-owned"},
    "xadm": {"requested", "other-owned"},
    "padm": set(),
    "pstf": {"requested", "licensed", "revoked", "owned", "other-owned"},
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
OFFER_CASES = parse_grid(OFFER_GRID, objects=True)
LICENSE_REQUEST_CASES = parse_grid(LICENSE_REQUEST_GRID, objects=True)
LICENSE_CASES = parse_grid(LICENSE_GRID, objects=True)
LEARNING_CASES = parse_grid(LEARNING_GRID, objects=True)
PERSONAL_CASES = parse_grid(PERSONAL_GRID, objects=False)
SHARING_CASES = parse_grid(SHARING_GRID, objects=False)
ALL_CASES = (
    MODULE_CASES
    + MODULE_CREATION_CASES
    + ORGANIZATION_CASES
    + SITE_CASES
    + OFFER_CASES
    + LICENSE_REQUEST_CASES
    + LICENSE_CASES
    + LEARNING_CASES
    + PERSONAL_CASES
    + SHARING_CASES
)


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
    "{o}": "<int:offer_id>",
    "{l}": "<int:license_id>",
    "{n}": "<string:certificate_number>",
    "{pslug}": "<slug>",
    "{pid}": "<int:organization_id>",
    "{lpid}": "<int:provider_id>",
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
        self._offers: dict[str, Any] = {}
        self._licenses: dict[str, Any] = {}
        self._certificates: dict[str, str] = {}

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


class OfferWorld(World):
    """World's modules without the uploaded file, and offers on them: active or inactive on
    the published module, active on the draft ("draft"), or active with a license request
    by the other association ("used")."""

    def module(self, status: str):
        if status not in self._modules:
            self._modules[status] = make_module(self.owner, self.provider, status=status)
        return self._modules[status]

    def offer(self, obj: str):
        if obj not in self._offers:
            module = self.module("draft" if obj == "draft" else "published")
            offer = make_offer(module, active=obj != "inactive")
            if obj == "used":
                request_license(module, self.other, offer)
            self._offers[obj] = offer
        return self._offers[obj]


class LicensingWorld(World):
    """The accredited provider builds and certifies a module and licenses it: its staff
    (pstf) decide; the owning association ("owner") is the licensee, whose staff request and
    withdraw; "other" is a third association. Modules: the provider's, published or retired
    (licensed while published), and "owned": the owner's own module, which the provider
    certifies. Each has an active offer."""

    def module(self, status: str):
        if status not in self._modules:
            owner = self.owner if status == "owned" else self.provider
            module = make_module(owner, self.provider, status="published")
            self._offers[status] = make_offer(module)  # a retired module takes no new offer
            if status == "retired":
                catalog.retire_module(staff_of(self.provider), module)
                commit()
            self._modules[status] = module
        return self._modules[status]

    def offer(self, status: str):
        """The active offer of the module in `status`."""
        self.module(status)
        return self._offers[status]

    def license(self, state: str):
        """The owner's license for the provider's published module: requested, active
        (granted) or declined."""
        if state not in self._licenses:
            module, offer = self.module("published"), self.offer("published")
            if state == "active":
                license = make_license(module, self.owner, offer)
            else:
                license = request_license(module, self.owner, offer)
            if state == "declined":
                licensing.decline_license(staff_of(self.provider), license, "Not this year.")
                commit()
            self._licenses[state] = license
        return self._licenses[state]


class LearningWorld(World):
    """Modules to take: the provider's own, licensed to the owning association ("active"),
    that license revoked ("revoked"), or the licensed module retired ("retired"); and the
    owner's own module, which the provider certifies, with no license ("owned")."""

    def module(self, obj: str):
        if obj not in self._modules:
            if obj == "owned":
                module = make_module(self.owner, self.provider, status="published")
            else:
                module = make_module(self.provider, self.provider, status="published")
                license = make_license(module, self.owner)
                if obj == "revoked":
                    licensing.revoke_license(staff_of(self.provider), license, "Ended early.")
                    commit()
                elif obj == "retired":
                    catalog.retire_module(staff_of(self.provider), module)
                    commit()
            self._modules[obj] = module
        return self._modules[obj]

    def certificate(self, obj: str) -> str:
        """The number of the certificate the owner's member earned on the module."""
        if obj not in self._certificates:
            learner, module = self.user("mem"), self.module(obj)
            launch(learner, module)
            self._certificates[obj] = complete(learner, module).certificate_number
        return self._certificates[obj]


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
            "o": lambda: world.offer(self.obj).id,
            "l": lambda: world.license(self.obj).id,
            "n": lambda: world.certificate(self.obj),
            "pslug": lambda: world.provider.slug,
            "pid": lambda: world.provider.id,
            "lpid": lambda: world.provider.id,
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


def _offer_form(world, obj, user):
    return {
        "data": {
            "name": f"Matrix offer {_n()}",
            "pricing": "flat",
            "price": "250.00",
            "currency": "USD",
            "term_months": "24",
            "seat_limit": "40",
            "co_branding": "1",
        }
    }


def _offer_json(world, obj, user):
    return {"json": {"name": f"Matrix offer {_n()}", "pricing": "free", "term_months": 12}}


def _toggled_offer(world, obj, user):
    return {"data": {"active": "0" if world.offer(obj).active else "1"}}


def _license_terms(world, obj, user) -> dict[str, Any]:
    """A request or grant of the module in `obj` for the owning association."""
    return {
        "module_id": world.module(obj).id,
        "offer_id": world.offer(obj).id,
        "licensee_id": world.owner.id,
    }


def _license_form(world, obj, user):
    terms = _license_terms(world, obj, user)
    del terms["module_id"]  # in the path
    return {"data": {**terms, "seats": "", "start_date": "", "message": "For our members."}}


def _grant_form(world, obj, user):
    terms = _license_terms(world, obj, user)
    del terms["module_id"]
    return {"data": {**terms, "seats": "", "start_date": "", "note": "Shared with you."}}


def _claim(world, obj, user) -> dict[str, Any]:
    return {
        "module_id": world.module(obj).id,
        "minutes_spent": 90,
        "credits": [{"credit_type": "ama_pra_1", "amount": "1.5"}],
        "attest": True,
    }


NOTE = "Checked by the permission matrix."

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
    # Offers
    "POST /modules/{m}/offers/new": _offer_form,
    "POST /offers/{o}/edit": _offer_form,
    "POST /offers/{o}/active": _toggled_offer,
    "POST /api/v1/modules/{m}/offers": _offer_json,
    "PATCH /api/v1/offers/{o}": lambda w, o, u: {"json": {"name": "Renamed offer"}},
    # Licenses
    "POST /modules/{m}/license": _license_form,
    "POST /modules/{m}/grant": _grant_form,
    "POST /api/v1/licenses": lambda w, o, u: {"json": _license_terms(w, o, u)},
    "POST /api/v1/licenses/grants": lambda w, o, u: {"json": _license_terms(w, o, u)},
    "POST /licenses/{l}/approve": lambda w, o, u: {"data": {"note": NOTE}},
    "POST /licenses/{l}/decline": lambda w, o, u: {"data": {"note": NOTE}},
    "POST /licenses/{l}/withdraw": lambda w, o, u: {"data": {"note": NOTE}},
    "POST /licenses/{l}/revoke": lambda w, o, u: {"data": {"note": NOTE}},
    "POST /api/v1/licenses/{l}/approve": lambda w, o, u: {"json": {"note": NOTE}},
    "POST /api/v1/licenses/{l}/decline": lambda w, o, u: {"json": {"note": NOTE}},
    "POST /api/v1/licenses/{l}/withdraw": lambda w, o, u: {"json": {"note": NOTE}},
    "POST /api/v1/licenses/{l}/revoke": lambda w, o, u: {"json": {"note": NOTE}},
    # Learning
    "POST /modules/{m}/complete": lambda w, o, u: {
        "data": {"minutes_spent": "90", "credits.ama_pra_1": "1.5", "attest": "1"}
    },
    "POST /api/v1/completions": lambda w, o, u: {"json": _claim(w, o, u)},
}


# Before the request (and before state is read): what the case presupposes.


def _launched(world, obj, user):
    """A claim follows a launch: the actor launched the module, if the app let them."""
    if user is not None:
        with contextlib.suppress(PermissionDeniedError):
            launch(user, world.module(obj))


def _notified(world, obj, user):
    """News for the staff and admins of every organization (members get none)."""
    for org in (world.owner, world.other, world.provider):
        notifications.notify_organization(
            org, kind="matrix", message=f"News for {org.name}.", link="/licenses"
        )
    commit()


PREPARE = {
    "POST /modules/{m}/complete": _launched,
    "POST /api/v1/completions": _launched,
    "GET /organizations/{pslug}/completions": lambda w, o, u: w.certificate(o),
    "GET /api/v1/organizations/{pid}/completions": lambda w, o, u: w.certificate(o),
    "GET /notifications": _notified,
    "POST /notifications/read": _notified,
    # The provider exists for every actor (a platform admin's report shows the first one).
    "GET /reports/learner-counts": lambda w, o, u: w.provider,
    "GET /reports/learner-counts.csv": lambda w, o, u: w.provider,
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
        f"{' -> ' + location if location else ''}: "
        f"{response.get_data()[:400].decode('utf-8', 'replace')}"
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


def _offer_state(world: World, obj: str | None):
    offer = db.session.get(Offer, world.offer(obj).id)
    return offer and (offer.name, offer.pricing, offer.term_months, offer.active)


def _license_state(world: World, obj: str | None):
    license = db.session.get(License, world.license(obj).id)
    return (license.status, license.decision_note, license.start_date, license.revoked_at)


def _launches(world: World, obj: str | None):
    return (
        db.session.scalar(select(func.count(ModuleLaunch.id))),
        db.session.scalar(select(func.count(LicenseSeat.id))),
    )


def _unread(world: World, obj: str | None):
    rows = db.session.execute(
        select(Notification.user_id, func.count(Notification.id))
        .where(Notification.read_at.is_(None))
        .group_by(Notification.user_id)
    )
    return sorted(rows)


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
    "POST /modules/{m}/offers/new": _count(Offer),
    "POST /api/v1/modules/{m}/offers": _count(Offer),
    "POST /offers/{o}/edit": _offer_state,
    "POST /offers/{o}/active": _offer_state,
    "PATCH /api/v1/offers/{o}": _offer_state,
    "POST /offers/{o}/delete": _count(Offer),
    "DELETE /api/v1/offers/{o}": _count(Offer),
    "POST /modules/{m}/license": _count(License),
    "POST /modules/{m}/grant": _count(License),
    "POST /api/v1/licenses": _count(License),
    "POST /api/v1/licenses/grants": _count(License),
    "POST /licenses/{l}/approve": _license_state,
    "POST /licenses/{l}/decline": _license_state,
    "POST /licenses/{l}/withdraw": _license_state,
    "POST /licenses/{l}/revoke": _license_state,
    "POST /api/v1/licenses/{l}/approve": _license_state,
    "POST /api/v1/licenses/{l}/decline": _license_state,
    "POST /api/v1/licenses/{l}/withdraw": _license_state,
    "POST /api/v1/licenses/{l}/revoke": _license_state,
    "POST /modules/{m}/launch": _launches,
    "POST /api/v1/modules/{m}/launch": _launches,
    "POST /modules/{m}/complete": _count(Completion),
    "POST /api/v1/completions": _count(Completion),
    "POST /notifications/read": _unread,
}
# Allowed requests that rightly change nothing: the HTML flashes why and redirects. Keys are
# (route, object), or (route, object, actor) where it depends on who asks.
NO_CHANGE = {
    ("POST /modules/{m}/edit", "retired"),
    ("POST /modules/{m}/publish", "published"),
    ("POST /modules/{m}/publish", "retired"),
    ("POST /modules/{m}/retire", "draft"),
    ("POST /modules/{m}/retire", "retired"),
    ("POST /modules/{m}/delete", "published"),
    ("POST /modules/{m}/delete", "retired"),
    ("POST /modules/{m}/offers/new", "retired"),
    ("POST /offers/{o}/delete", "used"),
    ("POST /modules/{m}/license", "retired"),
    ("POST /modules/{m}/grant", "retired"),
    ("POST /licenses/{l}/approve", "active"),
    ("POST /licenses/{l}/withdraw", "active"),
    # Members and platform admins get no notifications: nothing of theirs to mark read.
    ("POST /notifications/read", None, "mem"),
    ("POST /notifications/read", None, "xmem"),
    ("POST /notifications/read", None, "padm"),
}
SUCCESS = (200, 201, 204, 302)


def check(client, route, obj, actor, expected, world_class: type[World] = World) -> None:
    world = world_class()
    state, prepare = STATE.get(route), PREPARE.get(route)
    if state or prepare:
        world.user(actor)  # people first: adding them is not the change under test
        Placeholders(world, obj).format_all(route)
    if prepare:
        prepare(world, obj, world.user(actor))
    if state:
        before = state(world, obj)
    response = send(client, world, route, obj, actor)
    try:
        assert_status(response, expected, route)
    finally:
        response.close()
    if state:
        unchanged = (route, obj) in NO_CHANGE or (route, obj, actor) in NO_CHANGE
        changes = expected in SUCCESS and not unchanged
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


def test_every_known_bug_is_a_case_of_the_grids():
    assert set(KNOWN_BUGS) <= {(route, obj, actor) for route, obj, actor, _ in ALL_CASES}


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


@pytest.mark.parametrize(("route", "obj", "actor", "expected"), params(OFFER_CASES))
def test_offer_routes(client, route, obj, actor, expected):
    check(client, route, obj, actor, expected, OfferWorld)


@pytest.mark.parametrize(("route", "obj", "actor", "expected"), params(LICENSE_REQUEST_CASES))
def test_license_request_routes(client, route, obj, actor, expected):
    check(client, route, obj, actor, expected, LicensingWorld)


@pytest.mark.parametrize(("route", "obj", "actor", "expected"), params(LICENSE_CASES))
def test_license_routes(client, route, obj, actor, expected):
    check(client, route, obj, actor, expected, LicensingWorld)


@pytest.mark.parametrize(("route", "obj", "actor", "expected"), params(LEARNING_CASES))
def test_learning_routes(client, route, obj, actor, expected):
    check(client, route, obj, actor, expected, LearningWorld)


@pytest.mark.parametrize(("route", "obj", "actor", "expected"), params(PERSONAL_CASES))
def test_personal_routes(client, route, obj, actor, expected):
    check(client, route, obj, actor, expected)


@pytest.mark.parametrize(("route", "obj", "actor", "expected"), params(SHARING_CASES))
def test_sharing_routes(client, route, obj, actor, expected):
    check(client, route, obj, actor, expected, LicensingWorld)


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


@pytest.mark.parametrize("actor", list(VISIBLE_LICENSES))
def test_license_lists_and_the_library_show_what_the_details_allow(client, actor):
    """The provider's modules: one the owner asked for and the other association holds
    ("requested"), one licensed to the owner, one whose license was revoked; and a module
    each association owns, certified by the provider."""
    world = World()
    owner, other, provider = world.owner, world.other, world.provider
    user = world.user(actor)
    modules = {
        "requested": make_module(provider, provider, status="published"),
        "licensed": make_module(provider, provider, status="published"),
        "revoked": make_module(provider, provider, status="published"),
        "owned": make_module(owner, provider, status="published"),
        "other-owned": make_module(other, provider, status="published"),
    }
    licenses = {
        "owner-requested": request_license(modules["requested"], owner),
        "other-active": make_license(modules["requested"], other),
        "owner-active": make_license(modules["licensed"], owner),
        "owner-revoked": make_license(modules["revoked"], owner),
    }
    licensing.revoke_license(staff_of(provider), licenses["owner-revoked"], "Ended early.")
    commit()
    make_offer(modules["requested"], active=False)
    license_ids = {name: license.id for name, license in licenses.items()}
    headers = auth(user)

    # Licenses: the detail decides; the API list and the HTML list show exactly that.
    openable = {
        name
        for name, license_id in license_ids.items()
        if client.get(f"/api/v1/licenses/{license_id}", headers=headers).status_code == 200
    }
    assert openable == VISIBLE_LICENSES[actor]
    body = client.get("/api/v1/licenses?per_page=100", headers=headers).get_json()
    assert {item["id"] for item in body["items"]} == {license_ids[name] for name in openable}
    assert body["total"] == len(openable)

    # The library: exactly the modules the actor may start.
    body = client.get("/api/v1/me/library?per_page=100", headers=headers).get_json()
    in_library = {item["id"] for item in body["items"]}

    # Offers: the list shows exactly the offers the detail shows (inactive: provider staff).
    module_id = modules["requested"].id
    listed = client.get(f"/api/v1/modules/{module_id}/offers", headers=headers).get_json()
    offers = db.session.scalars(select(Offer.id).where(Offer.module_id == module_id)).all()
    readable = {
        offer_id
        for offer_id in offers
        if client.get(f"/api/v1/offers/{offer_id}", headers=headers).status_code == 200
    }
    assert {item["id"] for item in listed["items"]} == readable
    assert len(readable) == (len(offers) if actor == "pstf" else len(offers) - 1)

    sign_in(client, user)
    takeable = {
        name
        for name, module in modules.items()
        if client.get(f"/modules/{module.id}/start").status_code == 200
    }
    assert takeable == TAKEABLE[actor]
    assert in_library == {modules[name].id for name in takeable}
    page = client.get("/library").get_data(as_text=True)
    started = {name for name, m in modules.items() if f'href="/modules/{m.id}/start"' in page}
    assert started == takeable
    for name, license_id in license_ids.items():
        expected = 200 if name in openable else 404
        assert client.get(f"/licenses/{license_id}").status_code == expected, name
    page = client.get("/licenses").get_data(as_text=True)
    linked = {name for name, i in license_ids.items() if f'href="/licenses/{i}"' in page}
    assert linked == openable
