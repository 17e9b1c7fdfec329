"""API: the module catalog."""

from __future__ import annotations

from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema

from exchange import permissions
from exchange.api import authenticated, current_api_user, require_api_user
from exchange.catalog import services
from exchange.catalog.schemas import (
    CatalogSearchSchema,
    ModuleInputSchema,
    ModuleSchema,
    ModuleSearchPageSchema,
    ModuleVersionSchema,
    module_patch_schema,
)
from exchange.database import transaction
from exchange.search.services import search_catalog

blp = Blueprint("Modules", __name__, url_prefix="/modules", description="CME modules: the catalog.")
SECURED = [{"bearerAuth": []}]


class _Shown:
    """A module as this caller may see it: the launch URL and content file name only for
    the module's own staff (learners will reach content through licensed launches)."""

    def __init__(self, module, actor, highlights=None):
        self._module = module
        self.highlights = highlights or {}
        allowed = permissions.can_view_content(actor, module)
        self.content_url = module.content_url if allowed else None
        self.content_file_name = module.content_file_name if allowed else None

    def __getattr__(self, name):
        return getattr(self._module, name)


@blp.route("", methods=["GET"])
@blp.arguments(CatalogSearchSchema, location="query")
@blp.response(200, ModuleSearchPageSchema)
def list_modules(params):
    """Search and list the catalog: full-text `q` (ranked by relevance), facets with counts,
    highlights and a spelling suggestion. Published, available modules by default; drafts
    (`status=draft`) only for staff of their owner or provider of record; retired ones
    only with `status=retired`."""
    actor = current_api_user()
    page = search_catalog(actor, params)
    return {
        "items": [_Shown(m, actor, page.highlights.get(m.id)) for m in page.items],
        "total": page.total,
        "page": page.page,
        "per_page": page.per_page,
        "facets": page.facets,
        "suggestion": page.suggestion,
        "showing_suggestion": page.showing_suggestion,
    }


@blp.route("", methods=["POST"])
@authenticated
@blp.arguments(ModuleInputSchema)
@blp.response(201, ModuleSchema)
@blp.doc(security=SECURED)
def create_module(data):
    """Create a draft module (staff of the owning organization)."""
    actor = require_api_user()
    with transaction():
        module = services.create_module(actor, data)
    return _Shown(module, actor)


@blp.route("/<int:module_id>", methods=["GET"])
@blp.response(200, ModuleSchema)
def get_module(module_id):
    """A module: anyone for published and retired ones, staff of owner or provider for drafts."""
    actor = current_api_user()
    return _Shown(services.get_module(actor, module_id), actor)


@blp.route("/<int:module_id>", methods=["PATCH"])
@authenticated
@blp.arguments(module_patch_schema())
@blp.response(200, ModuleSchema)
@blp.doc(security=SECURED)
def update_module(changes, module_id):
    """Partial update (staff of owner or provider). On a published module a change makes a
    new version; the module must still meet every rule of publication."""
    actor = require_api_user()
    with transaction():
        module = services.update_module(actor, services.get_module(actor, module_id), changes)
    return _Shown(module, actor)


@blp.route("/<int:module_id>", methods=["DELETE"])
@authenticated
@blp.response(204)
@blp.alt_response(409, description="Only drafts can be deleted.")
@blp.doc(security=SECURED)
def delete_module(module_id):
    """Delete a draft (staff of owner or provider). Published modules are retired instead."""
    actor = require_api_user()
    with transaction():
        services.delete_module(actor, services.get_module(actor, module_id))


@blp.route("/<int:module_id>/publish", methods=["POST"])
@authenticated
@blp.response(200, ModuleSchema)
@blp.alt_response(409, description="Not publishable yet: `errors` lists what is missing.")
@blp.doc(security=SECURED)
def publish_module(module_id):
    """Publish a draft (staff of the provider of record)."""
    actor = require_api_user()
    with transaction():
        module = services.publish_module(actor, services.get_module(actor, module_id))
    return _Shown(module, actor)


@blp.route("/<int:module_id>/retire", methods=["POST"])
@authenticated
@blp.response(200, ModuleSchema)
@blp.doc(security=SECURED)
def retire_module(module_id):
    """Retire a published module (staff of owner or provider)."""
    actor = require_api_user()
    with transaction():
        module = services.retire_module(actor, services.get_module(actor, module_id))
    return _Shown(module, actor)


class ContentUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "PDF, video, audio, slides or SCORM zip"})


@blp.route("/<int:module_id>/content", methods=["PUT"])
@authenticated
@blp.arguments(ContentUploadSchema, location="files")
@blp.response(200, ModuleSchema)
@blp.doc(security=SECURED)
def upload_content(files, module_id):
    """Upload the module's content file (multipart, field `file`); replaces any previous one."""
    actor = require_api_user()
    with transaction():
        module = services.attach_content(
            actor, services.get_module(actor, module_id), files["file"]
        )
    return _Shown(module, actor)


@blp.route("/<int:module_id>/versions", methods=["GET"])
@blp.response(200, ModuleVersionSchema(many=True))
def list_versions(module_id):
    """The published versions of a module, newest first."""
    return services.list_versions(services.get_module(current_api_user(), module_id))


@blp.route("/<int:module_id>/versions/<int:version>", methods=["GET"])
@blp.response(200)
def get_version(module_id, version):
    """One published version, as the module read then."""
    actor = current_api_user()
    module = services.get_module(actor, module_id)
    data = dict(services.get_module_version(actor, module, version).data)
    if not permissions.can_view_content(actor, module):
        data["content_url"] = data["content_file_name"] = None
    return data
