"""The desktop window and its panels (Qt). Importing it applies the PySide6 work-around
in `pyside_fix` before any Qt call can run."""

from app.ui.pyside_fix import keep_none_alive

keep_none_alive()
