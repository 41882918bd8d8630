"""Demo data (`yichuang demo-data`): a realistic synthetic history written straight into a window's store, for
demonstrations and benchmarks only. It is never synced: the store is marked (setting `demo_data`) and
`sync` refuses to run on it, and no outbox operation is written for any generated row.

What a history holds, over the `days` calendar days ending today (the store's clock):
- intakes on working days (a few on non-working days, marked 节假日办理 as the intake service marks them),
  matters in proportion (a seeded Zipf-like weight over the current catalogue, on-the-spot matters more
  often), taken by several clerks (the demo users, created if missing);
- first-visit outcomes 受理 / 当场办结 / 一次性告知 / 不予受理; most notices come back for 补正 (some twice),
  deadlines computed by the same rule the services use (cases.deadlines.compute_deadlines);
- accepted cases go to their department in a 材料流转单 per department and day (waiting → sent → signed, a few
  returned and sent again), are decided as the centre sends decisions (Case.status, decision_json and a
  `decision.*` history event without a window number, as sync.loop.apply_cases writes them), and mostly
  handed over (window, express, e-licence); some are withdrawn or voided;
- 好差评 at intake and at pick-up, 差评 with their rectification owner; consultations (首问负责).

Every row has the shape the services write (case versions counted as they count them, history events with
their window numbers, daily case counters so real intake numbering continues after the demo serials). One
transaction: a failure leaves nothing. Deterministic: the same seed, catalogue, calendar and clock give the
same rows. Refused (BadInput, exit 2) on a store holding cases, consultations or transfers, on a store linked
to a centre, and on a store already holding demo data."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from db.local.models import Case, Consultation, Setting, TransferBatch
from desktop.core.audit import record_audit
from desktop.core.demohistory import Generator
from desktop.core.errors import BadInput
from desktop.core.roles import require
from desktop.core.store import Store, put_setting
from desktop.core.types import Clerk

DEMO_SETTING = "demo_data"
MAX_CASES = 2_000_000
MAX_DAYS = 3660


@dataclass(frozen=True)
class DemoResult:
    cases: int
    events: int
    materials: int
    ratings: int
    consultations: int
    transfers: int
    clerks: tuple[str, ...]
    first_day: date
    last_day: date
    seed: int

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(first_day=self.first_day.isoformat(), last_day=self.last_day.isoformat(), clerks=list(self.clerks),
                 demo_only=True)
        return d


def is_demo_store(store: Store) -> bool:
    return store.setting(DEMO_SETTING) == "1"


def check_request(cases: Any, days: Any, seed: Any) -> tuple[int, int, int]:
    def whole(value: Any, field: str, low: int, high: int, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise BadInput("E_DEMO_ARGS", f"{what}应为 {low} 至 {high} 的整数", field=field)
        return value

    return (whole(cases, "cases", 1, MAX_CASES, "办件数（--cases）"), whole(days, "days", 1, MAX_DAYS, "天数（--days）"),
            whole(seed, "seed", 0, 2**63 - 1, "随机种子（--seed）"))


def check_store(store: Store) -> None:
    """BadInput unless this store may receive demo data (nothing is written either way)."""
    with store.Reader() as s:
        values = {r.key: r.value for r in s.scalars(select(Setting))}
        if values.get(DEMO_SETTING) == "1":
            raise BadInput("E_DEMO_AGAIN", "本数据目录已有演示数据；如需重新生成，请另建数据目录"
                           "（yichuang --home 新目录 init --demo）", field="home")
        n_cases = s.scalar(select(func.count()).select_from(Case))
        n_consult = s.scalar(select(func.count()).select_from(Consultation))
        n_batches = s.scalar(select(func.count()).select_from(TransferBatch))
    if n_cases or n_consult or n_batches:
        raise BadInput("E_DEMO_REAL_DATA", f"本数据目录已有 {n_cases} 件办件、{n_consult} 条咨询登记、{n_batches} 张流转单："
                       "演示数据只能写入没有真实办件的新数据目录，未做任何修改", field="home")
    if values.get("central_url") or values.get("sync_last_success"):
        raise BadInput("E_DEMO_LINKED", "本数据目录已连接中心：演示数据不能写入与中心同步的数据目录，未做任何修改",
                       field="home")


def generate(store: Store, *, cases: int, days: int = 90, seed: int = 1, actor: Clerk) -> DemoResult:
    """Fill the store with a synthetic history of `cases` cases over the last `days` days (an administrator)."""
    require(actor, "user_manage")
    cases, days, seed = check_request(cases, days, seed)
    check_store(store)
    now = store.clock().replace(microsecond=0)
    gen = Generator(store, seed=seed, now=now)
    gen.plan(cases, days)
    counts = Counter()
    with store.Session.begin() as s:
        clerks = gen.users(s)
        for chunk in gen.run():
            for table, rows in chunk.items():
                counts[table.__tablename__] += _insert(s, table.__table__, rows)
        for table, rows in gen.tail().items():
            counts[table.__tablename__] += _insert(s, table.__table__, rows)
        put_setting(s, DEMO_SETTING, "1")
        record_audit(s, window=gen.window, at=now, actor=actor.login, action="demo_data.generated",
                     ref=f"seed-{seed}", queue=False,
                     detail=f"演示数据：{cases} 件办件，{gen.days[0]:%Y-%m-%d} 至 {gen.days[-1]:%Y-%m-%d}（不同步至中心）")
    store.invalidate()
    return DemoResult(cases=counts["cases"], events=counts["case_events"], materials=counts["case_materials"],
                      ratings=counts["ratings"], consultations=counts["consultations"],
                      transfers=counts["transfer_batches"], clerks=clerks, first_day=gen.days[0],
                      last_day=gen.days[-1], seed=seed)




def _insert(s, table, rows: list[dict[str, Any]]) -> int:
    """Many rows of one table in the caller's transaction: each value through its column type's own bind
    processor (the text SQLAlchemy stores for a date, a time, a flag), then one DB-API executemany."""
    if not rows:
        return 0
    dialect = s.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    cols = list(rows[0])
    procs = [table.c[c].type._cached_bind_processor(dialect) for c in cols]
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in cols)}) "
           f"VALUES ({', '.join('?' for _ in cols)})")
    s.connection().exec_driver_sql(sql, [tuple(r[c] if p is None else p(r[c]) for c, p in zip(cols, procs))
                                         for r in rows])
    return len(rows)
