"""Stand-in for ``python -m zen_core.cli ARGS`` that gets its server forked from a preloaded Zen.

Run as ``python -I -S launcher.py [--script PATH] SOCKET ARGS...`` (standard library only, so it starts
in ~20 ms). It
hands its stdin, stdout and stderr, any other descriptor it was started with (a pool worker's listening
socket and ready pipe), environment and working directory to the preloader listening on ``SOCKET`` (see
:mod:`zen_core.testing.preload`), which forks ``zen ARGS`` on those very file descriptors, at the same
numbers (``python PATH ARGS`` with ``--script``: the ``zen`` console script, for its program name).
The launcher then behaves like that server for whoever spawned it: the signals it gets are passed on,
and it exits with the server's exit status (killed by a signal: killed by the same signal). When the
launcher is killed outright, the server is killed with it. If the preloader cannot be reached, the
launcher becomes a fresh ``python -m zen_core.cli ARGS`` (``exec``), so a test never depends on it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys

#: Signals a test may send the server; the launcher passes each on.
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def _read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(64)
        if not chunk:
            break
        data += chunk
    return data


def _inherited() -> list[int]:
    """0, 1, 2 and every other descriptor this process was started with (``pass_fds`` of whoever spawned it)."""
    extra = []
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        names = []
    for name in names:
        fd = int(name)
        try:
            os.fstat(fd)
        except OSError:  # the listing's own descriptor, closed again
            continue
        if fd > 2:
            extra.append(fd)
    return [0, 1, 2, *sorted(extra)]


def _fresh(script: str | None, args: list[str]) -> None:
    os.execv(sys.executable, [sys.executable, *([script] if script else ["-m", "zen_core.cli"]), *args])


def main() -> None:
    argv = sys.argv[1:]
    script = None
    if argv[0] == "--script":
        script, argv = argv[1], argv[2:]
    path, args = argv[0], argv[1:]
    fds = _inherited()  # before this process opens any descriptor of its own
    server_pid = 0
    pending: list[int] = []

    def forward(signum: int, frame: object) -> None:
        if server_pid:
            os.kill(server_pid, signum)
        else:
            pending.append(signum)

    for sig in FORWARDED:
        signal.signal(sig, forward)
    umask = os.umask(0o022)
    os.umask(umask)
    request = {"argv": args, "script": script, "env": dict(os.environ), "cwd": os.getcwd(), "umask": umask, "fds": fds}
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
        socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], fds)
        reply = _read_line(conn)
    except OSError:
        reply = b""
    if not reply.strip().isdigit():  # no preloader: be the server ourselves
        conn.close()
        _fresh(script, args)
    server_pid = int(reply)
    devnull = os.open(os.devnull, os.O_RDWR)  # the server alone holds the pipes: EOF and close are its own
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for fd in fds[3:]:
        os.close(fd)
    for signum in pending:
        os.kill(server_pid, signum)
    status = _read_line(conn).strip()
    code = int(status) if status.lstrip(b"-").isdigit() else 1
    if code < 0:  # killed by a signal: so are we, for the same returncode
        try:
            signal.signal(-code, signal.SIG_DFL)  # not ours (forwarding) nor Python's (SIGPIPE ignored)
        except (OSError, ValueError):  # SIGKILL's, SIGSTOP's cannot be changed
            pass
        os.kill(os.getpid(), -code)
    os._exit(code & 0xFF)


if __name__ == "__main__":
    main()
