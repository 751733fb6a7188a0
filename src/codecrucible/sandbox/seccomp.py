"""A seccomp-BPF filter assembled by hand, built once in the fork server.

Denied: every ``socket()`` (EACCES; ``socketpair`` stays allowed), leaving the process group or
session (``setsid``/``setpgid``), namespaces (``unshare``, ``setns``, ``clone`` with CLONE_NEW*),
``clone3`` (ENOSYS, so libc falls back to ``clone`` whose flags the filter can read), ``ptrace``
and cross-process memory access, mounts, ``bpf``, ``perf_event_open``, ``userfaultfd``,
``io_uring``, keyrings, kexec and kernel modules, SysV IPC and message queues, and changing
file modes, owners, times or extended attributes. x32 syscalls and foreign architectures are
killed. Only x86_64 has a syscall table here; elsewhere ``build_filter`` returns None and the
missing layer is reported.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000
_RET_ALLOW, _RET_KILL_PROCESS, _RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
_CLONE_NEW_MASK = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 \
    | 0x20000000 | 0x40000000

_X86_64 = {
    "socket": 41, "clone": 56, "clone3": 435,
    "denied": {
        "ptrace": 101, "setpgid": 109, "setsid": 112, "chroot": 161, "acct": 163, "mount": 165,
        "umount2": 166, "swapon": 167, "swapoff": 168, "reboot": 169, "pivot_root": 155,
        "iopl": 172, "ioperm": 173, "init_module": 175, "delete_module": 176,
        "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
        "perf_event_open": 298, "setns": 308, "process_vm_readv": 310,
        "process_vm_writev": 311, "finit_module": 313, "kexec_file_load": 320, "bpf": 321,
        "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
        "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
        # SysV IPC and POSIX message queues: shared state that outlives the run
        "shmget": 29, "shmat": 30, "shmctl": 31, "semget": 64, "semop": 65, "semctl": 66,
        "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "semtimedop": 220,
        "mq_open": 240, "mq_unlink": 241,
        # file metadata, which Landlock does not cover: modes, owners, times, xattrs
        "chmod": 90, "fchmod": 91, "chown": 92, "fchown": 93, "lchown": 94, "utime": 132,
        "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190, "removexattr": 197,
        "lremovexattr": 198, "fremovexattr": 199, "utimes": 235, "fchownat": 260,
        "futimesat": 261, "fchmodat": 268, "utimensat": 280, "fchmodat2": 452,
    },
}

_libc = ctypes.CDLL(None, use_errno=True)


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _ins(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def build_filter() -> _Program | None:
    """Assemble the BPF program; None when this architecture has no table here."""
    if platform.machine() != "x86_64":
        return None
    table = _X86_64
    deny = _RET_ERRNO | errno.EPERM
    code = [
        _ins(_LD_W_ABS, _OFF_ARCH),
        _ins(_JEQ_K, _AUDIT_ARCH_X86_64, jt=1),
        _ins(_RET_K, _RET_KILL_PROCESS),
        _ins(_LD_W_ABS, _OFF_NR),
        _ins(_JGE_K, _X32_BIT, jf=1),
        _ins(_RET_K, _RET_KILL_PROCESS),
        _ins(_JEQ_K, table["socket"], jf=1),
        _ins(_RET_K, _RET_ERRNO | errno.EACCES),
        _ins(_JEQ_K, table["clone3"], jf=1),
        _ins(_RET_K, _RET_ERRNO | errno.ENOSYS),
    ]
    for number in sorted(table["denied"].values()):
        code += [_ins(_JEQ_K, number, jf=1), _ins(_RET_K, deny)]
    code += [
        _ins(_JEQ_K, table["clone"], jf=4),
        _ins(_LD_W_ABS, _OFF_ARG0),
        _ins(_JSET_K, _CLONE_NEW_MASK, jf=1),
        _ins(_RET_K, deny),
        _ins(_RET_K, _RET_ALLOW),
        _ins(_RET_K, _RET_ALLOW),
    ]
    buffer = ctypes.create_string_buffer(b"".join(code))
    program = _Program(len(code), ctypes.addressof(buffer))
    program._buffer = buffer  # keep the instructions alive as long as the program
    return program


def set_no_new_privs() -> None:
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")


def load(program: _Program) -> None:
    """Install the filter on the calling thread (no_new_privs must already be set)."""
    if _libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
