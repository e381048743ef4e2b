"""Logging and warning hygiene: the ``featurekit`` logger, console output for the CLI and
``verbose=True``, and repeated warnings collapsed to one line with a count.

The library logs under ``logging.getLogger("featurekit")`` (modules use child loggers,
``featurekit.report``...) and, as libraries should, configures no output: an application
sets a handler (``logging.basicConfig(level="INFO")``), or the ``featurekit`` command and
``report.compare(verbose=True)`` call :func:`console_logging`.

Imports only the standard library, so the CLI can use it before anything heavy loads.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import warnings
from collections.abc import Iterator

logger = logging.getLogger("featurekit")
logger.addHandler(logging.NullHandler())

_NUMBER = re.compile(r"[-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|(inf|nan)(?![A-Za-z]))")


def get_logger(name: str) -> logging.Logger:
    """The logger of a featurekit module: ``get_logger(__name__)``.

    Parameters
    ----------
    name : str
        A module name; one outside featurekit is put under ``featurekit.``.

    Returns
    -------
    logging.Logger
    """
    return logging.getLogger(name if name.startswith("featurekit") else f"featurekit.{name}")


@contextlib.contextmanager
def console_logging(level: int | str = logging.INFO) -> Iterator[logging.Logger]:
    """Show featurekit's log records on stderr (``featurekit: message``) inside the block,
    unless the application already routes them somewhere (a handler on the ``featurekit``
    logger or on the root logger): then nothing changes.

    Parameters
    ----------
    level : int or str, default logging.INFO
        Level of the ``featurekit`` logger inside the block.

    Returns
    -------
    context manager
        Yields the ``featurekit`` logger.
    """
    configured = any(not isinstance(h, logging.NullHandler) for h in logger.handlers)
    if configured or logging.getLogger().handlers:
        yield logger
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("featurekit: %(message)s"))
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _template(message: str) -> str:
    """A warning's text with its numbers blanked: warnings that differ only in numbers
    (one per band, one per fold...) share a template."""
    return _NUMBER.sub("#", message)


@contextlib.contextmanager
def collapse_warnings() -> Iterator[list]:
    """Record the warnings raised inside the block; at its end, re-issue one per kind with
    how many times it came.

    Warnings of the same category whose texts differ only in numbers (five band warnings,
    one per band; scikit-learn's "Number of classes in training fold (6) does not match
    total number of classes (7)" once per fold) are one kind: the first text is re-issued,
    followed by ``[and N more like it]``.

    Returns
    -------
    context manager
        Yields the list of records caught so far.

    Examples
    --------
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     with collapse_warnings():
    ...         for band in (1, 2, 4):
    ...             warnings.warn(f"band {band} Hz is empty")
    >>> [str(w.message) for w in seen]
    ['band 1 Hz is empty [and 2 more like it]']
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    kinds: dict[tuple, list] = {}
    for record in caught:
        key = (record.category, _template(str(record.message)))
        kinds.setdefault(key, []).append(record)
    for (category, _), records in kinds.items():
        first = records[0]
        text = str(first.message)
        if len(records) > 1:
            text += f" [and {len(records) - 1} more like it]"
        warnings.warn_explicit(text, category, first.filename, first.lineno)
