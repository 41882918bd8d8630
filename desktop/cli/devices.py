"""`yichuang idcard read`: the counter's ID card reader from the command line (no store needed)."""

from __future__ import annotations

import datetime as dt

from desktop.cli.common import _print_json
from desktop.core.devices.idcard import DEFAULT_BAUD, IdCardReader

BAUDS = (9600, 19200, 38400, 57600, 115200)


def cmd_idcard_read(args) -> int:
    """Print the card on the reader as JSON; exit 1 with a Chinese message when there is no reader, no
    card, or no whole answer in time."""
    with IdCardReader(args.port, baud=args.baud, timeout=args.timeout) as reader:
        card = reader.read_card()
    _print_json(card.as_json(today=dt.date.today()))
    return 0


def add_device_commands(sub, add) -> None:
    """Register `idcard read` on the main parser (`add` as in build_parser)."""
    idc = sub.add_parser("idcard", help="the second-generation ID card reader").add_subparsers(
        dest="sub", required=True)
    sp = add("read", cmd_idcard_read, "read the card on the reader and print its fields as JSON "
             "(photo_wlt: the photo block as received, base64)", idc)
    sp.add_argument("--port", required=True, help="the reader's serial port (COM3, /dev/ttyUSB0, ...)")
    sp.add_argument("--baud", type=int, default=DEFAULT_BAUD, choices=BAUDS)
    sp.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for each answer")
