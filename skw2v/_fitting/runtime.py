"""The context of every fit: verbose logging, the progress bar, SIGTERM, stale folders.

Nothing here changes global state beyond the duration of a fit: handlers,
levels and signal handlers are restored on leaving, on errors too.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import tempfile
import threading

from . import shared

logger = logging.getLogger("skw2v")


def _has_user_handler(log):
    """Whether records of ``log`` reach a handler that is not a NullHandler."""
    while log is not None:
        if any(not isinstance(h, logging.NullHandler) for h in log.handlers):
            return True
        if not log.propagate:
            return False
        log = log.parent
    return False


@contextlib.contextmanager
def _verbose_logging(verbose):
    """Show ``verbose`` output for the duration of a fit, then restore logging as it was.

    The package itself only installs a NullHandler. When the application has
    configured no handler, a temporary one writing to standard error is
    attached; when the ``"skw2v"`` logger has no level of its own, INFO is
    set for the fit only. Both are undone on leaving, on errors too.
    """
    if not verbose:
        yield
        return
    handler, level = None, logger.level
    if not _has_user_handler(logger):
        handler = logging.StreamHandler()  # standard error as it is now
        handler.setFormatter(logging.Formatter("[skw2v] %(message)s"))
        logger.addHandler(handler)
    if level == logging.NOTSET and logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(level)
        if handler is not None:
            logger.removeHandler(handler)


@contextlib.contextmanager
def logging_above_bar(bar):
    """Route console log lines through ``tqdm.write`` while ``bar`` is shown.

    Only the loggers on the ``"skw2v"`` chain that have a console handler are
    redirected (an application's file handlers are left alone), and only for
    the duration of the block.
    """
    if bar is None:
        yield
        return
    from tqdm.contrib.logging import _is_console_logging_handler, logging_redirect_tqdm

    chain, log = [], logger
    while log is not None:
        if any(_is_console_logging_handler(h) for h in log.handlers):
            chain.append(log)
        if not log.propagate:
            break
        log = log.parent
    if not chain:
        yield
        return
    with logging_redirect_tqdm(loggers=chain, tqdm_class=type(bar)):
        yield


class _Terminated(SystemExit, KeyboardInterrupt):
    """Raised by the SIGTERM handler of a fit, so that its cleanup runs.

    A KeyboardInterrupt, because joblib then stops its workers as for
    Ctrl-C; a SystemExit with status ``128 + signal``, so that, uncaught,
    it ends the process as SIGTERM asks (after the interpreter's shutdown,
    which also stops the process pools).
    """

    def __init__(self, signum):
        super().__init__(128 + signum)
        self.signum = signum


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Handle SIGTERM like SIGINT while fitting.

    In the main thread only (Python runs signal handlers there), and unless
    SIGTERM is ignored or an outer fit already handles it: the handler raises
    :class:`_Terminated`, so the ``finally`` blocks of the fit remove the
    shared-memory and spill folders and joblib stops its workers. The
    previous handler is restored on leaving; when the application had a
    handler of its own, the signal is then delivered to it.
    """
    sig = getattr(signal, "SIGTERM", None)
    if sig is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(sig)
    if previous in (signal.SIG_IGN, None) or getattr(previous, "_skw2v", False):
        yield
        return

    def handler(signum, frame):
        raise _Terminated(signum)

    handler._skw2v = True
    signal.signal(sig, handler)
    try:
        yield
    except _Terminated:
        signal.signal(sig, previous)
        if callable(previous):
            signal.raise_signal(sig)  # the application's handler decides
        raise
    finally:
        if signal.getsignal(sig) is handler:
            signal.signal(sig, previous)


@contextlib.contextmanager
def fitting(verbose, temp_folder=None, local=True):
    """Context of every fit: SIGTERM handling and temporary verbose logging.

    Also removes the folders that killed fits left in the shared-memory and
    temporary folders (see :func:`~skw2v._fitting.shared.remove_stale_folders`). ``local`` says
    whether the joblib backend runs its workers on this machine: under a
    cluster backend (Dask) nothing local is left to clean up, and a handler
    in the client process upsets the restart of lost workers, so SIGTERM is
    left alone.
    """
    with _sigterm_as_interrupt() if local else contextlib.nullcontext(), \
            _verbose_logging(verbose):
        temp = temp_folder if temp_folder is not None else tempfile.gettempdir()
        shared.remove_stale_folders([shared.shared_memory_dir(), temp])
        yield


def progress_bar(verbose, total):
    """A tqdm bar of ``total`` words when ``verbose`` and tqdm is installed, else None."""
    if not verbose:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="word", unit_scale=True, desc="skw2v", leave=False)
