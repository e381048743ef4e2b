"""Preprocessing steps, each Panel -> Panel, vectorized over the whole panel.

Every step works on the contiguous ``values`` array with the ``offsets`` of the series, so
no step loops over series in Python; filters whose result depends on the series length
loop over groups of series of equal length and rate. :class:`PanelTransformer` makes any
step a scikit-learn transformer for a Pipeline.

Steps whose output at one sample depends on far-away samples (filters, Savitzky-Golay,
resampling with anti-aliasing) refuse series with NaN and point to :func:`fill_nan`,
because a NaN there would silently spread over the whole series.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from featurekit.conventions import (
    GRAVITY_CUTOFF_HZ,
    default_accelerometer,
    default_mirror_signs,
    magnitude_groups,
)
from featurekit.panel import Panel, describe_ids, meta_mask

Where = dict | np.ndarray | Sequence[bool] | Callable[[pd.DataFrame], object] | None


# ---------------------------------------------------------------------------- helpers
def _where_mask(panel: Panel, where: Where) -> np.ndarray:
    """Boolean mask over series from a metadata condition (see ``panel.meta_mask``)."""
    return meta_mask(panel.meta, where)


def _sample_mask(panel: Panel, series_mask: np.ndarray) -> np.ndarray:
    """Boolean mask over samples (rows of ``values``) of the selected series."""
    return np.repeat(series_mask, panel.lengths)


def _describe(panel: Panel, positions) -> str:
    return describe_ids(panel.ids[np.asarray(positions)])


def _refuse_nan(panel: Panel, positions: np.ndarray, step: str, cols=None) -> None:
    """Raise if any series at ``positions`` has NaN in channels ``cols`` (default all)."""
    every = cols is None or list(cols) == list(range(panel.n_channels))
    values = panel.values if every else panel.values[:, cols]
    bad = np.isnan(values).any(axis=1)
    if not bad.any():
        return
    owners = positions[panel.per_series_sum(bad)[positions] > 0]
    if len(owners):
        raise ValueError(
            f"{step}: series {_describe(panel, owners)} contain NaN, which the "
            "filter would spread over the whole series; fill them first with "
            "featurekit.preprocess.fill_nan(panel)"
        )


def _buckets(panel: Panel, positions: np.ndarray):
    """Groups of ``positions`` that share length and sampling rate."""
    key = pd.DataFrame({"length": panel.lengths[positions], "rate": panel.sampling_rate[positions]})
    for (length, rate), idx in key.groupby(["length", "rate"], sort=False).indices.items():
        yield int(length), float(rate), positions[idx]


def _stacked_rows(panel: Panel, positions: np.ndarray, length: int) -> np.ndarray:
    """Row numbers (k x length) of ``k`` equal-length series, for 3-D gathering."""
    return panel.offsets[:-1][positions][:, None] + np.arange(length)[None, :]


def _channel_positions(panel: Panel, channels: Sequence[str] | None) -> list[int]:
    if channels is None:
        return list(range(panel.n_channels))
    unknown = [c for c in channels if c not in panel.channels]
    if unknown:
        raise ValueError(f"unknown channels {unknown}; the panel has {panel.channels}")
    return [panel.channels.index(c) for c in channels]


# ---------------------------------------------------------------------------- derivatives
def positions_to_acceleration(
    panel: Panel, *, where: Where = None, smooth: tuple[int, int] | None = None
) -> Panel:
    """Second time derivative of positions: metres in, m/s^2 out.

    Uses each series' own sampling rate. With ``smooth=None`` the derivative is
    ``np.gradient`` applied twice (central differences, one-sided at the ends); with
    ``smooth=(window, polyorder)`` it is a Savitzky-Golay second derivative
    (``scipy.signal.savgol_filter(..., deriv=2, mode="interp")``), which suppresses the
    noise that double differencing amplifies (marker jitter of 0.02 mm at 100 Hz becomes
    ~0.5 m/s^2).

    Parameters
    ----------
    panel : Panel
        Positions in metres, all channels differentiated.
    where : dict, bool array or callable, optional
        Which series hold positions, e.g. ``{"sensor": "vicon"}``; the others are left as
        they are. Default: every series.
    smooth : (int, int), optional
        Savitzky-Golay odd window length and polynomial order (>= 2).

    Returns
    -------
    Panel
        Same shape; selected series replaced by their acceleration.
    """
    mask = _where_mask(panel, where)
    positions = np.flatnonzero(mask)
    values = panel.values.astype(np.float64, copy=True)
    if not len(positions):
        return panel.replace(values=values)
    lengths = panel.lengths[positions]
    need = 2 if smooth is None else int(smooth[0])
    short = positions[(lengths > 0) & (lengths < need)]
    if len(short):
        raise ValueError(
            f"positions_to_acceleration: series {_describe(panel, short)} have "
            f"fewer than {need} samples; drop them first, e.g. "
            f"panel.take(panel.lengths >= {need})"
        )
    sub = panel.take(positions)
    unknown = positions[sub.sampling_rate == 1.0]
    if len(unknown):
        # 1.0 is the Panel default: most likely the rate was never set, and the result
        # would be in metres per sample^2 instead of m/s^2
        warnings.warn(
            f"positions_to_acceleration: series {_describe(panel, unknown)} have "
            "sampling_rate 1.0 Hz, so the result is in m/sample^2; set the real rate "
            "(e.g. load_store(..., sampling_rates={'vicon': VICON_HZ}))",
            stacklevel=2,
        )
    rate = np.repeat(sub.sampling_rate, sub.lengths)[:, None]
    if smooth is None:
        acc = _segment_gradient(_segment_gradient(sub.values, sub.offsets) * rate, sub.offsets)
        acc *= rate
    else:
        _refuse_nan(panel, positions, "positions_to_acceleration(smooth=...)")
        acc = _savgol_second_derivative(sub, *smooth) * rate**2
    values[_sample_mask(panel, mask)] = acc
    return panel.replace(values=values)


def _segment_gradient(values: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``np.gradient`` along axis 0 within each segment (unit spacing), never across them."""
    values = np.asarray(values, dtype=np.float64)
    out = np.empty_like(values)
    if len(values) >= 3:
        out[1:-1] = (values[2:] - values[:-2]) / 2
    starts, ends = offsets[:-1], offsets[1:] - 1
    ok = (ends - starts) >= 1
    out[starts[ok]] = values[starts[ok] + 1] - values[starts[ok]]
    out[ends[ok]] = values[ends[ok]] - values[ends[ok] - 1]
    single = starts[(ends - starts) == 0]
    out[single] = np.nan
    return out


def _savgol_second_derivative(panel: Panel, window: int, order: int) -> np.ndarray:
    """Savitzky-Golay second derivative (unit spacing) of every series, mode='interp'.

    The interior is one correlation over the whole array; the first and last
    ``window // 2`` samples of each series get the polynomial fit of their end window,
    a fixed linear map gathered for all series at once.
    """
    if window % 2 != 1 or order < 2 or order >= window:
        raise ValueError(
            f"smooth=(window, polyorder) needs an odd window > polyorder >= 2, "
            f"got {(window, order)}"
        )
    from scipy import signal  # here, not at import: a second or so in every worker process
    from scipy.ndimage import correlate1d

    half = window // 2
    # column j is the response to a unit impulse at j: the full linear map on one window
    full = signal.savgol_filter(np.eye(window), window, order, deriv=2, axis=0, mode="interp")
    out = correlate1d(panel.values.astype(np.float64), full[half], axis=0, mode="constant")
    starts, ends = panel.offsets[:-1], panel.offsets[1:]
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    head = panel.values[starts[:, None] + np.arange(window)]  # (n, window, channels)
    tail = panel.values[ends[:, None] - window + np.arange(window)]
    out[starts[:, None] + np.arange(half)] = np.einsum("hw,nwc->nhc", full[:half], head)
    out[ends[:, None] - half + np.arange(half)] = np.einsum("hw,nwc->nhc", full[half + 1 :], tail)
    return out


# ---------------------------------------------------------------------------- mirroring
def mirror(
    panel: Panel,
    *,
    axes: Sequence[str] | None = None,
    signs: dict[str, int] | None = None,
    where: Where = None,
) -> Panel:
    """Flip axes of left-side series so that left and right devices share one frame.

    Parameters
    ----------
    panel : Panel
    axes : list of str, optional
        Channels to negate (shorthand for ``signs={c: -1}``).
    signs : dict, optional
        Per-channel factor (+1 or -1). Default: :func:`default_mirror_signs`, i.e. ``x``
        for accel-only data and ``ax, wy, wz`` for accel+gyro (angular velocity is a
        pseudovector, so the reflection negates wy and wz, not wx).
    where : dict, bool array or callable, optional
        Series to mirror; default ``meta["side"] == "left"``.

    Returns
    -------
    Panel
        Mirrored series, with ``meta["mirrored"]`` True where a flip was applied.
    """
    if where is None:
        if "side" not in panel.meta.columns:
            raise ValueError(
                "mirror: meta has no 'side' column; pass where= to choose the "
                "series to mirror, e.g. where={'hand': 'left'}"
            )
        where = {"side": "left"}
    mask = _where_mask(panel, where)
    if signs is None:
        signs = {c: -1 for c in axes} if axes is not None else default_mirror_signs(panel.channels)
    unknown = [c for c in signs if c not in panel.channels]
    bad = {c: s for c, s in signs.items() if s not in (1, -1)}
    if unknown or bad:
        raise ValueError(
            f"mirror: unknown channels {unknown} (the panel has {panel.channels})"
            f"; signs must be +1 or -1, got {bad}"
        )
    factor = np.array([signs.get(c, 1) for c in panel.channels], dtype=panel.values.dtype)
    values = panel.values.copy()
    rows = np.repeat(mask, panel.lengths)
    values[rows] *= factor
    meta = panel.meta.copy()
    previous = meta["mirrored"].to_numpy(bool) if "mirrored" in meta.columns else False
    meta["mirrored"] = previous ^ mask
    return panel.replace(values=values, meta=meta)


# ---------------------------------------------------------------------------- missing values
class FillResult(NamedTuple):
    """What :func:`fill_nan` returns: the filled panel, counts per series, dropped ids."""

    panel: Panel
    counts: pd.Series
    dropped: pd.Index


def fill_nan(panel: Panel, method: str = "ffill", *, all_nan: str = "raise") -> FillResult:
    """Fill NaN within each series, never across series boundaries.

    Parameters
    ----------
    panel : Panel
    method : {"ffill", "linear"}
        "ffill": forward fill, then back fill the leading NaN. "linear": linear
        interpolation between the nearest valid samples, the ends held at the first/last
        valid value (as ``np.interp`` does).
    all_nan : {"raise", "drop"}
        What to do with a series in which some channel has no valid value at all (it cannot
        be filled without inventing data): raise a ValueError naming the ids, or drop those
        series and list them in ``dropped``. Never zero-filled.

    Returns
    -------
    FillResult
        ``(panel, counts, dropped)``: ``counts`` is the number of values filled per kept
        series (indexed by id), ``dropped`` the ids removed.
    """
    if method not in ("ffill", "linear"):
        raise ValueError(f"method must be 'ffill' or 'linear', got {method!r}")
    if all_nan not in ("raise", "drop"):
        raise ValueError(f"all_nan must be 'raise' or 'drop', got {all_nan!r}")
    cells = [_nan_runs(panel, c) for c in range(panel.n_channels)]
    per_series = (
        np.column_stack([np.bincount(r.series, minlength=len(panel)) for r in cells])
        if cells
        else np.zeros((len(panel), 0), dtype=np.int64)
    )
    lengths = panel.lengths[:, None]
    empty_channel = (per_series == lengths) & (lengths > 0)
    hopeless = empty_channel.any(axis=1)
    dropped = panel.ids[hopeless]
    if hopeless.any():
        if all_nan == "raise":
            shown = {
                panel.ids[i]: [
                    c for c, bad in zip(panel.channels, empty_channel[i], strict=True) if bad
                ]
                for i in np.flatnonzero(hopeless)[:10]
            }
            raise ValueError(
                f"fill_nan: {len(dropped)} series have a channel with no valid value "
                f"(id: channels) {shown}; drop them with fill_nan(panel, all_nan='drop') "
                "or fix the source files"
            )
        panel = panel.take(~hopeless)
        cells = [_nan_runs(panel, c) for c in range(panel.n_channels)]
        per_series = per_series[~hopeless]
    counts = pd.Series(per_series.sum(axis=1), index=panel.ids, name="filled")
    values = panel.values.copy()
    for c, run in enumerate(cells):
        if not len(run.rows):
            continue
        col = values[:, c]
        before = np.where(run.has_prev, col[np.maximum(run.prev, 0)], np.nan)
        after = np.where(run.has_next, col[np.minimum(run.next, len(col) - 1)], np.nan)
        if method == "ffill":
            col[run.rows] = np.where(run.has_prev, before, after)
        else:
            frac = (run.rows - run.prev) / np.maximum(run.next - run.prev, 1)
            inner = before + (after - before) * frac
            col[run.rows] = np.where(
                run.has_prev & run.has_next, inner, np.where(run.has_prev, before, after)
            )
    return FillResult(panel.replace(values=values), counts, dropped)


class _Runs(NamedTuple):
    """NaN cells of one channel, each with its run's valid neighbours in the same series."""

    rows: np.ndarray  # row of every NaN cell
    series: np.ndarray  # position of its series
    prev: np.ndarray  # row of the last valid sample before its run
    next: np.ndarray  # row of the first valid sample after its run
    has_prev: np.ndarray  # that row lies in the same series
    has_next: np.ndarray


def _nan_runs(panel: Panel, channel: int) -> _Runs:
    """Runs of NaN in one channel, split at series boundaries; cost ~ number of NaN."""
    rows = np.flatnonzero(np.isnan(panel.values[:, channel]))
    series = np.searchsorted(panel.offsets, rows, side="right") - 1
    if not len(rows):
        return _Runs(rows, series, rows, rows, rows.astype(bool), rows.astype(bool))
    new_run = np.ones(len(rows), dtype=bool)
    new_run[1:] = (np.diff(rows) != 1) | (np.diff(series) != 0)
    run_id = np.cumsum(new_run) - 1
    first = rows[new_run]
    last = rows[np.append(new_run[1:], True)]
    prev = (first - 1)[run_id]
    nxt = (last + 1)[run_id]
    return _Runs(
        rows, series, prev, nxt, prev >= panel.offsets[series], nxt < panel.offsets[series + 1]
    )


# ---------------------------------------------------------------------------- new channels
def add_magnitude(panel: Panel, groups: dict[str, Sequence[str]] | None = None) -> Panel:
    """Append the Euclidean norm of channel groups as new channels.

    The norm of acceleration does not depend on how the device is oriented, so it
    carries the motion even when the wrist turns.

    Parameters
    ----------
    panel : Panel
    groups : dict, optional
        ``{new_channel: [channels]}``. Default: every triple named like ``x, y, z`` (->
        ``mag``), ``ax, ay, az`` (-> ``amag``), ``acc_x, acc_y, acc_z`` (-> ``acc_mag``):
        :func:`featurekit.conventions.magnitude_name`, the names the ``cross`` feature set
        gives its magnitude channels.

    Returns
    -------
    Panel
        ``panel`` with one more channel per group.
    """
    if groups is None:
        groups = {name: list(triple) for name, triple in magnitude_groups(panel.channels).items()}
        if not groups:
            raise ValueError(
                f"add_magnitude: no x/y/z triple among {panel.channels}; "
                "pass groups={'name': [channels]}"
            )
    clash = [name for name in groups if name in panel.channels]
    if clash:
        raise ValueError(f"add_magnitude: channels {clash} already exist; choose other names")
    norms = [
        np.sqrt((panel.values[:, _channel_positions(panel, cols)] ** 2).sum(axis=1))
        for cols in groups.values()
    ]
    values = np.column_stack([panel.values, *norms]) if norms else panel.values
    return panel.replace(values=values, channels=[*panel.channels, *groups])


# ---------------------------------------------------------------------------- filters
def lowpass(
    panel: Panel, cutoff_hz: float, order: int = 4, *, channels: Sequence[str] | None = None
) -> Panel:
    """Zero-phase Butterworth low-pass (``scipy.signal.sosfiltfilt``) at each series' rate.

    Series shorter than sosfiltfilt's default padding are padded by ``length - 1`` samples
    instead. Series with NaN are refused (see :func:`fill_nan`).

    Parameters
    ----------
    panel : Panel
    cutoff_hz : float
        Cutoff frequency in Hz, below every series' Nyquist frequency.
    order : int
        Filter order (applied forward and backward, so the effective order is doubled).
    channels : list of str, optional
        Channels to filter; default all.

    Returns
    -------
    Panel
        Same series and channels, filtered values (float64).

    Raises
    ------
    ValueError
        Unknown channels, a cutoff not in (0, Nyquist) of some series, or NaN in a series.
    """
    cols = _channel_positions(panel, channels)
    values = panel.values.astype(np.float64, copy=True)
    _filter_into(values, panel, cols, cutoff_hz, order, "lowpass")
    return panel.replace(values=values)


def _filter_into(out, panel: Panel, cols, cutoff_hz: float, order: int, step: str) -> None:
    """Low-pass ``panel.values[:, cols]`` into ``out[:, cols]``, bucket by bucket."""
    nyquist = panel.sampling_rate / 2
    too_high = np.flatnonzero(cutoff_hz >= nyquist)
    if len(too_high):
        raise ValueError(
            f"{step}: cutoff {cutoff_hz} Hz is not below the Nyquist frequency "
            f"of series {_describe(panel, too_high)} (rates "
            f"{np.unique(panel.sampling_rate[too_high]).tolist()} Hz)"
        )
    if cutoff_hz <= 0:
        raise ValueError(f"{step}: cutoff_hz must be > 0, got {cutoff_hz}")
    positions = np.flatnonzero(panel.lengths > 0)
    _refuse_nan(panel, positions, step, cols)
    cols = np.asarray(cols)
    from scipy import signal  # here, not at import: a second or so in every worker process

    designs = {}
    for length, rate, group in _buckets(panel, positions):
        if rate not in designs:
            designs[rate] = signal.butter(order, cutoff_hz, fs=rate, output="sos")
        sos = designs[rate]
        padlen = min(_default_padlen(sos), length - 1)
        rows = _stacked_rows(panel, group, length)
        block = panel.values[rows[:, :, None], cols[None, None, :]]
        out[rows[:, :, None], cols[None, None, :]] = signal.sosfiltfilt(
            sos, block, axis=1, padlen=padlen
        )


def _default_padlen(sos: np.ndarray) -> int:
    """sosfiltfilt's default padding length."""
    return 3 * (2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum()))


def split_gravity(
    panel: Panel,
    cutoff_hz: float = GRAVITY_CUTOFF_HZ,
    *,
    channels: Sequence[str] | None = None,
    order: int = 4,
) -> Panel:
    """Separate accelerometer channels into gravity (slow) and body (fast) parts.

    Gravity is the zero-phase Butterworth low-pass below ``cutoff_hz``; body is the signal
    minus gravity. For each channel ``c`` two channels are appended: ``c_grav`` and
    ``c_body``.

    Parameters
    ----------
    panel : Panel
    cutoff_hz : float
        0.3 Hz is the usual choice for human motion.
    channels : list of str, optional
        Default ``ax, ay, az`` if present, else ``x, y, z``, else ``acc_x, acc_y, acc_z``
        (:data:`featurekit.conventions.ACCELEROMETER_TRIPLES`).
    order : int
        Butterworth order.

    Returns
    -------
    Panel
        ``panel`` with ``c_grav`` and ``c_body`` appended for each channel ``c``.

    Raises
    ------
    ValueError
        No accelerometer triple found, unknown channels, a cutoff not in (0, Nyquist), or
        NaN in a series.
    """
    if channels is None:
        channels = default_accelerometer(panel.channels)
        if channels is None:
            raise ValueError(
                f"split_gravity: no accelerometer triple among {panel.channels}; "
                "pass channels=[...]"
            )
    cols = _channel_positions(panel, channels)
    c, k = panel.n_channels, len(cols)
    values = np.empty((len(panel.values), c + 2 * k), dtype=np.float64)
    values[:, :c] = panel.values
    grav_cols = list(range(c, c + k))
    values[:, grav_cols] = panel.values[:, cols]
    sub = panel.replace(
        values=values, channels=[*panel.channels, *[f"_g{i}" for i in range(2 * k)]]
    )
    _filter_into(values, sub, grav_cols, cutoff_hz, order, "split_gravity")
    np.subtract(panel.values[:, cols], values[:, grav_cols], out=values[:, c + k :])
    names = [f"{ch}_grav" for ch in channels] + [f"{ch}_body" for ch in channels]
    return panel.replace(values=values, channels=[*panel.channels, *names])


# ---------------------------------------------------------------------------- resampling
def resample(panel: Panel, rate: float, *, antialias: bool = True) -> Panel:
    """Resample every series to ``rate`` Hz by linear interpolation.

    A series of ``n`` samples at ``r`` Hz becomes ``max(1, round(n * rate / r))`` samples;
    new sample ``k`` sits at time ``k / rate`` (clamped to the last original sample).
    When a series is downsampled and ``antialias`` is True, it is first low-passed at 0.8
    times the new Nyquist frequency (Butterworth order 8, zero phase) so that fast
    motion does not fold into slow frequencies.

    Parameters
    ----------
    panel : Panel
    rate : float
        New sampling rate in Hz.
    antialias : bool
        Low-pass before downsampling.

    Returns
    -------
    Panel
        Every series at ``rate`` Hz.

    Raises
    ------
    ValueError
        ``rate`` is not > 0.
    """
    if not rate > 0:
        raise ValueError(f"rate must be > 0, got {rate}")
    src = panel
    down = panel.sampling_rate > rate
    if antialias and down.any():
        values = panel.values.astype(np.float64, copy=True)
        sub = panel.take(down)
        filtered = sub.values.copy()
        _filter_into(filtered, sub, list(range(sub.n_channels)), 0.4 * rate, 8, "resample")
        values[_sample_mask(panel, down)] = filtered
        src = panel.replace(values=values)
    lengths = panel.lengths
    new_lengths = np.where(
        lengths > 0, np.maximum(1, np.round(lengths * rate / panel.sampling_rate)), 0
    )
    new_lengths = new_lengths.astype(np.int64)
    k = np.arange(new_lengths.sum()) - np.repeat(np.cumsum(new_lengths) - new_lengths, new_lengths)
    scale = np.repeat(panel.sampling_rate / rate, new_lengths)
    pos = np.minimum(k * scale, np.repeat(lengths - 1, new_lengths))
    left = np.floor(pos).astype(np.int64)
    right = np.minimum(left + 1, np.repeat(lengths - 1, new_lengths))
    frac = (pos - left)[:, None]
    base = np.repeat(panel.offsets[:-1], new_lengths)
    a, b = src.values[base + left], src.values[base + right]
    values = a + (b - a) * frac
    # interpolation exactly at a sample keeps its value even if the neighbour is NaN
    values = np.where(frac == 0, a, values)
    return panel.replace(
        values=values,
        offsets=np.concatenate([[0], np.cumsum(new_lengths)]),
        sampling_rate=np.full(len(panel), float(rate)),
    )


# ---------------------------------------------------------------------------- windows
def _to_samples(amount, rate: np.ndarray, name: str, seconds: bool) -> np.ndarray:
    """Window size or step to samples per series (int samples, "4s" or seconds)."""
    if isinstance(amount, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*s\s*", amount)
        if not m:
            raise ValueError(f"{name}={amount!r}: write seconds like '4s' or '2.5s'")
        amount, seconds = float(m.group(1)), True
    if seconds:
        out = np.round(float(amount) * rate).astype(np.int64)
    elif isinstance(amount, (int, np.integer)):
        out = np.full(len(rate), int(amount), dtype=np.int64)
    else:
        raise ValueError(
            f"{name}={amount!r}: give an int number of samples, a string like "
            "'4s', or seconds=True for a float in seconds"
        )
    if (out < 1).any():
        raise ValueError(f"{name}={amount!r} gives windows of less than one sample")
    return out


def windows(
    panel: Panel,
    size: int | str | float,
    step: int | str | float | None = None,
    *,
    seconds: bool = False,
    short: str = "drop",
) -> Panel:
    """Cut every series into fixed-size windows, each a new series.

    Parameters
    ----------
    panel : Panel
    size, step : int, str or float
        In samples (int), in seconds as a string (``"4s"``), or in seconds as a number when
        ``seconds=True`` (converted with each series' own rate). ``step`` defaults to
        ``size`` (no overlap). Only whole windows are cut; the tail is left out.
    seconds : bool
        Read numeric ``size``/``step`` as seconds.
    short : {"drop", "keep", "raise"}
        Series shorter than one window: dropped with a warning listing them, kept whole
        as one window, or an error.

    Returns
    -------
    Panel
        Ids ``f"{parent}_w{k}"``; meta of the parent (label, group, ...) plus
        ``parent_id``, ``window`` (k), ``start`` and ``end`` (sample positions in the
        parent, end exclusive).
    """
    if short not in ("drop", "keep", "raise"):
        raise ValueError(f"short must be 'drop', 'keep' or 'raise', got {short!r}")
    rate = panel.sampling_rate
    size_n = _to_samples(size, rate, "size", seconds)
    step_n = size_n if step is None else _to_samples(step, rate, "step", seconds)
    lengths = panel.lengths
    counts = np.where(lengths >= size_n, (lengths - size_n) // step_n + 1, 0)
    too_short = np.flatnonzero(counts == 0)
    if len(too_short):
        message = (
            f"windows: {len(too_short)} series are shorter than one window: "
            f"{_describe(panel, too_short)}"
        )
        if short == "raise":
            raise ValueError(message + "; use short='drop' or 'keep', or a smaller size")
        if short == "keep":
            nonempty = lengths[too_short] > 0
            counts[too_short[nonempty]] = 1
            size_n = size_n.copy()
            size_n[too_short] = lengths[too_short]
        else:
            warnings.warn(message + " (dropped)", stacklevel=2)
    parent = np.repeat(np.arange(len(panel)), counts)
    k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    start = k * step_n[parent]
    win_len = size_n[parent]
    rows = np.repeat(panel.offsets[:-1][parent] + start, win_len) + (
        np.arange(win_len.sum()) - np.repeat(np.cumsum(win_len) - win_len, win_len)
    )
    parent_ids = panel.ids[parent]
    meta = panel.meta.iloc[parent].reset_index(drop=True)
    meta["parent_id"] = parent_ids.to_numpy()
    meta["window"] = k
    meta["start"] = start
    meta["end"] = start + win_len
    ids = [f"{p}_w{w}" for p, w in zip(parent_ids, k, strict=True)]
    return Panel(
        panel.values[rows],
        np.concatenate([[0], np.cumsum(win_len)]),
        ids=ids,
        channels=panel.channels,
        sampling_rate=rate[parent],
        meta=meta,
    )


# ---------------------------------------------------------------------------- sklearn
class PanelTransformer(TransformerMixin, BaseEstimator):
    """Any Panel -> Panel step as a scikit-learn transformer, for use in a Pipeline.

    Parameters
    ----------
    func : callable
        A step of this module (or any function taking a Panel first).
    kw_args : dict, optional
        Keyword arguments for ``func``.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> steps = make_pipeline(PanelTransformer(mirror),
    ...                       PanelTransformer(lowpass, kw_args={"cutoff_hz": 5}))

    Notes
    -----
    A step that drops series (``fill_nan(all_nan="drop")``, ``windows``) changes the
    number of rows, which a Pipeline with ``y`` cannot follow; apply those before.
    """

    def __init__(self, func: Callable[..., Panel], kw_args: dict | None = None):
        self.func = func
        self.kw_args = kw_args

    def fit(self, X: Panel, y: object = None) -> PanelTransformer:
        """Check ``X`` and ``func``; nothing is learned.

        Parameters
        ----------
        X : Panel
        y : ignored
            Accepted for Pipeline compatibility.

        Returns
        -------
        PanelTransformer
            ``self``.

        Raises
        ------
        TypeError
            ``X`` is not a Panel or ``func`` is not callable.
        """
        if not isinstance(X, Panel):
            raise TypeError(f"PanelTransformer expects a featurekit Panel, got {type(X).__name__}")
        if not callable(self.func):
            raise TypeError(f"func must be callable, got {self.func!r}")
        return self

    def transform(self, X: Panel) -> Panel:
        """``func(X, **kw_args)`` (the panel of a :class:`FillResult`).

        Parameters
        ----------
        X : Panel

        Returns
        -------
        Panel

        Raises
        ------
        TypeError
            ``X`` is not a Panel.
        """
        if not isinstance(X, Panel):
            raise TypeError(f"PanelTransformer expects a featurekit Panel, got {type(X).__name__}")
        out = self.func(X, **(self.kw_args or {}))
        return out.panel if isinstance(out, FillResult) else out
