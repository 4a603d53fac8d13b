"""A spin box for a numeric setting, limited to its one rule (`app.settings_rules`): the
Settings dialog's General and Gestures pages make theirs with it."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox

from app.settings_rules import bounds


def rule_spin(value: float, key: str, step: float, name: str, decimals: int = 2
              ) -> QDoubleSpinBox:
    """A spin box for the setting `key`, limited to its one rule (app.settings_rules)."""
    box = QDoubleSpinBox()
    box.setRange(*bounds(key, decimals))
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setValue(value)
    box.setAccessibleName(name)
    return box
