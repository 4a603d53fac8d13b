"""Booth mode in the window: full screen, locked, an attract screen, a reset per visitor.

`BoothMode` attaches to a `MainWindow` (`--kiosk` or `booth.enabled`). While locked, the
menu bar is hidden, every action and the file button are disabled and closing the window
is refused, so a visitor can reach no menu or dialog; the operator shortcut
(`OPERATOR_KEY`) asks for `booth.pin` and unlocks them until pressed again. A notice says
that nothing is recorded. The Qt-free pieces do the deciding: `VisitorTracker` (arrivals,
departures, the attract screen), `Watchdog` (restart a stalled or stopped pipeline) and
`BoothSummary` (the daily counts and the booth log). On a departure the window resets the
smoothing, the guided check and the music, so the next visitor starts fresh.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QInputDialog,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.booth.summary import BoothSummary
from app.booth.visitors import VisitorTracker
from app.booth.watchdog import Watchdog
from app.config import AppConfig, data_dir

OPERATOR_KEY = "Ctrl+Alt+Shift+O"
NOTICE = ("Nothing is recorded: the camera picture is analysed on this computer and "
          "forgotten at once. No photos, no names, nothing leaves the booth.")
ATTRACT = ("Step up and make a face!\n\nEmotune reads your expression and plays music "
           "to match it.\nSmile, look surprised, frown…")


class AttractOverlay(QWidget):
    """Covers the video while nobody is there; clicks pass through to nothing."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("attract")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("QWidget#attract { background: rgba(10, 20, 40, 215); }"
                           "QLabel { color: white; background: transparent; }")
        self.text = QLabel(ATTRACT)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text.setWordWrap(True)
        font = self.text.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        self.text.setFont(font)
        self.text.setAccessibleName("Welcome")
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        parent.installEventFilter(self)
        self.setGeometry(parent.rect())

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(obj.rect())
        return False


class BoothMode(QObject):
    def __init__(self, window, config: AppConfig, folder: Path | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 ask_pin: Callable[[], str | None] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.cfg = config.booth
        self.clock = clock
        self.ask_pin = ask_pin or self._ask_pin
        self.folder = folder or data_dir() / "booth"
        self.summary = BoothSummary(self.folder)
        now = clock()
        self.tracker = VisitorTracker(self.cfg, now)
        self.watchdog = Watchdog(self.cfg.watchdog_stall_s, now)
        self.locked = False
        self.resets = 0
        self._camera_broken = False
        self.notice = QLabel(NOTICE)
        self.notice.setObjectName("booth-notice")
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Privacy notice")
        self.notice.setStyleSheet("QLabel#booth-notice { font-weight: bold; padding: 4px; }")
        window.centralWidget().layout().insertWidget(0, self.notice)
        self.attract = AttractOverlay(window.video)
        self.operator = QAction("Operator panel", window)
        self.operator.setShortcut(QKeySequence(OPERATOR_KEY))
        self.operator.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.operator.triggered.connect(self.toggle_operator)
        window.addAction(self.operator)
        window.frame_booked.connect(self.on_result)
        window.pipeline_stopped.connect(self.on_stopped)
        window.source_status.connect(self.on_source_status)
        window.installEventFilter(self)
        self.timer = QTimer(self)
        self.timer.setInterval(500)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.lock(True)
        self.attract.show()

    # -- locking --------------------------------------------------------------------------
    def lock(self, locked: bool) -> None:
        """Locked: no menu, no action, no file dialog, no closing; unlocked: all back."""
        self.locked = locked
        w = self.window
        w.menuBar().setVisible(not locked)
        for action in w.actions.values():
            action.setEnabled(not locked)
        w.video.files_allowed = not locked
        w.video.open_button.setVisible(False)
        for button in (w.confusion.png_button, w.confusion.csv_button):  # file dialogs
            button.setVisible(not locked)
        # QMainWindow's right-click menu (hide the music dock) is a menu a visitor could open
        w.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu if locked else
                               Qt.ContextMenuPolicy.DefaultContextMenu)
        dock: QDockWidget = w.music_dock
        dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures if locked else
                         QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)

    def toggle_operator(self) -> None:
        if not self.locked:
            self.lock(True)
            return
        if not self.cfg.pin:
            self.window.statusBar().showMessage(
                "The operator panel needs booth.pin (4-12 digits) in settings.toml", 8000)
            return
        entered = self.ask_pin()
        if entered is not None and hmac.compare_digest(entered.encode(), self.cfg.pin.encode()):
            self.lock(False)
        else:
            self.summary.fault("operator", "a wrong operator PIN was entered")

    def _ask_pin(self) -> str | None:
        text, ok = QInputDialog.getText(self.window, "Operator", "PIN:",
                                        QLineEdit.EchoMode.Password)
        return text if ok else None

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt override)
        if obj is self.window and event.type() == QEvent.Type.Close and self.locked \
                and not getattr(self.window, "force_close", False):
            event.ignore()  # Alt+F4 by a visitor
            return True
        return False

    # -- visitors, watchdog ---------------------------------------------------------------
    def on_result(self, result) -> None:
        now = self.clock()
        self.watchdog.frame(now)
        self.summary.frame()
        face = result.primary is not None
        self._handle(self.tracker.update(face, now))
        self.attract.setVisible(self.tracker.attract(now))

    def tick(self) -> None:
        now = self.clock()
        self._handle(self.tracker.tick(now))
        self.attract.setVisible(self.tracker.attract(now))
        why = self.watchdog.check(now)
        if why is not None:
            self.summary.fault("watchdog", why, restarted=True)
            self.window.start_pipeline()

    def _handle(self, event) -> None:
        if event is None or event.kind != "left":
            return
        self.summary.visitor_left(event.visit_s)
        self.reset_for_next_visitor()

    def reset_for_next_visitor(self) -> None:
        """Smoothing, guided check and music back to the start (no state carried over)."""
        self.resets += 1
        self.window.reset_visitor_state()
        self.window.statusBar().showMessage(
            "Visitor left: expression smoothing, check and music reset for the next one "
            "(nothing kept).", 8000)

    def on_stopped(self, message: str) -> None:
        self.watchdog.failed(message)
        self.summary.fault("pipeline", message)

    def on_source_status(self, text: str) -> None:
        if text and not self._camera_broken:  # once per outage, not once per retry
            self.summary.fault("camera", text.split(". Reconnecting")[0])
        self._camera_broken = bool(text)

    def close(self) -> None:
        self.timer.stop()
        if self.summary.stopped_by is None:
            self.summary.stop("quit")
        else:
            self.summary.flush()

    def stop_on_signal(self, why: str) -> None:
        """SIGTERM / SIGINT (app.booth.stopping): the summary first, then a clean quit."""
        self.summary.stop(why)
        self.window.force_close = True  # the lock refuses a visitor's Alt+F4, not this
        self.window.close()
        QApplication.quit()
