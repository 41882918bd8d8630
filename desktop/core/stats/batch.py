"""Every query of a central report in ONE statement: the groups of case rows (`cr` and the CTEs under it) are
computed once, where separate statements would each compute them again, and nothing is written (no temporary table:
the centre may be a hot standby).

The figures are computed twice over the same code (central._figures): first with a Recorder, which notes
each query and answers with no rows (a row of zeros for `one`), then with a Prefetched query whose answers
come from a single statement that runs every noted query as a subquery of one SELECT and returns each
result as a JSON text (duplicate column names and column order kept). A query the first pass did not note
is run on its own (correct, only slower)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import text

_WORD = re.compile(r"[A-Za-z_]+")


def _top_level(sql: str):
    """(index, word) of each word at parenthesis depth 0, and each ',' there as (index, ',')."""
    depth, i, quoted = 0, 0, False
    while i < len(sql):
        ch = sql[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0:
            if ch == ",":
                yield i, ","
            else:
                m = _WORD.match(sql, i)
                if m and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                    yield i, m.group().upper()
                    i = m.end()
                    continue
        i += 1


def split(body: str) -> tuple[str, str]:
    """A body as (CTEs it adds, starting with ',' or empty; its SELECT)."""
    for i, word in _top_level(body):
        if word == "SELECT":
            return body[:i].strip(), body[i:].strip()
    raise ValueError("a statistics query without SELECT")


def width(body: str) -> int:
    """How many columns the body's SELECT list has (its commas at depth 0 before FROM, plus one)."""
    _, select = split(body)
    n = 1
    for _i, word in _top_level(select):
        if word == "FROM":
            return n
        n += word == ","
    return n


def key(body: str, extra: dict[str, Any]) -> tuple:
    return body, tuple(sorted(extra.items()))


class Recorder:
    """The first pass: notes every query."""

    here = ""

    def __init__(self):
        self.noted: dict[tuple, tuple[str, dict[str, Any]]] = {}

    def all(self, body: str, **extra) -> list[tuple]:
        self.noted.setdefault(key(body, extra), (body, extra))
        return []

    def one(self, body: str, **extra) -> tuple:
        self.all(body, **extra)
        return (0,) * width(body)


def _rows(doc: str | None) -> list[tuple]:
    return [tuple(r) for r in json.loads(doc or "[]", object_pairs_hook=lambda pairs: tuple(v for _, v in pairs))]


class Prefetched:
    """The second pass: every noted query answered by one statement over `head` (the WITH of the case rows)."""

    def __init__(self, conn, head: str, params: dict[str, Any], noted: dict[tuple, tuple[str, dict[str, Any]]]):
        self.conn, self.head, self.params, self.here = conn, head, params, ""
        self.missed = 0  # queries run on their own (not noted by the first pass)
        ctes: list[str] = []
        selects: list[str] = []
        args = dict(params)
        for n, (body, extra) in enumerate(noted.values()):
            for name, value in extra.items():  # each query's own parameters get a name of their own
                body = re.sub(rf"(?<![:\w]):{name}\b", f":{name}_q{n}", body)
                args[f"{name}_q{n}"] = value
            cte, select = split(body)
            if cte and cte not in ctes:
                ctes.append(cte)
            selects.append(f"(SELECT coalesce(json_agg(x), '[]')::text FROM ({select}) x) AS q{n}")
        self.answers: dict[tuple, list[tuple]] = {}
        if selects:
            row = conn.execute(text("\n".join([head, *ctes]) + "\nSELECT " + ",\n".join(selects)), args).one()
            self.answers = {k: _rows(doc) for k, doc in zip(noted, row, strict=True)}

    def all(self, body: str, **extra) -> list[tuple]:
        k = key(body, extra)
        if k in self.answers:
            return self.answers[k]
        self.missed += 1
        return [tuple(r) for r in self.conn.execute(text(self.head + "\n" + body), {**self.params, **extra})]

    def one(self, body: str, **extra) -> tuple:
        return tuple(0 if v is None else v for v in self.all(body, **extra)[0])
