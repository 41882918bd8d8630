"""A case, from intake to delivery: checks (the intake rules), intake (numbering, 补正), versions (the
case.upsert wire form), records (the read side), deadlines, closing, transfers, attachments, consultations.
Each module is f(store, *, ...)."""
