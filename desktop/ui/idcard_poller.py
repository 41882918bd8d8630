"""The ID card reader, polled on its own thread: the GUI thread never waits for the serial port.

`card_placed(IdCard)` when a card is placed (once per placing: a card left on the reader is not read into
the form again), `card_removed()` when it is taken away, `state(text)` when the reader's state changes
(就绪, or the Chinese reason it cannot be used). The signals are queued to the GUI thread.
"""

from __future__ import annotations

import threading

from desktop.core.devices.idcard import IdCardError, IdCardReader
from desktop.ui.qt import QThread, Signal

READY = "读卡器就绪"


class IdCardPoller(QThread):
    card_placed = Signal(object)
    card_removed = Signal()
    state = Signal(str)

    def __init__(self, port: str, baud: int, interval: float = 0.5, timeout: float = 2.0, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("yichuang-idcard")
        self.port, self.baud, self.interval, self.timeout = port, baud, interval, timeout
        self._stop = threading.Event()
        self._last_state = ""
        self._last_card = None

    def stop(self, wait_ms: int = 5000) -> None:
        self._stop.set()
        self.wait(wait_ms)

    def _say(self, text: str) -> None:
        if text != self._last_state:
            self._last_state = text
            self.state.emit(text)

    def run(self) -> None:  # on the poller's thread: no widget is touched here
        reader: IdCardReader | None = None
        try:
            while not self._stop.is_set():
                try:
                    if reader is None:
                        reader = IdCardReader(self.port, self.baud, timeout=self.timeout).open()
                    card = reader.poll()
                except IdCardError as e:
                    if e.code == "E_IDCARD_NO_CARD":  # taken away between find and select
                        card = None
                    else:
                        if e.code in ("E_IDCARD_NO_READER", "E_IDCARD_TIMEOUT") and reader is not None:
                            reader.close()  # open it again next time (a reader plugged back in)
                            reader = None
                        self._say(e.message)
                        self._stop.wait(self.interval * 4)
                        continue
                self._say(READY)
                key = None if card is None else (card.id_no, card.name, card.valid_to)
                if key != self._last_card:
                    self._last_card = key
                    if card is None:
                        self.card_removed.emit()
                    else:
                        self.card_placed.emit(card)
                self._stop.wait(self.interval)
        finally:
            if reader is not None:
                reader.close()
