"""The Qt gateway (Anki's aqt.qt): the one place the UI names the Qt binding it runs on.

UI modules import Qt names from here, so a change of binding or a version shim touches one file.
"""

# ruff: noqa: F401, F403
from PySide6.QtCore import *
from PySide6.QtGui import *
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import *
from PySide6.QtWidgets import *
