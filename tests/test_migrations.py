"""The Alembic history and the models agree: autogenerate finds nothing to change.

The test database itself is built by `flask db upgrade` (see conftest), so this compares the
migrated schema with the models on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app

from exchange.extensions import db


def test_models_match_migrations():
    connection = db.session.connection()
    context = MigrationContext.configure(
        connection, opts=current_app.extensions["migrate"].configure_args
    )
    assert compare_metadata(context, db.metadata) == []


def test_single_head():
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
