"""The ID card reader against a simulated SAM on a pseudo-terminal: real frames, real faults."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import pytest

from desktop.cli import main
from desktop.core.devices import idcard
from desktop.core.devices.idcard import (
    FIND,
    READ_BASE,
    SELECT,
    IdCardError,
    IdCardReader,
    checksum,
    command,
    take_frame,
)
from tests.support.idcard_sim import IdCardSim, SimCard, reply
from tests.support.ids import resident_id


@pytest.fixture
def sim():
    with IdCardSim(SimCard()) as s:
        yield s


def test_frames_are_the_sam_format():
    assert command(FIND) == bytes.fromhex("AAAAAA96690003200122")
    assert command(SELECT) == bytes.fromhex("AAAAAA96690003200221")
    assert command(READ_BASE) == bytes.fromhex("AAAAAA96690003300132")
    frame = reply(0x9F, bytes(4))
    assert frame[5:7] == (8).to_bytes(2, "big") and frame[-1] == checksum(frame[5:-1])


def test_take_frame_skips_noise_and_waits_for_the_rest():
    whole = reply(0x90, b"abc")
    buf = bytearray(b"\x00\x55\xAA" + whole[:6])
    assert take_frame(buf) is None
    buf += whole[6:]
    assert take_frame(buf) == bytes([0, 0, 0x90]) + b"abc"
    assert buf == bytearray()
    bad = bytearray(whole[:-1] + bytes([whole[-1] ^ 1]))
    with pytest.raises(idcard.BadChecksum):
        take_frame(bad)


def test_reads_every_field(sim):
    with IdCardReader(sim.port) as reader:
        card = reader.read_card()
    assert sim.commands == [FIND, SELECT, READ_BASE]
    assert (card.name, card.sex, card.nation, card.birth) == ("张三丰", "男", "汉", "1980-01-01")
    assert card.address == "上海市徐汇区漕溪北路 1200 号"
    assert card.id_no == resident_id("31010419800101001")
    assert card.authority == "上海市公安局徐汇分局"
    assert (card.valid_from, card.valid_to) == ("2020-01-01", "2040-01-01")
    assert card.photo == SimCard().photo[:1024]  # kept exactly as received
    assert not card.expired(dt.date(2039, 12, 31)) and card.expired(dt.date(2040, 1, 2))


def test_long_term_card_and_other_nation(sim):
    sim.card = SimCard(name="阿依古丽", sex="2", nation="05", valid_to="长期")
    with IdCardReader(sim.port) as reader:
        card = reader.read_card()
    assert (card.name, card.sex, card.nation, card.valid_to) == ("阿依古丽", "女", "维吾尔", "长期")
    assert not card.expired(dt.date(2099, 1, 1))


def test_no_card(sim):
    sim.card = None
    with IdCardReader(sim.port) as reader:
        assert reader.poll() is None
        with pytest.raises(IdCardError) as e:
            reader.read_card()
    assert e.value.code == "E_IDCARD_NO_CARD" and "没有身份证" in e.value.message


def test_corrupted_reply_is_asked_again(sim):
    sim.corrupt_replies = 1
    with IdCardReader(sim.port) as reader:
        card = reader.read_card()
    assert card.name == "张三丰"
    assert sim.commands.count(FIND) == 2  # the corrupted answer was not trusted


def test_always_corrupted_replies_are_an_error(sim):
    sim.corrupt_replies = 100
    with IdCardReader(sim.port, retries=2) as reader, pytest.raises(IdCardError) as e:
        reader.read_card()
    assert e.value.code == "E_IDCARD_CHECKSUM" and "校验" in e.value.message
    assert sim.commands == [FIND] * 3


def test_a_corrupted_command_gets_the_checksum_status(sim):
    """The reader answers SW3 10 to a command whose checksum is wrong; the client says so."""
    bad = command(FIND)[:-1] + bytes([command(FIND)[-1] ^ 0x0F])
    fd = os.open(sim.port, os.O_RDWR | os.O_NOCTTY)
    try:
        os.write(fd, bad)
        deadline, buf = time.monotonic() + 3, bytearray()
        while time.monotonic() < deadline and (body := take_frame(buf)) is None:
            buf += os.read(fd, 64)
    finally:
        os.close(fd)
    assert body[2] == 0x10 and sim.bad_commands == 1 and sim.commands == []
    code, message = idcard.STATUS[0x10]
    assert code == "E_IDCARD_CHECKSUM" and "校验和错误" in message


def test_partial_frames_are_joined(sim):
    sim.split_replies = True
    with IdCardReader(sim.port) as reader:
        assert reader.read_card().name == "张三丰"


def test_a_reply_that_stops_half_way_times_out(sim):
    sim.truncate_next = True
    with IdCardReader(sim.port, timeout=0.5) as reader, pytest.raises(IdCardError) as e:
        reader.find_card()
    assert e.value.code == "E_IDCARD_TIMEOUT" and "未送完" in e.value.message


def test_slow_card_within_and_beyond_the_timeout(sim):
    sim.slow_read = 0.6
    with IdCardReader(sim.port, timeout=2.0) as reader:
        assert reader.read_card().name == "张三丰"
    sim.slow_read = 1.5
    with IdCardReader(sim.port, timeout=0.5) as reader:
        with pytest.raises(IdCardError) as e:
            reader.read_card()
        assert e.value.code == "E_IDCARD_TIMEOUT"
        time.sleep(1.2)  # the late answer arrives; the next read must not take it for its own
        sim.slow_read = 0
        assert reader.read_card().name == "张三丰"


def test_silent_port_and_sam_status_words(sim):
    sim.silent = True
    with IdCardReader(sim.port, timeout=0.3) as reader, pytest.raises(IdCardError) as e:
        reader.find_card()
    assert e.value.code == "E_IDCARD_TIMEOUT" and "无应答" in e.value.message
    sim.silent = False
    for sw3, code in ((0x31, "E_IDCARD_AUTH"), (0x41, "E_IDCARD_READ"), (0x66, "E_IDCARD_SAM"),
                      (0x77, "E_IDCARD_STATUS")):
        sim.status = {READ_BASE: sw3}
        with IdCardReader(sim.port) as reader, pytest.raises(IdCardError) as e:
            reader.read_card()
        assert e.value.code == code, sw3
    assert "77" in e.value.message


def test_photo_only_through_a_decoder(sim):
    with IdCardReader(sim.port) as reader:
        card = reader.read_card()
    idcard.set_photo_decoder(None)
    try:
        assert idcard.decode_photo(card) is None
        idcard.set_photo_decoder(lambda wlt: b"PNG:" + wlt[:2])
        assert idcard.decode_photo(card) == b"PNG:WL"
        assert card.as_json()["photo_decoder"] is True
    finally:
        idcard.set_photo_decoder(None)


def test_cli_prints_json_and_fails_in_chinese(sim, capsys):
    assert main(["idcard", "read", "--port", sim.port]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["name"] == "张三丰" and out["valid_to"] == "2040-01-01" and out["expired"] is False
    assert len(out["photo_wlt"]) > 1000
    sim.card = None
    assert main(["idcard", "read", "--port", sim.port]) == 1
    assert "没有身份证" in capsys.readouterr().err
    assert main(["idcard", "read", "--port", "/dev/no-such-reader"]) == 1
    assert "未找到身份证阅读器" in capsys.readouterr().err
    sim.silent = True
    assert main(["idcard", "read", "--port", sim.port, "--timeout", "0.3"]) == 1
    assert "超时" in capsys.readouterr().err
