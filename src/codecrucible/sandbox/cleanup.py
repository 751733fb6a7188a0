"""Removing what a candidate left in its work directory, whatever shape it has.

``shutil.rmtree`` recurses once per level, holds a descriptor per level and builds paths, so
a tree 2,000 levels deep (a ``mkdir``/``chdir`` loop) makes it raise RecursionError, run out
of descriptors or outgrow PATH_MAX. Here one directory descriptor is open at a time, the walk
keeps a stack of names instead of recursing, and symbolic links are never followed (a link
is removed, never entered). Clean-up must never decide a job's fate: these functions return
what could not be removed instead of raising.

They run after every process of the job was killed, so nothing moves the tree meanwhile;
going back up through ``..`` is still checked against the directory that was entered.
"""

from __future__ import annotations

import os

_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def remove_tree(path: str) -> str | None:
    """Remove ``path`` and everything under it: None, or why something is left."""
    try:
        top = os.open(path, _DIR)
    except FileNotFoundError:
        return None
    except OSError:
        return _unlink(None, path)  # a file or a link where a directory was
    problem = _empty(top)
    try:
        os.rmdir(path)
    except OSError as err:
        problem = problem or f"{path}: {err.strerror}"
    return problem


def empty_dir(path: str) -> str | None:
    """Remove everything under ``path``, keeping ``path`` itself (and its mode)."""
    try:
        top = os.open(path, _DIR)
    except OSError as err:
        return f"{path}: {err.strerror}"
    return _empty(top)


def _empty(fd: int) -> str | None:
    """Empty the directory open as ``fd`` (and close it), depth first."""
    problem = None
    levels: list[tuple[str, list[str], tuple[int, int]]] = []  # name, parent's dirs, parent
    subdirs, problem = _clear_files(fd, problem)
    identity = _identity(fd)
    try:
        while True:
            if subdirs:
                name = subdirs.pop()
                child = _open_dir(fd, name)
                if child is None:
                    problem = _unlink(fd, name) or problem
                    continue
                levels.append((name, subdirs, identity))
                os.close(fd)
                fd = child
                try:
                    os.fchmod(fd, 0o700)  # a candidate that made it unwritable owns it
                except OSError:
                    pass
                subdirs, problem = _clear_files(fd, problem)
                identity = _identity(fd)
                continue
            if not levels:
                return problem
            name, subdirs, identity = levels.pop()
            parent = os.open("..", _DIR, dir_fd=fd)
            os.close(fd)
            fd = parent
            if _identity(fd) != identity:
                return "the work directory changed during clean-up"
            try:
                os.rmdir(name, dir_fd=fd)
            except OSError as err:
                problem = problem or f"{name!r}: {err.strerror}"
    except OSError as err:
        return f"clean-up stopped: {err.strerror}"
    finally:
        os.close(fd)


def _clear_files(fd: int, problem: str | None) -> tuple[list[str], str | None]:
    """Unlink every entry of ``fd`` that is not a directory; the directories' names."""
    subdirs = []
    try:
        with os.scandir(fd) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    subdirs.append(entry.name)
                else:
                    problem = _unlink(fd, entry.name) or problem
    except OSError as err:
        problem = problem or f"cannot list a directory: {err.strerror}"
    return subdirs, problem


def _open_dir(fd: int, name: str) -> int | None:
    try:
        return os.open(name, _DIR, dir_fd=fd)
    except PermissionError:
        pass
    except OSError:
        return None
    try:  # without root: a directory the candidate made unreadable (it is the same uid's)
        os.chmod(name, 0o700, dir_fd=fd)
        return os.open(name, _DIR, dir_fd=fd)
    except OSError:
        return None


def _unlink(fd: int | None, name: str) -> str | None:
    try:
        try:
            os.unlink(name, dir_fd=fd)
        except IsADirectoryError:
            os.rmdir(name, dir_fd=fd)
    except FileNotFoundError:
        pass
    except OSError as err:
        return f"{name!r}: {err.strerror}"
    return None


def _identity(fd: int) -> tuple[int, int]:
    stat = os.fstat(fd)
    return stat.st_dev, stat.st_ino
