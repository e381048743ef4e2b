"""Feature selection: tsfresh's FRESH relevance tests, vectorized, and a leak-free selector.

:func:`relevance_table` runs, for a classification target, the tests tsfresh's
``calculate_relevance_table`` runs — for every class, the class against the rest: Mann–Whitney
U (or Kolmogorov–Smirnov) for a real-valued column, Fisher's exact test for a column holding
two distinct values, none for a constant column — and controls the false discovery rate with
Benjamini–Yekutieli (Benjamini–Hochberg when the hypotheses are declared independent). The
p-values agree with tsfresh's to floating-point rounding, but instead of one Python call per
column and class, the columns are ranked once, block by block (one ``argsort`` per block), and
every class's rank sums come from one ``bincount``.

Cheap filters run first: constant columns are never tested, and exact duplicates of an
earlier column (``drop_duplicates``) are not tested either — the first in column order is
kept. After the tests, ``max_corr`` can drop a relevant column whose absolute Pearson
correlation with a more relevant kept column exceeds it.

Windows cut from one subject's recordings are not independent samples: given ``groups``,
every (subject, class) cell is reduced to its per-column median before the tests, so the
p-values count subjects, not windows.

:class:`RelevanceSelector` is the scikit-learn transformer: fitted inside each training fold
(never on the whole table: selecting on all rows before cross-validation leaks the labels
into the score), DataFrame in, DataFrame out.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special, stats
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_array, check_is_fitted

from featurekit.validation import raise_problems

TESTS = ("mann", "smir")
# Elements (rows x columns) ranked at once: 2 million float64 values, 16 MB per array.
_BLOCK_ELEMENTS = 2_000_000


# ------------------------------------------------------------------ input checks
def _check_inputs(X, y, *, fdr, test, n_significant, groups=None):
    """X as a DataFrame, its values as a float64 array (a view where pandas allows), y as
    labels and groups (or None) in X's row order; one ValueError lists every problem."""
    problems = []
    values = None
    if not isinstance(X, pd.DataFrame):
        array = np.asarray(X)
        if array.ndim != 2:
            raise ValueError(f"X must be 2-D (rows x columns), got shape {array.shape}")
        X = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    if X.columns.has_duplicates:
        problems.append(
            f"X has duplicated column names "
            f"{X.columns[X.columns.duplicated()].unique()[:10].tolist()}"
        )
    non_numeric = [c for c, dtype in X.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)]
    if non_numeric:
        problems.append(
            f"columns {non_numeric[:10]} are not numeric; drop them (the "
            "RelevanceSelector passes them through untested)"
        )
    if groups is not None:
        groups = _aligned(groups, X, "groups", problems)
    y = _aligned(y, X, "y", problems) if isinstance(y, pd.Series) else np.asarray(y)
    if y.ndim != 1:
        problems.append(f"y must be 1-D, got shape {y.shape}")
    elif len(y) != len(X):
        problems.append(f"y has {len(y)} entries for {len(X)} rows of X")
    elif pd.isna(pd.Series(y, dtype=object)).any():
        problems.append(f"y is missing at rows {np.flatnonzero(pd.isna(y))[:10].tolist()}")
    elif len(np.unique(y)) < 2:
        problems.append("y holds fewer than two classes")
    if groups is not None:
        if groups.ndim != 1 or len(groups) != len(X):
            problems.append(f"groups must hold one subject per row of X, got shape {groups.shape}")
        elif pd.isna(pd.Series(groups, dtype=object)).any():
            problems.append(
                f"groups is missing at rows {np.flatnonzero(pd.isna(groups))[:10].tolist()}"
            )
    if not 0 < fdr < 1:
        problems.append(f"fdr must lie in (0, 1), got {fdr}")
    if test not in TESTS:
        problems.append(f"test must be one of {TESTS}, got {test!r}")
    if not problems:
        n_classes = len(np.unique(y))
        if not 1 <= n_significant <= n_classes:
            problems.append(
                f"n_significant={n_significant} must lie in 1..{n_classes} (the number of classes)"
            )
        values = X.to_numpy(dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            bad = ~np.isfinite(values.sum(axis=0))
        if bad.any():  # a sum of huge finite values may overflow: look again at those
            bad[bad] = ~np.isfinite(values[:, bad]).all(axis=0)
        if bad.any():
            names = X.columns[bad].tolist()
            problems.append(
                f"columns {names[:10]}{' and more' if len(names) > 10 else ''} "
                "hold NaN or inf; impute them first (tsfresh's tests refuse them "
                "too), e.g. tsfresh.utilities.dataframe_functions.impute"
            )
    raise_problems("Invalid relevance-table input", problems)
    return X, values, y, groups


def _aligned(labels, X: pd.DataFrame, name: str, problems: list) -> np.ndarray:
    """``labels`` as an array in X's row order: a Series whose index is a permutation of X's
    is aligned on it; another index is a problem."""
    if isinstance(labels, pd.Series) and len(labels) == len(X) and not labels.index.equals(X.index):
        if set(labels.index) == set(X.index) and not labels.index.has_duplicates:
            labels = labels.reindex(X.index)
        else:
            problems.append(
                f"{name} is a Series whose index differs from X's; pass matching "
                "indexes or a plain array in X's row order"
            )
    return np.asarray(labels)


def _cell_medians(values: np.ndarray, y: ArrayLike, groups: ArrayLike):
    """The median of every column within each (group, class) cell, and each cell's class:
    one row per cell, so that the tests count subjects, not their windows."""
    frame = pd.DataFrame(values, copy=False)
    medians = frame.groupby([pd.Series(groups), pd.Series(y)], sort=True).median()
    return medians.to_numpy(dtype=np.float64), medians.index.get_level_values(1).to_numpy()


# ------------------------------------------------------------------ ranking
def _average_ranks(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1-based ranks of sorted rows with ties averaged, and each row's sum(t**3 - t) over
    groups of ``t`` tied values."""
    width, n = ordered.shape
    new = np.empty((width, n), dtype=bool)
    new[:, 0] = True
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=new[:, 1:])
    flat = new.ravel()
    starts = np.flatnonzero(flat)
    sizes = np.diff(np.append(starts, flat.size))
    row = starts // n
    # tied values share the mean of the ranks start+1 .. start+size
    group_rank = (starts - row * n) + (sizes + 1) / 2.0
    sizes = sizes.astype(np.float64)
    tie_term = np.bincount(row, weights=sizes**3 - sizes, minlength=width)
    return group_rank[np.cumsum(flat) - 1].reshape(width, n), tie_term


def _rank_block(block: np.ndarray, codes: np.ndarray, n_classes: int, with_ks: bool):
    """Rank statistics of every row of ``block`` (columns x samples), ties averaged.

    Returns the number of distinct values, the rank sum of each class (columns x classes),
    the tie term sum(t**3 - t) over groups of tied values, and, with ``with_ks``, for each
    class the largest |c1 * n2 - c2 * n1| over tie-group ends (the Kolmogorov–Smirnov
    statistic times n1 * n2). Rows without ties (most real-valued features) take their ranks
    straight from the sort; only rows with ties pay for averaging.
    """
    width, n = block.shape
    order = np.argsort(block, axis=1)
    ordered = np.take_along_axis(block, order, axis=1)
    tied = ordered[:, 1:] == ordered[:, :-1]
    n_unique = n - tied.sum(axis=1)
    classes = codes[order]
    key = (np.arange(width)[:, None] * n_classes + classes).ravel()
    ranks = np.broadcast_to(np.arange(1, n + 1, dtype=np.float64), (width, n))
    tie_term = np.zeros(width)
    with_ties = np.flatnonzero(n_unique < n)
    if len(with_ties):
        ranks = ranks.copy()
        ranks[with_ties], tie_term[with_ties] = _average_ranks(ordered[with_ties])
    rank_sums = np.bincount(key, weights=ranks.ravel(), minlength=width * n_classes)
    ks = None
    if with_ks:
        ends = np.empty((width, n), dtype=bool)  # last position of each group of tied values
        np.logical_not(tied, out=ends[:, :-1])
        ends[:, -1] = True
        position = np.arange(1, n + 1)
        counts = np.bincount(codes, minlength=n_classes)
        ks = np.zeros((width, n_classes), dtype=np.int64)
        for c in range(n_classes):
            c1 = np.cumsum(classes == c, axis=1)
            gap = np.abs(c1 * (n - counts[c]) - (position - c1) * counts[c])
            ks[:, c] = np.where(ends, gap, 0).max(axis=1)
    return n_unique, rank_sums.reshape(width, n_classes), tie_term, ks


def _column_hashes(block: np.ndarray, multipliers: np.ndarray) -> np.ndarray:
    """An exact 64-bit hash of each row's bytes (equal rows, -0.0 as 0.0, hash equal)."""
    bits = (block + 0.0).view(np.uint64)
    return (bits * multipliers).sum(axis=1)


def _mann_whitney(rank_sums, tie_term, counts, n):
    """Two-sided asymptotic Mann–Whitney U p-values, as ``scipy.stats.mannwhitneyu`` computes
    them (tie correction, continuity correction), class against the rest."""
    n1 = counts.astype(np.float64)[None, :]
    n2 = n - n1
    u1 = rank_sums - n1 * (n1 + 1) / 2
    u = np.maximum(u1, n1 * n2 - u1)
    s = np.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term[:, None] / (n * (n - 1))))
    numerator = u - n1 * n2 / 2
    numerator -= 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        z = numerator / s
    p = special.ndtr(-z)
    p *= 2
    return np.clip(p, 0.0, 1.0)


def _mann_whitney_exact(values, codes, counts, columns, p):
    """scipy's exact Mann–Whitney p-values where it would use them (method 'auto', as tsfresh
    calls it): a class or its rest of at most 8 rows, and no tied values in the column."""
    n = len(codes)
    for c, n1 in enumerate(counts):
        if min(n1, n - n1) > 8 or not len(columns):
            continue
        inside = codes == c
        sub = values[:, columns]
        p[columns, c] = stats.mannwhitneyu(
            sub[inside], sub[~inside], method="exact", alternative="two-sided", axis=0
        ).pvalue


def _smirnov(ks, counts, n):
    """Two-sided two-sample Kolmogorov–Smirnov p-values as ``scipy.stats.ks_2samp`` computes
    them (method 'auto'), from the statistic times n1 * n2; one exact evaluation per distinct
    statistic and class."""
    from scipy.stats._stats_py import _attempt_exact_2kssamp

    p = np.empty(ks.shape)
    for c, n1 in enumerate(counts):
        n1, n2 = int(n1), int(n - n1)
        g = math.gcd(n1, n2)
        lcm = (n1 // g) * n2
        for value in np.unique(ks[:, c]):
            h = int(value) // g
            d = h / lcm
            prob = np.nan
            success = False
            if max(n1, n2) <= 10000:
                success, d, prob = _attempt_exact_2kssamp(n1, n2, g, d, "two-sided")
            if not success:
                m, k = sorted([float(n1), float(n2)], reverse=True)
                prob = stats.kstwo.sf(d, np.round(m * k / (m + k)))
            p[ks[:, c] == value, c] = np.clip(prob, 0, 1)
    return p


def _fisher(values, codes, counts, columns):
    """Two-sided Fisher exact p-values of two-valued columns against each class, on tsfresh's
    contingency table; one ``scipy.stats.fisher_exact`` per distinct table."""
    n = len(codes)
    sub = values[:, columns]
    high = sub == sub.max(axis=0)
    onehot = codes[:, None] == np.arange(len(counts))[None, :]
    in_high = onehot.T.astype(np.int64) @ high.astype(np.int64)  # classes x columns
    n_high = high.sum(axis=0)
    p = np.empty((len(columns), len(counts)))
    cache: dict[tuple, float] = {}
    for c, n_c in enumerate(counts):
        for j in range(len(columns)):
            a = int(in_high[c, j])  # class rows at the higher value
            table = ((a, int(n_c) - a), (int(n_high[j]) - a, n - int(n_c) - int(n_high[j]) + a))
            if table not in cache:
                cache[table] = stats.fisher_exact(np.array(table), alternative="two-sided")[1]
            p[j, c] = cache[table]
    return p


def benjamini_yekutieli(p_values: ArrayLike, fdr: float, independent: bool = False) -> np.ndarray:
    """Rejections of the step-up procedure at false discovery rate ``fdr``.

    Benjamini–Yekutieli (valid under any dependence between the tests), or Benjamini–Hochberg
    with ``independent=True``: statsmodels' ``multipletests(p, fdr, "fdr_by" | "fdr_bh")[0]``.

    Parameters
    ----------
    p_values : array-like of float
    fdr : float
        False discovery rate.
    independent : bool, default False
        Benjamini–Hochberg (tests independent or positively dependent).

    Returns
    -------
    ndarray of bool
        One per p-value: rejected (relevant).

    Examples
    --------
    >>> benjamini_yekutieli([0.001, 0.2, 0.01], 0.05).tolist()
    [True, False, True]
    """
    p = np.asarray(p_values, dtype=np.float64)
    if p.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p)
    ranked = np.arange(1, p.size + 1) / p.size
    if not independent:
        ranked = ranked / np.sum(1.0 / np.arange(1, p.size + 1))
    below = p[order] <= ranked * fdr
    reject_sorted = np.zeros(p.size, dtype=bool)
    if below.any():
        reject_sorted[: np.flatnonzero(below).max() + 1] = True
    reject = np.empty(p.size, dtype=bool)
    reject[order] = reject_sorted
    return reject


def _duplicates(values: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """For each column, the position of the first earlier column holding exactly the same
    values (-0.0 equal to 0.0), or -1; ``hashes`` from :func:`_column_hashes` find the
    candidates."""
    first = np.full(values.shape[1], -1)
    order = np.argsort(hashes, kind="stable")
    same = np.flatnonzero(hashes[order][1:] == hashes[order][:-1])
    for j in np.unique(np.concatenate([order[same], order[same + 1]])):
        for k in np.flatnonzero(hashes[:j] == hashes[j]):
            if first[k] < 0 and np.array_equal(values[:, k] + 0.0, values[:, j] + 0.0):
                first[j] = k
                break
    return first


# ------------------------------------------------------------------ the table
def relevance_table(
    X: pd.DataFrame,
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    fdr: float = 0.05,
    test: str = "mann",
    multiclass: bool = False,
    n_significant: int = 1,
    hypotheses_independent: bool = False,
    drop_duplicates: bool = False,
) -> pd.DataFrame:
    """Relevance of every column of ``X`` for the classes ``y``: tsfresh's tests, vectorized.

    Parameters
    ----------
    X : DataFrame (or 2-D array) of numeric columns without NaN or inf.
    y : class labels, one per row (a Series is aligned on X's index). Only classification is
        implemented: tsfresh's regression tests (Kendall's tau, KS on a binary column) are not.
    groups : optional subject of each row (a Series is aligned on X's index). Windows of one
        subject are not independent samples: with ``groups``, every (group, class) cell is
        first reduced to its per-column median, and the tests run on those cells, so the
        p-values count subjects, not windows (repeating a subject's rows changes nothing).
        Constant and binary columns are judged on the cells too; exact duplicates
        (``drop_duplicates``) on the rows. None (default): every row is a sample, as in
        tsfresh.
    fdr : false discovery rate controlled over all tested columns (tsfresh's ``fdr_level``).
    test : ``"mann"`` (Mann–Whitney U, tsfresh's default) or ``"smir"`` (Kolmogorov–Smirnov)
        for real-valued columns; two-valued columns always get Fisher's exact test.
    multiclass : False (tsfresh's default): a column is relevant when the FDR procedure run
        for some class (that class against the rest) rejects it, and ``p_value`` is its
        smallest p-value over classes. True: the procedure runs per class and a column is
        relevant for at least ``n_significant`` classes. With two classes, False is used
        (as tsfresh does, with a warning).
    hypotheses_independent : Benjamini–Hochberg instead of Benjamini–Yekutieli.
    drop_duplicates : columns equal to an earlier column are not tested (type
        ``"duplicate"``, ``duplicate_of`` names the kept one) and do not count towards the
        FDR correction. False by default, as in tsfresh.

    Returns
    -------
    DataFrame indexed by feature (X's column order) with columns ``feature``, ``type``
    (``"real"``, ``"binary"`` — two distinct values —, ``"constant"``, or ``"duplicate"``),
    ``test`` (``"mann"``, ``"smir"``, ``"fisher"`` or None), ``p_value``, ``relevant``;
    with ``drop_duplicates``, ``duplicate_of``; when ``multiclass``, also ``p_value_<class>``
    and ``relevant_<class>`` per class and ``n_significant``, as tsfresh names them.
    Untested columns have p-value NaN and are not relevant.

    Raises
    ------
    ValueError
        Listing every problem of the inputs (NaN or inf, lengths, labels, an unknown test).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat(["a", "b"], 50)
    >>> X = pd.DataFrame({"signal": (y == "a") + rng.normal(0, 0.5, 100),
    ...                   "noise": rng.normal(size=100), "one": 1.0})
    >>> table = relevance_table(X, y)
    >>> table["type"].tolist(), table["relevant"].tolist()
    (['real', 'real', 'constant'], [True, False, False])
    """
    X, rows, y, groups = _check_inputs(
        X, y, fdr=fdr, test=test, n_significant=n_significant, groups=groups
    )
    values = rows
    if groups is not None:  # one sample per (subject, class) cell
        values, y = _cell_medians(rows, y, groups)
    labels, codes = np.unique(y, return_inverse=True)
    n_classes = len(labels)
    if multiclass and n_classes <= 2:
        warnings.warn(
            "Two or fewer classes, binary feature selection will be used (multiclass = False)",
            stacklevel=2,
        )
        multiclass = False
    n, m = values.shape
    counts = np.bincount(codes, minlength=n_classes)

    n_unique = np.zeros(m, dtype=np.int64)
    p = np.full((m, n_classes), np.nan)
    ks = np.zeros((m, n_classes), dtype=np.int64) if test == "smir" else None
    hashes = np.zeros(m, dtype=np.uint64)
    multipliers = np.random.default_rng(0).integers(1, 2**63, len(rows), dtype=np.uint64)
    columns_by_block = max(1, _BLOCK_ELEMENTS // max(n, 1))
    transposed = values.T  # a DataFrame's float block is column-major: rows of this are columns
    for start in range(0, m, columns_by_block):
        cols = np.arange(start, min(m, start + columns_by_block))
        block = np.ascontiguousarray(transposed[cols])
        if drop_duplicates:  # exact duplicates are judged on the rows, not the cells
            on_rows = block if rows is values else np.ascontiguousarray(rows.T[cols])
            hashes[cols] = _column_hashes(on_rows, multipliers)
        unique, rank_sums, tie_term, block_ks = _rank_block(block, codes, n_classes, test == "smir")
        n_unique[cols] = unique
        if test == "mann":
            p[cols] = _mann_whitney(rank_sums, tie_term, counts, n)
        else:
            ks[cols] = block_ks
    duplicate_of = _duplicates(rows, hashes) if drop_duplicates else np.full(m, -1)
    duplicate_of[n_unique <= 1] = -1  # a constant column is reported as constant
    kind = np.where(n_unique <= 1, "constant", np.where(n_unique == 2, "binary", "real")).astype(
        object
    )
    kind[duplicate_of >= 0] = "duplicate"
    real = np.flatnonzero(kind == "real")
    binary = np.flatnonzero(kind == "binary")
    if test == "mann":
        _mann_whitney_exact(values, codes, counts, real[n_unique[real] == n], p)
    else:
        p[real] = _smirnov(ks[real], counts, n)
    p[binary] = _fisher(values, codes, counts, binary) if len(binary) else p[binary]
    p[(kind == "constant") | (kind == "duplicate")] = np.nan

    tested = np.concatenate([real, binary])
    relevant_by_class = np.zeros((m, n_classes), dtype=bool)
    for c in range(n_classes):
        relevant_by_class[tested, c] = benjamini_yekutieli(
            p[tested, c], fdr, hypotheses_independent
        )
    table = pd.DataFrame(
        {"feature": X.columns, "type": kind}, index=pd.Index(X.columns, name="feature")
    )
    table["test"] = np.where(kind == "real", test, np.where(kind == "binary", "fisher", None))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows of untested columns
        table["p_value"] = np.nanmin(p, axis=1)
    if multiclass:
        for c, label in enumerate(labels):
            table[f"p_value_{label}"] = p[:, c]
            table[f"relevant_{label}"] = relevant_by_class[:, c]
        table["n_significant"] = relevant_by_class.sum(axis=1)
        table["relevant"] = table["n_significant"].to_numpy() >= n_significant
    else:
        table["relevant"] = relevant_by_class.any(axis=1)
    if drop_duplicates:
        table["duplicate_of"] = np.where(
            duplicate_of >= 0, X.columns.to_numpy()[np.maximum(duplicate_of, 0)], None
        )
    return table


# ------------------------------------------------------------------ choosing columns
def _correlation_filter(X: pd.DataFrame, ranked: list, max_corr: float, block: int = 512) -> list:
    """Greedy: walk ``ranked`` (most relevant first) and keep a column unless its absolute
    Pearson correlation with an already kept column exceeds ``max_corr``. Correlations come
    block by block from matrix products, so memory stays at rows x (kept + block)."""
    values = X[ranked].to_numpy(dtype=np.float64)
    values = values - values.mean(axis=0)
    norms = np.sqrt((values**2).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(norms > 0, values / norms, 0.0)
    kept: list[int] = []
    for start in range(0, len(ranked), block):
        candidates = np.arange(start, min(len(ranked), start + block))
        if kept:
            with_kept = np.abs(values[:, kept].T @ values[:, candidates]).max(axis=0)
            candidates = candidates[with_kept <= max_corr]
        among = np.abs(values[:, candidates].T @ values[:, candidates])
        chosen: list[int] = []
        for i in range(len(candidates)):
            if not chosen or among[i, chosen].max() <= max_corr:
                chosen.append(i)
        kept.extend(candidates[chosen].tolist())
    return [ranked[j] for j in kept]


def choose_columns(
    table: pd.DataFrame,
    X: pd.DataFrame | None = None,
    *,
    max_corr: float | None = None,
    fallback: int = 10,
) -> list:
    """Columns kept from a relevance table, in X's column order.

    The relevant ones; when none is relevant, the ``fallback`` columns with the smallest
    p-values (with a warning: a model needs some input, and an empty table would fail later
    with a less helpful error; ``fallback=0`` keeps none). With ``max_corr``, a column whose
    absolute correlation with a more relevant kept column (smaller p-value, then earlier)
    exceeds it is dropped (needs ``X``).

    Parameters
    ----------
    table : DataFrame
        From :func:`relevance_table`.
    X : DataFrame, optional
        The tested columns; needed with ``max_corr``.
    max_corr : float, optional
        Largest absolute Pearson correlation allowed between kept columns.
    fallback : int, default 10
        Columns kept when none is relevant.

    Returns
    -------
    list
        Column names, in the table's order.

    Raises
    ------
    ValueError
        ``max_corr`` without ``X``.
    """
    relevant = table.index[table["relevant"].to_numpy(dtype=bool)]
    if len(relevant) == 0:
        tested = table[table["p_value"].notna()]
        chosen = tested["p_value"].sort_values(kind="stable").index[:fallback]
        warnings.warn(
            f"no column is relevant at this false discovery rate among {len(tested)} tested; "
            f"keeping the {len(chosen)} with the smallest p-values instead (fallback="
            f"{fallback}). Raise fdr, add rows, or check the features.",
            RuntimeWarning,
            stacklevel=3,
        )
        relevant = chosen
    if max_corr is not None and len(relevant) > 1:
        if X is None:
            raise ValueError("max_corr needs X")
        ranked = table.loc[relevant, "p_value"].sort_values(kind="stable").index.tolist()
        relevant = _correlation_filter(X, ranked, max_corr)
    keep = set(relevant)
    return [c for c in table.index if c in keep]


def select_features(
    X: pd.DataFrame,
    y: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    max_corr: float | None = None,
    fallback: int = 10,
    **kwargs: Any,
) -> pd.DataFrame:
    """The columns of ``X`` relevant for ``y`` (tsfresh's ``select_features``), in X's order.

    Keyword arguments go to :func:`relevance_table`; ``drop_duplicates`` defaults to True
    here. Selecting on the whole table before cross-validation leaks the labels into the
    score: inside CV, use :class:`RelevanceSelector` as a pipeline step. See
    :func:`choose_columns` for ``max_corr`` and ``fallback``.

    Parameters
    ----------
    X : DataFrame (or 2-D array)
    y : array-like
        Class labels, one per row.
    groups : array-like, optional
        Subject of each row: the tests count subjects, not windows (see
        :func:`relevance_table`).
    max_corr, fallback
        As for :func:`choose_columns`.
    **kwargs
        As for :func:`relevance_table`.

    Returns
    -------
    DataFrame
        The kept columns of ``X`` (named ``x0, x1, ...`` for an array).

    Raises
    ------
    ValueError
        As :func:`relevance_table`.
    """
    kwargs.setdefault("drop_duplicates", True)
    table = relevance_table(X, y, groups=groups, **kwargs)
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X), columns=table.index)
    return frame[choose_columns(table, frame, max_corr=max_corr, fallback=fallback)]


class RelevanceSelector(TransformerMixin, BaseEstimator):
    """Keep the columns relevant for the target, judged on the training rows only.

    A pipeline step before any :func:`featurekit.models.make_model` model, e.g.
    ``Pipeline([("select", RelevanceSelector()), *make_model("rf").steps])``; inside
    :func:`featurekit.evaluate.cross_validate` it is refitted on each training fold.
    Numeric columns are tested with :func:`relevance_table`; non-numeric columns (categorical
    metadata) pass through untested and are always kept. Given ``groups`` (the subject of each
    row) at fit, the tests count subjects, not windows. It requests ``groups`` by default
    under scikit-learn's metadata routing, as the calibrated models do
    (``sklearn.set_config(enable_metadata_routing=True)``, then ``params={"groups": g}``);
    ``set_fit_request(groups=False)`` refuses them.

    Parameters
    ----------
    fdr, test, multiclass, n_significant, hypotheses_independent :
        As in :func:`relevance_table`.
    drop_duplicates : drop exact duplicates of an earlier column before testing.
    max_corr : optional; drop a relevant column whose absolute correlation with a more
        relevant kept column exceeds it.
    fallback : when no column is relevant, keep this many with the smallest p-values and warn.
    nan : ``"raise"`` (default: NaN is refused, as tsfresh's tests refuse it; impute first) or
        ``"median"``: a NaN is replaced by its column's median of the training rows for the
        tests only (the output keeps the NaN, for models that take it). Infinite values are
        refused either way.

    Attributes
    ----------
    relevance_table_ : the table of the training rows.
    support_ : boolean mask over ``feature_names_in_``.
    n_features_in_, feature_names_in_ : as in scikit-learn.
    n_samples_fit_ : number of training rows the selection saw.

    Notes
    -----
    Without metadata routing a Pipeline passes no ``groups`` to its steps, so the selector
    tests windows; :class:`SelectedClassifier` likewise forwards them only under routing.
    With ``nan="median"`` the tests of a column holding NaN are no longer tsfresh's (tsfresh
    refuses such a column); a column that is entirely NaN becomes constant and is dropped.
    """

    # groups requested by default, as CalibratedModel's: metadata routing brings the subjects
    __metadata_request__fit = {"groups": True}

    def __init__(
        self,
        fdr: float = 0.05,
        *,
        test: str = "mann",
        multiclass: bool = False,
        n_significant: int = 1,
        hypotheses_independent: bool = False,
        drop_duplicates: bool = True,
        max_corr: float | None = None,
        fallback: int = 10,
        nan: str = "raise",
    ):
        self.fdr = fdr
        self.test = test
        self.multiclass = multiclass
        self.n_significant = n_significant
        self.hypotheses_independent = hypotheses_independent
        self.drop_duplicates = drop_duplicates
        self.max_corr = max_corr
        self.fallback = fallback
        self.nan = nan

    def fit(self, X: Any, y: ArrayLike, groups: ArrayLike | None = None) -> RelevanceSelector:
        """Test the numeric columns of ``X`` against ``y`` and choose the columns to keep.

        Parameters
        ----------
        X : DataFrame or array of shape (n, n_features)
        y : array-like of shape (n,)
            Class labels.
        groups : array-like of shape (n,), optional
            Subject of each row: each (subject, class) cell is one sample of the tests.

        Returns
        -------
        RelevanceSelector
            ``self``.

        Raises
        ------
        ValueError
            ``y`` is None, ``nan`` is unknown, or the inputs fail :func:`relevance_table`.
        """
        if y is None:
            raise ValueError("RelevanceSelector requires y to be passed, but the target y is None")
        frame = self._frame(X, reset=True)
        numeric = [c for c, dtype in frame.dtypes.items() if pd.api.types.is_numeric_dtype(dtype)]
        passthrough = [c for c in frame.columns if c not in set(numeric)]
        if self.nan not in ("raise", "median"):
            raise ValueError(f"nan must be 'raise' or 'median', got {self.nan!r}")
        tested = frame[numeric]
        if self.nan == "median" and tested.isna().to_numpy().any():
            tested = tested.fillna(tested.median()).fillna(0.0)
        table = relevance_table(
            tested,
            y,
            groups=groups,
            fdr=self.fdr,
            test=self.test,
            multiclass=self.multiclass,
            n_significant=self.n_significant,
            hypotheses_independent=self.hypotheses_independent,
            drop_duplicates=self.drop_duplicates,
        )
        keep = set(
            choose_columns(table, tested, max_corr=self.max_corr, fallback=self.fallback)
        ) | set(passthrough)
        self.relevance_table_ = table
        self.support_ = np.array([c in keep for c in frame.columns], dtype=bool)
        self.n_samples_fit_ = len(frame)
        return self

    def _frame(self, X, *, reset: bool) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            names = np.asarray(X.columns, dtype=object)
            if reset:
                self.feature_names_in_ = names
            frame = X
        else:  # scikit-learn's checks and messages (dense, finite, 2-D, 2+ rows to fit)
            array = check_array(
                X,
                dtype=np.float64,
                ensure_min_samples=2 if reset else 1,
                ensure_all_finite=True if self.nan == "raise" else "allow-nan",
            )
            if reset and hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
            frame = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
        if reset:
            self.n_features_in_ = frame.shape[1]
            self._columns = list(frame.columns)
        elif frame.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {frame.shape[1]} features, but RelevanceSelector is "
                f"expecting {self.n_features_in_} features as input."
            )
        return frame

    def get_support(self, indices: bool = False) -> np.ndarray:
        """Which input columns are kept.

        Parameters
        ----------
        indices : bool, default False
            Positions instead of a mask.

        Returns
        -------
        ndarray of bool (one per input column) or of int
        """
        check_is_fitted(self, "support_")
        return np.flatnonzero(self.support_) if indices else self.support_.copy()

    def transform(self, X: Any) -> pd.DataFrame | np.ndarray:
        """The kept columns of ``X``.

        Parameters
        ----------
        X : DataFrame or array of shape (n, n_features)
            With the columns seen in :meth:`fit` (a DataFrame: by name).

        Returns
        -------
        DataFrame or ndarray
            Of the same kind as ``X``.

        Raises
        ------
        ValueError
            ``X`` lacks kept columns, or has another number of columns.
        """
        check_is_fitted(self, "support_")
        if isinstance(X, pd.DataFrame):
            if hasattr(self, "feature_names_in_"):
                missing = [c for c in self.get_feature_names_out() if c not in X.columns]
                if missing:
                    raise ValueError(f"X lacks the selected columns {missing[:10]}")
                return X[list(self.get_feature_names_out())]
            return X.iloc[:, self.get_support(indices=True)]
        array = self._frame(X, reset=False).to_numpy()
        return array[:, self.support_]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Names of the kept columns (``x0, x1, ...`` for an array fitted).

        Parameters
        ----------
        input_features : ignored
            Accepted for scikit-learn compatibility.

        Returns
        -------
        ndarray of str (object dtype)
        """
        check_is_fitted(self, "support_")
        names = np.asarray(self._columns, dtype=object)
        return names[self.support_]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = self.nan == "median"
        return tags


class SelectedClassifier(ClassifierMixin, BaseEstimator):
    """A classifier fitted on the columns a selector keeps, both fitted on the same rows.

    For models whose ``fit`` takes ``groups`` (``make_model("ensemble")``, a
    ``CalibratedModel``): a scikit-learn Pipeline would not pass the subjects on, and their
    inner calibration folds would mix subjects. :func:`with_selection` builds it.

    Parameters
    ----------
    selector : transformer
        A selector such as :class:`RelevanceSelector`; cloned.
    estimator : classifier
        Fitted on the kept columns, with ``groups``; cloned.
    """

    __metadata_request__fit = {"groups": True}  # as CalibratedModel: subjects reach it

    def __init__(self, selector: BaseEstimator, estimator: BaseEstimator):
        self.selector = selector
        self.estimator = estimator

    def fit(self, X: Any, y: ArrayLike, groups: ArrayLike | None = None) -> SelectedClassifier:
        """Fit the selector on ``X, y``, then the estimator on the kept columns with ``groups``.

        Parameters
        ----------
        X : DataFrame or array of shape (n, n_features)
        y : array-like of shape (n,)
        groups : array-like of shape (n,), optional
            Subject of each row, passed to the estimator's fit when it takes them, and to
            the selector's under metadata routing when it requests them (as a Pipeline
            would route them).

        Returns
        -------
        SelectedClassifier
            ``self``.
        """
        from featurekit.validation import fit_grouped

        selector = clone(self.selector)
        if groups is not None and _routes_groups_to(selector):
            self.selector_ = selector.fit(X, y, groups=groups)
        else:
            self.selector_ = selector.fit(X, y)
        self.estimator_ = fit_grouped(clone(self.estimator), self.selector_.transform(X), y, groups)
        self.classes_ = self.estimator_.classes_
        self.n_features_in_ = self.selector_.n_features_in_
        if hasattr(self.selector_, "feature_names_in_"):
            self.feature_names_in_ = self.selector_.feature_names_in_
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """The estimator's probabilities on the kept columns of ``X``.

        Parameters
        ----------
        X : DataFrame or array of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(self.selector_.transform(X))

    @available_if(lambda self: hasattr(self.estimator, "predict_proba_raw"))
    def predict_proba_raw(self, X: Any) -> np.ndarray:
        """The wrapped model's probabilities before its own calibration (when it has one).

        Parameters
        ----------
        X : DataFrame or array of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n, n_classes)
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba_raw(self.selector_.transform(X))

    def predict(self, X: Any) -> np.ndarray:
        """The estimator's predicted classes on the kept columns of ``X``.

        Parameters
        ----------
        X : DataFrame or array of shape (n, n_features)

        Returns
        -------
        ndarray of shape (n,)
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(self.selector_.transform(X))


def _routes_groups_to(selector: Any) -> bool:
    """Whether metadata routing is on and ``selector``'s fit requests ``groups``."""
    from sklearn import get_config

    if not get_config().get("enable_metadata_routing", False):
        return False
    try:
        return selector.get_metadata_routing().fit.requests.get("groups") is True
    except AttributeError:  # not a scikit-learn estimator
        return False


def with_selection(
    model: str | BaseEstimator, selector: BaseEstimator | None = None
) -> BaseEstimator:
    """``model`` (a :func:`featurekit.models.make_model` name or estimator) preceded by
    ``selector`` (default ``RelevanceSelector()``), refitted with it on every training set.

    A Pipeline gets the selector as its first step ``"select"`` (feature importances still
    name the kept columns); a model whose ``fit`` takes ``groups`` (the ensemble, calibrated
    models) is wrapped in :class:`SelectedClassifier` so its inner folds still see the
    subjects.

    Parameters
    ----------
    model : str or classifier
    selector : transformer, optional
        Default ``RelevanceSelector()``.

    Returns
    -------
    Pipeline or SelectedClassifier

    Examples
    --------
    >>> list(with_selection("rf").named_steps)
    ['select', 'prep', 'model']
    """
    from sklearn.pipeline import Pipeline

    from featurekit.validation import fit_takes_groups

    selector = RelevanceSelector() if selector is None else selector
    if isinstance(model, str):
        from featurekit.models import make_model

        model = make_model(model)
    if isinstance(model, Pipeline) and not fit_takes_groups(model):
        return Pipeline([("select", selector), *model.steps])
    return SelectedClassifier(selector, model)
