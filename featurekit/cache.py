"""Content fingerprints and the optional joblib.Memory cache for feature tables."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import types
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np

if TYPE_CHECKING:
    from featurekit.panel import Panel

ENV_VAR = "FEATUREKIT_CACHE"


def panel_fingerprint(panel: Panel) -> str:
    """A digest of everything in a Panel that features depend on (values, layout, ids, rates).

    Parameters
    ----------
    panel : Panel

    Returns
    -------
    str
        40 hex digits (BLAKE2b); ``meta`` is not included.
    """
    digest = hashlib.blake2b(digest_size=20)
    digest.update(str(panel.values.dtype).encode())
    digest.update(np.ascontiguousarray(panel.values).view(np.uint8))
    digest.update(panel.offsets.tobytes())
    digest.update(panel.sampling_rate.tobytes())
    digest.update("\x1f".join(panel.channels).encode())
    digest.update("\x1f".join(map(repr, panel.ids.tolist())).encode())
    return digest.hexdigest()


def get_memory(cache: str | os.PathLike | bool | None) -> joblib.Memory | None:
    """joblib.Memory at ``cache`` (or $FEATUREKIT_CACHE when ``cache`` is None); None = off.

    ``cache=False`` turns caching off even when the environment variable is set. A directory
    that cannot be written (or a file in its place) gives None and one warning: the table
    is computed without the cache instead of losing the work.

    Parameters
    ----------
    cache : path, bool or None
        A directory; None or True read $FEATUREKIT_CACHE; False is off.

    Returns
    -------
    joblib.Memory or None

    Raises
    ------
    ValueError
        ``cache=True`` while $FEATUREKIT_CACHE is unset.
    """
    if cache is False:
        return None
    location = cache if cache not in (None, True) else os.environ.get(ENV_VAR)
    if not location:
        if cache is True:
            raise ValueError(f"cache=True needs a directory in ${ENV_VAR}")
        return None
    reason = unwritable_reason(location)
    if reason:
        warnings.warn(
            f"extract: not using the cache, {location} cannot be written ({reason}); "
            "computing without it",
            UserWarning,
            stacklevel=3,
        )
        return None
    return joblib.Memory(Path(location), verbose=0)


def unwritable_reason(location: str | os.PathLike) -> str | None:
    """Why the directory ``location`` cannot hold cache entries (a file in its place, no
    write permission, a read-only disk), or None when a test file can be written there.

    Parameters
    ----------
    location : path
        Created if missing.

    Returns
    -------
    str or None
    """
    location = Path(location)
    try:
        location.mkdir(parents=True, exist_ok=True)
        probe = location / f".featurekit-probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        return f"{type(error).__name__}: {error.strerror or error}"
    return None


class _LoadFailures(logging.Filter):
    """Swallows joblib's "Exception while loading results" log record (a 40-line traceback)
    and keeps the error's last line."""

    def __init__(self):
        super().__init__()
        self.errors: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Exception while loading results" not in message:
            return True
        self.errors.append(message.strip().splitlines()[-1].strip())
        return False


@contextmanager
def quiet_load_failures(location: str | os.PathLike) -> Iterator[None]:
    """Around a cached call: a corrupted cache entry is recomputed (joblib does that) with
    one short warning instead of joblib's logged traceback.

    Parameters
    ----------
    location : path
        The cache directory, named in the warning.

    Returns
    -------
    context manager
    """
    failures = _LoadFailures()
    logger = logging.getLogger("joblib")
    logger.addFilter(failures)
    try:
        yield
    finally:
        logger.removeFilter(failures)
    if failures.errors:
        warnings.warn(
            f"extract: a cache entry in {location} could not be read "
            f"({failures.errors[0]}); recomputed the table and stored it again",
            UserWarning,
            stacklevel=4,
        )


def step_fingerprint(step: Any) -> str:
    """A digest of what a preprocess step computes, for the cache key.

    joblib hashes a function by its module and name only, so a step redefined under the same
    name would hit the old entry (and a closure or lambda cannot be pickled at all). This
    digest reads what the step does instead: a function's code (bytecode, names, constants,
    nested code), defaults, closure values and the global values it names (functions of its
    own module recursively; code of other modules by name, as the featurekit version covers
    featurekit's); a ``functools.partial`` its function and arguments; an object with
    ``get_params`` (PanelTransformer, a Pipeline) its class, parameters and fitted attributes.

    Parameters
    ----------
    step : callable, functools.partial or estimator
        The ``preprocess`` of :func:`featurekit.extract` (None is fine).

    Returns
    -------
    str
        A joblib hash.

    Raises
    ------
    TypeError
        A step it cannot describe, e.g. a callable object without ``get_params`` or an
        argument that cannot be pickled.
    """
    try:
        return joblib.hash(_state(step, set()))
    except (pickle.PicklingError, TypeError, AttributeError, ValueError) as error:
        raise TypeError(f"cannot fingerprint the preprocess step {step!r:.100}: {error}") from error


def _state(obj, seen: set):
    """A picklable description of ``obj``, functions replaced by what they compute."""
    if isinstance(obj, (types.FunctionType, types.MethodType)) or _is_estimator(obj):
        if id(obj) in seen:  # a cycle (recursion): this one is being described already
            return ("seen", getattr(obj, "__qualname__", type(obj).__qualname__))
        seen.add(id(obj))
    if isinstance(obj, types.FunctionType):
        return (
            "function",
            _code_state(obj.__code__),
            _state(obj.__defaults__, seen),
            _state(obj.__kwdefaults__, seen),
            _state([cell.cell_contents for cell in obj.__closure__ or ()], seen),
            _state(_globals_used(obj), seen),
        )
    if isinstance(obj, types.MethodType):
        return ("method", _state(obj.__func__, seen), _state(obj.__self__, seen))
    if isinstance(obj, functools.partial):
        return (
            "partial",
            _state(obj.func, seen),
            _state(obj.args, seen),
            _state(obj.keywords, seen),
        )
    if _is_estimator(obj):
        fitted = {k: v for k, v in vars(obj).items() if k.endswith("_") and not k.startswith("_")}
        return (
            "estimator",
            type(obj),
            _state(obj.get_params(deep=False), seen),
            _state(fitted, seen),
        )
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [_state(item, seen) for item in obj])
    if isinstance(obj, dict):
        return ("dict", [(_state(k, seen), _state(v, seen)) for k, v in obj.items()])
    if callable(obj) and not isinstance(obj, (type, types.BuiltinFunctionType, np.ufunc)):
        raise TypeError(
            f"no way to read what the callable {obj!r:.100} computes: pass a "
            "function, a functools.partial or an object with get_params"
        )
    return obj  # data, a class or a builtin: joblib.hash pickles it (classes by name)


def _is_estimator(obj) -> bool:
    return hasattr(obj, "get_params") and not isinstance(obj, type)


def _code_state(code: types.CodeType) -> tuple:
    """Bytecode, names and constants of ``code`` and of the code nested in it."""
    constants = tuple(
        _code_state(c) if isinstance(c, types.CodeType) else c for c in code.co_consts
    )
    return code.co_code, code.co_names, constants


def _globals_used(function: types.FunctionType) -> dict:
    """The global values ``function`` names, except modules and other modules' code."""

    def names(code):
        yield from code.co_names
        for c in code.co_consts:
            if isinstance(c, types.CodeType):
                yield from names(c)

    def foreign_code(value):
        return isinstance(value, types.ModuleType) or (
            callable(value)
            and not _is_estimator(value)
            and getattr(value, "__module__", None) != function.__module__
        )

    namespace = function.__globals__
    return {
        name: namespace[name]
        for name in sorted(set(names(function.__code__)))
        if name in namespace and not foreign_code(namespace[name])
    }
