"""Embeddings from a separately trained torch encoder, or from a precomputed table, as features.

Seed 000's best idea was to pretrain a feature extractor on the unlabeled series and feed its
features, with handcrafted ones, to a tree ensemble. Two transformers turn a
:class:`~featurekit.panel.Panel` into such an embedding table, indexed by the panel's ids so
that it joins the table from :func:`featurekit.extract`: :class:`EncoderEmbeddings` runs a
torch encoder (e.g. one trained by :func:`featurekit.encoder.train_encoder`),
:class:`TableEmbeddings` looks precomputed embeddings up by id. :class:`EmbeddingFeatures`
(either one, by its arguments) is kept for older code.

torch is optional: it is imported only when an encoder is run. Encoders are loaded as
TorchScript archives (``torch.jit.load``) or as state dicts with ``torch.load(...,
weights_only=True)``; arbitrary pickled objects are never loaded.
"""

from __future__ import annotations

import inspect
import io
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from featurekit.conventions import is_channel_name
from featurekit.panel import Panel, describe_ids
from featurekit.validation import raise_problems

_TORCH_FIX = "pip install torch==2.13.0 (CPU build) or pip install featurekit[torch]"


def _import_torch():
    """Import torch or say which ``pip install`` fixes its absence."""
    try:
        import torch
    except ImportError as exc:
        raise ImportError(
            f"EncoderEmbeddings (EmbeddingFeatures(encoder=...)) runs a torch encoder, but torch "
            f"is not installed: {_TORCH_FIX}. Precomputed embeddings (TableEmbeddings, "
            f"EmbeddingFeatures(table=...)) work without torch."
        ) from exc
    return torch


class _Embeddings(TransformerMixin, BaseEstimator):
    """What both kinds share: the column names, the Panel check, the output frame."""

    _title = "embeddings"

    def _common_problems(self, X) -> list[str]:
        problems = []
        if not isinstance(X, Panel):
            problems.append(f"X must be a featurekit.Panel, got {type(X).__name__}")
        if not is_channel_name(self.name):
            problems.append(f"name {self.name!r} must use only [A-Za-z0-9_.=-] and no '__'")
        return problems

    def _check_panel(self, X) -> None:
        check_is_fitted(self, "n_features_out_")
        if not isinstance(X, Panel):
            raise ValueError(f"X must be a featurekit.Panel, got {type(X).__name__}")

    def _frame(self, X: Panel, values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=X.ids.copy(), columns=self.get_feature_names_out())

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Column names ``emb__<name>__000``, ``emb__<name>__001``, ...

        Parameters
        ----------
        input_features : ignored
            Accepted for scikit-learn compatibility.

        Returns
        -------
        ndarray of str (object dtype)
        """
        check_is_fitted(self, "n_features_out_")
        width = max(3, len(str(self.n_features_out_ - 1)))
        return np.array(
            [f"emb__{self.name}__{i:0{width}d}" for i in range(self.n_features_out_)], dtype=object
        )


class TableEmbeddings(_Embeddings):
    """Look every series of a Panel up in a table of precomputed embeddings (no torch).

    Parameters
    ----------
    table : str, path or DataFrame
        Precomputed embeddings keyed by series id: Parquet or CSV (an ``id`` column, else the
        index / first column), a DataFrame indexed by id, or a ``.npy`` array with ``table_ids``.
    table_ids : str, path or array-like, optional
        Ids of the rows of a ``.npy`` table: an array, a ``.npy`` file or a text file with
        one id a line and no header.
    name : str, default "cnn"
        Middle part of the column names ``emb__<name>__000``, ``emb__<name>__001``, ...

    Attributes
    ----------
    table_ : DataFrame
        The loaded table, indexed by id.
    channels_ : list of str
        Channels of the panel seen at ``fit`` (not checked at ``transform``: only ids count).
    n_features_out_ : int
        Embedding dimension.

    Examples
    --------
    >>> import numpy as np, pandas as pd, featurekit as fk
    >>> panel = fk.Panel.from_arrays([np.zeros((4, 1))] * 2, ids=["a", "b"])
    >>> table = pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], index=["b", "a"])
    >>> out = TableEmbeddings(table, name="pre").fit_transform(panel)
    >>> out.columns.tolist(), out.loc["a"].tolist()
    (['emb__pre__000', 'emb__pre__001'], [3.0, 4.0])
    """

    _title = "TableEmbeddings"

    def __init__(
        self,
        table: str | os.PathLike | pd.DataFrame | None = None,
        *,
        table_ids: str | os.PathLike | ArrayLike | None = None,
        name: str = "cnn",
    ):
        self.table = table
        self.table_ids = table_ids
        self.name = name

    def _problems(self, X) -> list[str]:
        problems = (
            []
            if self.table is not None
            else ["table=... is required (precomputed embeddings: a file or a DataFrame)"]
        )
        return problems + self._common_problems(X)

    def fit(self, X: Panel, y: Any = None) -> TableEmbeddings:
        """Check the arguments, load the table and learn the embedding width.

        Parameters
        ----------
        X : Panel
        y : ignored
            Accepted for Pipeline compatibility.

        Returns
        -------
        self : object
            The fitted transformer.

        Raises
        ------
        ValueError
            No table, an invalid ``name``, ``X`` not a Panel (all listed), or a table that
            cannot be read.
        """
        raise_problems(self._title, self._problems(X))
        self.channels_ = list(X.channels)
        self.table_ = _read_table(self.table, self.table_ids)
        self.n_features_out_ = self.table_.shape[1]
        return self

    def transform(self, X: Panel) -> pd.DataFrame:
        """Embeddings of every series, indexed by ``X.ids``, columns ``emb__<name>__NNN``.

        Parameters
        ----------
        X : Panel

        Returns
        -------
        DataFrame
            One row per series, float32.

        Raises
        ------
        ValueError
            ``X`` is not a Panel, or ids are missing from the table or hold NaN there.
        """
        self._check_panel(X)
        return self._frame(X, _lookup(self.table_, X.ids))


class EncoderEmbeddings(_Embeddings):
    """Run a torch encoder over the series of a Panel: one embedding row per series.

    Series are batched by length and zero-padded to the longest series of each batch.
    torch is imported at ``fit``, never at import.

    Parameters
    ----------
    encoder : str, path or torch.nn.Module
        A TorchScript archive (``torch.jit.save``) or a module. It takes a float tensor
        (batch, channels, time) and, when its ``forward`` has a second argument, the int64
        lengths (batch,); it returns (batch, dim). A module may declare ``in_channels`` (int)
        and ``channels`` (list of names) to have the panel checked against them.
        :func:`featurekit.encoder.train_encoder` trains such an encoder.
    weights : str or path, optional
        A state dict for the ``encoder`` module, read with ``torch.load(weights_only=True)``.
    batch_size : int, default 256
        Series per forward pass.
    device : str, default "cpu"
        torch device, e.g. ``"cpu"``, ``"cuda"``, ``"cuda:1"``.
    name : str, default "cnn"
        Middle part of the column names ``emb__<name>__000``, ``emb__<name>__001``, ...

    Attributes
    ----------
    encoder_ : torch.nn.Module
        The loaded encoder in eval mode, on ``device``.
    takes_lengths_ : bool
        Whether the encoder's ``forward`` is given the lengths.
    channels_ : list of str
        Channels of the panel seen at ``fit``; ``transform`` requires the same.
    n_features_out_ : int
        Embedding dimension.

    Notes
    -----
    scikit-learn's ``check_estimator`` does not apply: ``X`` is a Panel, not a 2-D array.
    A fitted instance pickles (a TorchScript encoder travels as its archive bytes).

    Examples
    --------
    >>> emb = EncoderEmbeddings("encoder.pt").fit(panel)           # doctest: +SKIP
    >>> table = extract(panel).join(emb.transform(panel))          # doctest: +SKIP
    """

    _title = "EncoderEmbeddings"

    def __init__(
        self,
        encoder: str | os.PathLike | Any = None,
        *,
        weights: str | os.PathLike | None = None,
        batch_size: int = 256,
        device: str = "cpu",
        name: str = "cnn",
    ):
        self.encoder = encoder
        self.weights = weights
        self.batch_size = batch_size
        self.device = device
        self.name = name

    def _problems(self, X, *, need_encoder: bool = True) -> list[str]:
        problems = []
        if need_encoder and self.encoder is None:
            problems.append("encoder=... is required (a TorchScript file or a torch.nn.Module)")
        if self.weights is not None and not _is_module(self.encoder):
            problems.append("weights=... is a state dict and needs encoder=<an nn.Module>")
        if not (isinstance(self.batch_size, (int, np.integer)) and self.batch_size >= 1):
            problems.append(f"batch_size must be a positive int, got {self.batch_size!r}")
        problems += self._common_problems(X)
        if isinstance(X, Panel):
            empty = X.ids[X.lengths == 0]
            if len(empty):
                problems.append(
                    f"series {describe_ids(empty)} are empty; drop them before embedding"
                )
        return problems

    # ------------------------------------------------------------------ fit
    def fit(self, X: Panel, y: Any = None) -> EncoderEmbeddings:
        """Check the arguments, load the encoder and learn the embedding width.

        Parameters
        ----------
        X : Panel
        y : ignored
            Accepted for Pipeline compatibility.

        Returns
        -------
        self : object
            The fitted transformer.

        Raises
        ------
        ValueError
            Bad arguments or empty series (all listed), an unavailable device, channels
            other than the encoder declares, or an encoder that fails on the panel.
        ImportError
            torch is not installed.
        """
        raise_problems(self._title, self._problems(X))
        self.channels_ = list(X.channels)
        torch = _import_torch()
        self._check_device(torch)
        self.encoder_ = _load_encoder(torch, self.encoder, self.weights, self.device)
        self.takes_lengths_ = _takes_lengths(self.encoder_)
        self._check_channels(X)
        probe = X.take(np.argsort(-X.lengths, kind="stable")[:1])
        self.n_features_out_ = self._embed(probe).shape[1]
        return self

    def _check_device(self, torch) -> None:
        kind = str(self.device).split(":")[0]
        if kind == "cuda" and not torch.cuda.is_available():
            raise ValueError(
                f"device={self.device!r} but torch.cuda.is_available() is False "
                "(no GPU or a CPU-only torch build); use device='cpu'"
            )

    def _check_channels(self, X: Panel) -> None:
        expected = _declared_in_channels(self.encoder_)
        names = getattr(self.encoder_, "channels", None)
        if expected is not None and expected != X.n_channels:
            raise ValueError(
                f"the encoder expects {expected} input channels"
                + (f" {list(names)}" if names is not None else "")
                + f" but the panel has {X.n_channels}: {X.channels}; "
                "select or reorder them with panel.select_channels([...])"
            )
        if names is not None and list(names) != list(X.channels):
            raise ValueError(
                f"the encoder was trained on channels {list(names)} but the panel "
                f"has {X.channels}; use panel.select_channels({list(names)})"
            )

    def __getstate__(self):
        # A loaded TorchScript module does not pickle; keep its archive bytes instead.
        state = dict(super().__getstate__())  # a copy: never change self
        encoder = state.get("encoder_")
        if encoder is not None and type(encoder).__module__.startswith("torch.jit"):
            torch = _import_torch()
            buffer = io.BytesIO()
            torch.jit.save(encoder, buffer)
            state["encoder_"] = _ScriptBytes(buffer.getvalue())
        return state

    def __setstate__(self, state):
        encoder = state.get("encoder_")
        if isinstance(encoder, _ScriptBytes):
            torch = _import_torch()
            loaded = torch.jit.load(io.BytesIO(encoder), map_location=state["device"])
            state["encoder_"] = loaded.eval()
        super().__setstate__(state)

    # ------------------------------------------------------------------ transform
    def transform(self, X: Panel) -> pd.DataFrame:
        """Embeddings of every series, indexed by ``X.ids``, columns ``emb__<name>__NNN``.

        Parameters
        ----------
        X : Panel

        Returns
        -------
        DataFrame
            One row per series, float32.

        Raises
        ------
        ValueError
            Other channels than at ``fit``, NaN or empty series, or an encoder failure.
        """
        self._check_panel(X)
        if list(X.channels) != self.channels_:
            raise ValueError(f"fitted on channels {self.channels_} but got {X.channels}")
        return self._frame(X, self._embed(X))

    def _embed(self, X: Panel) -> np.ndarray:
        """Run the encoder over length-sorted, zero-padded batches; rows in X's order."""
        torch = _import_torch()
        nan = X.nan_counts()
        if (nan > 0).any():
            raise ValueError(
                f"series {describe_ids(nan.index[nan > 0])} contain NaN; fill them first "
                "with featurekit.preprocess.fill_nan"
            )
        empty = X.ids[X.lengths == 0]
        if len(empty):
            raise ValueError(f"series {describe_ids(empty)} are empty; drop them before embedding")
        order = np.argsort(X.lengths, kind="stable")
        out = None
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                positions = order[start : start + self.batch_size]
                part = X.take(positions)
                batch = torch.from_numpy(part.to_numpy3d(fill=0.0).astype(np.float32))
                lengths = torch.from_numpy(part.lengths.astype(np.int64))
                result = self._forward(batch.to(self.device), lengths.to(self.device), part)
                if out is None:
                    out = np.empty((len(X), result.shape[1]), dtype=np.float32)
                out[positions] = result
        return (
            np.empty((0, getattr(self, "n_features_out_", 0)), np.float32) if out is None else out
        )

    def _forward(self, batch, lengths, part: Panel) -> np.ndarray:
        try:
            result = self.encoder_(batch, lengths) if self.takes_lengths_ else self.encoder_(batch)
        except RuntimeError as exc:
            raise ValueError(
                f"the encoder failed on a batch of shape {tuple(batch.shape)} (batch, channels, "
                f"time) with series {describe_ids(part.ids, 5)}; the panel has {part.n_channels} "
                f"channels {part.channels}. If the encoder expects another channel count, "
                f"select them with panel.select_channels([...]). torch said: "
                f"{str(exc).strip().splitlines()[-1]}"
            ) from exc
        if result.ndim != 2 or result.shape[0] != batch.shape[0]:
            raise ValueError(
                f"the encoder must return (batch, dim); it returned shape "
                f"{tuple(result.shape)} for a batch of {batch.shape[0]}"
            )
        return result.detach().float().cpu().numpy()


class EmbeddingFeatures(_Embeddings):
    """Either kind of embeddings behind one estimator: :class:`EncoderEmbeddings` when
    ``encoder`` is given, :class:`TableEmbeddings` when ``table`` is (exactly one of them).

    Kept for code written before the two were split (0.2.0); new code should use the class
    it needs.

    Parameters
    ----------
    encoder, weights, batch_size, device
        As for :class:`EncoderEmbeddings`.
    table, table_ids
        As for :class:`TableEmbeddings`.
    name : str, default "cnn"
        Middle part of the column names.

    Attributes
    ----------
    embedder_ : EncoderEmbeddings or TableEmbeddings
        The fitted embedder that ``transform`` delegates to.
    channels_, n_features_out_
        As the embedder's; ``encoder_``, ``takes_lengths_`` (encoder) and ``table_`` (table)
        read through to it.

    Examples
    --------
    >>> emb = EmbeddingFeatures("encoder.pt").fit(panel)          # doctest: +SKIP
    >>> table = extract(panel).join(emb.transform(panel))          # doctest: +SKIP
    """

    def __init__(
        self,
        encoder: str | os.PathLike | Any = None,
        *,
        table: str | os.PathLike | pd.DataFrame | None = None,
        table_ids: str | os.PathLike | ArrayLike | None = None,
        weights: str | os.PathLike | None = None,
        batch_size: int = 256,
        device: str = "cpu",
        name: str = "cnn",
    ):
        self.encoder = encoder
        self.table = table
        self.table_ids = table_ids
        self.weights = weights
        self.batch_size = batch_size
        self.device = device
        self.name = name

    def fit(self, X: Panel, y: Any = None) -> EmbeddingFeatures:
        """Check the arguments, then fit the encoder or table embedder.

        Parameters
        ----------
        X : Panel
        y : ignored
            Accepted for Pipeline compatibility.

        Returns
        -------
        self : object
            The fitted transformer.

        Raises
        ------
        ValueError
            Not exactly one of ``encoder`` and ``table``, or as the embedder's ``fit``.
        """
        problems = []
        if (self.encoder is None) == (self.table is None):
            problems.append(
                "give exactly one of encoder=... (a torch encoder) or table=... "
                "(precomputed embeddings)"
            )
        if self.table_ids is not None and self.table is None:
            problems.append("table_ids=... needs table=<a .npy file>")
        encoder = EncoderEmbeddings(
            self.encoder,
            weights=self.weights,
            batch_size=self.batch_size,
            device=self.device,
            name=self.name,
        )
        if self.table is not None:
            embedder = TableEmbeddings(self.table, table_ids=self.table_ids, name=self.name)
            others = encoder._problems(X, need_encoder=False)
            if self.encoder is None:  # empty series do not matter to a table lookup
                others = [p for p in others if not p.startswith("series ")]
        else:
            embedder = encoder
            others = encoder._problems(X, need_encoder=False)
        raise_problems("EmbeddingFeatures", problems + others)
        self.embedder_ = embedder.fit(X)
        self.channels_ = self.embedder_.channels_
        self.n_features_out_ = self.embedder_.n_features_out_
        return self

    @property
    def encoder_(self):
        return self.embedder_.encoder_

    @property
    def takes_lengths_(self) -> bool:
        return self.embedder_.takes_lengths_

    @property
    def table_(self) -> pd.DataFrame:
        return self.embedder_.table_

    def transform(self, X: Panel) -> pd.DataFrame:
        """Embeddings of every series, indexed by ``X.ids``, columns ``emb__<name>__NNN``.

        Parameters
        ----------
        X : Panel

        Returns
        -------
        DataFrame
            One row per series, float32.

        Raises
        ------
        ValueError
            As the embedder's ``transform``.
        """
        check_is_fitted(self, "n_features_out_")
        return self.embedder_.transform(X)


# ---------------------------------------------------------------------- encoder loading
class _ScriptBytes(bytes):
    """A TorchScript archive held in memory while an EmbeddingFeatures is pickled."""


def _is_module(obj) -> bool:
    try:
        import torch
    except ImportError:
        return False
    return isinstance(obj, torch.nn.Module)


def _load_encoder(torch, encoder, weights, device):
    """A TorchScript archive or a module (optionally with a weights-only state dict), in eval mode."""
    if isinstance(encoder, (str, os.PathLike)):
        path = Path(encoder)
        if not path.is_file():
            raise ValueError(f"encoder file {str(path)!r} does not exist")
        try:
            module = torch.jit.load(str(path), map_location=device)
        except RuntimeError as exc:
            raise ValueError(
                f"{str(path)!r} is not a TorchScript archive (save one with torch.jit.save). "
                "For a state dict pass the module and the file: "
                "EncoderEmbeddings(MyEncoder(...), weights=path)"
            ) from exc
    elif isinstance(encoder, torch.nn.Module):
        module = encoder
        if weights is not None:
            try:
                state = torch.load(str(weights), map_location="cpu", weights_only=True)
            except Exception as exc:  # UnpicklingError, RuntimeError, OSError
                raise ValueError(
                    f"could not read weights {str(weights)!r} as a state dict with "
                    f"torch.load(weights_only=True): {exc}".splitlines()[0]
                ) from exc
            if not isinstance(state, dict):
                raise ValueError(
                    f"weights {str(weights)!r} hold a {type(state).__name__}, "
                    "not a state dict (save module.state_dict())"
                )
            module.load_state_dict(state)
        module = module.to(device)
    else:
        raise ValueError(
            f"encoder must be a TorchScript file path or a torch.nn.Module, "
            f"got {type(encoder).__name__}"
        )
    return module.eval()


def _takes_lengths(module) -> bool:
    """Whether ``forward`` has a second argument (the lengths)."""
    schema = getattr(module.forward, "schema", None)
    if schema is not None:  # TorchScript: arguments include self
        return len(schema.arguments) >= 3
    params = [
        p
        for p in inspect.signature(module.forward).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return len(params) >= 2


def _declared_in_channels(module) -> int | None:
    """``in_channels`` declared by the module, else that of its first Conv1d, else None."""
    declared = getattr(module, "in_channels", None)
    if isinstance(declared, int):
        return declared
    for sub in module.modules():
        kind = getattr(sub, "original_name", type(sub).__name__)
        if kind == "Conv1d" and isinstance(getattr(sub, "in_channels", None), int):
            return sub.in_channels
    return None


# ---------------------------------------------------------------------- tables
def _read_table(table, table_ids) -> pd.DataFrame:
    """Load precomputed embeddings as a numeric DataFrame indexed by id."""
    where = "the table" if isinstance(table, pd.DataFrame) else repr(str(table))
    if isinstance(table, pd.DataFrame):
        df = table
    else:
        path = Path(table)
        if not path.is_file():
            raise ValueError(f"embedding table {str(path)!r} does not exist")
        suffix = path.suffix.lower()
        if suffix == ".npy":
            df = _read_npy(path, table_ids)
        elif suffix in (".parquet", ".pq"):
            df = _set_id_index(pd.read_parquet(path))
        elif suffix in (".csv", ".gz"):
            raw = pd.read_csv(path)
            df = _set_id_index(raw if "id" in raw.columns else raw.set_index(raw.columns[0]))
        else:
            raise ValueError(
                f"embedding table {str(path)!r}: unknown format {suffix!r}; "
                "use .parquet, .csv or .npy (with table_ids=...)"
            )
    problems = []
    non_numeric = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
    if non_numeric:
        problems.append(f"non-numeric columns {describe_ids(non_numeric)}")
    if df.shape[1] == 0:
        problems.append("no embedding columns")
    if not df.index.is_unique:
        problems.append(f"duplicated ids {describe_ids(df.index[df.index.duplicated()].unique())}")
    raise_problems(f"embedding table {where}", problems)
    return df


def _set_id_index(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("id") if "id" in df.columns else df


def _read_npy(path: Path, table_ids) -> pd.DataFrame:
    values = np.load(path, allow_pickle=False)
    if values.ndim != 2:
        raise ValueError(f"{str(path)!r} holds shape {values.shape}; expected (n_ids, dim)")
    if table_ids is None:
        raise ValueError(f"{str(path)!r} has no ids: pass table_ids=<array or .npy/.txt file>")
    if isinstance(table_ids, (str, os.PathLike)):
        ids_path = Path(table_ids)
        if ids_path.suffix.lower() == ".npy":
            ids = np.load(ids_path, allow_pickle=False)
        else:
            ids = pd.read_csv(ids_path, header=None).iloc[:, 0].to_numpy()  # one id a line
    else:
        ids = np.asarray(table_ids)
    if len(ids) != len(values):
        raise ValueError(f"{str(path)!r} has {len(values)} rows but table_ids has {len(ids)}")
    return pd.DataFrame(values, index=pd.Index(ids, name="id"))


def _lookup(table: pd.DataFrame, ids: pd.Index) -> np.ndarray:
    """Rows of ``table`` for ``ids``; one error lists every id missing or holding NaN."""
    positions = table.index.get_indexer(ids)
    if (positions < 0).any():  # ids written to CSV/text come back as other types: match as text
        as_text = table.index.astype(str).get_indexer(ids.astype(str))
        if (as_text >= 0).sum() > (positions >= 0).sum():
            positions = as_text
    missing = ids[positions < 0]
    if len(missing):
        raise ValueError(
            f"{len(missing)} series ids are not in the embedding table: "
            f"{describe_ids(missing)}; compute their embeddings or drop them"
        )
    values = table.to_numpy(dtype=np.float32)[positions]
    bad = ids[np.isnan(values).any(axis=1)]
    if len(bad):
        raise ValueError(f"embedding table rows for ids {describe_ids(bad)} contain NaN")
    return values
