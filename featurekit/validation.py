"""One home for input checks shared across the library (as ``sklearn.utils.validation``).

Checks gather every problem they find and raise one ``ValueError`` listing them all
(:func:`raise_problems`); estimators call :func:`check_labels` and :func:`n_features` at
``fit``; meta-estimators delegate their input tags with :func:`delegated_tags`; and one
function, :func:`fit_takes_groups`, decides whether a model's ``fit`` is given the subjects.

Imports only NumPy at module level (scikit-learn inside the checks that use it), so the
lowest layer (:mod:`featurekit.panel`) can use it.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "check_bands",
    "check_count",
    "check_labels",
    "check_n_jobs",
    "check_rate",
    "check_sampling_rates",
    "delegated_tags",
    "fit_grouped",
    "fit_takes_groups",
    "format_problems",
    "n_features",
    "raise_problems",
]


def format_problems(title: str, problems: Iterable[str]) -> str:
    """``title`` then one ``  - problem`` line per problem.

    Parameters
    ----------
    title : str
    problems : iterable of str

    Returns
    -------
    str

    Examples
    --------
    >>> print(format_problems("Invalid input", ["x is empty", "y is missing"]))
    Invalid input:
      - x is empty
      - y is missing
    """
    return f"{title}:\n  - " + "\n  - ".join(problems)


def raise_problems(title: str, problems: Iterable[str]) -> None:
    """Raise one ValueError listing every problem, if there is any; return otherwise.

    Parameters
    ----------
    title : str
        What was being checked, e.g. ``"Invalid Panel"`` or ``f"cannot read {path}"``.
    problems : iterable of str
        One sentence per problem, naming ids, files or columns and the fix.

    Raises
    ------
    ValueError
        With :func:`format_problems`'s text, when ``problems`` is not empty.

    Examples
    --------
    >>> raise_problems("Invalid input", [])
    >>> raise_problems("Invalid input", ["x is empty"])
    Traceback (most recent call last):
    ...
    ValueError: Invalid input:
      - x is empty
    """
    problems = list(problems)
    if problems:
        raise ValueError(format_problems(title, problems))


def check_labels(y: Any, groups: Any = None) -> np.ndarray:
    """``y`` as a 1-D array of class labels; a missing, NaN, inf, 2-D or continuous target is
    refused with scikit-learn's messages, and so are labels mixing numbers and strings
    (``[1, "1", "a"]``: 1 and "1" would be two classes).

    With ``groups`` (the subject of each row, for subject-grouped inner folds): one per row,
    and not every class held by a single subject, since grouped folds would then never train
    on the class they validate on.

    Parameters
    ----------
    y : array-like of shape (n,)
    groups : array-like of shape (n,), optional

    Returns
    -------
    ndarray of shape (n,)

    Raises
    ------
    ValueError
        ``y`` is None, empty, 2-D, continuous, NaN or inf; ``groups`` has another shape, or
        every class is held by a single subject.
    TypeError
        Labels mixing numbers and strings.

    Examples
    --------
    >>> check_labels(["a", "b", "a"]).tolist()
    ['a', 'b', 'a']
    >>> check_labels([1, "1", "a"])
    Traceback (most recent call last):
    ...
    TypeError: y mixes numbers and strings ([1, '1', 'a']): 1 and '1' would be different classes; convert the labels to one type, e.g. np.asarray(y).astype(str)
    """
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_array, column_or_1d

    if y is None:
        raise ValueError("this classifier requires y to be passed, but the target y is None")
    raw = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y, dtype=object)
    if raw.size == 0:
        raise ValueError("y is empty (0 rows): fitting needs at least one labeled row")
    if raw.dtype == object:  # before check_array, which would turn 1 into '1'
        kinds = {
            isinstance(v, (str, bytes))
            for v in raw.ravel()
            if isinstance(v, (str, bytes, numbers.Number))
        }
        if len(kinds) > 1:
            shown = list(dict.fromkeys(raw.ravel().tolist()))[:5]
            raise TypeError(
                f"y mixes numbers and strings ({shown}): 1 and '1' would be "
                "different classes; convert the labels to one type, e.g. "
                "np.asarray(y).astype(str)"
            )
    y = column_or_1d(check_array(y, ensure_2d=False, dtype=None), warn=True)
    check_classification_targets(y)
    if groups is not None:
        _check_groups(y, groups)
    return y


def _check_groups(y: np.ndarray, groups) -> None:
    groups = np.asarray(groups)
    if groups.shape != y.shape:
        raise ValueError(
            f"groups must hold one subject per row of y ({len(y)}), got shape {groups.shape}"
        )
    classes = np.unique(y)
    if len(classes) < 2 or len(np.unique(groups)) < 2:
        return  # nothing to calibrate across subjects; the estimator says so itself
    subjects_per_class = {c: np.unique(groups[y == c]).tolist() for c in classes.tolist()}
    if all(len(s) == 1 for s in subjects_per_class.values()):
        shown = [f"{c!r} only in subject {s[0]!r}" for c, s in subjects_per_class.items()][:3]
        raise ValueError(
            f"groups: every class is held by a single subject ({'; '.join(shown)}"
            "), so subject-grouped inner folds never train on the class they "
            "validate on; give training data where subjects share classes"
        )


def n_features(X: Any) -> int:
    """Number of columns of a 2-D table or array (DataFrames keep their mixed dtypes).

    Parameters
    ----------
    X : array-like or DataFrame

    Returns
    -------
    int

    Raises
    ------
    ValueError
        ``X`` is not 2-D.

    Examples
    --------
    >>> n_features(np.zeros((4, 3)))
    3
    """
    shape = X.shape if hasattr(X, "shape") else np.asarray(X).shape
    if len(shape) != 2:
        raise ValueError(
            f"Expected 2D array, got {len(shape)}D input instead: reshape it to "
            "(n_samples, n_features)"
        )
    return shape[1]


def delegated_tags(tags: Any, estimators: Iterable[Any]) -> Any:
    """``tags`` accepting sparse or NaN input exactly when every wrapped estimator does.

    Parameters
    ----------
    tags : sklearn.utils.Tags
        The meta-estimator's own tags (changed in place).
    estimators : iterable of estimators
        The wrapped estimators (unfitted is fine).

    Returns
    -------
    sklearn.utils.Tags
        ``tags``.
    """
    from sklearn.utils import get_tags

    inputs = [get_tags(estimator).input_tags for estimator in estimators]
    tags.input_tags.sparse = all(i.sparse for i in inputs)
    tags.input_tags.allow_nan = all(i.allow_nan for i in inputs)
    return tags


def fit_takes_groups(model: Any) -> bool:
    """Whether ``model.fit`` has a ``groups`` parameter: the model splits its training data
    internally (calibration, the ensemble) and must keep subjects apart there.

    Parameters
    ----------
    model : estimator

    Returns
    -------
    bool

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> fit_takes_groups(LogisticRegression())
    False
    """
    try:
        return "groups" in inspect.signature(model.fit).parameters
    except (TypeError, ValueError):  # a builtin or C-level fit without a signature
        return False


def fit_grouped(model: Any, X: Any, y: Any, groups: Any = None) -> Any:
    """``model.fit(X, y, groups=groups)`` when the model's fit takes groups
    (:func:`fit_takes_groups`) and groups are given; plain ``fit`` otherwise.

    Parameters
    ----------
    model : estimator
    X, y : array-like
    groups : array-like, optional
        Subject of each row.

    Returns
    -------
    estimator
        What the model's ``fit`` returns (the fitted model).
    """
    if groups is not None and fit_takes_groups(model):
        return model.fit(X, y, groups=groups)
    return model.fit(X, y)


# ---------------------------------------------------------------------- arguments
def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_count(value: Any, name: str, *, minimum: int = 1, allow_none: bool = False) -> int | None:
    """``value`` as an int ``>= minimum`` (None passes when ``allow_none``); a TypeError or
    ValueError naming the argument otherwise.

    Parameters
    ----------
    value : object
    name : str
        The argument's name, for the message.
    minimum : int, default 1
    allow_none : bool, default False

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        Not an integer (bools included).
    ValueError
        Below ``minimum``.

    Examples
    --------
    >>> check_count(5, "chunk_size")
    5
    >>> check_count(-5, "chunk_size")
    Traceback (most recent call last):
    ...
    ValueError: chunk_size must be an integer >= 1, got -5
    """
    if value is None and allow_none:
        return None
    allowed = f"an integer >= {minimum}" + (" or None" if allow_none else "")
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be {allowed}, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return int(value)


def check_n_jobs(n_jobs: Any) -> int | None:
    """``n_jobs`` as joblib takes it: workers >= 1, negative counting back from all cores
    (-1 = all), or None (one).

    Parameters
    ----------
    n_jobs : int or None

    Returns
    -------
    int or None

    Raises
    ------
    TypeError
        Not an integer.
    ValueError
        0.

    Examples
    --------
    >>> check_n_jobs(0)
    Traceback (most recent call last):
    ...
    ValueError: n_jobs must be an integer: workers >= 1, or negative as in joblib (-1 = all cores), or None; got 0
    """
    allowed = (
        "an integer: workers >= 1, or negative as in joblib (-1 = all cores), or None; "
        f"got {n_jobs!r}"
    )
    if n_jobs is None:
        return None
    if not isinstance(n_jobs, numbers.Integral) or isinstance(n_jobs, bool):
        raise TypeError(f"n_jobs must be {allowed}")
    if n_jobs == 0:
        raise ValueError(f"n_jobs must be {allowed}")
    return int(n_jobs)


def check_rate(value: Any, name: str = "sampling_rate") -> float:
    """A sampling rate as a float: a finite real number > 0 (samples per second).

    Parameters
    ----------
    value : object
    name : str, default "sampling_rate"
        The argument's name, for the message.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        Not a real number.
    ValueError
        Not finite or not > 0.

    Examples
    --------
    >>> check_rate(50)
    50.0
    >>> check_rate("100Hz", "sampling_rates['vicon']")
    Traceback (most recent call last):
    ...
    TypeError: sampling_rates['vicon'] must be a number of samples per second (finite, > 0), got '100Hz'
    """
    allowed = "a number of samples per second (finite, > 0)"
    if not _is_real(value):
        raise TypeError(f"{name} must be {allowed}, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


def check_sampling_rates(
    rates: Mapping[str, Any] | None, known: Iterable[str], *, name: str = "sampling_rates"
) -> dict:
    """A ``{key: rate}`` mapping whose keys are all ``known`` and whose rates are None
    (unknown) or pass :func:`check_rate`; every problem in one ValueError.

    A typo such as ``{"smartwach": 50}`` would otherwise leave the rate at its default
    without a word.

    Parameters
    ----------
    rates : dict or None
        None gives ``{}``.
    known : iterable of str
        The keys allowed.
    name : str, default "sampling_rates"
        The argument's name, for the message.

    Returns
    -------
    dict
        Rates as floats (or None).

    Raises
    ------
    TypeError
        ``rates`` is not a mapping.
    ValueError
        Unknown keys or bad rates (all listed).

    Examples
    --------
    >>> check_sampling_rates({"vicon": 100}, ["smartwatch", "vicon"])
    {'vicon': 100.0}
    >>> check_sampling_rates({"smartwach": 50}, ["smartwatch", "vicon"])
    Traceback (most recent call last):
    ...
    ValueError: Invalid sampling_rates:
      - unknown keys ['smartwach']; known: ['smartwatch', 'vicon']
    """
    if rates is None:
        return {}
    if not isinstance(rates, Mapping):
        raise TypeError(
            f"{name} must be a dict {{name: samples per second}}, got "
            f"{type(rates).__name__} {rates!r:.80}"
        )
    known = sorted(str(k) for k in known)
    problems, out = [], {}
    unknown = [k for k in rates if str(k) not in known]
    if unknown:
        problems.append(f"unknown keys {unknown}; known: {known}")
    for key, value in rates.items():
        if value is None:
            out[key] = None
            continue
        try:
            out[key] = check_rate(value, f"{name}[{key!r}]")
        except (TypeError, ValueError) as error:
            problems.append(str(error))
    raise_problems(f"Invalid {name}", problems)
    return out


def check_bands(
    bands: Iterable[tuple[float, float]], name: str = "bands"
) -> tuple[tuple[float, float], ...]:
    """Frequency bands as ``((lo, hi), ...)`` floats with ``0 <= lo < hi`` (``hi`` may be
    inf); a ValueError or TypeError naming every bad band otherwise.

    Parameters
    ----------
    bands : iterable of (lo, hi)
        In Hz.
    name : str, default "bands"
        The argument's name, for the message.

    Returns
    -------
    tuple of (float, float)

    Raises
    ------
    TypeError
        ``bands`` is a string or not iterable.
    ValueError
        No band, or bad bands (all listed).

    Examples
    --------
    >>> check_bands([(0, 1), (1, float("inf"))])
    ((0.0, 1.0), (1.0, inf))
    >>> check_bands([(5, 1)])
    Traceback (most recent call last):
    ...
    ValueError: Invalid bands:
      - band 0 (5, 1): lo must be below hi
    """
    if isinstance(bands, (str, bytes)) or not isinstance(bands, Iterable):
        raise TypeError(
            f"{name} must be a list of (lo, hi) pairs in Hz, e.g. [(0, 1), (1, 3)]"
            f", got {bands!r:.80}"
        )
    bands = list(bands)
    if not bands:
        raise ValueError(f"{name} is empty: give at least one (lo, hi) pair in Hz")
    problems, out = [], []
    for i, band in enumerate(bands):
        try:
            lo, hi = band
        except (TypeError, ValueError):
            problems.append(f"band {i} {band!r}: not a (lo, hi) pair")
            continue
        if not (_is_real(lo) and _is_real(hi)):
            problems.append(f"band {i} {band!r}: lo and hi must be numbers (Hz)")
        elif math.isnan(lo) or math.isnan(hi):
            problems.append(f"band {i} {band!r}: NaN bound")
        elif not lo < hi:
            problems.append(f"band {i} {band!r}: lo must be below hi")
        elif lo < 0 or math.isinf(lo):
            problems.append(f"band {i} {band!r}: lo must be finite and >= 0")
        else:
            out.append((float(lo), float(hi)))
    raise_problems(f"Invalid {name}", problems)
    return tuple(out)
