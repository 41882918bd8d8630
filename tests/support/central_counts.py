"""The centre's count tables (central c0018) checked against yc.case_summary: shared by the summary tests and
the attacks on c0019's push."""

from __future__ import annotations

from db.central import admin_connect

# the groups each count table of c0018 keeps (a summary row's value per column) and which rows it counts
COUNTED = {
    "case_counts_received": ("centre_code, window_no, catalogue_version, matter_code, applicant_kind, clerk_login, "
                             "first_actor, outcome, CASE WHEN status IN ('withdrawn', 'voided') THEN status ELSE '*' "
                             "END, holiday, received_day, first_notice, visits, decided_day IS NOT NULL", "true"),
    "case_counts_decided": ("centre_code, catalogue_version, matter_code, outcome, decided_day, accept_day, "
                            "promised_date, statutory_date, pause_days, resume_days", "decided_day IS NOT NULL"),
    "case_counts_delivered": ("centre_code, accept_day, delivered_day, pause_days, resume_days",
                              "delivered_day IS NOT NULL"),
}


def assert_counts_match_summary(url: str) -> None:
    """Each count table, summed over its writers, holds exactly the groups of the summary rows (consultations
    apart) with their number."""
    with admin_connect(url) as conn:
        for table, (key, cond) in COUNTED.items():
            width = key.count(",") + 1 - key.count("', '")  # the commas of the status list are no columns
            kept = conn.execute(f"SELECT * FROM (SELECT {', '.join(f'k{i}' for i in range(width))}, sum(n) "
                                f"FROM yc.{table} AS t({', '.join(['w'] + [f'k{i}' for i in range(width)] + ['n'])}) "
                                f"GROUP BY {', '.join(f'k{i}' for i in range(width))}) x WHERE sum <> 0 "
                                "ORDER BY 1, 2, 3, 4, 5").fetchall()
            expected = conn.execute(f"SELECT {key}, count(*) FROM yc.case_summary WHERE outcome <> 'consultation' "
                                    f"AND {cond} GROUP BY {key} ORDER BY 1, 2, 3, 4, 5").fetchall()
            assert sorted(map(repr, kept)) == sorted(map(repr, expected)), table
