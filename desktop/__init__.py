"""Yichuang (一窗): the comprehensive-window intake client."""

__version__ = "0.1.0"
