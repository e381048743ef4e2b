"""EmbeddingFeatures: a tiny encoder exported in the test, compared with a plain per-series run."""

import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from featurekit.embeddings import EmbeddingFeatures
from featurekit.panel import Panel

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

CHANNELS = ["ax", "ay", "az", "wx", "wy", "wz"]


class LengthAwareEncoder(torch.nn.Module):
    """Two convolutions, re-masked after each, then a mean over each series' own samples."""

    in_channels: int

    def __init__(self, in_channels: int = 6, dim: int = 8):
        super().__init__()
        self.in_channels = in_channels
        self.conv1 = torch.nn.Conv1d(in_channels, 16, 5, padding=2)
        self.conv2 = torch.nn.Conv1d(16, dim, 3, padding=2, dilation=2)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        steps = torch.arange(x.shape[2], device=x.device)
        mask = (steps[None, :] < lengths[:, None]).to(x.dtype)[:, None, :]
        h = torch.relu(self.conv1(x * mask)) * mask
        h = torch.tanh(self.conv2(h)) * mask
        return h.sum(dim=2) / lengths[:, None].to(x.dtype)


class MaxEncoder(torch.nn.Module):
    """Takes no lengths: a convolution and a max over time (zero padding can change it)."""

    def __init__(self, in_channels: int = 6):
        super().__init__()
        self.conv = torch.nn.Conv1d(in_channels, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).amax(dim=2)


class NoConvEncoder(torch.nn.Module):
    """No Conv1d and no declared in_channels: a channel mismatch only shows as torch's error."""

    def __init__(self, in_channels: int = 6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(in_channels, 3))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return (x.transpose(1, 2) @ self.weight).mean(dim=1)


class NamedEncoder(LengthAwareEncoder):
    """Declares the channel names it was trained on."""

    channels: list[str]

    def __init__(self):
        super().__init__()
        self.channels = list(CHANNELS)


def make_panel(n=37, channels=CHANNELS, seed=0, min_len=12, max_len=90):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len, size=n)
    arrays = [rng.normal(size=(t, len(channels))) for t in lengths]
    ids = [f"s{i:03d}" for i in rng.permutation(n)]
    return Panel.from_arrays(arrays, ids=ids, channels=channels)


def reference(module, panel, with_lengths=True):
    """Plain loop: each series alone, unpadded."""
    rows = []
    with torch.no_grad():
        for i in range(len(panel)):
            x = torch.from_numpy(panel.series(i).T.astype(np.float32))[None]
            n = torch.tensor([x.shape[2]])
            rows.append((module(x, n) if with_lengths else module(x))[0].numpy())
    return np.stack(rows)


@pytest.fixture(scope="module")
def module():
    torch.manual_seed(0)
    return LengthAwareEncoder().eval()


@pytest.fixture(scope="module")
def scripted(module, tmp_path_factory):
    path = tmp_path_factory.mktemp("enc") / "encoder.pt"
    torch.jit.save(torch.jit.script(module), str(path))
    return path


def test_shapes_names_index_and_reference(scripted, module):
    panel = make_panel()
    emb = EmbeddingFeatures(str(scripted), batch_size=8, name="tiny").fit(panel)
    out = emb.transform(panel)
    assert out.shape == (len(panel), 8)
    assert list(out.columns) == [f"emb__tiny__{i:03d}" for i in range(8)]
    assert list(emb.get_feature_names_out()) == list(out.columns)
    assert out.index.equals(panel.ids)
    np.testing.assert_allclose(out.to_numpy(), reference(module, panel), atol=1e-5)


def test_batch_size_does_not_change_embeddings(scripted):
    panel = make_panel(seed=1)
    one = EmbeddingFeatures(scripted, batch_size=1).fit_transform(panel)
    many = EmbeddingFeatures(scripted, batch_size=64).fit_transform(panel)
    np.testing.assert_allclose(one.to_numpy(), many.to_numpy(), atol=1e-5)
    assert one.index.equals(many.index)


def test_padding_does_not_change_length_aware_output(module):
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.normal(size=(1, 6, 30)).astype(np.float32))
    padded = torch.cat([x, torch.zeros(1, 6, 170)], dim=2)
    with torch.no_grad():
        alone = module(x, torch.tensor([30]))
        in_padding = module(padded, torch.tensor([30]))
        # garbage instead of zeros after the end must not leak in either
        noisy = module(torch.cat([x, torch.ones(1, 6, 170) * 7], dim=2), torch.tensor([30]))
    np.testing.assert_allclose(alone.numpy(), in_padding.numpy(), atol=1e-6)
    np.testing.assert_allclose(alone.numpy(), noisy.numpy(), atol=1e-6)
    # and through the adapter: a short series batched with a long one
    short = Panel.from_arrays([x[0].numpy().T], ids=["short"], channels=CHANNELS)
    both = Panel.concat([short, make_panel(n=1, seed=3, min_len=200, max_len=201)])
    emb = EmbeddingFeatures(module, batch_size=2)
    np.testing.assert_allclose(
        emb.fit_transform(both).loc[["short"]].to_numpy(), alone.numpy(), atol=1e-5
    )


def test_module_statedict_and_script_agree(module, scripted, tmp_path):
    panel = make_panel(n=10, seed=4)
    from_file = EmbeddingFeatures(scripted).fit_transform(panel)
    from_module = EmbeddingFeatures(module).fit_transform(panel)
    weights = tmp_path / "weights.pt"
    torch.save(module.state_dict(), weights)
    fresh = LengthAwareEncoder()
    from_weights = EmbeddingFeatures(fresh, weights=weights).fit_transform(panel)
    np.testing.assert_allclose(from_file.to_numpy(), from_module.to_numpy(), atol=1e-6)
    np.testing.assert_allclose(from_weights.to_numpy(), from_module.to_numpy(), atol=1e-6)


def test_no_lengths_encoder_is_called_with_one_argument():
    torch.manual_seed(1)
    enc = MaxEncoder().eval()
    panel = make_panel(n=9, seed=5)
    # equal lengths: no padding, so the batched result equals the plain loop
    equal = Panel.from_numpy3d(np.random.default_rng(5).normal(size=(9, 6, 40)), channels=CHANNELS)
    out = EmbeddingFeatures(enc, batch_size=4).fit_transform(equal)
    np.testing.assert_allclose(out.to_numpy(), reference(enc, equal, with_lengths=False), atol=1e-5)
    assert EmbeddingFeatures(enc).fit_transform(panel).shape == (9, 4)


def test_deterministic_and_sklearn_conventions(scripted):
    panel = make_panel(n=12, seed=6)
    emb = EmbeddingFeatures(scripted, batch_size=5)
    params = emb.get_params()
    assert params["batch_size"] == 5 and params["encoder"] is scripted
    first = clone(emb).fit_transform(panel)
    second = emb.fit(panel).transform(panel)
    pd.testing.assert_frame_equal(first, second)
    wrapped = EmbeddingFeatures(scripted).set_output(transform="pandas").fit(panel)
    assert wrapped.transform(panel).index.equals(panel.ids)


def test_pickled_module_is_refused_as_weights(tmp_path):
    full = tmp_path / "module.pkl"
    torch.save(LengthAwareEncoder(), full)  # a pickled object, not a state dict
    with pytest.raises(ValueError, match="weights_only"):
        EmbeddingFeatures(LengthAwareEncoder(), weights=full).fit(make_panel(n=3))
    with pytest.raises(ValueError, match="not a TorchScript archive"):
        EmbeddingFeatures(full).fit(make_panel(n=3))


@pytest.mark.parametrize("fmt", ["parquet", "csv", "npy", "npy-ids-file"])
def test_table_round_trip(scripted, tmp_path, fmt):
    panel = make_panel(n=15, seed=7)
    expected = EmbeddingFeatures(scripted).fit_transform(panel)
    table = expected.iloc[::-1]  # stored in another order than the panel
    kwargs = {}
    if fmt == "parquet":
        path = tmp_path / "emb.parquet"
        table.to_parquet(path)
    elif fmt == "csv":
        path = tmp_path / "emb.csv"
        table.to_csv(path)
    else:
        path = tmp_path / "emb.npy"
        np.save(path, table.to_numpy())
        ids = np.asarray(table.index, dtype=str)
        if fmt == "npy":
            kwargs["table_ids"] = ids
        else:
            (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n")
            kwargs["table_ids"] = tmp_path / "ids.txt"
    out = EmbeddingFeatures(table=path, **kwargs).fit_transform(panel.take([3, 1, 4, 1 + 4]))
    want = expected.loc[panel.ids[[3, 1, 4, 5]]]
    np.testing.assert_allclose(out.to_numpy(), want.to_numpy(), rtol=1e-6, atol=1e-6)
    assert out.index.equals(want.index)
    assert list(out.columns) == list(expected.columns)


def test_table_with_int_ids_written_as_csv(tmp_path):
    panel = Panel.from_arrays([np.zeros((5, 2))] * 3, ids=[10, 20, 30], channels=["a", "b"])
    pd.DataFrame({"id": ["30", "10", "20"], "e0": [3.0, 1.0, 2.0]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    out = EmbeddingFeatures(table=tmp_path / "t.csv").fit_transform(panel)
    assert out["emb__cnn__000"].tolist() == [1.0, 2.0, 3.0]


def test_missing_ids_listed_in_one_error(tmp_path):
    panel = make_panel(n=8, seed=8)
    table = pd.DataFrame(np.ones((5, 3)), index=panel.ids[:5])
    with pytest.raises(ValueError, match="3 series ids are not in") as err:
        EmbeddingFeatures(table=table).fit_transform(panel)
    for missing in panel.ids[5:]:
        assert missing in str(err.value)


@pytest.mark.parametrize("kind", ["declared", "conv", "runtime"])
def test_wrong_channel_count(tmp_path, kind):
    three = make_panel(n=4, channels=["ax", "ay", "az"], seed=9)
    if kind == "declared":
        path = tmp_path / "enc.pt"
        torch.jit.save(torch.jit.script(LengthAwareEncoder()), str(path))
        enc, match = path, "expects 6 input channels but the panel has 3"
    elif kind == "conv":
        enc, match = MaxEncoder(), "expects 6 input channels but the panel has 3"
    else:
        enc, match = NoConvEncoder(), r"panel has 3 channels \['ax', 'ay', 'az'\]"
    with pytest.raises(ValueError, match=match):
        EmbeddingFeatures(enc).fit(three)


def test_channel_names_checked_when_declared(tmp_path):
    path = tmp_path / "named.pt"
    torch.jit.save(torch.jit.script(NamedEncoder()), str(path))
    panel = make_panel(n=3).rename_channels({"ax": "gx"})
    with pytest.raises(ValueError, match="trained on channels"):
        EmbeddingFeatures(path).fit(panel)


def test_bad_input_errors(scripted):
    panel = make_panel(n=4, seed=10)
    with pytest.raises(ValueError, match="exactly one of") as err:
        EmbeddingFeatures(scripted, table="x.csv", batch_size=0, name="a__b").fit(panel)
    assert "batch_size" in str(err.value) and "name" in str(err.value)
    nan_panel = panel.replace(
        values=np.where(np.arange(len(panel.values))[:, None] == 3, np.nan, panel.values)
    )
    with pytest.raises(ValueError, match="fill_nan"):
        EmbeddingFeatures(scripted).fit(panel).transform(nan_panel)
    with pytest.raises(ValueError, match="does not exist"):
        EmbeddingFeatures("no/such/encoder.pt").fit(panel)
    with pytest.raises(ValueError, match="fitted on channels"):
        EmbeddingFeatures(scripted).fit(panel).transform(panel.rename_channels({"ax": "bx"}))


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA present: the error cannot be shown")
def test_cuda_requested_without_gpu(scripted):
    with pytest.raises(ValueError, match="cuda.is_available"):
        EmbeddingFeatures(scripted, device="cuda").fit(make_panel(n=2))


@pytest.mark.parametrize("kind", ["table", "script", "module"])
def test_fitted_estimator_pickles(kind, scripted, module):
    panel = make_panel(n=5)
    encoder = {"table": None, "script": scripted, "module": module}[kind]
    table = pd.DataFrame(np.eye(5), index=panel.ids) if kind == "table" else None
    emb = EmbeddingFeatures(encoder, table=table).fit(panel)
    again = pickle.loads(pickle.dumps(emb))
    pd.testing.assert_frame_equal(again.transform(panel), emb.transform(panel))


@pytest.mark.slow
def test_import_without_torch_only_fails_when_embedding(tmp_path):
    # A finder that refuses torch, as if it were not installed. (sys.modules["torch"] = None
    # is not enough: scipy.stats then fails on import, looking for torch.Tensor.)
    code = textwrap.dedent(f"""
        import sys
        class NoTorch:
            def find_spec(self, name, path=None, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        sys.meta_path.insert(0, NoTorch())
        import numpy as np, pandas as pd
        import featurekit
        from featurekit.embeddings import EmbeddingFeatures
        panel = featurekit.Panel.from_arrays([np.zeros((5, 2))] * 2, ids=["a", "b"])
        table = pd.DataFrame(np.eye(2), index=["a", "b"])
        print(EmbeddingFeatures(table=table).fit_transform(panel).shape)
        print("torch loaded:", "torch" in sys.modules)
        try:
            EmbeddingFeatures({str(tmp_path / "enc.pt")!r}).fit(panel)
        except ImportError as exc:
            print("ImportError:", exc)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "(2, 2)" in done.stdout
    assert "torch loaded: False" in done.stdout
    assert "ImportError:" in done.stdout
    assert "pip install torch==2.13.0" in done.stdout
    assert "pip install featurekit[torch]" in done.stdout


@pytest.mark.slow
def test_reference_encoder_trains_exports_and_is_seeded(tmp_path):
    from featurekit import encoder as recipe

    panel = make_panel(n=12, seed=11, min_len=60, max_len=120)
    kw = dict(window=50, epochs=1, width=8, dim=16, batch_size=8, verbose=False)
    encoder = recipe.train_encoder(panel, seed=3, **kw)
    again = recipe.train_encoder(panel, seed=3, **kw)
    path = recipe.export(encoder, tmp_path / "ref.pt", {"seed": 3})
    out = EmbeddingFeatures(path, batch_size=5).fit_transform(panel)
    assert out.shape == (12, 16)
    np.testing.assert_allclose(out.to_numpy(), reference(encoder, panel), atol=1e-5)
    np.testing.assert_allclose(
        EmbeddingFeatures(again).fit_transform(panel).to_numpy(), out.to_numpy(), atol=1e-6
    )
    with pytest.raises(ValueError, match="trained on channels"):
        EmbeddingFeatures(path).fit(panel.rename_channels({"wz": "gz"}))


@pytest.mark.slow
def test_embeddings_join_handcrafted_features_and_go_through_compare(scripted, tmp_path):
    import featurekit as fk
    from featurekit.models import make_model
    from featurekit.report import compare

    panel = make_panel(n=40)
    labels = np.where(np.arange(40) % 2 == 0, "walk", "sit")
    groups = np.repeat(np.arange(4), 10)
    handcrafted = fk.extract(panel, "seed")
    embedded = EmbeddingFeatures(scripted).fit_transform(panel)
    table = handcrafted.join(embedded)
    assert table.index.equals(panel.ids)
    assert table.shape[1] == handcrafted.shape[1] + embedded.shape[1]
    assert table.notna().all().all()
    name = "features + embeddings + XGBoost"
    results = compare(
        table,
        labels,
        groups,
        models=[(name, make_model("xgboost", n_estimators=5))],
        out=tmp_path,
        n_splits=2,
        calibrate=None,
        verbose=False,
    )
    assert results["model"].tolist() == [name]
    assert 0 < results["log_loss_mean"].iloc[0] < np.inf
    assert name in (tmp_path / "report.md").read_text()


def test_encoder_and_table_embeddings_are_two_classes_that_agree_with_the_old_one(scripted):
    from featurekit.embeddings import EncoderEmbeddings, TableEmbeddings

    panel = make_panel(n=10, seed=12)
    old = EmbeddingFeatures(scripted, batch_size=4).fit(panel)
    new = EncoderEmbeddings(scripted, batch_size=4).fit(panel)
    pd.testing.assert_frame_equal(new.transform(panel), old.transform(panel))
    assert isinstance(old.embedder_, EncoderEmbeddings) and old.takes_lengths_
    table = new.transform(panel)
    looked_up = TableEmbeddings(table, name="cnn").fit(panel)
    pd.testing.assert_frame_equal(looked_up.transform(panel), table)
    assert "table" not in EncoderEmbeddings().get_params()
    assert "encoder" not in TableEmbeddings().get_params()
    with pytest.raises(ValueError, match="encoder=... is required"):
        EncoderEmbeddings().fit(panel)
    with pytest.raises(ValueError, match="table=... is required"):
        TableEmbeddings().fit(panel)
