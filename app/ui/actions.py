"""Every window action with its keyboard shortcut, in menus (which show the shortcuts), and
a Help > Keyboard shortcuts list generated from the same table, so the two never drift."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

# (key, menu, text, shortcut, what it does, handler name on the window or one of its
# parts (see `handler_of`), checkable)
ACTIONS = (
    ("open_file", "&File", "Open &video file…", "Ctrl+O", "Play a video file", "open_video_file",
     False),
    ("open_folder", "&File", "Open image &folder…", "Ctrl+Shift+O", "Play a folder of images",
     "open_image_folder", False),
    ("camera", "&File", "Use the &camera", "Ctrl+K", "Switch back to the configured camera",
     "use_camera", False),
    ("settings", "&File", "&Settings…", "Ctrl+,", "Camera, models, smoothing, theme",
     "open_settings", False),
    ("quit", "&File", "&Quit", "Ctrl+Q", "Close Emotune", "close", False),
    ("pause", "&Video", "&Pause / resume", "F5", "Stop or restart capture and recognition",
     "toggle_pause", True),
    ("unpin", "&Video", "&Unpin face", "Esc", "The largest face drives the app again", "unpin",
     False),
    ("members", "&View", "Compare CNN_&1 / CNN_2", "Ctrl+M",
     "Show each member model's bars beside the fused ones", "toggle_members", True),
    ("contrast", "&View", "&High contrast, large text", "Ctrl+Shift+H",
     "Switch the high-contrast theme on or off", "toggle_contrast", True),
    ("fullscreen", "&View", "&Full screen", "F11", "Full screen on or off", "toggle_fullscreen",
     True),
    ("check_start", "&Check", "&Start / repeat check", "Ctrl+G",
     "Ask for each expression in turn and fill the confusion matrix", "start_check", False),
    ("check_reset", "&Check", "&Reset check", "Ctrl+R", "Stop the check and clear the counts",
     "reset_check", False),
    ("calibrate", "&Check", "&Calibrate (make a profile)…", "Ctrl+Shift+G",
     "Record the guided check for the expressions you choose and fit a personal profile",
     "start_calibration", False),
    ("calibrate_face", "&Check", "Calibrate &face gestures…", "Ctrl+Alt+G",
     "Rest your face, then make each chosen gesture: thresholds from your own face",
     "start_face_calibration", False),
    ("export_png", "&Check", "Export matrix as &PNG…", "Ctrl+E", "Save the matrix as an image",
     "export_png", False),
    ("export_csv", "&Check", "Export counts as &CSV…", "Ctrl+Shift+E", "Save the counts",
     "export_csv", False),
    ("play_pause", "&Music", "&Play / pause", "Ctrl+P", "Play or pause the music",
     "music_play_pause", False),
    ("next", "&Music", "&Next track", "Ctrl+Right", "Skip to the next track", "music_next",
     False),
    ("previous", "&Music", "P&revious track", "Ctrl+Left", "Back to the previous track",
     "music_previous", False),
    ("volume_up", "&Music", "Volume &up", "Ctrl+Up", "Louder", "music_volume_up", False),
    ("volume_down", "&Music", "Volume &down", "Ctrl+Down", "Quieter", "music_volume_down",
     False),
    ("lock", "&Music", "&Lock music", "Ctrl+L", "Expressions do not switch the music",
     "music_toggle_lock", True),
    ("pause_all", "&Music", "Pause &all gestures", "Ctrl+Shift+P",
     "Lock or unlock every expression-driven action (a profile sets its own key)",
     "pause_all_gestures", False),
    ("shortcuts", "&Help", "&Keyboard shortcuts", "F1", "List every shortcut", "show_shortcuts",
     False),
)


def shortcut_table(actions: dict[str, QAction] | None = None) -> list[tuple[str, str, str]]:
    """(shortcut, action, what it does) for every action; with the window's `actions`, the
    shortcut each has now (a profile's pause-all key replaces the default)."""
    def key_of(name: str, default: str) -> QKeySequence:
        return actions[name].shortcut() if actions and name in actions else \
            QKeySequence(default)

    return [(key_of(name, key).toString(QKeySequence.SequenceFormat.NativeText),
             text.replace("&", "").rstrip("…"), what)
            for name, _, text, key, what, _, _ in ACTIONS]


def handler_of(window, name: str):
    """The window's method `name`, or else that of the first of its parts (`window.parts`:
    the small objects it is composed of) that has one."""
    for owner in (window, *getattr(window, "parts", ())):
        target = getattr(owner, name, None)
        if callable(target):
            return target
    raise AttributeError(f"no handler {name!r} on the window or its parts")


def build_actions(window) -> dict[str, QAction]:
    """Create the actions on `window`'s menu bar, connected to its handler methods."""
    menus: dict[str, object] = {}
    actions: dict[str, QAction] = {}
    for key, menu, text, shortcut, what, handler, checkable in ACTIONS:
        if menu not in menus:
            menus[menu] = window.menuBar().addMenu(menu)
        action = QAction(text, window)
        action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(f"{what} ({shortcut})")
        action.setToolTip(f"{what} ({shortcut})")
        action.setCheckable(checkable)
        target = handler_of(window, handler)
        if checkable:
            action.toggled.connect(lambda on, f=target: f(on))
        else:
            action.triggered.connect(lambda _=False, f=target: f())
        menus[menu].addAction(action)
        window.addAction(action)  # shortcuts work while the menu bar is hidden (full screen)
        actions[key] = action
    return actions


def _window_actions(parent) -> dict[str, QAction] | None:
    actions = getattr(parent, "actions", None)  # the window's dict (a widget's is a method)
    return actions if isinstance(actions, dict) else None


def show_shortcuts(parent) -> None:
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{a}</td><td>{w}</td></tr>"
                   for k, a, w in shortcut_table(_window_actions(parent)))
    box = QMessageBox(parent)
    box.setWindowTitle("Keyboard shortcuts")
    box.setAccessibleName("Keyboard shortcuts")
    box.setText(f"<table cellspacing=6>{rows}</table>"
                "<p>Tab moves between panels and buttons; Space or Enter presses a button.</p>")
    box.exec()
