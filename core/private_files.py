"""The data folder holds PHI (the store, the workbook's backups, outboxes of messages to
patients): only the account that runs clinicops may open it.

Everything clinicops creates there is made private from the first byte: folders 700,
files 600, whatever the process's umask (a file made readable and then narrowed has
already been readable). Modes that are already looser, from before or from someone's
``chmod``, are not changed behind the owner's back: :func:`loose_modes` names them, and
``status`` and ``sync`` say so.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import IO

DIR_MODE = 0o700
FILE_MODE = 0o600
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def make_dir(path: Path) -> Path:
    """Create a folder (and missing parents) readable by its owner only; an existing one is left as it is."""
    path = Path(path)
    if not path.is_dir():
        path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path, DIR_MODE)  # mkdir's mode passes through the umask
    return path


def create_file(path: Path) -> Path:
    """Create an empty file readable by its owner only, unless it exists already."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    return Path(path)


def open_append(path: Path) -> IO[str]:
    """A text file to append lines to, created 600 if new."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    return os.fdopen(fd, "a", encoding="utf-8")


def replace_text(path: Path, text: str) -> None:
    """Give ``path`` its whole new ``text`` at once: written to a file beside it (600 from its first
    byte), then moved into place, so a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def loose_modes(data_dir: Path) -> list[str]:
    """One sentence per folder or file in ``data_dir`` that other accounts can open."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        return []
    found: list[tuple[Path, int]] = []
    for path in [data_dir, *sorted(data_dir.rglob("*"))]:
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue
        if (stat.S_ISDIR(mode) or stat.S_ISREG(mode)) and mode & _OTHERS:
            found.append((path, stat.S_IMODE(mode)))
    return [
        f"{_shown(path, data_dir)} can be opened by other accounts on this computer (mode {mode:o}); "
        f"run: chmod {DIR_MODE if path.is_dir() else FILE_MODE:o} '{path}'"
        for path, mode in found
    ]


def _shown(path: Path, data_dir: Path) -> str:
    return data_dir.name if path == data_dir else f"{data_dir.name}/{path.relative_to(data_dir).as_posix()}"
