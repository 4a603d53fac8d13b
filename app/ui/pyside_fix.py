"""Work around a reference-count bug of PySide6 6.12.0 on CPython 3.11.

Every call of a PySide6 method that returns nothing (`QLabel.setText`, `QPainter.fillRect`,
`QColor.setAlpha`, ...) releases one reference to `None` that it never took. CPython 3.12+
made `None` immortal, so there it is harmless; on 3.11 `None` starts with ~5,000 references
and the app aborts ("Fatal Python error: none_dealloc: deallocating None") after a few
seconds of painting. The booth soak (benchmarks/soak_booth.py) found the same for `True`
and `False` ("bool_dealloc: deallocating True or False" after ~1 minute at full speed, a
few hours in a real booth). PySide6 6.12.0 is the only version the package index here
offers, so until the project moves to Python >= 3.12 (or a fixed PySide6), we give `None`,
`True` and `False` a huge reference count once at start: 2**40 spare references outlast
any session by far.
"""

from __future__ import annotations

import ctypes
import sys

_SPARE = 1 << 40


def none_is_mortal() -> bool:
    """True on interpreters where `None` is reference-counted (CPython before 3.12)."""
    return sys.implementation.name == "cpython" and sys.version_info < (3, 12)


def keep_none_alive() -> bool:
    """Top up the reference counts of None, True and False (idempotent); True when it was
    needed here."""
    if not none_is_mortal():
        return False
    # ob_refcnt is the first field of every object in CPython's release builds.
    for immortal in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(immortal))
        if refcnt.value < _SPARE // 2:
            refcnt.value += _SPARE
    return True
