"""Every code -> Chinese label table, one for paper and screen alike (documents, views, the CLI).

Pure data, no imports from the rest of the project: any module may import it. Where two tables
used to disagree, the wording printed on paper won (see the notes beside the tables).
"""

from __future__ import annotations

from collections.abc import Mapping


def label(table: Mapping[str, str], code: str | None) -> str:
    """The label of `code` in `table`, or the code itself when the table does not know it."""
    return table.get(code or "", code or "")


MODE_LABELS: dict[str, str] = {
    "online_full": "全程网办",
    "delegated": "下放基层实施",
    "entrusted_receipt": "委托基层收件",
    "local": "本级办理",
}

#: Case.outcome: what the window decided at the counter.
OUTCOME_LABELS: dict[str, str] = {
    "accepted": "受理",
    "completed": "当场办结",
    "notice": "一次性告知",
    "refused": "不予受理",
    "consultation": "咨询",
}

#: CaseMaterial.state: what the clerk ticked for a material.
MATERIAL_STATE_LABELS: dict[str, str] = {
    "paper": "纸质收取",
    "e_licence": "电子证照免于提交",
    "commitment": "告知承诺",
    "gap": "容缺受理",
    "missing": "缺少",
    "defective": "不符合要求",
}

#: MaterialSpec.form
FORM_LABELS: dict[str, str] = {"original": "原件", "copy": "复印件", "original_and_copy": "原件及复印件"}

RATING_LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

ID_TYPE_LABELS: dict[str, str] = {
    "resident_id": "居民身份证",
    "hk_macau_tw_residence": "港澳台居民居住证",
    "foreign_permanent_residence": "外国人永久居留身份证",
    "hk_macau_permit": "港澳居民来往内地通行证",
    "taiwan_permit": "台湾居民来往大陆通行证",
    "passport": "护照",
}

APPLICANT_KIND_LABELS: dict[str, str] = {"person": "个人", "enterprise": "企业"}

#: PrintedDocument.kind: the document titles as printed.
DOCUMENT_LABELS: dict[str, str] = {
    "voucher": "收件凭证",
    "one_time_notice": "一次性告知单",
    "acceptance_notice": "受理通知书",
    "refusal_notice": "不予受理通知书",
    "gap_promise": "容缺受理承诺书",
    "delivery_receipt": "送达回执",
    "clock_notice": "办理期限告知书",
    "transfer_manifest": "材料流转清单",
    "daily_report": "统计报表",
}

#: PrintedDocument.paper (the lookup screen wrote "80 毫米热敏纸", the reprint dialog "A4 纸").
PAPER_LABELS: dict[str, str] = {"a4": "A4", "roll80": "80毫米热敏纸"}

#: how a result reaches the applicant (结果送达). The lookup screen said 邮寄, the handover dialog
#: and the transfer channel 快递寄送, the delivery receipt 快递送达: one wording, 快递寄送, for all.
DELIVERY_LABELS: dict[str, str] = {"window": "窗口领取", "express": "快递寄送", "e_licence": "电子证照"}

#: who signs the delivery receipt, by delivery method
RECEIVER_LABELS: dict[str, str] = {"window": "领取人", "express": "收件人", "e_licence": "接收人"}

#: TransferBatch.channel
TRANSFER_CHANNEL_LABELS: dict[str, str] = {"online": "网上流转", "express": "快递寄送"}

#: TransferBatch.state
TRANSFER_STATE_LABELS: dict[str, str] = {"waiting": "待发送", "sent": "已发送", "signed": "已签收", "returned": "已退回"}

#: Case.status as the centre reports it
CASE_STATUS_LABELS: dict[str, str] = {
    "received": "已收件",
    "signed": "已签收",
    "in_review": "审查中",
    "approved": "准予许可",
    "denied": "不予许可",
    "result_ready": "结果已出，待送达",
    "delivered": "已送达",
    "withdrawn": "已撤回",
    "voided": "已作废",
}

#: CaseEvent.event: a case's history as a clerk reads it out
EVENT_LABELS: dict[str, str] = {
    **OUTCOME_LABELS,
    "supplemented": "补正",
    "transfer": "流转",
    "transfer.waiting": "流转待发送",
    "transfer.sent": "流转已发送",
    "transfer.signed": "流转已签收",
    "transfer.returned": "流转已退回",
    "status": "中心状态",
    "delivered": "已送达",
    "rated": "评价",
    "clock.paused": "时限暂停",
    "clock.resumed": "时限恢复",
    "clock.extended": "延期",
    "deadline.computed": "日期确定（节假日安排公布）",
    "corrected": "更正",
    "withdrawn": "撤回",
    "voided": "作废",
}

#: CaseEvent.actor when it is not a person
ACTOR_LABELS: dict[str, str] = {"applicant": "申请人", "centre": "中心", "system": "系统"}

#: Clerk.role
ROLE_LABELS: dict[str, str] = {
    "clerk": "窗口人员",
    "supervisor": "值班长",
    "admin": "管理员",
    "backoffice": "后台审批人员",
}

#: OutboxOp.state
OUTBOX_STATE_LABELS: dict[str, str] = {
    "pending": "待上传",
    "applied": "已上传",
    "duplicate": "已上传（重复确认）",
    "rejected": "被中心拒收",
    "resolved": "拒收已处理",
}

#: OutboxOp.kind
OUTBOX_KIND_LABELS: dict[str, str] = {
    "case.upsert": "办件",
    "document.printed": "文书打印",
    "transfer.upsert": "材料流转",
    "rating.recorded": "好差评",
    "consultation.recorded": "咨询登记",
    "audit.recorded": "审计记录",
}
