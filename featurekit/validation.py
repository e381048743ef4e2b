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
from collections.abc import Iterable

import numpy as np

__all__ = [
    "check_labels",
    "delegated_tags",
    "fit_grouped",
    "fit_takes_groups",
    "format_problems",
    "n_features",
    "raise_problems",
]


def format_problems(title: str, problems: Iterable[str]) -> str:
    """``title`` then one ``  - problem`` line per problem.

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


def check_labels(y) -> np.ndarray:
    """``y`` as a 1-D array of class labels; a missing, NaN, inf, 2-D or continuous target is
    refused with scikit-learn's messages.

    Examples
    --------
    >>> check_labels(["a", "b", "a"]).tolist()
    ['a', 'b', 'a']
    """
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_array, column_or_1d

    if y is None:
        raise ValueError("this classifier requires y to be passed, but the target y is None")
    y = column_or_1d(check_array(y, ensure_2d=False, dtype=None), warn=True)
    check_classification_targets(y)
    return y


def n_features(X) -> int:
    """Number of columns of a 2-D table or array (DataFrames keep their mixed dtypes).

    Examples
    --------
    >>> n_features(np.zeros((4, 3)))
    3
    """
    shape = X.shape if hasattr(X, "shape") else np.asarray(X).shape
    if len(shape) != 2:
        raise ValueError(f"Expected 2D array, got {len(shape)}D input instead: reshape it to "
                         "(n_samples, n_features)")
    return shape[1]


def delegated_tags(tags, estimators):
    """``tags`` accepting sparse or NaN input exactly when every wrapped estimator does."""
    from sklearn.utils import get_tags

    inputs = [get_tags(estimator).input_tags for estimator in estimators]
    tags.input_tags.sparse = all(i.sparse for i in inputs)
    tags.input_tags.allow_nan = all(i.allow_nan for i in inputs)
    return tags


def fit_takes_groups(model) -> bool:
    """Whether ``model.fit`` has a ``groups`` parameter: the model splits its training data
    internally (calibration, the ensemble) and must keep subjects apart there.

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


def fit_grouped(model, X, y, groups=None):
    """``model.fit(X, y, groups=groups)`` when the model's fit takes groups
    (:func:`fit_takes_groups`) and groups are given; plain ``fit`` otherwise.

    Returns
    -------
    The fitted model (what its ``fit`` returns).
    """
    if groups is not None and fit_takes_groups(model):
        return model.fit(X, y, groups=groups)
    return model.fit(X, y)
