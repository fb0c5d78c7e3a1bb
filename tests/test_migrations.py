"""The migrations are the schema: one head, and upgrading from empty gives exactly the models."""

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app import _migrations_dir
from app.extensions import db as _db


def _script():
    cfg = Config(str(_migrations_dir() / "alembic.ini"))
    cfg.set_main_option("script_location", str(_migrations_dir()))
    return ScriptDirectory.from_config(cfg)


def test_one_head():
    heads = _script().get_heads()
    assert len(heads) == 1, f"several Alembic heads: {heads}; merge them"




def test_upgrade_from_empty_matches_models(app):
    with app.app_context():
        with _db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _include})
            diff = compare_metadata(ctx, _db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def _include(obj, name, type_, reflected, compare_to):
    """Skip the database-specific full-text objects that only migrations create."""
    if type_ == "table" and reflected and compare_to is None:
        if name == "alembic_version" or "fts" in name or name.startswith("sqlite_"):
            return False
    if type_ == "index" and reflected and compare_to is None and name and "fts" in name:
        return False
    return True
