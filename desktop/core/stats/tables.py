"""The tables of a local statistics report: volumes by matter, handling mode, applicant kind, clerk,
department (and window, for a centre); timeliness by matter; the daily trend; the materials most often
missing; 差评; returned transfers; overdue and near-due cases. Each is one SQL GROUP BY over the case rows."""

from __future__ import annotations

from datetime import date, timedelta

from desktop.core.labels import APPLICANT_KIND_LABELS, MATERIAL_STATE_LABELS, MODE_LABELS, label
from desktop.core.stats.figures import Table, mean, p90, pct, rate
from desktop.core.stats.sqlparts import (
    EARLY_SQL,
    HOLIDAY_SQL,
    MISSING_NAMED_SQL,
    ON_TIME_SQL,
    VOLUME_COLUMNS,
    VOLUME_SQL,
    n_of,
    scope_sql,
)

CURRENT_MATTERS = ("LEFT JOIN matters m ON m.code = {code} AND m.version = "
                   "(SELECT version FROM catalogue_versions WHERE is_current LIMIT 1)")


def consultation_rows(q, *, window: bool) -> list[tuple]:
    """Consultations of the period grouped by (matter code, matter name, clerk login, clerk name, mode,
    department, window, day) with their count last: the 咨询登记 rows of this window, and any case recorded
    with the old outcome 咨询. The sum is the 咨询 figure; every table groups these same rows."""
    matters = CURRENT_MATTERS.format(code="k.matter_code")
    return q.all(f"""
SELECT k.matter_code, COALESCE(m.name, ''), k.clerk_login, COALESCE(u.name, k.answered_by),
  COALESCE(json_extract(m.data, '$.mode'), ''), COALESCE(json_extract(m.data, '$.department'), ''),
  :here AS window_no, substr(k.asked_at, 1, 10) AS day, count(*)
FROM consultations k {matters} LEFT JOIN users u ON u.login = k.clerk_login
WHERE substr(k.asked_at, 1, 10) BETWEEN :f AND :t
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
UNION ALL
SELECT c.matter_code, c.matter_name, c.clerk_login, c.clerk_name,
  COALESCE(json_extract(m.data, '$.mode'), ''), COALESCE(json_extract(m.data, '$.department'), ''),
  c.window_no, substr(c.received_day, 1, 10), count(*)
FROM cases c LEFT JOIN matters m ON m.version = c.catalogue_version AND m.code = c.matter_code
WHERE {scope_sql('c', window)} AND c.outcome = 'consultation' AND substr(c.received_day, 1, 10) BETWEEN :f AND :t
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8""", here=q.here)


# (key, title, cr key column, cr label column, consultation key index, consultation label index, labels)
DIMENSIONS = (
    ("by_matter", "按事项", "matter_code", "matter_name", 0, 1, None),
    ("by_mode", "按办理类型", "mode", "mode", 4, 4, MODE_LABELS),
    ("by_applicant", "按申请人类型", "applicant_kind", "applicant_kind", None, None, APPLICANT_KIND_LABELS),
    ("by_clerk", "按收件人员", "clerk_login", "clerk_name", 2, 3, None),
    ("by_department", "按部门", "department", "department", 5, 5, None),
    ("by_window", "按窗口", "window_no", "window_no", 6, 6, None),
)
DIM_COLUMNS = ("项目",) + VOLUME_COLUMNS + ("咨询",)


def dimension(q, consult, key, title, col, name_col, c_key, c_name, labels) -> Table:
    rows: dict[str, list] = {}
    names: dict[str, str] = {}
    for k, name, *counts in q.all(f"SELECT {col}, MAX({name_col}), {VOLUME_SQL} FROM cr WHERE in_received "
                                  f"GROUP BY {col}"):
        rows[k or ""] = [int(n or 0) for n in counts] + [0]
        names[k or ""] = name or ""
    for c in consult:
        k = "（咨询，未区分）" if c_key is None else (c[c_key] or "")
        rows.setdefault(k, [0] * len(VOLUME_COLUMNS) + [0])[-1] += int(c[-1])
        names.setdefault(k, k if c_name is None else (c[c_name] or ""))

    def shown(k: str) -> str:
        if labels is not None:
            return label(labels, k) or "（未指定）"
        if key == "by_matter":
            return f"{k} {names[k]}".strip() or "（未指定）"
        if key == "by_window":
            return f"{k} 号窗口" if k else "（未指定）"
        return names[k] or k or "（未指定）"

    ordered = sorted(rows.items(), key=lambda kv: (-kv[1][0], -kv[1][-1], kv[0]))
    body = tuple((shown(k),) + tuple(v) for k, v in ordered)
    total = ("合计",) + tuple(sum(r[i] for r in body) for i in range(1, len(DIM_COLUMNS)))
    return Table(key, title, DIM_COLUMNS, body, total)


def timeliness(q) -> Table:
    cols = ("事项", "办结", "当场办结", "提前办结", "按承诺时限办结率", "平均工作日", "P90 工作日")
    head = q.all(f"""SELECT matter_code, MAX(matter_name), count(*), {n_of("outcome = 'completed'")},
  {n_of(EARLY_SQL)}, {n_of(ON_TIME_SQL)}, {n_of("promised_date IS NOT NULL")} FROM cr WHERE in_decided GROUP BY matter_code""")
    hist: dict[str, list] = {}
    for code, wd, n in q.all("SELECT matter_code, wd_decision, count(*) FROM cr WHERE in_decided "
                             "AND wd_decision IS NOT NULL GROUP BY matter_code, wd_decision"):
        hist.setdefault(code, []).append((wd, n))
    rows = sorted(head, key=lambda r: (-r[2], r[0]))
    body = tuple((f"{code} {name}", n, spot or 0, early or 0, pct(rate(ok or 0, known or 0)),
                  mean(hist.get(code, [])), p90(hist.get(code, [])))
                 for code, name, n, spot, early, ok, known in rows)
    return Table("timeliness", "办结时效（按事项）", cols, body,
                 note="提前办结：受理至办结的工作日不超过承诺工作日的 70%；平均与 P90 为受理至办结的工作日。")


def trend(q, consult, start: date, end: date) -> Table:
    days: dict[str, list[int]] = {}
    d = start
    while d <= end:
        days[d.isoformat()] = [0, 0, 0, 0]
        d += timedelta(days=1)
    notices = n_of("first_notice = 1 AND status != 'voided'")
    for day, n, notice in q.all(f"SELECT received_day, count(*), {notices} FROM cr WHERE in_received "
                                "GROUP BY received_day"):
        days[day][0], days[day][2] = n, notice or 0
    for day, n in q.all("SELECT decided_day, count(*) FROM cr WHERE in_decided GROUP BY decided_day"):
        days[day][1] = n
    for c in consult:
        days[c[7]][3] += int(c[-1])
    body = tuple((day,) + tuple(v) for day, v in days.items())
    total = ("合计",) + tuple(sum(r[i] for r in body) for i in range(1, 5))
    return Table("trend", "每日趋势", ("日期", "收件", "办结", "一次性告知", "咨询"), body, total)


def holiday_table(q) -> Table:
    """节假日办理: each non-working day of the period on which cases were taken, with what became of them (the
    total is the summary's figure)."""
    rows = q.all(f"""SELECT received_day, count(*), {n_of("outcome = 'accepted'")}, {n_of("outcome = 'completed'")},
  {n_of("outcome = 'notice'")}, {n_of("outcome = 'refused'")}
FROM cr WHERE in_received AND {HOLIDAY_SQL} GROUP BY received_day ORDER BY received_day""")
    body = tuple((day,) + tuple(int(n or 0) for n in counts) for day, *counts in rows)
    total = ("合计",) + tuple(sum(r[i] for r in body) for i in range(1, 6))
    return Table("holiday", "节假日办理（非工作日收件）", ("日期", "收件", "受理", "当场办结", "一次性告知", "不予受理"),
                 body, total, note="按本窗口的节假日安排，非工作日（周末、法定节假日）收件计为节假日办理；"
                 "办理时限自下一个工作日起算。撤回、作废不计。")


def _missing(q) -> Table:
    """The materials most often missing or defective in the cases received in the period, per matter, with
    the standard that failed: what the notices said (the versions this window sent, as queued) and what is
    missing now (pulled cases still waiting)."""
    rows = q.all("""
, gaps AS (
  SELECT o.ref AS case_no, json_extract(j.value, '$.code') AS code, json_extract(j.value, '$.state') AS state
  FROM outbox o, json_each(o.payload, '$.materials') j
  WHERE o.kind = 'case.upsert' AND json_extract(j.value, '$.state') IN ('missing', 'defective')
  UNION
  SELECT case_no, code, state FROM case_materials WHERE state IN ('missing', 'defective')
),
gv AS (
  SELECT cr.matter_code, MAX(cr.matter_name) AS matter_name, cr.catalogue_version, g.code, g.state,
    count(DISTINCT g.case_no) AS n
  FROM gaps g JOIN cr ON cr.case_no = g.case_no AND cr.in_received AND cr.status != 'voided'
  GROUP BY cr.matter_code, cr.catalogue_version, g.code, g.state
)""" + MISSING_NAMED_SQL)
    return missing_table(rows)


def missing_table(rows: list[tuple]) -> Table:
    """(matter code, matter name, material code, material name, state, standard, cases) rows as the table."""
    body = tuple((f"{code} {mname}", f"{mcode} {name or ''}".strip(), label(MATERIAL_STATE_LABELS, state),
                  standard or "—", n) for code, mname, mcode, name, state, standard, n in rows)
    return Table("missing", "最常缺少或不符合要求的材料", ("事项", "材料", "情形", "审查标准", "件数"), body,
                 note="按办件计：同一办件同一材料只计一次。")


def build_tables(q, consult, *, start: date, end: date, due: tuple, today: date,
                 centre_scope: bool) -> tuple[Table, ...]:
    """due: the arguments of due_table."""
    out = [dimension(q, consult, *d) for d in DIMENSIONS if centre_scope or d[0] != "by_window"]
    out += [holiday_table(q), timeliness(q), trend(q, consult, start, end), _missing(q), _bad_ratings(q, today),
            _returned(q), due_table(*due)]
    return tuple(out)


def _bad_ratings(q, today: date, join: str = "JOIN cr ON cr.case_no = r.case_no") -> Table:
    """join: the rating's case as `cr` (default from the `cr` rows; the local summary form passes its own)."""
    rows = q.all(f"""SELECT r.case_no, r.occasion, r.overall, r.comment, COALESCE(u.name, r.rectify_owner),
  r.rectify_due FROM ratings r {join} LEFT JOIN users u ON u.login = r.rectify_owner
WHERE r.overall <= 2 AND r.rated_at >= :f AND r.rated_at < :t_next AND substr(r.rated_at, 1, 10) BETWEEN :f AND :t
ORDER BY r.rated_at, r.case_no""")
    occasions = {"intake": "受理", "handover": "结果领取"}

    def status(due) -> str:
        if not due:
            return "未指定期限"
        return f"待整改（{due}前）" if str(due) >= today.isoformat() else f"逾期未见整改记录（{due}）"

    body = tuple((c, occasions.get(o, o), f"{s} 星", cm or "—", owner or "—", status(due))
                 for c, o, s, cm, owner, due in rows)
    return Table("bad_ratings", "差评及整改", ("办件编号", "评价场合", "评价", "评价意见", "整改责任人", "整改状态"), body,
                 note="本库不记录整改完成情况：整改状态按整改期限显示。")


def _returned(q) -> Table:
    rows = q.all("""SELECT batch_no, department, substr(created_at, 1, 10), substr(closed_at, 1, 10), return_reason
FROM transfer_batches WHERE state = 'returned' AND substr(created_at, 1, 10) BETWEEN :f AND :t ORDER BY batch_no""")
    return Table("returned", "退回的流转批次", ("批次号", "部门", "创建日期", "退回日期", "退回原因"),
                 tuple(tuple(r) for r in rows))


#: the overdue and the near-due cases a report holds, each list in promised-date order (the counts are whole;
#: the CSV streams every case with its 当前提示): a month of a million cases had 140,000 of them, which the
#: report read, carried and wrote into the XLSX for a PDF that prints the first 40
DUE_LISTED = 500


def due_now(q, select: str, rows: str, order: str, overdue: str, near: str, **args) -> tuple:
    """The overdue and the near-due cases for due_table: the first DUE_LISTED of each list (`rows`, in `order`)
    and how many each has. `select` is the query of the due cases with {what} for its columns and {cond} for
    a list's condition (`overdue`, `near`), at a window or at the centre. Each list is counted on its own:
    one count of both under `overdue OR near` read the whole due index (0.10 s at a million, against under
    0.06 s for the two)."""
    lists = [q.all(select.format(what=rows, cond=cond) + f"\nORDER BY {order} LIMIT :listed", listed=DUE_LISTED,
                   **args) for cond in (overdue, near)]
    counts = [q.one(select.format(what="count(*)", cond=cond), **args)[0] for cond in (overdue, near)]
    return lists[0], lists[1], int(counts[0]), int(counts[1])


def due_table(overdue, near, n_overdue: int | None = None, n_near: int | None = None) -> Table:
    """The first DUE_LISTED overdue and near-due cases (`overdue`, `near`: rows of case number, matter, promised
    date, clerk, window) of n_overdue and n_near (default: as many as given)."""
    n_overdue = len(overdue) if n_overdue is None else n_overdue
    n_near = len(near) if n_near is None else n_near
    body = tuple((c, m, str(d), n, f"{w} 号", "红色：已逾期") for c, m, d, n, w in overdue)
    body += tuple((c, m, str(d), n, f"{w} 号", "黄色：临近到期") for c, m, d, n, w in near)
    return Table("due", "当前逾期与临近到期办件", ("办件编号", "事项", "承诺办结日期", "收件人员", "窗口", "提示"), body,
                 more=n_overdue + n_near - len(body), tally=(("已逾期", n_overdue), ("临近到期", n_near)))
