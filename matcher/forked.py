"""Run one function in a forked child process while the caller goes on (two independent
halves of a solve on two cores).

The child is a ``fork`` of the caller, so it sees the caller's data without pickling; only
its result comes back through a pipe. It is used only where forking is safe and useful:
on Linux-like systems with more than one core, from a process that may have children
(not a daemonic worker). Elsewhere :func:`start` returns a handle that runs the function
in the caller when asked for the result, so callers need no second code path.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import signal
import traceback
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1
log = logging.getLogger(__name__)


class _Inline:
    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn

    def result(self) -> Any:
        return self.fn()

    def cancel(self) -> None:
        pass


class _Child:
    def __init__(self, fn: Callable[[], Any]) -> None:
        ctx = mp.get_context("fork")
        self.recv, send = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_child_main, args=(fn, send), daemon=True)
        self.proc.start()
        send.close()

    def result(self) -> Any:
        try:
            status, value, trace = self.recv.recv()
        except EOFError:
            self.proc.join()
            raise RuntimeError(f"solver child process died (exit code {self.proc.exitcode})"
                               ) from None
        finally:
            self.recv.close()
        self.proc.join()
        if status == "error":  # the message for the user; the traceback only in the log
            log.debug("solver child process traceback:\n%s", trace)
            raise RuntimeError(f"solver child process failed: {value}")
        return value


    def cancel(self) -> None:
        """Stop the child (the caller failed and will not ask for the result)."""
        self.proc.terminate()
        self.proc.join()
        self.recv.close()


def _child_main(fn: Callable[[], Any], send) -> None:
    # die with the parent (e.g. a cancelled run whose worker is killed)
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    try:
        out = ("ok", fn(), None)
    except BaseException as exc:  # report, never hang the parent
        out = ("error", f"{type(exc).__name__}: {exc}", traceback.format_exc())
    send.send(out)
    send.close()


def available() -> bool:
    """True where a forked child can run alongside the caller."""
    return ("fork" in mp.get_all_start_methods() and (os.cpu_count() or 1) > 1
            and not mp.current_process().daemon)


def start(fn: Callable[[], Any], *, parallel: bool = True) -> _Child | _Inline:
    """Start ``fn()`` in a forked child when ``parallel`` and :func:`available`, else
    defer it to ``result()``."""
    if parallel and available():
        return _Child(fn)
    return _Inline(fn)
