"""The egress guard: a server process connects only to its allow-listed SERVICE endpoints
(wall 2 of two; wall 1, what a request may reach, is :mod:`budgetkg.server.reach`).

Wall 1 reads each query with rdflib, the engine with its own parser: should they ever read
a query differently, the engine could still call an endpoint that wall 1 did not see.  This
wall does not read queries at all.  It is a seccomp filter, loaded into every thread of a
server process (libseccomp, called through ctypes; ``TSYNC``), that hands each ``connect()``
and each ``sendto()`` with a destination to a thread of the same process (seccomp user
notification).  That thread reads the address from the caller's memory and lets the call
go on (``SECCOMP_USER_NOTIF_FLAG_CONTINUE``) only for a local socket (``AF_UNIX``, netlink)
or an IP address and port of an ``--allow-service`` endpoint (host names resolved when the
process starts, and then the nameservers of /etc/resolv.conf on port 53); any other call
fails with ``ECONNREFUSED``, which the engine reports as a failed SERVICE.  Sending with TCP
Fast Open (a connection without ``connect()``) is refused outright, and so is io_uring,
whose requests no seccomp filter sees.

The guard trusts the process it guards: the address is read and then used by the kernel,
so code running in the process could change it in between.  What it stops is the engine
being talked into a connection by a query, not code that an attacker already runs.

It is installed in the server processes of ``budgetkg serve`` only (not in a test's process
or in ``serve --get``).  Where the kernel or libseccomp cannot do it (not Linux, no
libseccomp, a kernel before 5.7), the server runs without it and says so once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import ipaddress
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["unavailable", "destinations", "install", "guard", "warn_if_unavailable"]

Address = tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]

_ACT_ALLOW = 0x7FFF0000
_ACT_NOTIFY = 0x7FC00000
_FLTATR_CTL_TSYNC = 4
_CMP_NE, _CMP_MASKED_EQ = 1, 7
_NOTIF_FLAG_CONTINUE = 1
_MSG_FASTOPEN = 0x20000000
# libseccomp's API level 6: user notification together with TSYNC (kernel 5.7 and later).
_API_NOTIFY_TSYNC = 6
_AF_NETLINK = 16
# Refused connections printed to stderr, at most, by each server process.
_REPORTED_AT_MOST = 20


def _act_errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class _Data(ctypes.Structure):
    _fields_ = [
        ("nr", ctypes.c_int),
        ("arch", ctypes.c_uint32),
        ("instruction_pointer", ctypes.c_uint64),
        ("args", ctypes.c_uint64 * 6),
    ]


class _Notif(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint64), ("pid", ctypes.c_uint32), ("flags", ctypes.c_uint32), ("data", _Data)]


class _Resp(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint64), ("val", ctypes.c_int64), ("error", ctypes.c_int32), ("flags", ctypes.c_uint32)]


class _ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def _library() -> ctypes.CDLL:
    """libseccomp, with the signatures this module calls.

    :raises OSError: when it cannot be loaded.
    """
    lib = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    lib.seccomp_api_get.restype = ctypes.c_uint
    lib.seccomp_init.argtypes, lib.seccomp_init.restype = [ctypes.c_uint32], ctypes.c_void_p
    lib.seccomp_release.argtypes, lib.seccomp_release.restype = [ctypes.c_void_p], None
    lib.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_ArgCmp),
    ]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    lib.seccomp_notify_fd.argtypes = [ctypes.c_void_p]
    lib.seccomp_notify_receive.argtypes = [ctypes.c_int, ctypes.POINTER(_Notif)]
    lib.seccomp_notify_respond.argtypes = [ctypes.c_int, ctypes.POINTER(_Resp)]
    lib.seccomp_notify_id_valid.argtypes = [ctypes.c_int, ctypes.c_uint64]
    return lib


def unavailable() -> str | None:
    """Why the guard cannot be installed on this machine; None when it can."""
    if not sys.platform.startswith("linux"):
        return f"seccomp is Linux's, and this is {sys.platform}"
    try:
        lib = _library()
    except (OSError, AttributeError) as exc:
        return f"libseccomp (libseccomp.so.2, Debian's libseccomp2) cannot be loaded: {exc}"
    level = lib.seccomp_api_get()
    if level < _API_NOTIFY_TSYNC:
        return (
            f"the kernel or libseccomp cannot hand a whole process's connections to a thread (libseccomp API "
            f"level {level}, {_API_NOTIFY_TSYNC} needed: Linux 5.7 and libseccomp 2.5)"
        )
    if not os.access("/proc/self/mem", os.R_OK):
        return "/proc is not mounted, so a connection's address cannot be read"
    return None


def _nameservers() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    try:
        lines = Path("/etc/resolv.conf").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            try:
                found.add(_plain(ipaddress.ip_address(fields[1].split("%")[0])))
            except ValueError:
                continue
    return found


def _plain(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IPv4 address written as IPv6 (``::ffff:a.b.c.d``) as the IPv4 address it is."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def destinations(endpoints: Iterable[str]) -> tuple[frozenset[Address], list[str]]:
    """The (IP address, port) pairs the endpoints' URLs name, with what could not be resolved.

    A host name is resolved now, and then the nameservers of /etc/resolv.conf are reachable
    on port 53 too, so that the engine can resolve it again.
    """
    allowed: set[Address] = set()
    problems: list[str] = []
    resolved_names = False
    for url in endpoints:
        try:
            parts = urlsplit(url)
            port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
        except ValueError as exc:
            problems.append(f"{url}: {exc}")
            continue
        host = parts.hostname
        if not host or port is None:
            problems.append(f"{url}: not an http or https URL with a host")
            continue
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            resolved_names = True
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as exc:  # UnicodeError: a label IDNA cannot encode
                problems.append(f"{url}: {host} cannot be resolved ({exc})")
                continue
            addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        allowed.update((_plain(ip), port) for ip in addresses)
    if resolved_names:
        allowed.update((ip, 53) for ip in _nameservers())
    return frozenset(allowed), problems


def _read(pid: int, address: int, size: int) -> bytes | None:
    """``size`` bytes at ``address`` in the memory of thread ``pid``; None when they cannot be read.

    Read through /proc rather than dereferenced: a bad pointer in a call is then an error
    here, not a crash of the process.
    """
    try:
        fd = os.open(f"/proc/{pid}/mem", os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.pread(fd, size, address)
    except (OSError, OverflowError, ValueError):
        return None
    finally:
        os.close(fd)


def _destination(raw: bytes) -> Address | str | None:
    """The address of a sockaddr: (IP, port) for IPv4 and IPv6, "local" for a socket that
    cannot leave the machine, None for anything else or too short."""
    if len(raw) < 2:
        return None
    family = int.from_bytes(raw[:2], sys.byteorder)
    if family in (socket.AF_UNIX, socket.AF_UNSPEC, _AF_NETLINK):
        return "local"
    if family == socket.AF_INET and len(raw) >= 8:
        return ipaddress.IPv4Address(raw[4:8]), int.from_bytes(raw[2:4], "big")
    if family == socket.AF_INET6 and len(raw) >= 24:
        return _plain(ipaddress.IPv6Address(raw[8:24])), int.from_bytes(raw[2:4], "big")
    return None


class _Guard:
    """The thread that answers the filter's notifications."""

    def __init__(
        self, lib: ctypes.CDLL, fd: int, allowed: frozenset[Address], calls: dict[int, tuple[int, int]]
    ) -> None:
        self.lib, self.fd, self.allowed = lib, fd, allowed
        self.calls = calls  # syscall number -> (argument holding the address, argument holding its length)
        self.reported = 0

    def judge(self, request: _Notif) -> bool:
        where = self.calls.get(request.data.nr)
        if where is None:
            return False
        address, length = request.data.args[where[0]], request.data.args[where[1]] & 0xFFFFFFFF  # a socklen_t
        raw = _read(request.pid, address, min(length, 128))
        found = None if raw is None else _destination(raw)
        if found == "local" or found in self.allowed:
            return True
        if self.reported < _REPORTED_AT_MOST:
            self.reported += 1
            what = f"{found[0]}:{found[1]}" if isinstance(found, tuple) else "an address of another kind"
            print(
                f"budgetkg: the egress guard refused a connection to {what}: not an --allow-service endpoint",
                file=sys.stderr,
                flush=True,
            )
        return False

    def serve(self) -> None:
        # Signals go to the other threads: this one only waits for the kernel.
        signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals())
        request, response = _Notif(), _Resp()
        failures = 0
        while True:
            ctypes.memset(ctypes.byref(request), 0, ctypes.sizeof(request))  # the kernel wants it zeroed
            if self.lib.seccomp_notify_receive(self.fd, ctypes.byref(request)) < 0:
                if ctypes.get_errno() in (errno.EINTR, errno.ENOENT):  # interrupted; the caller went away
                    continue
                failures += 1
                if failures < 100:
                    continue
                # Closing the descriptor makes every guarded call fail (ENOSYS): closed, not open.
                print(
                    f"budgetkg: the egress guard stops ({os.strerror(ctypes.get_errno())}); "
                    "connections from this process now fail",
                    file=sys.stderr,
                    flush=True,
                )
                os.close(self.fd)
                return
            failures = 0
            allow = self.judge(request)
            if self.lib.seccomp_notify_id_valid(self.fd, request.id) != 0:
                continue  # the calling thread is gone, and the address read may be another's
            ctypes.memset(ctypes.byref(response), 0, ctypes.sizeof(response))
            response.id = request.id
            if allow:
                response.flags = _NOTIF_FLAG_CONTINUE
            else:
                response.error = -errno.ECONNREFUSED
            self.lib.seccomp_notify_respond(self.fd, ctypes.byref(response))  # fails only if the caller went away


_installed = False
_install_lock = threading.Lock()


def install(endpoints: Iterable[str]) -> str | None:
    """Load the guard into this process, letting it connect only to ``endpoints`` (URLs):
    every thread, now and later, is under it, for the life of the process.

    :returns: why it could not be installed; None once it is (a second call changes nothing).
    """
    global _installed
    with _install_lock:
        if _installed:
            return None
        reason = unavailable()
        if reason is not None:
            return reason
        allowed, problems = destinations(endpoints)
        for problem in problems:
            print(f"budgetkg: --allow-service {problem}; the egress guard refuses it", file=sys.stderr, flush=True)
        lib = _library()
        ctx = lib.seccomp_init(_ACT_ALLOW)
        if not ctx:
            return "libseccomp could not start a filter"
        try:

            def number(name: str) -> int:
                return lib.seccomp_syscall_resolve_name(name.encode())

            def rule(action: int, name: str, *conditions: tuple[int, int, int, int]) -> int:
                array = (_ArgCmp * max(1, len(conditions)))(*[_ArgCmp(*c) for c in conditions])
                return lib.seccomp_rule_add_array(ctx, action, number(name), len(conditions), array)

            fastopen = (_CMP_MASKED_EQ, _MSG_FASTOPEN, _MSG_FASTOPEN)
            steps = [
                lib.seccomp_attr_set(ctx, _FLTATR_CTL_TSYNC, 1),
                rule(_ACT_NOTIFY, "connect"),
                rule(_ACT_NOTIFY, "sendto", (4, _CMP_NE, 0, 0)),  # a destination given: a datagram, or Fast Open
                rule(_act_errno(errno.ECONNREFUSED), "sendmsg", (2, *fastopen)),
                rule(_act_errno(errno.ECONNREFUSED), "sendmmsg", (3, *fastopen)),
            ]
            if number("io_uring_setup") >= 0:
                steps.append(rule(_act_errno(errno.ENOSYS), "io_uring_setup"))
            failed = next((rc for rc in steps if rc < 0), None)
            if failed is not None:
                return f"libseccomp could not make the filter ({os.strerror(-failed)})"
            rc = lib.seccomp_load(ctx)
            if rc < 0:
                return f"the kernel refused the filter ({os.strerror(-rc)})"
            fd = lib.seccomp_notify_fd(ctx)
            if fd < 0:
                return "the kernel gave no descriptor for the filter's notifications"
        finally:
            lib.seccomp_release(ctx)
        guard = _Guard(lib, fd, allowed, {number("connect"): (1, 2), number("sendto"): (4, 5)})
        _installed = True
        try:
            threading.Thread(target=guard.serve, name="budgetkg-egress", daemon=True).start()
        except RuntimeError as exc:  # no thread to answer: closed, every guarded call then fails (ENOSYS)
            os.close(fd)
            return f"no thread could be started to answer the filter ({exc}); connections from this process fail"
        return None


def warn_if_unavailable() -> None:
    """Say once (in the command's process) that the server processes will run without the guard."""
    reason = unavailable()
    if reason is not None:
        print(
            f"budgetkg: wall 2 of SERVICE's allow-list, the egress guard, is missing: {reason}; what a query may "
            "reach is checked on the parsed query alone",
            file=sys.stderr,
            flush=True,
        )


def _filtered() -> bool:
    """Whether this process runs under a seccomp filter already (inherited from its parent)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        name, _, value = line.partition(":")
        if name == "Seccomp":
            return value.strip() == "2"
    return False


def guard(endpoints: Iterable[str]) -> None:
    """Install the guard in this server process; a failure that :func:`warn_if_unavailable`
    has not already told is printed.

    A process started by a guarded one (an update's, see :mod:`budgetkg.server.update_process`)
    is under its parent's filter already, whose guard thread answers for it: the kernel takes
    one listener a filter chain, so it installs none of its own.
    """
    if unavailable() is not None or _filtered():
        return
    try:
        reason = install(endpoints)
    except Exception as exc:  # the server starts all the same
        reason = f"{type(exc).__name__}: {exc}"
    if reason is not None:
        print(
            f"budgetkg: the egress guard could not be installed in server process {os.getpid()}: {reason}; what "
            "a query may reach is checked on the parsed query alone",
            file=sys.stderr,
            flush=True,
        )
