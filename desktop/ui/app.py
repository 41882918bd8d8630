"""Start the window client: QApplication in zh_CN with the CJK font and style sheet, login, then the intake window."""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path

from desktop.core.config import RESOURCES
from desktop.ui.feedback import INTERNAL_ERROR, show_error
from desktop.ui.qt import (
    QApplication,
    QDialog,
    QFont,
    QFontDatabase,
    QLibraryInfo,
    QLocale,
    QTimer,
    QTranslator,
)

log = logging.getLogger("yichuang.ui")

STYLE_SHEET = RESOURCES / "style.qss"
UI_POINT_SIZE = 12
_KEEP: list[object] = []  # translators must outlive the application


def cjk_font_file() -> Path | None:
    """The CJK font file, found exactly as the PDF documents find theirs (same search order)."""
    from desktop.core.documents import cjk_font_path
    from desktop.core.errors import YichuangError

    try:
        return Path(cjk_font_path())
    except YichuangError:
        return None


def install_cjk_font(app: QApplication) -> str | None:
    """Register the CJK font with Qt and make it the application font; returns the family used."""
    path = cjk_font_file()
    if path is None:
        log.warning("no CJK font file found; relying on the system's fonts")
        return None
    font_id = QFontDatabase.addApplicationFont(str(path))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    family = next((f for f in families if "mono" not in f.lower()), families[0] if families else None)
    if family:
        font = QFont(family, UI_POINT_SIZE)
        font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
        app.setFont(font)
    return family


def install_translations(app: QApplication) -> bool:
    """Load qtbase_zh_CN.qm so standard buttons read 确定/取消; False if the file is not shipped."""
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load("qtbase_zh_CN", folder):
        app.installTranslator(translator)
        _KEEP.append(translator)
        return True
    return False


def load_style_sheet(app: QApplication) -> None:
    try:
        app.setStyleSheet(STYLE_SHEET.read_text(encoding="utf-8"))
    except OSError:
        log.warning("style sheet %s missing", STYLE_SHEET)


def create_application(argv: list[str]) -> QApplication:
    """The QApplication with language, font and style set (tests call this too)."""
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("一窗")
    app.setApplicationDisplayName("一窗 · 综合窗口受理")
    app.setOrganizationName("yichuang")
    install_translations(app)
    install_cjk_font(app)
    load_style_sheet(app)
    if app.findChild(QTimer, "bindingGuard") is None:
        from desktop.ui import binding_guard

        binding_guard.install(app)
    return app


def _setup_logging(home: Path) -> None:
    """The GUI's log, logs/gui.log in the data folder. A log that cannot be opened (a full disk, a `logs` that
    is no folder) never keeps the window from starting: the log goes to standard error instead. A write that
    fails later is reported there by logging itself and the window goes on."""
    if not home.is_dir() or logging.getLogger().handlers:
        return
    logs = home / "logs"
    problem = None
    try:
        logs.mkdir(exist_ok=True)
        handler: logging.Handler = logging.FileHandler(logs / "gui.log", encoding="utf-8")
    except OSError as e:
        handler, problem = logging.StreamHandler(), e
    logging.basicConfig(level=logging.INFO, handlers=[handler],
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if problem is not None:
        log.warning("cannot open the log file in %s (%s); logging to standard error", logs, problem)


def _excepthook(kind, value, tb) -> None:
    """An unexpected error is logged with its traceback; the clerk sees only a Chinese sentence."""
    log.error("uncaught exception:\n%s", "".join(traceback.format_exception(kind, value, tb)))
    show_error(None, INTERNAL_ERROR, "程序错误")


def _warm_imports() -> None:
    """Import the services layer (about 1-2 s: SQLAlchemy, pypinyin) while the clerk types the login."""
    try:
        import desktop.core.services  # noqa: F401
    except Exception:
        log.exception("warming the services import failed")


def start_daily_backup(home: Path) -> threading.Thread:
    """The daily backup, off the GUI thread with its own services: made when the newest is older than a day.
    A failure is logged (doctor reports a missing backup); the clerk's work never waits for it."""
    def run() -> None:
        from desktop.core.services import Services

        try:
            svc = Services(home)
            try:
                made = svc.backup_if_due()
            finally:
                svc.close()
            if made is not None:
                log.info("daily backup written to %s", made.path)
        except Exception as e:  # noqa: BLE001 - logged; the window goes on
            log.warning("daily backup failed: %s", getattr(e, "message", e))

    thread = threading.Thread(target=run, name="daily-backup", daemon=True)
    thread.start()
    return thread


def run_gui(home: Path, argv: list[str]) -> int:
    """Run the window client on the data folder `home` until the clerk quits; returns the exit code."""
    _setup_logging(home)
    app = create_application(argv)
    sys.excepthook = _excepthook

    from desktop.core.office import is_office_home

    if is_office_home(home):  # a department's data folder: the back office, not the intake window
        from desktop.ui.office.app import run_office

        return run_office(home, app)

    from desktop.core.firstrun import needs_first_run  # a light module: the services import is warmed later

    if needs_first_run(home):  # an empty data folder: the first-run wizard, then the login
        from desktop.ui.first_run import FirstRunWizard

        wizard = FirstRunWizard(home)
        if wizard.exec() != QDialog.DialogCode.Accepted or not wizard.done_ok:
            return 0
        if wizard.link_message:
            show_error(None, f"本窗口已设置好，但暂未连上中心：{wizard.link_message}。离线也可受理；"
                       "请稍后在 设置 中或用 yichuang sync --central 重新接入。", "接入中心")

    from desktop.ui.dialogs.login import LoginDialog

    def make_services():
        from desktop.core.services import Services

        return Services(home)

    dialog = LoginDialog(None, make_services)
    warm = threading.Thread(target=_warm_imports, name="warm-imports", daemon=True)
    warm.start()
    poll = QTimer(dialog)

    def services_ready() -> None:  # open the store once the imports are warm, without freezing the dialog
        if not warm.is_alive():
            poll.stop()
            dialog.load_services_later()

    poll.timeout.connect(services_ready)
    poll.start(50)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.clerk is None:
        return 0
    services = dialog.services
    from desktop.ui.main_window import MainWindow

    window = MainWindow(services, dialog.clerk, start_of_day=True)
    window.showMaximized()
    start_daily_backup(home)
    try:
        return app.exec()
    finally:
        services.close()
