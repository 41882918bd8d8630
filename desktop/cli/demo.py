"""`yichuang demo-data`: fill a new window store with a synthetic history for demonstrations and benchmarks
(desktop/core/demodata.py). Demo only: the store is marked and `sync` refuses to run on it."""

from __future__ import annotations

from desktop.cli.common import _actor, _print_json, _services, add_clerk


def cmd_demo_data(args) -> int:
    from desktop.core import demodata

    demodata.check_request(args.cases, args.days, args.seed)  # bad numbers: exit 2 before any login
    svc = _services(args)
    try:
        actor = _actor(args, svc, "user_manage")
        result = demodata.generate(svc.store, cases=args.cases, days=args.days, seed=args.seed, actor=actor)
    finally:
        svc.close()
    _print_json(result.as_json())
    return 0


def add_demo_commands(sub, add) -> None:
    sp = add("demo-data", cmd_demo_data, "DEMO ONLY: fill a new store (init --demo) with a synthetic history "
             "(an administrator); the store is marked as demo data and never synced")
    sp.add_argument("--cases", type=int, required=True, help="how many cases (1..2000000)")
    sp.add_argument("--days", type=int, default=90, help="calendar days of history ending today (default 90)")
    sp.add_argument("--seed", type=int, default=1, help="the same seed gives the same history (default 1)")
    add_clerk(sp)
