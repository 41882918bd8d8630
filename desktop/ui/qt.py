"""The Qt gateway (Anki's aqt.qt): the one place the UI names the Qt binding it runs on.

UI modules import Qt names from here, so a change of binding or a version shim touches one file.

Names are resolved on first use (PEP 562) rather than star-imported: `from PySide6.QtWidgets import *`
makes the binding build every type it wraps (~700 names in the four modules), about 16 MB resident (10 MB
of heap), most of them types the client never uses. A name resolves as the old star imports did: the
last module that has it wins.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for type checkers and editors
    # ruff: noqa: F401, F403
    from PySide6.QtCore import *
    from PySide6.QtGui import *
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtPrintSupport import *
    from PySide6.QtWidgets import *

# searched in this order: the reverse of the star imports this replaces, so the same module wins a name
_MODULES = ("PySide6.QtWidgets", "PySide6.QtPrintSupport", "PySide6.QtGui", "PySide6.QtCore")
_ELSEWHERE = {"QPdfDocument": "PySide6.QtPdf"}


def __getattr__(name: str) -> Any:  # noqa: ANN401 - any Qt name
    if name.startswith("__"):
        raise AttributeError(name)
    for module in (_ELSEWHERE[name],) if name in _ELSEWHERE else _MODULES:
        found = getattr(import_module(module), name, _ELSEWHERE)
        if found is not _ELSEWHERE:
            globals()[name] = found
            return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
