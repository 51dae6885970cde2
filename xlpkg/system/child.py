"""What every helper process does to behave as part of the command that started it."""
from __future__ import annotations

import os
import threading

__all__ = ["ignore_interrupt", "watch_parent"]


def ignore_interrupt() -> None:
    """Leave Ctrl-C to the main process, which reports it once, in Chinese; otherwise every
    helper prints its own KeyboardInterrupt traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def watch_parent(parent_pid: int) -> None:
    """Exit as soon as the parent is gone (a re-parented helper would work or wait for
    nobody, after a kill -9 of the command)."""
    def watch():
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            threading.Event().wait(0.5)
    threading.Thread(target=watch, name="xlpkg-parent-watch", daemon=True).start()
