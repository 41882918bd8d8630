"""The outbox table model: Chinese headers, states and kinds; rows follow services.outbox()."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QModelIndex, Qt

from desktop.core.types import OutboxItem
from desktop.ui.outbox_model import HEADERS, OutboxTableModel
from desktop.ui.outbox_panel import OutboxPanel


def _item(state: str, kind: str = "case.upsert", error: str = "") -> OutboxItem:
    return OutboxItem(
        op_id=f"op-{state}",
        kind=kind,
        ref="3101040126031000013",
        state=state,
        attempts=2,
        created_at=datetime(2026, 3, 10, 9, 30, 5),
        last_error=error,
    )


def test_headers_and_cells_are_chinese(qtbot):
    model = OutboxTableModel()
    model.set_items([_item("pending"), _item("rejected", "document.printed", "事项编码未知")])
    assert model.rowCount() == 2 and model.columnCount() == len(HEADERS) == 6
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)] == [
        "时间",
        "类型",
        "办件编号",
        "状态",
        "尝试次数",
        "错误",
    ]
    row0 = [model.data(model.index(0, c)) for c in range(6)]
    assert row0 == ["03-10 09:30:05", "办件", "3101040126031000013", "待上传", "2", ""]
    assert model.data(model.index(1, 1)) == "文书打印"
    assert model.data(model.index(1, 3)) == "被中心拒收"
    assert model.data(model.index(1, 5)) == "事项编码未知"
    assert model.data(model.index(1, 3), Qt.ItemDataRole.ForegroundRole) is not None
    assert model.rowCount(model.index(0, 0)) == 0  # a table, not a tree
    assert model.data(QModelIndex()) is None


def test_reset_on_new_items(qtbot):
    model = OutboxTableModel()
    with qtbot.waitSignal(model.modelReset):
        model.set_items([_item("applied")])
    assert model.data(model.index(0, 3)) == "已上传"
    model.set_items([])
    assert model.rowCount() == 0


def test_panel_refreshes_from_services_after_an_intake(qtbot, services, clerk):
    panel = OutboxPanel(services)
    qtbot.addWidget(panel)
    assert panel.model.rowCount() == 0
    result = services.accept_application(
        intake={
            "matter": "SH-PER-002",
            "applicant": {
                "kind": "person",
                "name": "张三",
                "id_type": "resident_id",
                "id_no": "11010519491231002X",
            },
            "materials": {"ID": "paper", "PERMIT": "paper"},
        },
        clerk=clerk,
    )
    panel.refresh("cases")
    refs = {panel.model.item(r).ref for r in range(panel.model.rowCount())}
    assert refs == {result.case_no}
    states = {panel.model.data(panel.model.index(r, 3)) for r in range(panel.model.rowCount())}
    assert states == {"待上传"}
    assert "待上传" in panel.summary.text()
