"""A booth keeps its records on a plain stop: SIGTERM (a shutdown, `systemctl stop`) and
SIGINT (Ctrl+C) write the day's summary before the process ends (issue #25; before, only
a visitor leaving, a fault or the operator's quit wrote it, so a stop lost the day).

`install_stop_handlers(on_stop)` calls `on_stop("SIGTERM")` once, on the main thread,
the next time Python runs there (in the window a timer gives it the chance at least every
half second). A second signal while the first is handled falls back to the default
action, so a stuck booth can still be stopped. No Qt here.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def install_stop_handlers(on_stop: Callable[[str], None],
                          signals: tuple[signal.Signals, ...] = STOP_SIGNALS
                          ) -> dict[signal.Signals, object]:
    """Install the handlers; returns the previous ones (for `restore`)."""
    previous = {s: signal.getsignal(s) for s in signals}
    fired: list[str] = []

    def handler(signum, _frame) -> None:
        name = signal.Signals(signum).name
        if fired:  # the first stop is still being handled: be killable
            restore(previous)
            signal.raise_signal(signum)
            return
        fired.append(name)
        on_stop(name)

    for s in signals:
        signal.signal(s, handler)
    return previous


def restore(previous: dict[signal.Signals, object]) -> None:
    for s, h in previous.items():
        signal.signal(s, h if h is not None else signal.SIG_DFL)
