"""The first-run wizard (an empty data folder): the centre and window, the enrolment from the centre, the first
administrator, the printers for A4 and the 80 mm roll with a test page each. The setting-up runs off the GUI
thread (creating the store and greeting the centre take seconds). `scripts/run` makes the demo store first,
so it never shows there. An administrator changes all of it later in 设置."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

from desktop.ui.qt import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QObject,
    QPlainTextEdit,
    QPrinter,
    QPrinterInfo,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
    Signal,
)

NO_PRINTER = "（不使用）"
CENTRE_TYPES = (("district", "区行政服务中心"), ("street", "街镇社区事务受理服务中心"))


class _Done(QObject):
    finished = Signal(object, object)  # link message ("" or why the centre link failed), error


def _page(title: str, subtitle: str) -> tuple[QWizardPage, QFormLayout]:
    page = QWizardPage()
    page.setTitle(title)
    page.setSubTitle(subtitle)
    form = QFormLayout(page)
    return page, form


class FirstRunWizard(QWizard):
    """Fields are attributes (tests fill them); `accept()` sets up the window, `set_up_done` tells the result."""

    def __init__(self, home: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.home = Path(home)
        self.error = ""  # what went wrong on the last attempt (shown on the last page)
        self.link_message = ""  # the centre could not be linked (the window works offline meanwhile)
        self.done_ok = False
        self.setWindowTitle("一窗 · 首次设置")
        self.setObjectName("firstRunWizard")
        self._done = _Done()
        self._done.finished.connect(self._finished)

        page, form = _page("中心与窗口", "本电脑所在的中心和窗口号（与中心管理员登记的一致）")
        self.centre_code = QLineEdit(page)
        self.centre_code.setPlaceholderText("行政区划代码，如 310104")
        self.centre_type = QComboBox(page)
        for key, text in CENTRE_TYPES:
            self.centre_type.addItem(text, key)
        self.centre_name = QLineEdit(page)
        self.window_no = QLineEdit(page)
        self.window_no.setPlaceholderText("01 至 99")
        form.addRow("中心代码", self.centre_code)
        form.addRow("中心类型", self.centre_type)
        form.addRow("中心名称", self.centre_name)
        form.addRow("窗口号", self.window_no)
        self.addPage(page)

        page, form = _page("接入中心", "导入中心发放的接入文件（yichuang central add-window 的输出），"
                           "或填写地址并选择 CA 证书；暂不接入可留空，离线也能受理")
        self.enrolment_button = QPushButton("导入接入文件…", page)
        self.enrolment_button.clicked.connect(self._pick_enrolment)
        self.central_url = QLineEdit(page)
        self.central_url.setPlaceholderText("postgresql://…?sslmode=verify-full")
        self.ca_pem = QPlainTextEdit(page)
        self.ca_pem.setPlaceholderText("中心的 CA 证书（PEM）")
        ca_button = QPushButton("选择 CA 证书文件…", page)
        ca_button.clicked.connect(self._pick_ca)
        form.addRow(self.enrolment_button)
        form.addRow("中心地址", self.central_url)
        form.addRow("CA 证书", self.ca_pem)
        form.addRow(ca_button)
        self.addPage(page)

        page, form = _page("首位管理员", "管理员可以添加其他工作人员、修改设置")
        self.admin_login = QLineEdit(page)
        self.admin_name = QLineEdit(page)
        self.admin_staff_no = QLineEdit(page)
        self.admin_password = QLineEdit(page)
        self.admin_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.admin_password2 = QLineEdit(page)
        self.admin_password2.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("登录名", self.admin_login)
        form.addRow("姓名", self.admin_name)
        form.addRow("工号", self.admin_staff_no)
        form.addRow("密码（至少 8 位）", self.admin_password)
        form.addRow("再输入一次", self.admin_password2)
        self.addPage(page)

        page = QWizardPage()
        page.setTitle("打印机")
        page.setSubTitle("选择 A4 打印机和 80 毫米票据打印机，各打印一张测试页确认")
        layout = QVBoxLayout(page)
        names = [p.printerName() for p in QPrinterInfo.availablePrinters()]
        default = QPrinterInfo.defaultPrinterName()
        self.printer_a4 = QComboBox(page)
        self.printer_roll = QComboBox(page)
        for box in (self.printer_a4, self.printer_roll):
            box.addItem(NO_PRINTER, "")
            for name in names:
                box.addItem(name, name)
        if default in names:
            self.printer_a4.setCurrentIndex(names.index(default) + 1)
        self.test_a4 = QPushButton("打印 A4 测试页", page)
        self.test_roll = QPushButton("打印票据测试页", page)
        self.test_a4.clicked.connect(lambda: self.print_test_page("a4"))
        self.test_roll.clicked.connect(lambda: self.print_test_page("roll80"))
        for label, box, button in (("A4 打印机", self.printer_a4, self.test_a4),
                                   ("80 毫米票据打印机", self.printer_roll, self.test_roll)):
            row = QHBoxLayout()
            row.addWidget(QLabel(label, page))
            row.addWidget(box, 1)
            row.addWidget(button)
            layout.addLayout(row)
        self.message = QLabel("", page)
        self.message.setObjectName("errorLabel")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.addPage(page)
        self.resize(720, 520)

    # ----- the enrolment
    def load_enrolment(self, path: str) -> None:
        from desktop.core.services import read_enrolment

        try:
            url, pem = read_enrolment(path)
        except Exception as e:  # noqa: BLE001 - a BadInput with its Chinese message
            self.show_message(getattr(e, "message", str(e)))
            return
        self.central_url.setText(url)
        self.ca_pem.setPlainText(pem)
        self.show_message("")

    def _pick_enrolment(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "导入接入文件", "", "接入文件 (*.json);;所有文件 (*)")
        if path:
            self.load_enrolment(path)

    def _pick_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "选择 CA 证书", "", "证书 (*.pem *.crt);;所有文件 (*)")
        if path:
            self.ca_pem.setPlainText(Path(path).read_text(encoding="utf-8", errors="replace"))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.error = text

    # ----- test pages
    def print_test_page(self, paper: str) -> str:
        """Print a test page on the chosen printer; returns what was said to the clerk."""
        from desktop.core.services import test_page_pdf
        from desktop.ui.printing import render_pdf_to_printer

        box = self.printer_a4 if paper == "a4" else self.printer_roll
        name = box.currentData() or ""
        info = QPrinterInfo.printerInfo(name) if name else QPrinterInfo()
        if not name or info.isNull():
            self.show_message("未选择打印机，或系统中找不到它：请先安装打印机，再选择")
            return self.error
        with tempfile.TemporaryDirectory() as tmp:
            pdf = Path(tmp) / "test.pdf"
            pdf.write_bytes(test_page_pdf(paper, centre_name=self.centre_name.text(), printer=name))
            try:
                printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
                printer.setDocName("一窗测试页")
                render_pdf_to_printer(pdf, printer)
            except Exception as e:  # noqa: BLE001
                self.show_message(f"测试页未能打印：{e}")
                return self.error
        self.show_message(f"测试页已发送到“{name}”，请查看打印效果")
        return self.error

    # ----- finishing
    def values(self):
        from desktop.core.services import FirstRun

        return FirstRun(
            centre_code=self.centre_code.text().strip(), window_no=self.window_no.text().strip(),
            centre_name=self.centre_name.text().strip(), centre_type=self.centre_type.currentData(),
            admin_login=self.admin_login.text().strip(), admin_name=self.admin_name.text().strip(),
            admin_staff_no=self.admin_staff_no.text().strip(), admin_password=self.admin_password.text(),
            central_url=self.central_url.text().strip(), ca_pem=self.ca_pem.toPlainText().strip(),
            printer_a4=self.printer_a4.currentData() or "", printer_roll=self.printer_roll.currentData() or "")

    def accept(self) -> None:
        """完成: checked here, set up off the GUI thread; the wizard closes when it is done."""
        if self.admin_password.text() != self.admin_password2.text():
            self.show_message("两次输入的管理员密码不一致")
            return
        run = self.values()
        self.button(QWizard.WizardButton.FinishButton).setEnabled(False)
        self.show_message("正在设置本窗口…")

        def work() -> None:
            from desktop.core.services import first_run_set_up

            try:
                self._done.finished.emit(first_run_set_up(self.home, run), None)
            except Exception as e:  # noqa: BLE001 - shown on the page
                self._done.finished.emit("", e)

        threading.Thread(target=work, name="first-run", daemon=True).start()

    def _finished(self, link_message, error) -> None:
        self.button(QWizard.WizardButton.FinishButton).setEnabled(True)
        if error is not None:
            self.show_message(getattr(error, "message", None) or f"设置失败：{error}")
            return
        self.link_message = link_message or ""
        self.done_ok = True
        super().accept()
