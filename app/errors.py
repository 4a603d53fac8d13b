"""One error vocabulary for the window, the commands and the bundle.

Every failure a person can meet with a file (a model, a video, a picture, a profile, a
settings value) falls into one `Kind`. A `UserError` carries its kind, one short sentence
saying what is wrong and what to do, and an optional `detail` of our own words (which
label, which shape) for the window's "details" expander and the command line's second
line. A library's own text (PyTorch's `weights_only` advice, numpy's `allow_pickle`, an
ONNX Runtime status) is never shown: `from_exception` logs it at debug level to the
`emotune.errors` logger (booth.log in booth mode) and keeps only our sentence.

Map at the loading boundary: a loader (checkpoint, ONNX file, video, profile) catches what
its library raises and raises `UserError` (or a subclass such as `CheckpointError`) with
the kind. Exit codes are stable per kind so scripts can tell a missing file from a damaged
one; 1 stays "ran, but some input was skipped" and 2 argparse's "wrong arguments".

No Qt, no torch, no numpy: every layer may import this module.
"""

from __future__ import annotations

import errno
import logging
import os
from enum import Enum
from pathlib import Path

log = logging.getLogger("emotune.errors")
log.addHandler(logging.NullHandler())  # never Python's last-resort print to stderr
# Debug records pass to booth.log's handler (which has no level of its own) even though
# the "emotune" logger is at INFO there.
log.setLevel(logging.DEBUG)


class Kind(Enum):
    """What kind of fault; the value is the exit code a command returns for it."""

    MISSING = 3  # the file or folder is not there (or holds nothing usable)
    NOT_READABLE = 4  # there, but the system refuses to read it (permissions, I/O, a folder)
    DAMAGED = 5  # read, but the bytes are not what the name promises (truncated, random)
    OTHER_MODEL = 6  # a good file made for another model (architecture, labels, shapes)
    UNSUPPORTED = 7  # a format or version this Emotune does not read
    UNAVAILABLE = 8  # a device that is absent or busy (camera, CUDA, audio output)
    BAD_SETTING = 9  # a setting or argument value that cannot work
    UNEXPECTED = 10  # a fault of Emotune itself: the log has the traceback

    @property
    def exit_code(self) -> int:
        return self.value

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Kind.MISSING: "file missing",
    Kind.NOT_READABLE: "not readable",
    Kind.DAMAGED: "damaged file",
    Kind.OTHER_MODEL: "made for another model",
    Kind.UNSUPPORTED: "unsupported",
    Kind.UNAVAILABLE: "not available",
    Kind.BAD_SETTING: "setting cannot work",
    Kind.UNEXPECTED: "unexpected fault",
}

# Exit codes that are not a Kind, named so commands and docs use the same numbers.
EXIT_OK = 0
EXIT_PARTIAL = 1  # ran; some inputs were skipped or nothing was found
EXIT_USAGE = 2  # argparse: the command line itself is wrong


class UserError(Exception):
    """A fault a person can act on: `kind`, `sentence` (what is wrong, what to do) and an
    optional `detail` in our own words. `str()` gives the sentence and the detail."""

    def __init__(self, kind: Kind, sentence: str, detail: str = "") -> None:
        self.kind = kind
        self.sentence = sentence.strip()
        self.detail = detail.strip()
        super().__init__(self.text)

    @property
    def text(self) -> str:
        return f"{self.sentence} ({self.detail})" if self.detail else self.sentence

    @property
    def exit_code(self) -> int:
        return self.kind.exit_code


def file_name(path: str | os.PathLike) -> str:
    """A path as a person recognises it: the name, with the folder only when short."""
    text = str(path)
    return text if len(text) <= 60 else "…/" + Path(text).name


def kind_of_os_error(exc: BaseException) -> Kind:
    """The kind for an OSError (or any other exception: DAMAGED, because a reader that got
    the bytes and choked on them says the file is not what it claims)."""
    if isinstance(exc, FileNotFoundError):
        return Kind.MISSING
    if isinstance(exc, (PermissionError, IsADirectoryError)):
        return Kind.NOT_READABLE
    if isinstance(exc, OSError) and exc.errno in (errno.EIO, errno.EACCES, errno.EPERM,
                                                  errno.EISDIR, errno.ENXIO):
        return Kind.NOT_READABLE
    return Kind.DAMAGED


def model_file_error(path: str | os.PathLike, exc: BaseException | None = None, *,
                     role: str = "model", kind: Kind | None = None,
                     detail: str = "") -> UserError:
    """The error for a model file (checkpoint, int8 file, .onnx) that cannot be loaded: the
    library's exception is logged, never shown. `role` is how the user knows the file
    ("CNN_1 model", "face model"). Any loader can call this at its boundary."""
    if kind is None:
        kind = Kind.MISSING if not Path(path).exists() else \
            kind_of_os_error(exc) if exc is not None else Kind.DAMAGED
    if exc is not None:
        log.debug("%s %s: %s: %s", role, path, type(exc).__name__, exc, exc_info=exc)
    return UserError(kind, model_sentence(kind, role, path), detail)


def model_sentence(kind: Kind, role: str, path: str | os.PathLike) -> str:
    name = file_name(path)
    fix = "choose another file, or clear the path in Settings > Models to use the shipped one"
    return {
        Kind.MISSING: f"The {role} file {name} does not exist: correct the path, or clear "
                      "it in Settings > Models to use the shipped one.",
        Kind.NOT_READABLE: f"The {role} file {name} cannot be read (permission or disk "
                           f"fault): make it readable, or {fix}.",
        Kind.DAMAGED: f"The {role} file {name} is damaged or not a model file: {fix}.",
        Kind.OTHER_MODEL: f"The {role} file {name} was made for another model: {fix}.",
        Kind.UNSUPPORTED: f"The {role} file {name} is in a format this Emotune does not "
                          f"read: update Emotune, or {fix}.",
    }.get(kind, f"The {role} file {name} cannot be used: {fix}.")


def from_exception(exc: BaseException, what: str = "") -> UserError:
    """Any exception as a UserError: ours keep their words; a library's is logged at debug
    level and replaced by the sentence of its kind. `what` names the thing being done
    ("opening the video x.mp4") for the unexpected case, whose detail keeps the first line
    of the exception (at most 160 characters) for a bug report."""
    if isinstance(exc, UserError):
        return exc
    log.debug("%s: %s: %s", what or "error", type(exc).__name__, exc, exc_info=exc)
    filename = getattr(exc, "filename", None)
    if isinstance(exc, OSError) and filename:
        kind = kind_of_os_error(exc)
        name = file_name(filename)
        if kind is Kind.MISSING:
            return UserError(kind, f"{name} does not exist: check the path.")
        if kind is Kind.NOT_READABLE:
            return UserError(kind, f"{name} cannot be read (permission or disk fault): make "
                                   "it readable or choose another file.")
    doing = f" while {what}" if what else ""
    first = (str(exc).strip().splitlines() or [""])[0][:160]
    return UserError(Kind.UNEXPECTED, f"Emotune met an unexpected fault{doing}: please "
                     "report it with the log.", f"{type(exc).__name__}: {first}")


def message(err: UserError, *lead: str) -> str:
    """A UserError as the window's banner text: headline, then detail lines (`lead` first,
    e.g. "The recognition pipeline could not start.")."""
    return "\n".join([err.sentence, *lead, *([err.detail] if err.detail else [])])


def report(exc: BaseException, prog: str, what: str = "") -> int:
    """Print a fault for the command line (the sentence; the detail on a second line) and
    return its exit code. The raw exception is only logged."""
    import sys

    err = from_exception(exc, what)
    print(f"{prog}: {err.sentence}", file=sys.stderr)
    if err.detail:
        print(f"  details: {err.detail}", file=sys.stderr)
    return err.exit_code


__all__ = ["EXIT_OK", "EXIT_PARTIAL", "EXIT_USAGE", "Kind", "UserError", "file_name",
           "from_exception", "kind_of_os_error", "message", "model_file_error",
           "model_sentence", "report"]
