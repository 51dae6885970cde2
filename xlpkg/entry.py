"""The command's entry point (``xlpkg`` and ``python -m xlpkg``): imports the CLI late so that
a Ctrl-C arriving while the modules load is answered like one during the work (exit 130 with
a Chinese message), not with a KeyboardInterrupt traceback."""
from __future__ import annotations

import signal
import sys

INTERRUPTED = "\n已中断（Ctrl-C），未完成的输出文件未写入。\n"


def run() -> int:
    try:
        from .cli import EXIT_INTERRUPTED, main
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED)
        return 130
    try:
        code = main()
    except KeyboardInterrupt:   # main() answers Ctrl-C itself; this is the gap around it
        sys.stderr.write(INTERRUPTED)
        code = EXIT_INTERRUPTED
    # The work is done or stopped and every output is complete or absent. CPython restores
    # SIGINT's default while shutting down, so a Ctrl-C then would kill the process without a
    # word (exit status -2); ignored, the exit finishes and reports what happened.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code
