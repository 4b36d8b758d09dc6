"""Migrations build the whole schema from nothing, and the models never drift from them."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from server.extensions import db
from server.models import Base


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_upgrade_from_nothing_and_back(app):
    with app.app_context():
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_every_lookup_by_school_has_an_index_and_none_has_two(app):
    """Every query is scoped to a school, so every table with site_id needs a key that leads with it
    (or its pages for all schools are read); an index on site_id alone beside such a key is only one
    more page written per insert."""
    with app.app_context():
        schema = inspect(db.engine)
        for table in schema.get_table_names():
            if "site_id" not in {c["name"] for c in schema.get_columns(table)}:
                continue
            keys = ([schema.get_pk_constraint(table)["constrained_columns"]]
                    + [u["column_names"] for u in schema.get_unique_constraints(table)]
                    + [i["column_names"] for i in schema.get_indexes(table)])
            leading = [k for k in keys if k and k[0] == "site_id"]
            assert leading, f"{table}: nothing leads with site_id"
            assert ["site_id"] not in leading or len(leading) == 1, f"{table}: {leading}"
