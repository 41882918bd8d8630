"""SQL functions as replaceable objects for the central migrations (the Alembic cookbook's recipe, adapted).

A revision declares each function it owns whole, as a `SqlFunction`, in its own module. When it replaces
a function an earlier revision made, `replace()` first copies the definition the database holds now
(pg_get_functiondef) into yc.function_history under the new revision's id, and `restore()` puts that
copy back on downgrade. So no revision ever reads or patches another revision's source text; the
database itself remembers what it ran before. Owners and grants survive CREATE OR REPLACE.

Runs inside Alembic migrations only (it uses alembic.op)."""

from __future__ import annotations

from dataclasses import dataclass

from alembic import op

__all__ = ["SqlFunction", "create", "drop", "ensure_history", "replace", "restore"]


@dataclass(frozen=True)
class SqlFunction:
    """One SQL function: `signature` as regprocedure reads it ("sync.push(jsonb)"), `definition` the
    whole CREATE OR REPLACE FUNCTION statement, its owner and the roles that may execute it."""

    signature: str
    definition: str
    owner: str = "yc_owner"
    execute_to: tuple[str, ...] = ()


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def ensure_history() -> None:
    """yc.function_history: the definitions a revision replaced, kept for its downgrade."""
    op.execute(
        "CREATE TABLE IF NOT EXISTS yc.function_history ("
        " revision text NOT NULL, signature text NOT NULL, definition text NOT NULL,"
        " saved_at timestamptz NOT NULL DEFAULT now(),"
        " CONSTRAINT pk_function_history PRIMARY KEY (revision, signature))"
    )
    op.execute("ALTER TABLE yc.function_history OWNER TO yc_owner")


def create(fn: SqlFunction) -> None:
    """A new function: define it, give it its owner, and let only `execute_to` run it."""
    op.execute(fn.definition)
    op.execute(f"ALTER FUNCTION {fn.signature} OWNER TO {fn.owner}")
    op.execute(f"REVOKE ALL ON FUNCTION {fn.signature} FROM PUBLIC")
    for role in fn.execute_to:
        op.execute(f"GRANT EXECUTE ON FUNCTION {fn.signature} TO {role}")


def drop(fn: SqlFunction) -> None:
    op.execute(f"DROP FUNCTION {fn.signature}")


def replace(fn: SqlFunction, *, revision: str) -> None:
    """Replace a function an earlier revision made, keeping the database's current definition for
    `restore`. The signature must stay the same (owner and grants are kept)."""
    op.execute(
        "INSERT INTO yc.function_history (revision, signature, definition) "
        f"SELECT {_literal(revision)}, {_literal(fn.signature)}, "
        f"pg_catalog.pg_get_functiondef({_literal(fn.signature)}::regprocedure)"
    )
    op.execute(fn.definition)


def restore(fn: SqlFunction, *, revision: str) -> None:
    """Put back the definition `replace(fn, revision=…)` saved, and forget the copy."""
    rev, sig = _literal(revision), _literal(fn.signature)
    op.execute(
        "DO $restore$\nDECLARE v text;\nBEGIN\n"
        f"    SELECT definition INTO STRICT v FROM yc.function_history WHERE revision = {rev} AND signature = {sig};\n"
        "    EXECUTE v;\n"
        f"    DELETE FROM yc.function_history WHERE revision = {rev} AND signature = {sig};\n"
        "END $restore$"
    )
