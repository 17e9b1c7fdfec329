"""The CME Exchange: a Flask application where medical associations share CME modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DatabaseIntConverter(IntegerConverter):
    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, API, CLI and error handlers."""
    from exchange.config import load_config

    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "exchange" / "static"),
    )
    app.config.from_mapping(load_config(app.instance_path, config))
    if app.config.get("TESTING"):
        app.testing = True

    # IDs in URLs fit a database INTEGER; anything longer is simply not found.
    app.url_map.converters["int"] = DatabaseIntConverter
    _init_extensions(app)
    _register_blueprints(app)

    from exchange.api import register_api
    from exchange.cli import register_cli
    from exchange.errorhandlers import register_error_handlers
    from exchange.notifications.services import register_hooks as register_notification_hooks
    from exchange.search.indexing import register_hooks
    from exchange.templating import register_template_helpers

    register_hooks()
    register_notification_hooks()
    from exchange.security import register_security

    register_api(app)
    register_error_handlers(app)
    register_security(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from exchange.extensions import bootstrap, csrf, db, limiter, login_manager, mail, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    # Import every model so metadata (and Alembic) sees the whole schema.
    import exchange.models  # noqa: F401
    from exchange.accounts.models import User

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user and user.is_active else None


def _register_blueprints(app: Flask) -> None:
    from exchange.accounts.views import bp as accounts_bp
    from exchange.catalog.views import bp as catalog_bp
    from exchange.learning.views import bp as learning_bp
    from exchange.licensing.views import bp as licensing_bp
    from exchange.notifications.views import bp as notifications_bp
    from exchange.organizations.views import bp as organizations_bp
    from exchange.sharing.views import bp as sharing_bp

    app.register_blueprint(catalog_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(licensing_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(sharing_bp)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, and let SQLAlchemy own transactions so SAVEPOINT works
    (the pysqlite driver's own transaction handling breaks nested transactions)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # Readers (a search index rebuild, a long report) do not block writers.
        cursor.execute("PRAGMA journal_mode=WAL")
        # Reports aggregate whole tables: keep their pages in memory between requests
        # (64 MB of cache per connection, reads through a memory map) rather than
        # re-reading them from the operating system every time.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_on_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")
