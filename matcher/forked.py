"""Run one function in a forked child process while the caller goes on (two independent
halves of a solve on two cores).

The child is a ``fork`` of the caller, so it sees the caller's data without pickling; only
its result comes back through a pipe. It is used only where forking is safe and useful:
on Linux-like systems with more than one core, from a process that may have children
(not a daemonic worker). Elsewhere :func:`start` returns a handle that runs the function
in the caller when asked for the result, so callers need no second code path.

It also says what the platform allows every other module that starts processes
(:mod:`matcher.schedule`, :mod:`matcher.split`, :mod:`matcher.io.sandbox`): :data:`WINDOWS`
(the one switch their Windows branches read; tests turn it on to take those branches on
Linux), :func:`can_fork` and :func:`spawn_safe`. A spawned child is a fresh interpreter that
imports the main script again, so a script that plans at its top level with no
``if __name__ == "__main__":`` guard would make every child start the work again, and
multiprocessing stops it with "An attempt has been made to start a new process before the
current process has finished its bootstrapping phase". :func:`spawn_safe` sees that case
(the main script's source has no guard), a child still starting up and a daemonic process;
the callers then work in the calling process instead, with the same results.
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import functools
import gc
import logging
import multiprocessing as mp
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1
log = logging.getLogger(__name__)
# Windows: no fork, no resource limits, no POSIX sessions. Read at call time, so a test can
# switch it on to run the Windows branches here.
WINDOWS = sys.platform == "win32"


def can_fork() -> bool:
    """True where a child process may be a ``fork`` of this one."""
    return not WINDOWS and "fork" in mp.get_all_start_methods()


def spawn_safe() -> bool:
    """True when this process may start spawned children: it is not a daemonic process
    (which may have none), not a child still importing the main script (bootstrapping), and
    the main script, if there is one, guards its work with ``if __name__ == "__main__":``
    (or has no source to tell: an interactive session, ``python -c``, a frozen program)."""
    proc = mp.current_process()
    if proc.daemon or getattr(proc, "_inheriting", False):
        return False
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or getattr(sys, "frozen", False):
        return True
    return _has_main_guard(os.path.abspath(path))


@functools.lru_cache(maxsize=8)
def _has_main_guard(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            tree = ast.parse(fh.read())
    except (OSError, SyntaxError, ValueError):
        return True  # no source to read (a .pyc, a zip app): as before, trust it
    return any(isinstance(node, ast.If) and _is_main_test(node.test) for node in tree.body)


def _is_main_test(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = (test.left, test.comparators[0])
    return (any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides)
            and any(isinstance(x, ast.Constant) and x.value == "__main__" for x in sides))


@contextlib.contextmanager
def frozen_for_fork():
    """Fork inside this: the caller's objects are set aside from the cyclic garbage
    collector while the child is made, so the child's collector never walks them — it
    would write into every object's header and so copy every page the child shares with
    its parent (a national plan's schedule and workbook children), and spend its time
    on objects it only reads. The caller's collector gets them back at once (unless
    the caller had set objects aside itself: then they all stay aside)."""
    had = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not had:
            gc.unfreeze()


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
        with frozen_for_fork():
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
    # die with the parent (e.g. a cancelled run whose worker is killed); Linux only
    if sys.platform.startswith("linux"):
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
    return can_fork() and (os.cpu_count() or 1) > 1 and not mp.current_process().daemon


def start(fn: Callable[[], Any], *, parallel: bool = True) -> _Child | _Inline:
    """Start ``fn()`` in a forked child when ``parallel`` and :func:`available`, else
    defer it to ``result()``."""
    if parallel and available():
        return _Child(fn)
    return _Inline(fn)
