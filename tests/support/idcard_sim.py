"""An ID card reader simulator on a pseudo-terminal: it reads real command frames and answers as a SAM.

    with IdCardSim(card=sample_card()) as sim:
        IdCardReader(sim.port).read_card()

`card` None is an empty reader. Faults: `corrupt_replies` (the next N replies' checksums flipped),
`split_replies` (replies sent in pieces with pauses), `truncate_next` (the next reply stops half-way),
`slow_read` (seconds before a read is answered), `silent` (answers nothing), `status` ({(cmd, para): SW3}
to answer with). `commands` records every command received, `bad_commands` those with a wrong checksum.
"""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from dataclasses import dataclass

from desktop.core.devices.idcard import (
    FIND,
    READ_BASE,
    SELECT,
    TEXT_FIELDS,
    BadChecksum,
    encode_frame,
    take_frame,
)
from tests.support.ids import resident_id


@dataclass
class SimCard:
    name: str = "张三丰"
    sex: str = "1"
    nation: str = "01"
    birth: str = "19800101"
    address: str = "上海市徐汇区漕溪北路 1200 号"
    id_no: str = resident_id("31010419800101001")
    authority: str = "上海市公安局徐汇分局"
    valid_from: str = "20200101"
    valid_to: str = "20400101"
    photo: bytes = b"WL" + bytes(range(256)) * 4

    def text_block(self) -> bytes:
        out = b""
        for name, chars in TEXT_FIELDS:
            value = getattr(self, name, "")
            out += value.ljust(chars, " ")[:chars].encode("utf-16-le")
        return out

    def base_data(self) -> bytes:
        text, photo = self.text_block(), self.photo[:1024].ljust(1024, b"\0")
        return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo


def reply(sw3: int, data: bytes = b"") -> bytes:
    return encode_frame(bytes([0, 0, sw3]) + data)


class IdCardSim:
    def __init__(self, card: SimCard | None = None) -> None:
        self.card = card
        self.corrupt_replies = 0
        self.split_replies = False
        self.truncate_next = False
        self.slow_read = 0.0
        self.silent = False
        self.status: dict[tuple[int, int], int] = {}
        self.commands: list[tuple[int, int]] = []
        self.bad_commands = 0
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        tty.setraw(self._master)
        self.port = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="idcard-sim", daemon=True)

    def __enter__(self) -> IdCardSim:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    # ----- the device
    def _send(self, frame: bytes) -> None:
        if self.corrupt_replies > 0:
            self.corrupt_replies -= 1
            frame = frame[:-1] + bytes([frame[-1] ^ 0xFF])
        if self.truncate_next:
            self.truncate_next = False
            frame = frame[:len(frame) // 2]
        if self.split_replies:
            for i in range(0, len(frame), 7):
                os.write(self._master, frame[i:i + 7])
                time.sleep(0.01)
        else:
            os.write(self._master, frame)

    def _answer(self, cmd: tuple[int, int]) -> bytes | None:
        self.commands.append(cmd)
        if self.silent:
            return None
        if cmd in self.status:
            return reply(self.status[cmd])
        if cmd == FIND:
            return reply(0x9F, bytes(4)) if self.card is not None else reply(0x80)
        if cmd == SELECT:
            return reply(0x90, bytes(8)) if self.card is not None else reply(0x81)
        if cmd == READ_BASE:
            if self.card is None:
                return reply(0x41)
            if self.slow_read:
                self._stop.wait(self.slow_read)
            return reply(0x90, self.card.base_data())
        return reply(0x21)

    def _serve(self) -> None:
        buf = bytearray()
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                buf += os.read(self._master, 4096)
            except OSError:
                return
            while True:
                try:
                    body = take_frame(buf)
                except BadChecksum:
                    self.bad_commands += 1
                    self._send(reply(0x10))
                    continue
                if body is None:
                    break
                answer = self._answer((body[0], body[1]) if len(body) >= 2 else (0, 0))
                if answer is not None:
                    self._send(answer)
