"""作废: a 值班长 voids a case entered in error, with the reason (the case and its history stay in the record).
The action is disabled for a clerk (desktop.ui.actions.CASE_ACTIONS, permission case_void); the services
refuse a clerk all the same."""

from __future__ import annotations

from desktop.ui.dialogs.withdraw import CaseChangeDialog


class VoidDialog(CaseChangeDialog):
    title = "作废办件（值班长）"
    verb = "作废"
    hint = "误录的办件由值班长作废：办件及其办理经过保留，不再流转、审批或送达。已作出决定或已送达的办件不能作废。"

    @staticmethod
    def call(svc, args):
        return svc.void_case(**args)
