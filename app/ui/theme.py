"""Themes: light, dark and a high-contrast large-text theme, as one palette per theme.

Panels paint with `Theme` colours instead of literals, so the high-contrast theme reaches
the bars, boxes and matrix too, not only the Qt widgets (which get a style sheet).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication

from app.paths import resources_dir


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    panel: str
    text: str
    muted: str
    accent: str  # primary face, fused bars, focus
    member1: str  # CNN_1 bars
    member2: str  # CNN_2 bars
    box: str  # other faces
    cell_low: str  # confusion colour scale, 0 -> 1
    cell_high: str
    warning: str
    font_pt: int
    line_px: int  # box and bar outline width

    def color(self, name: str, alpha: int = 255) -> QColor:
        c = QColor(getattr(self, name))
        c.setAlpha(alpha)
        return c

    def font(self, scale: float = 1.0, bold: bool = False) -> QFont:
        f = QFont()
        f.setPointSizeF(self.font_pt * scale)
        f.setBold(bold)
        return f


_THEMES = {
    "light": Theme("light", "#f4f5f7", "#ffffff", "#1d2430", "#5b6472", "#1f6feb",
                   "#e0892b", "#8a4fd0", "#f2f2f2", "#eef3fb", "#1f4fa8", "#b3261e", 10, 2),
    "dark": Theme("dark", "#1b1e24", "#252a32", "#e8ebf0", "#a4acb9", "#4aa3ff",
                  "#f0a04b", "#b68cff", "#dddddd", "#2a3140", "#4aa3ff", "#ff6b5e", 10, 2),
    "high-contrast": Theme("high-contrast", "#000000", "#000000", "#ffffff", "#ffff00",
                           "#00ffff", "#ffff00", "#ff80ff", "#ffffff", "#000000", "#00ffff",
                           "#ff5050", 15, 4),
}


def get_theme(name: str) -> Theme:
    """The named theme; an unknown name (an old settings file) falls back to light."""
    return _THEMES.get(name, _THEMES["light"])


def style_sheet(theme: Theme) -> str:
    focus = f"{theme.line_px}px solid {theme.accent}"
    # An indicator drawn by the style sheet, checked or not: with only a background rule,
    # Qt drew no box at all for an unchecked QCheckBox (issue #17).
    box, line = round(theme.font_pt * 1.3), max(1, theme.line_px // 2)
    return f"""
    QWidget {{ background: {theme.window}; color: {theme.text};
               font-size: {theme.font_pt}pt; }}
    QGroupBox, QDockWidget, QFrame#panel {{ background: {theme.panel}; }}
    QGroupBox {{ border: 1px solid {theme.muted}; margin-top: 1.2em; padding: 4px; }}
    QGroupBox::title {{ subcontrol-origin: margin; left: 8px; color: {theme.text}; }}
    QPushButton, QToolButton, QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit {{
        background: {theme.panel}; color: {theme.text}; border: 1px solid {theme.muted};
        padding: 3px 8px; border-radius: 3px; }}
    QPushButton:focus, QToolButton:focus, QComboBox:focus, QSpinBox:focus,
    QDoubleSpinBox:focus, QLineEdit:focus, QCheckBox:focus, QListWidget:focus {{
        border: {focus}; }}
    QPushButton:disabled {{ color: {theme.muted}; }}
    QStatusBar {{ background: {theme.panel}; color: {theme.text}; }}
    QMenuBar, QMenu {{ background: {theme.panel}; color: {theme.text}; }}
    QMenu::item:selected, QMenuBar::item:selected {{ background: {theme.accent};
        color: {theme.window}; }}
    QListWidget {{ background: {theme.panel}; color: {theme.text}; }}
    QLabel, QCheckBox {{ background: transparent; }}
    QCheckBox::indicator, QMenu::indicator {{ width: {box}px; height: {box}px;
        border: {line}px solid {theme.text}; background: {theme.panel}; border-radius: 2px; }}
    QCheckBox::indicator:checked, QMenu::indicator:checked {{ background: {theme.accent};
        border: {line}px solid {theme.text}; image: none; }}
    QCheckBox::indicator:disabled {{ border: {line}px solid {theme.muted}; }}
    QLabel#warning {{ color: {theme.warning}; font-weight: bold; }}
    {arrows(theme)}
    """


def arrows(theme: Theme) -> str:
    """Spin box steppers and the combo box arrow, drawn by the style sheet: once a spin
    box has a border rule Qt draws its buttons from the sheet too, and without these
    rules they were empty slivers with no arrow in every theme (issue #25). The arrows are
    small PNGs in the text colour under resources/ui (Qt cannot draw CSS triangles)."""
    button = round(theme.font_pt * 1.6)
    w, h = round(theme.font_pt * 1.0), round(theme.font_pt * 0.6)

    def image(direction: str, colour: str) -> str:
        path = resources_dir() / "ui" / f"arrow-{direction}-{colour.lstrip('#')}.png"
        return f"image: url({path.as_posix()}); width: {w}px; height: {h}px;"

    return f"""
    QSpinBox, QDoubleSpinBox {{ padding-right: {button + 2}px; }}
    QSpinBox::up-button, QDoubleSpinBox::up-button {{ subcontrol-origin: border;
        subcontrol-position: top right; width: {button}px;
        border-left: 1px solid {theme.muted}; background: {theme.panel}; }}
    QSpinBox::down-button, QDoubleSpinBox::down-button {{ subcontrol-origin: border;
        subcontrol-position: bottom right; width: {button}px;
        border-left: 1px solid {theme.muted}; background: {theme.panel}; }}
    QSpinBox::up-arrow, QDoubleSpinBox::up-arrow {{ {image("up", theme.text)} }}
    QSpinBox::down-arrow, QDoubleSpinBox::down-arrow {{ {image("down", theme.text)} }}
    QSpinBox::up-arrow:disabled, QDoubleSpinBox::up-arrow:disabled {{
        {image("up", theme.muted)} }}
    QSpinBox::down-arrow:disabled, QDoubleSpinBox::down-arrow:disabled {{
        {image("down", theme.muted)} }}
    QComboBox {{ padding-right: {button + 2}px; }}
    QComboBox::drop-down {{ subcontrol-origin: padding; subcontrol-position: top right;
        width: {button}px; border-left: 1px solid {theme.muted}; }}
    QComboBox::down-arrow {{ {image("down", theme.text)} }}
    {slider(theme)}
    """


def slider(theme: Theme) -> str:
    """The volume slider with a visible handle and empty part in every theme: in high
    contrast both were black on black, so the volume read as 100 % (issue #25)."""
    groove = max(6, theme.font_pt // 2)
    handle = round(theme.font_pt * 1.4)
    return f"""
    QSlider::groove:horizontal {{ height: {groove}px; background: {theme.panel};
        border: 1px solid {theme.muted}; border-radius: 2px; }}
    QSlider::sub-page:horizontal {{ background: {theme.accent};
        border: 1px solid {theme.muted}; border-radius: 2px; }}
    QSlider::add-page:horizontal {{ background: {theme.panel};
        border: 1px solid {theme.text}; border-radius: 2px; }}
    QSlider::handle:horizontal {{ background: {theme.text}; width: {handle // 2}px;
        margin: -{(handle - groove) // 2}px 0; border: 2px solid {theme.accent};
        border-radius: 3px; }}
    QSlider::handle:horizontal:focus {{ border: {theme.line_px}px solid {theme.accent}; }}
    """


def apply_theme(app: QApplication, name: str) -> Theme:
    theme = get_theme(name)
    app.setStyleSheet(style_sheet(theme))
    font = app.font()
    font.setPointSize(theme.font_pt)
    app.setFont(font)
    return theme
