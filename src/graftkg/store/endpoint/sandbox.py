"""What a query worker process may do: no new sockets, bounded memory, gone with its parent.

Three Linux kernel features, applied by the worker to itself before it opens the store:

* a seccomp filter that makes ``socket(2)`` fail with ``EACCES``: the worker can use the pipes it was
  started with and nothing else, so no query (``SERVICE``) and no update (``LOAD``) can reach the
  network, whatever the SPARQL parser in front of it thought the text said;
* ``RLIMIT_DATA``: the heap (private writable memory) is capped, so a sort or a join that grows without
  bound makes the worker abort instead of the machine swap (the store's files, mapped read-only, do
  not count);
* ``PR_SET_PDEATHSIG``: the kernel kills the worker when the thread that started it ends, so a server
  killed outright (``SIGKILL``) leaves no worker behind holding the store.

Where the kernel or the architecture does not offer seccomp, :func:`deny_sockets` returns ``False``
and the server says so at start; the SPARQL check (:mod:`graftkg.store.endpoint.guard`) still refuses
``SERVICE`` and ``LOAD``.
"""

from __future__ import annotations

import ctypes
import platform
import resource
import signal
import struct
import sys

# <linux/audit.h> architectures and the number of socket(2) on each (the only call the filter denies)
_ARCHES = {
    "x86_64": (0xC000003E, 41),
    "aarch64": (0xC00000B7, 198),
}
_X32_BIT = 0x40000000  # x86-64's x32 ABI numbers: refused wholesale (no x32 code runs here)
_PR_SET_PDEATHSIG = 1
_PR_SET_SECCOMP = 22
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL = 0
_EACCES = 13
_EPERM = 1
# classic BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _filter(arch: int, socket_nr: int, x32: bool) -> bytes:
    def op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    program = [
        op(_LD_W_ABS, 4),  # seccomp_data.arch
        op(_JEQ_K, arch, 1, 0),
        op(_RET_K, _RET_KILL),  # another ABI than the one this filter was written for
        op(_LD_W_ABS, 0),  # seccomp_data.nr
    ]
    if x32:
        program += [op(_JGE_K, _X32_BIT, 0, 1), op(_RET_K, _RET_ERRNO | _EPERM)]
    program += [
        op(_JEQ_K, socket_nr, 0, 1),
        op(_RET_K, _RET_ERRNO | _EACCES),
        op(_RET_K, _RET_ALLOW),
    ]
    return b"".join(program)


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def deny_sockets() -> bool:
    """Make every later ``socket(2)`` call of this process fail; ``False`` where that is not possible.

    Irreversible for the process and the children it starts. Run it in a worker, never in a server.

    Example (in a child, since it cannot be undone)::

        >>> import subprocess, sys
        >>> code = "from graftkg.store.endpoint.sandbox import deny_sockets as d; import socket; d(); socket.socket()"
        >>> done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        >>> done.returncode != 0 and "Permission denied" in done.stderr
        True
    """
    known = _ARCHES.get(platform.machine())
    libc = _libc()
    if known is None or libc is None:
        return False
    code = _filter(known[0], known[1], x32=platform.machine() == "x86_64")
    buffer = ctypes.create_string_buffer(code)
    program = _Program(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return bool(libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) == 0)


def cap_memory(megabytes: float) -> None:
    """Cap this process's heap (``RLIMIT_DATA``) at ``megabytes``: beyond it, allocations fail.

    Example:
        >>> import subprocess, sys
        >>> code = "from graftkg.store.endpoint.sandbox import cap_memory as c; c(200); b = bytearray(400 << 20)"
        >>> subprocess.run([sys.executable, "-c", code], capture_output=True).returncode != 0
        True
    """
    limit = int(megabytes * 1024 * 1024)
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def die_with_parent() -> None:
    """Ask the kernel to kill this process when the thread that started it ends (Linux; else nothing).

    Example:
        >>> die_with_parent() is None
        True
    """
    libc = _libc()
    if libc is not None:
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


__all__ = ["cap_memory", "deny_sockets", "die_with_parent"]
