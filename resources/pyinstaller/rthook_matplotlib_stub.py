"""PyInstaller runtime hook: a placeholder `matplotlib` so mediapipe imports without it.

`mediapipe.tasks.python.vision` imports its drawing utilities, which import
`matplotlib.pyplot` at module level, although the face detector never draws. Shipping
matplotlib (with PIL, fontTools, kiwisolver, ...) costs about 50 MB and, frozen, a font
cache build on first start. The bundle leaves it out (bundle_plan.EXCLUDES) and this hook
puts an empty module in its place; using any of its attributes raises an AttributeError
that says why. It does nothing when a real matplotlib is importable.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from collections.abc import Callable, MutableMapping

STUBBED = ("matplotlib", "matplotlib.pyplot")


class _Placeholder(types.ModuleType):
    def __getattr__(self, attr: str):
        raise AttributeError(
            f"{self.__name__}.{attr}: matplotlib is not part of the Emotune bundle (only "
            "mediapipe's unused drawing utilities import it); run from source to plot")


def install_matplotlib_stub(modules: MutableMapping[str, types.ModuleType] = sys.modules,
                            find_spec: Callable = importlib.util.find_spec) -> bool:
    """Put placeholders for STUBBED into `modules` unless matplotlib is there; True if done."""
    if "matplotlib" in modules or find_spec("matplotlib") is not None:
        return False
    for name in STUBBED:
        module = _Placeholder(name)
        module.__path__ = []  # a package, so `import matplotlib.pyplot` resolves
        modules[name] = module
    modules["matplotlib"].pyplot = modules["matplotlib.pyplot"]
    return True


if getattr(sys, "frozen", False):  # only inside the bundle; importing it in tests is inert
    install_matplotlib_stub()
