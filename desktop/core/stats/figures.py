"""The figures of a statistics report, frozen: what the PDF prints, the XLSX holds and the CLI shows as JSON.

Populations (the report prints them under 口径说明):
- volumes, where people come twice and the tables by matter / mode / applicant / clerk / department /
  window: the cases RECEIVED in the period (first visit day), consultations asked in the period;
- efficiency: the cases DECIDED in the period (当场办结 on their day, a back-office decision on its date),
  delivery figures over the cases DELIVERED in the period; overdue and near due: now;
- satisfaction: the ratings given in the period; the loop: batches created in the period, results now
  waiting for pick-up.
节假日办理 (intakes on a non-working day of the window's calendar) is counted over the cases received, like
the volumes, and listed per day in its own table.
Withdrawn (撤回) and voided (作废) cases are counted apart and in no other figure but 收件.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

SCOPES = {"window": "本窗口", "centre": "全中心", "centres": "多中心（区）"}


def rate(part: int, whole: int) -> float | None:
    """part / whole as a percentage with one decimal, None when there is nothing to divide."""
    return round(part * 100.0 / whole, 1) if whole else None


def pct(value: float | None) -> str:
    """The one way a rate is shown (PDF, XLSX, GUI): 93.3%, or — without a denominator."""
    return "—" if value is None else f"{value:.1f}%"


def num(value: float | None) -> str:
    return "—" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))


@dataclass(frozen=True)
class Volumes:
    received: int  # cases first received in the period (withdrawn and voided included)
    accepted: int  # now 受理 (after a 补正 too), neither withdrawn nor voided
    completed: int  # 当场办结
    notices: int  # cases whose first visit ended in a one-time notice
    pending_notice: int  # ... of which still waiting for the missing materials
    refused: int  # 不予受理
    withdrawn: int
    voided: int
    consultations: int  # 咨询登记 (首问负责): not cases; the same number in every table
    holiday: int = 0  # 节假日办理: received on a non-working day (neither withdrawn nor voided)


@dataclass(frozen=True)
class Efficiency:
    decided: int  # 办结 in the period: 当场办结 + back-office decisions
    spot: int  # 当场办结
    early: int  # 提前办结: a decision in at most 70 % of the promised working days
    in_time: int  # 限时办结: on time, neither on the spot nor early
    promised_known: int  # decided cases with a promised date
    on_time_promised: int
    statutory_known: int
    on_time_statutory: int
    timed: int  # decided cases whose working days could be counted (calendar published)
    mean_days_decision: float | None
    p90_days_decision: int | None
    delivered: int  # delivered in the period, with countable working days
    mean_days_delivery: float | None
    p90_days_delivery: int | None
    overdue_now: int  # red on the worklist: past the promised date, undecided
    near_due_now: int  # yellow: due within 2 working days

    @property
    def on_time_promised_rate(self) -> float | None:
        return rate(self.on_time_promised, self.promised_known)

    @property
    def on_time_statutory_rate(self) -> float | None:
        return rate(self.on_time_statutory, self.statutory_known)

    @property
    def early_share(self) -> float | None:
        """提前办结 among the decisions taken in the back office (当场办结 are apart)."""
        return rate(self.early, self.decided - self.spot)

    @property
    def spot_share(self) -> float | None:
        return rate(self.spot, self.decided)


@dataclass(frozen=True)
class Revisits:
    first_visits: int  # cases received in the period, less voided ones
    first_notice: int  # ... whose first visit ended in a one-time notice
    finished: int  # of them, cases with a result (当场办结 or decided)
    visits: int  # the visits those finished cases took (intake, each 补正 / 容缺 supply, window pick-up)

    @property
    def first_notice_share(self) -> float | None:
        return rate(self.first_notice, self.first_visits)

    @property
    def mean_visits(self) -> float | None:
        return round(self.visits / self.finished, 2) if self.finished else None


@dataclass(frozen=True)
class Satisfaction:
    by_stars: tuple[tuple[int, int], ...]  # (5..1, count), zeros included
    by_occasion: tuple[tuple[str, int], ...]  # (intake | handover, count)

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_stars)

    @property
    def good(self) -> int:
        return sum(n for s, n in self.by_stars if s >= 4)

    @property
    def bad(self) -> int:
        return sum(n for s, n in self.by_stars if s <= 2)

    @property
    def good_rate(self) -> float | None:
        return rate(self.good, self.total)


@dataclass(frozen=True)
class Loop:
    waiting: int
    sent: int
    signed: int
    returned: int
    awaiting_pickup: int  # decided, not yet delivered (now)


@dataclass(frozen=True)
class Table:
    """One table of the report: a sheet of the XLSX, a table of the PDF. `total` is its 合计 row; `more`: how
    many rows of a list the report does not hold (it holds the first ones; the CSV has them all); `tally`:
    what a list's rows are, counted ((label, n), ...)."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    total: tuple[Any, ...] | None = None
    note: str = ""
    more: int = 0
    tally: tuple[tuple[str, int], ...] = ()

    def omitted(self, shown: int, noun: str) -> str:
        """What a list printed or shown to its first `shown` rows says of the others (`noun`: 件办件, 条差评)."""
        total = len(self.rows) + self.more
        if self.more:
            where = "导出的 CSV（“当前提示”列）"
        else:
            where = f"导出的 XLSX“{self.title}”工作表" + ("和 CSV（“当前提示”列）" if self.key == "due" else "")
        text = f"另有 {total - shown} {noun}未列出（共 {total}），完整名单见{where}。"
        tally = self.tally
        if not tally and self.key == "due":  # a due list built by hand: its rows say their colour
            red = sum(1 for r in self.rows if str(r[-1]).startswith("红色"))
            tally = (("已逾期", red), ("临近到期", len(self.rows) - red))
        if tally:
            parts = []
            for label, n in tally:  # a list cut short says so (the rows' last cell names their list)
                held = sum(1 for r in self.rows if label in str(r[-1]))
                parts.append(f"{label} {n} 件" + (f"（报表载有承诺办结日期最早的 {held} 件）" if held < n else ""))
            text += "其中" + "，".join(parts) + "。"
        return text

    def as_json(self) -> dict:
        return {"title": self.title, "columns": list(self.columns), "rows": [list(r) for r in self.rows],
                "total": list(self.total) if self.total else None, "more": self.more,
                "tally": [list(x) for x in self.tally]}


@dataclass(frozen=True)
class StatsReport:
    centre_code: str
    centre_name: str
    scope: str  # window | centre | centres
    window_no: str  # the window of a window report, "" otherwise
    centres: tuple[str, ...]  # the centres of a district report
    period_from: date
    period_to: date
    generated_at: datetime
    working_days: int | None  # working days in the period (None: a year without a published calendar)
    volumes: Volumes
    efficiency: Efficiency
    revisits: Revisits
    satisfaction: Satisfaction
    loop: Loop
    tables: tuple[Table, ...] = field(default=())
    caveats: tuple[str, ...] = field(default=())  # what this scope cannot count from where it is computed

    @property
    def scope_label(self) -> str:
        if self.scope == "window":
            return f"{self.window_no} 号窗口"
        if self.scope == "centres":
            return "、".join(self.centres)
        return SCOPES["centre"]

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def summary_rows(self) -> list[tuple[str, str]]:
        """The summary figures as (label, shown value): the same text in the PDF, the XLSX and the GUI."""
        v, e, r, s, lp = self.volumes, self.efficiency, self.revisits, self.satisfaction, self.loop
        return [
            ("收件", f"{v.received} 件"),
            ("受理", f"{v.accepted} 件"),
            ("当场办结", f"{v.completed} 件"),
            ("一次性告知", f"{v.notices} 件（其中待补正 {v.pending_notice} 件）"),
            ("不予受理", f"{v.refused} 件"),
            ("撤回 / 作废", f"{v.withdrawn} 件 / {v.voided} 件"),
            ("咨询登记", f"{v.consultations} 次"),
            ("节假日办理", f"{v.holiday} 件"),
            ("本期办结", f"{e.decided} 件（当场 {e.spot}，提前 {e.early}，限时 {e.in_time}）"),
            ("按承诺时限办结率", f"{pct(e.on_time_promised_rate)}（{e.on_time_promised}/{e.promised_known}）"),
            ("按法定时限办结率", f"{pct(e.on_time_statutory_rate)}（{e.on_time_statutory}/{e.statutory_known}）"),
            ("提前办结占比", pct(e.early_share)),
            ("受理至办结（工作日）", f"平均 {num(e.mean_days_decision)}，P90 {num(e.p90_days_decision)}"),
            ("受理至送达（工作日）", f"平均 {num(e.mean_days_delivery)}，P90 {num(e.p90_days_delivery)}"),
            ("当前逾期 / 临近到期", f"{e.overdue_now} 件 / {e.near_due_now} 件"),
            ("首次办事即一次性告知", f"{pct(r.first_notice_share)}（{r.first_notice}/{r.first_visits}）"),
            ("办结件平均跑动次数", f"{num(r.mean_visits)} 次（{r.visits}/{r.finished}）"),
            ("好差评", f"共 {s.total} 次，好评率 {pct(s.good_rate)}，差评 {s.bad} 次"),
            ("材料流转", f"待发送 {lp.waiting}，已发送 {lp.sent}，已签收 {lp.signed}，已退回 {lp.returned}"),
            ("结果待领取", f"{lp.awaiting_pickup} 件"),
        ]

    def as_json(self) -> dict:
        """Every figure (rates as numbers) and every table, for the CLI."""
        e, r, s = self.efficiency, self.revisits, self.satisfaction
        return {
            "centre_code": self.centre_code, "centre_name": self.centre_name, "scope": self.scope,
            "window_no": self.window_no, "centres": list(self.centres),
            "from": self.period_from.isoformat(), "to": self.period_to.isoformat(),
            "generated_at": self.generated_at.isoformat(timespec="seconds"), "working_days": self.working_days,
            "volumes": asdict(self.volumes),
            "efficiency": {**asdict(e), "on_time_promised_rate": e.on_time_promised_rate,
                           "on_time_statutory_rate": e.on_time_statutory_rate, "early_share": e.early_share,
                           "spot_share": e.spot_share},
            "revisits": {**asdict(r), "first_notice_share": r.first_notice_share, "mean_visits": r.mean_visits},
            "satisfaction": {"by_stars": {str(k): n for k, n in s.by_stars}, "by_occasion": dict(s.by_occasion),
                             "total": s.total, "good": s.good, "bad": s.bad, "good_rate": s.good_rate},
            "loop": asdict(self.loop),
            "tables": {t.key: t.as_json() for t in self.tables},
            "caveats": list(self.caveats),
        }


def p90(histogram: list[tuple[int, int]]) -> int | None:
    """The 90th percentile (nearest rank: the smallest value with at least 90 % of the cases at or below it)
    of a histogram [(value, count)] that SQL grouped; None when empty."""
    rows = sorted((int(v), int(n)) for v, n in histogram if v is not None)
    total = sum(n for _, n in rows)
    if not total:
        return None
    rank = -(-total * 9 // 10)  # ceil(0.9 n)
    seen = 0
    for value, n in rows:
        seen += n
        if seen >= rank:
            return value
    return rows[-1][0]


def mean(histogram: list[tuple[int, int]]) -> float | None:
    rows = [(int(v), int(n)) for v, n in histogram if v is not None]
    total = sum(n for _, n in rows)
    return round(sum(v * n for v, n in rows) / total, 1) if total else None
