"""The test kit: everything tests share and nothing the product ships.

clock (one movable clock), ids (check digits computed independently of the product), factories (intake
objects), store (a template store built once per session and copied per test), postgres (a throwaway
PostgreSQL cluster), cups (a private CUPS with the cups-pdf printer), doc_samples, central_ops, faultkit,
fake_transport, clerk_actions (Qt: import it only from UI tests). Import the module you need; this file
imports nothing.
"""
