"""The user's profiles folder: list, save, load, rename, export, import and remove.

Profiles live in `<user data>/profiles/<name>.emoprofile.npz` (app.config.data_dir):
nothing is written anywhere else unless the user exports. Every write goes through
`save_profile` (temp file + rename), so a crash never leaves half a profile; an import is
read and checked before it is copied in. `resolve` turns the `--profile NAME|PATH` of the
commands into a file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from app.config import data_dir
from app.profiles.profile import (
    SUFFIX,
    Profile,
    ProfileError,
    load_profile,
    safe_name,
    save_profile,
)


def profiles_dir() -> Path:
    return data_dir() / "profiles"


class ProfileStore:
    """The profiles of one folder (default: the user's)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else profiles_dir()

    def path_for(self, name: str) -> Path:
        return self.root / f"{safe_name(name)}{SUFFIX}"

    def names(self) -> list[str]:
        """Profile names (the name inside each readable file), sorted."""
        out = []
        for path in sorted(self.root.glob(f"*{SUFFIX}")) if self.root.is_dir() else []:
            try:
                out.append(load_profile(path).name)
            except ProfileError:
                continue  # a damaged file is not offered; `load` names the problem
        return sorted(out, key=str.lower)

    def save(self, profile: Profile, overwrite: bool = True) -> Path:
        path = self.path_for(profile.name)
        if path.exists() and not overwrite:
            raise ProfileError(f"a profile named {profile.name!r} exists; choose another "
                               "name or replace it")
        return save_profile(profile, path)

    def load(self, name: str) -> Profile:
        return load_profile(self.path_for(name))

    def rename(self, old: str, new: str) -> Path:
        profile = self.load(old)
        if self.path_for(new).exists() and self.path_for(new) != self.path_for(old):
            raise ProfileError(f"a profile named {new!r} exists; choose another name")
        path = self.save(dataclasses.replace(profile, name=new))
        if self.path_for(old) != path:
            self.path_for(old).unlink()
        return path

    def remove(self, name: str) -> None:
        path = self.path_for(name)
        if not path.exists():
            raise ProfileError(f"no profile named {name!r} in {self.root}")
        path.unlink()

    def export(self, name: str, dest: str | Path) -> Path:
        """Copy a profile out (the user chose `dest`; a folder gets the file's own name)."""
        src = self.path_for(name)
        if not src.exists():
            raise ProfileError(f"no profile named {name!r} in {self.root}")
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / src.name
        return save_profile(load_profile(src), dest)

    def import_file(self, src: str | Path, overwrite: bool = False) -> Profile:
        """Read and check a profile file, then store it under its own name."""
        profile = load_profile(src)
        self.save(profile, overwrite=overwrite)
        return profile

    def resolve(self, name_or_path: str) -> Path:
        """`--profile NAME|PATH`: an existing file path, else a stored profile's name."""
        as_path = Path(name_or_path).expanduser()
        if as_path.is_file():
            return as_path
        path = self.path_for(name_or_path)
        if path.is_file():
            return path
        raise ProfileError(f"no profile {name_or_path!r}: not a file, and not one of the "
                           f"profiles in {self.root} ({', '.join(self.names()) or 'none'})")


__all__ = ["ProfileStore", "profiles_dir"]
