"""The scanner's folder (setting `scan_folder`): most window scanners and 高拍仪 software save each scan as a
file in a folder. A QFileSystemWatcher notices each new file there; the intake window offers it to attach to
the current case's material (the attach goes through services.attach_scan, as from a file)."""

from __future__ import annotations

from pathlib import Path

from desktop.ui.qt import QFileSystemWatcher, QObject, QTimer, Signal

SCAN_SUFFIXES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


class ScanWatcher(QObject):
    """Emits `new_scan(path)` once for every scan file that appears in `folder` after it started watching
    (files already there are not offered). A file still being written is offered once its size holds still."""

    new_scan = Signal(str)

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = Path(folder)
        self.seen: set[str] = set(self._files())
        self._sizes: dict[str, int] = {}
        self.watcher = QFileSystemWatcher([str(self.folder)], self)
        self.watcher.directoryChanged.connect(lambda _p: self._settle.start())
        self._settle = QTimer(self)  # scanners write in pieces: look again shortly after the last change
        self._settle.setSingleShot(True)
        self._settle.setInterval(300)
        self._settle.timeout.connect(self.scan)

    def _files(self) -> list[str]:
        try:
            return sorted(str(p) for p in self.folder.iterdir()
                          if p.is_file() and p.suffix.lower() in SCAN_SUFFIXES and not p.name.startswith("."))
        except OSError:
            return []

    def scan(self) -> None:
        """Offer each new, complete file (its size unchanged since the last look)."""
        growing = False
        for name in self._files():
            if name in self.seen:
                continue
            size = Path(name).stat().st_size
            if size == 0 or self._sizes.get(name) != size:
                self._sizes[name] = size
                growing = True
                continue
            self.seen.add(name)
            self._sizes.pop(name, None)
            self.new_scan.emit(name)
        if growing:
            self._settle.start()


class ScanFolderIntake:
    """A mixin of MainWindow: `self` has services, clerk, last_result, supplement_record, open_attach."""

    scan_watcher: ScanWatcher | None = None
    pending_scans: list[str]

    def start_scan_folder(self) -> bool:
        folder = self.services.setting("scan_folder")
        self.pending_scans = []
        if not folder or not Path(folder).is_dir():
            return False
        self.scan_watcher = ScanWatcher(Path(folder), self)
        self.scan_watcher.new_scan.connect(self.offer_scan)
        return True

    def current_case_no(self) -> str:
        """The case a scan belongs to: the one in 补正, else the last one taken here ('' for none)."""
        if self.supplement_record is not None:
            return self.supplement_record.case_no
        return self.last_result.case_no if self.last_result is not None else ""

    def offer_scan(self, path: str) -> None:
        """A new scan: the attach dialog opens with it (case filled in); more wait their turn."""
        self.pending_scans.append(path)
        if len(self.pending_scans) == 1:
            self._offer_next_scan()

    def _offer_next_scan(self) -> None:
        if not self.pending_scans:
            return
        path = self.pending_scans[0]
        dialog = self.open_attach(case_no=self.current_case_no(), file=path)

        def done(_result) -> None:
            self.pending_scans.pop(0)
            QTimer.singleShot(0, self._offer_next_scan)

        dialog.finished.connect(done)
        self.status.set_activity(f"扫描件待附加：{Path(path).name}")
