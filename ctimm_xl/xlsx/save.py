"""Write a package atomically, after checking that nobody else has the file open.

The new package is written to a temporary file in the destination's folder
and moved over the destination with `os.replace`, so a crash or a kill leaves
either the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import OutputError
from .merge import MergeResult
from .package import Package

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

# A fixed timestamp for parts the tool adds, so that the same input always
# gives the same bytes (the bundled workbook is compared with a fresh build).
_NEW_PART_TIME = (1980, 1, 1, 0, 0, 0)
LOCK_WAIT_SECONDS = 30.0


def office_lock_files(path: Path) -> list[Path]:
    """Return the lock files that Excel or LibreOffice keep beside an open workbook."""
    name = path.name
    candidates = [
        path.with_name("~$" + name),
        path.with_name("~$" + name[2:]) if len(name) > 2 else None,
        path.with_name(".~lock." + name + "#"),
    ]
    return [c for c in candidates if c is not None and c.exists()]


def check_not_open(path: Path) -> None:
    """Raise an OutputError if `path` is a folder or Excel or LibreOffice has it open."""
    if path.is_dir():
        raise OutputError(
            f"{path}: is a folder, not a workbook file. Pass the path of an .xlsx "
            "or .xlsm file, and give -o a file name."
        )
    locks = office_lock_files(path)
    if locks:
        raise OutputError(
            f"{path}: the workbook is open in Excel or LibreOffice (lock file "
            f"{locks[0].name} found). Close it there and run again; if nobody has "
            "it open, delete that lock file."
        )


@contextlib.contextmanager
def exclusive(path: Path, wait: float = LOCK_WAIT_SECONDS) -> Iterator[None]:
    """Hold an advisory lock on `path` so two ctimm runs do not update it at once.

    The lock is taken on the file itself. Because a finished run replaces the
    file, a waiting run checks after locking that the path still names the
    file it locked, and locks again if not.
    """
    if fcntl is None or not path.is_file():
        # NOTE: on Windows no lock is taken; Excel's own lock file is still checked.
        # Nothing else can be locked, and a folder is rejected by check_not_open.
        yield
        return
    deadline = time.monotonic() + wait
    while True:
        handle = path.open("rb")
        try:
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() > deadline:
                        raise OutputError(
                            f"{path}: another ctimm run has been updating this "
                            f"workbook for over {wait:.0f} s. Wait for it to "
                            "finish and run again."
                        ) from None
                    time.sleep(0.1)
            try:
                same = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
            except FileNotFoundError:
                same = False
            if same:
                yield
                return
        finally:
            handle.close()


def write_package(
    merged: MergeResult,
    original: Package,
    destination: Path,
    backup: Path | None = None,
) -> None:
    """Write `merged` to `destination`, first copying the current file to `backup`.

    A SIGINT or SIGTERM (which the CLI turns into KeyboardInterrupt) stops the
    write and removes the temporary file; the destination is left as it was.
    """
    temporary: Path | None = None
    try:
        # The name must be known before the file exists, or an interrupt right
        # after creating it would leave a file that nothing removes.
        with _interrupts_deferred():
            handle = _create_temporary(destination)
            temporary = Path(handle.name)
        with handle:
            _write_zip(handle, merged, original)
            handle.flush()
            os.fsync(handle.fileno())
        if backup is not None:
            _copy_backup(original.path, backup)
        _keep_mode(destination, temporary)
        os.replace(temporary, destination)
    except OSError as exc:
        raise OutputError(
            f"{destination}: writing failed ({exc.strerror or exc}); the original "
            "file is unchanged. Check the free space and permissions, then run again."
        ) from None
    finally:
        if temporary is not None and temporary.exists():
            temporary.unlink()


def _create_temporary(destination: Path):
    folder = destination.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(
            dir=folder, prefix=".~ctimm-", suffix=destination.suffix, delete=False
        )
    except OSError as exc:
        raise OutputError(
            f"{destination}: cannot write to the folder {folder} ({exc.strerror}). "
            "Choose another output with -o, or fix the folder's permissions."
        ) from None


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block ends (POSIX only).

    An exception raised while zipfile has an entry open leaves the ZipFile
    unable to close (ValueError), which would hide the interrupt. Blocked
    signals stay pending and are handled as soon as the block ends.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _write_zip(handle, merged: MergeResult, original: Package) -> None:
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in merged.order:
            old = original.infos.get(name)
            info = zipfile.ZipInfo(
                name, date_time=old.date_time if old else _NEW_PART_TIME
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            if old is not None:
                info.external_attr = old.external_attr
            # An interrupt waits for the current part (at most
            # limits.MAX_PART_BYTES) and then stops the write between parts.
            with _interrupts_deferred():
                archive.writestr(info, merged.parts[name])


def _copy_backup(source: Path, backup: Path) -> None:
    temporary = backup.with_name(".~ctimm-" + backup.name)
    try:
        shutil.copy2(source, temporary)
        os.replace(temporary, backup)
    finally:
        # Reached with the copy still in place only when copying failed or a
        # signal interrupted it.
        if temporary.exists():
            temporary.unlink()


def _keep_mode(destination: Path, temporary: Path) -> None:
    # mkstemp creates the file readable by its owner only; keep the mode the
    # user's file had (or the usual one for a new file).
    try:
        mode = destination.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)


def backup_path(path: Path) -> Path:
    """`assessment.xlsx` → `assessment.bak.xlsx`."""
    return path.with_name(f"{path.stem}.bak{path.suffix}")
