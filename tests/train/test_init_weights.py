"""Starting from COCO features: the restricted unpickler, the transfer, the named checkpoint."""

from __future__ import annotations

import io
import os
import pickle
import sys
import types
from pathlib import Path

import pytest

from pipeline.errors import BadInputError
from pipeline.train import init_weights
from pipeline.train.init_weights import (
    KNOWN_INITS,
    RestrictedUnpickler,
    StandIn,
    load_restricted,
    module_tensors,
    read_checkpoint_tensors,
    resolve_init,
)

SHARED = Path(__file__).resolve().parents[3] / "shared"
SHARED_PT = SHARED / "weights" / "yolov5n-coco" / "yolov5n.pt"
needs_shared = pytest.mark.skipif(not SHARED_PT.is_file(), reason=f"no {SHARED_PT}")


class _Evil:
    """Unpickling this would run a shell command that leaves a file behind."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_calls_os_system_is_refused_raw(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = pickle.dumps({"model": _Evil(marker)}, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="system"):
        RestrictedUnpickler(io.BytesIO(data)).load()
    assert not marker.exists()


def test_a_torch_checkpoint_that_calls_os_system_is_refused(tmp_path: Path) -> None:
    import torch

    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"model": _Evil(marker), "w": torch.zeros(3)}, path)
    with pytest.raises(BadInputError, match="refusing to load global"):
        read_checkpoint_tensors(path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("module", "name"),
    [("builtins", "eval"), ("subprocess", "Popen"), ("torch", "load"), ("models.yolo", "Model")],
)
def test_find_class_allows_only_tensors_and_stand_ins(module: str, name: str) -> None:
    unpickler = RestrictedUnpickler(io.BytesIO(b""))
    if module.startswith("models."):
        cls = unpickler.find_class(module, name)
        assert issubclass(cls, StandIn) and cls.qualname == "models.yolo.Model"
    else:
        with pytest.raises(pickle.UnpicklingError, match=f"{module}.{name}"):
            unpickler.find_class(module, name)


def test_yolov5_module_classes_become_stand_ins_holding_their_tensors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model pickled from classes of a ``models.*`` package that is absent when loading."""
    import torch

    fake = types.ModuleType("models.common")

    class Conv(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)
            self.bn = torch.nn.BatchNorm2d(4)

    Conv.__module__, Conv.__qualname__ = "models.common", "Conv"
    fake.Conv = Conv
    monkeypatch.setitem(sys.modules, "models", types.ModuleType("models"))
    monkeypatch.setitem(sys.modules, "models.common", fake)
    model = torch.nn.Sequential(Conv())
    path = tmp_path / "toy.pt"
    torch.save({"model": model.half(), "ema": None}, path)
    monkeypatch.delitem(sys.modules, "models.common")
    monkeypatch.delitem(sys.modules, "models")

    ckpt = load_restricted(path)
    assert isinstance(ckpt["model"], StandIn)
    assert repr(ckpt["model"]._modules["0"]) == "<stand-in for models.common.Conv>"
    tensors = read_checkpoint_tensors(path)
    assert set(tensors) == {
        "0.conv.weight",
        "0.conv.bias",
        "0.bn.weight",
        "0.bn.bias",
        "0.bn.running_mean",
        "0.bn.running_var",
        "0.bn.num_batches_tracked",
    }
    assert tensors["0.conv.weight"].dtype == torch.float32  # half in the file
    assert torch.equal(tensors["0.conv.weight"], model[0].conv.weight.detach().float())
    assert module_tensors(object()) == {}


def test_a_missing_checkpoint_names_the_file_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(init_weights, "weights_dirs", lambda: [tmp_path])
    with pytest.raises(BadInputError) as err:
        resolve_init("yolov5n-coco")
    message = str(err.value)
    assert "yolov5n-coco/yolov5n.pt" in message and "HEHU_INIT_WEIGHTS_DIR" in message
    assert KNOWN_INITS["yolov5n-coco"].sha256 in message


def test_a_checkpoint_with_another_hash_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "yolov5n-coco").mkdir()
    (tmp_path / "yolov5n-coco" / "yolov5n.pt").write_bytes(b"not the checkpoint")
    monkeypatch.setenv(init_weights.INIT_DIR_ENV, str(tmp_path))
    assert init_weights.weights_dirs()[0] == tmp_path.resolve()
    with pytest.raises(BadInputError, match="has sha256"):
        resolve_init("yolov5n-coco")


def test_an_unknown_name_that_is_no_file_is_refused() -> None:
    with pytest.raises(BadInputError, match="neither a known name"):
        resolve_init("yolov9-imaginary")


@needs_shared
def test_the_real_checkpoint_transfers_backbone_and_neck(tmp_path: Path) -> None:
    init = resolve_init("yolov5n-coco")
    assert init.path == SHARED_PT.resolve() and init.arch == "yolov5nu.yaml"
    tensors = read_checkpoint_tensors(init.path)
    assert len(tensors) == 349
    assert sum(1 for k in tensors if int(k.split(".")[1]) <= 9) == 198  # the backbone
    report = init_weights.write_init_checkpoint(init, tmp_path / "start.pt", nc=5)
    # Layers 0-23 (backbone and neck) match by name and shape; the head (24) does not.
    assert report.tensors_transferred == 342 and report.tensors_total == 427
    assert report.last_layer_transferred == 23
    assert 0.69 < report.params_frac < 0.71
    block = init_weights.init_card_block(init, report)
    assert block["sha256"] == KNOWN_INITS["yolov5n-coco"].sha256
    assert block["file"] == "yolov5n.pt" and "GPL-3.0" in block["licence"]

    from ultralytics import YOLO

    model = YOLO(str(tmp_path / "start.pt"))  # ultralytics reads what we wrote
    got = model.model.state_dict()["model.0.conv.weight"].float()
    assert got.allclose(tensors["model.0.conv.weight"], atol=1e-3)
