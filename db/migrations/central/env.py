"""Alembic environment for the central PostgreSQL schema (programmatic config, no alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.pool import NullPool

# Constraint and index names follow this convention; op.create_table() picks it up from target_metadata.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
target_metadata = MetaData(naming_convention=NAMING_CONVENTION)

# Serialises concurrent init_central() calls on one database (key: hashtext('yichuang.central.migrate')).
_MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('yichuang.central.migrate'))"


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        transaction_per_migration=False,
        compare_type=True,
    )
    with context.begin_transaction():
        connection.execute(text(_MIGRATION_LOCK))
        context.run_migrations()


def run_migrations_online() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("the central schema is migrated online only (db.central.init_central)")
run_migrations_online()
