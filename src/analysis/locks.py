"""One writer at a time: an OS lock (``fcntl.flock``) on ``.<name>.lock`` beside a folder, released by the
kernel when the holder dies (even by SIGKILL). A second writer stops at once with one line naming the
process that holds it. A file of that name that is not a lock of ours is refused, never truncated.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import fcntl
import json
import os
from pathlib import Path

from analysis.errors import ParameterError
from analysis.paths import display_path


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_lock_text(text: str) -> bool:
    """Empty (created, not yet written) or the JSON a holder writes: {"pid": ..., "started": ...}."""
    if not text.strip():
        return True
    try:
        info = json.loads(text)
    except ValueError:
        return False
    return isinstance(info, dict) and set(info) == {"pid", "started"}


class RunLock:
    """An exclusive OS lock on ``.<name>.lock`` beside a run folder, holding the owner's pid.

    ``flock`` locks are released by the kernel when the process ends however it ends, so a killed
    run never leaves a lock that blocks the next one. The file is removed on release; a waiter that
    opened the removed file notices (its inode is no longer the path's) and tries again.
    """

    def __init__(self, out: Path):
        self.path = out.with_name(f".{out.name}.lock")
        self.out = out
        self.fd: int | None = None

    def _open(self) -> int:
        """Open the lock file without following a link; a file of that name that is not a lock
        file of ours (a user's file, a link) is refused, never truncated or removed."""
        flags = os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW
        try:
            return os.open(self.path, flags | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pass
        try:
            fd = os.open(self.path, flags)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
                raise self._not_ours() from None
            raise
        st = os.fstat(fd)
        text = os.pread(fd, 4097, 0).decode("utf-8", "replace")
        if not _is_lock_text(text) or not (st.st_mode & 0o170000 == 0o100000):
            os.close(fd)
            raise self._not_ours()
        return fd

    def _not_ours(self) -> ParameterError:
        return ParameterError(
            f"{display_path(self.path)} exists and is not a lock file of this toolkit; "
            "move it away first (nothing was touched)"
        )

    def acquire(self) -> RunLock:
        """Take the lock or stop at once with one line naming the process that holds it."""
        for _ in range(50):
            try:
                fd = self._open()
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                holder = os.pread(fd, 4096, 0).decode("utf-8", "replace")
                os.close(fd)
                try:
                    info = json.loads(holder)
                    who = f"process {info['pid']} (started {info['started']})"
                except (ValueError, KeyError, TypeError):
                    who = "another process"
                raise ParameterError(
                    f"{display_path(self.out)} is being written by {who}; wait for it to finish "
                    "or choose another --out"
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:  # the holder removed the file between our open and our lock
                os.close(fd)
                continue
            started = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
            with contextlib.suppress(OSError):  # who holds it is information, not a condition
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps({"pid": os.getpid(), "started": started}).encode(), 0)
            self.fd = fd
            return self
        raise ParameterError(f"cannot lock {display_path(self.path)}")

    def release(self) -> None:
        """Release the lock and remove the lock file if this process still holds it."""
        if self.fd is None:
            return
        try:  # remove only the file this process holds locked
            same = os.fstat(self.fd).st_ino == os.stat(self.path, follow_symlinks=False).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            os.close(self.fd)
            self.fd = None
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.close(self.fd)
        self.fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
