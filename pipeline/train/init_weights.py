"""Start training from COCO features: read a YOLOv5 checkpoint without the yolov5 code.

The one COCO-pretrained detector reachable here is the official YOLOv5n
checkpoint (``../shared/weights/yolov5n-coco/yolov5n.pt``). It is a pickle
of yolov5's own ``models.yolo.Model`` object, so ``torch.load`` wants the
yolov5 repository on the path and would run whatever the pickle names.
:class:`RestrictedUnpickler` reads it with stand-ins instead: yolov5 and
``torch.nn`` module classes become inert :class:`StandIn` records holding
their state, tensors are rebuilt by torch's own functions, and any other
global (``os.system``, ``builtins.eval``, ...) is refused.

:func:`transfer` copies the tensors whose name and shape match into an
ultralytics model (``yolov5nu.yaml``: the whole backbone and the neck's
convolutions share yolov5's names; the anchor-free head starts fresh), and
:func:`write_init_checkpoint` saves that model as an ultralytics checkpoint
that ``YOLO(path).train(...)`` starts from.
"""

from __future__ import annotations

import logging
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import BadInputError

log = logging.getLogger(__name__)

#: Folder of the shared weights, if not ``../shared/weights`` beside the checkout.
INIT_DIR_ENV = "HEHU_INIT_WEIGHTS_DIR"


@dataclass(frozen=True)
class InitSource:
    """A known starting checkpoint: where it lies under the weights folder and what it is."""

    name: str
    relpath: str
    sha256: str
    arch: str
    licence: str
    origin: str


KNOWN_INITS: dict[str, InitSource] = {
    "yolov5n-coco": InitSource(
        name="yolov5n-coco",
        relpath="yolov5n-coco/yolov5n.pt",
        sha256="4f180cf23ba0717ada0badd6c685026d73d48f184d00fc159c2641284b2ac0a3",
        arch="yolov5nu.yaml",
        licence="GPL-3.0 (ultralytics/yolov5 at the 2022-02-08 release; ultralytics is AGPL-3.0)",
        origin="official YOLOv5n trained on COCO (80 classes), ultralytics/yolov5 v6.1",
    ),
}


@dataclass(frozen=True)
class InitWeights:
    """A resolved starting checkpoint: the file, its verified sha256, what it is."""

    name: str
    path: Path
    sha256: str
    arch: str
    licence: str
    origin: str


def weights_dirs() -> list[Path]:
    """Where named checkpoints are looked for: ``$HEHU_INIT_WEIGHTS_DIR``, then
    ``../shared/weights`` beside the checkout and beside the working folder."""
    dirs = []
    if os.environ.get(INIT_DIR_ENV):
        dirs.append(Path(os.environ[INIT_DIR_ENV]))
    checkout = Path(__file__).resolve().parents[2]
    dirs += [checkout.parent / "shared" / "weights", Path.cwd().parent / "shared" / "weights"]
    return list(dict.fromkeys(d.resolve() for d in dirs))


def resolve_init(spec: str) -> InitWeights:
    """A known name (``yolov5n-coco``) or a path to a YOLOv5 ``.pt``; sha256 checked for names."""
    from pipeline.train.card import sha256_file

    known = KNOWN_INITS.get(spec)
    if known is None:
        path = Path(spec)
        if not path.is_file():
            raise BadInputError(
                f"--init {spec}: neither a known name ({', '.join(KNOWN_INITS)}) nor a file"
            )
        return InitWeights(
            name=path.stem, path=path.resolve(), sha256=sha256_file(path), arch="yolov5nu.yaml",
            licence="unknown (a file given by path)", origin=str(path),
        )  # fmt: skip
    tried = [d / known.relpath for d in weights_dirs()]
    path = next((p for p in tried if p.is_file()), None)
    if path is None:
        raise BadInputError(
            f"--init {spec}: no {known.relpath} in {', '.join(map(str, tried))}: put the "
            f"checkpoint (sha256 {known.sha256}) there, or set {INIT_DIR_ENV} to the folder "
            f"that holds {known.relpath}, or pass --init PATH"
        )
    digest = sha256_file(path)
    if digest != known.sha256:
        raise BadInputError(
            f"{path} has sha256 {digest}, not {known.sha256} of {spec}: the file is another "
            f"checkpoint or damaged; restore it, or pass it as --init {path} to use it anyway"
        )
    return InitWeights(known.name, path, digest, known.arch, known.licence, known.origin)


# --- reading the pickle ---------------------------------------------------------------


class StandIn:
    """An inert record standing for a class the unpickler will not import.

    Keeps whatever state the pickle gives it (``__dict__`` of a module:
    ``_parameters``, ``_buffers``, ``_modules``, hyper-parameters).
    """

    qualname = "?"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 2:  # (dict, slots)
            state = {**(state[0] or {}), **(state[1] or {})}
        if isinstance(state, dict):
            self.__dict__.update(state)
        else:
            self.state = state

    def __repr__(self) -> str:
        return f"<stand-in for {self.qualname}>"


#: Module prefixes whose classes become stand-ins (model structure, never code to run).
STAND_IN_PREFIXES = ("models.", "torch.nn.modules.")


def _allowed_globals() -> dict[tuple[str, str], Any]:
    import collections

    import torch._utils

    return {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("builtins", "set"): set,
        ("__builtin__", "set"): set,
        ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
        ("torch", "Size"): torch.Size,
    }


class RestrictedUnpickler(pickle.Unpickler):
    """Imports nothing but the globals listed above; model classes become :class:`StandIn`.

    Used as the ``Unpickler`` of the ``pickle_module`` handed to
    ``torch.load``, which resolves storages itself (its wrapper answers
    ``torch.*Storage`` before this ``find_class`` is asked).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stand_ins: dict[str, type] = {}

    def find_class(self, module: str, name: str) -> Any:
        allowed = _allowed_globals()
        if (module, name) in allowed:
            return allowed[(module, name)]
        qualname = f"{module}.{name}"
        if qualname.startswith(STAND_IN_PREFIXES):
            cls = self._stand_ins.get(qualname)
            if cls is None:
                cls = type(name, (StandIn,), {"qualname": qualname})
                self._stand_ins[qualname] = cls
            return cls
        raise pickle.UnpicklingError(
            f"refusing to load global {qualname!r}: a checkpoint of weights has no reason to "
            f"name it (allowed: tensors, {', '.join(p + '*' for p in STAND_IN_PREFIXES)})"
        )


class _PickleModule:
    """What ``torch.load(pickle_module=...)`` needs: ``Unpickler`` and ``load``."""

    Unpickler = RestrictedUnpickler
    UnpicklingError = pickle.UnpicklingError

    @staticmethod
    def load(file: Any, **kwargs: Any) -> Any:
        return RestrictedUnpickler(file, **kwargs).load()


def load_restricted(path: Path) -> Any:
    """``torch.load`` of ``path`` with :class:`RestrictedUnpickler`; raises ``UnpicklingError``."""
    import torch

    return torch.load(
        Path(path), map_location="cpu", pickle_module=_PickleModule, weights_only=False
    )


def module_tensors(module: Any, prefix: str = "") -> dict[str, Any]:
    """Parameters and buffers of a stood-in module tree by dotted name (``model.0.conv.weight``)."""
    import torch

    out: dict[str, Any] = {}
    for kind in ("_parameters", "_buffers"):
        for key, value in (getattr(module, kind, None) or {}).items():
            if isinstance(value, torch.Tensor):
                out[prefix + key] = value.detach()
    for key, child in (getattr(module, "_modules", None) or {}).items():
        if child is not None:
            out.update(module_tensors(child, f"{prefix}{key}."))
    return out


def read_checkpoint_tensors(path: Path) -> dict[str, Any]:
    """Float32 tensors of a YOLOv5 checkpoint's model (its EMA when saved), by dotted name."""
    try:
        ckpt = load_restricted(path)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as e:
        raise BadInputError(f"cannot read {path} as a YOLOv5 checkpoint: {e}") from e
    model = (ckpt.get("ema") or ckpt.get("model")) if isinstance(ckpt, dict) else ckpt
    tensors = module_tensors(model)
    if not tensors:
        raise BadInputError(f"{path} holds no model tensors (expected a YOLOv5 checkpoint)")
    return {k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}


# --- transfer -------------------------------------------------------------------------


@dataclass(frozen=True)
class TransferReport:
    """What :func:`transfer` copied. Counts are tensors and parameters (elements) of the
    target's ``state_dict`` (BatchNorm running statistics included)."""

    tensors_transferred: int
    tensors_total: int
    params_transferred: int
    params_total: int
    source_tensors: int
    last_layer_transferred: int

    @property
    def params_frac(self) -> float:
        return self.params_transferred / self.params_total if self.params_total else 0.0

    def as_card(self) -> dict[str, Any]:
        return {
            "tensors_transferred": self.tensors_transferred,
            "tensors_total": self.tensors_total,
            "params_transferred": self.params_transferred,
            "params_total": self.params_total,
            "params_transferred_frac": round(self.params_frac, 4),
            "layers_transferred": f"model.0 to model.{self.last_layer_transferred}",
        }


def transfer(source: dict[str, Any], model: Any) -> TransferReport:
    """Copy into ``model`` (a torch module) each tensor of ``source`` with its name and shape."""
    target = model.state_dict()
    matched = {
        k: v for k, v in source.items() if k in target and tuple(target[k].shape) == tuple(v.shape)
    }
    model.load_state_dict(matched, strict=False)
    layers = [int(k.split(".")[1]) for k in matched if k.split(".")[1].isdigit()]
    report = TransferReport(
        tensors_transferred=len(matched),
        tensors_total=len(target),
        params_transferred=sum(v.numel() for v in matched.values()),
        params_total=sum(v.numel() for v in target.values()),
        source_tensors=len(source),
        last_layer_transferred=max(layers, default=-1),
    )
    log.info(
        "transferred %d of %d tensors (%.0f %% of parameters)",
        report.tensors_transferred, report.tensors_total, 100 * report.params_frac,
    )  # fmt: skip
    return report


def write_init_checkpoint(init: InitWeights, out_path: Path, nc: int) -> TransferReport:
    """An ultralytics checkpoint of ``init.arch`` for ``nc`` classes, COCO tensors copied in."""
    import torch

    from pipeline.ultra import import_ultralytics

    import_ultralytics()
    from ultralytics.nn.tasks import DetectionModel

    model = DetectionModel(init.arch, nc=nc, verbose=False)
    report = transfer(read_checkpoint_tensors(init.path), model)
    model.args = {"imgsz": 640}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": model.half(), "epoch": -1, "date": None, "init": init.name}, out_path)
    return report


def init_card_block(init: InitWeights, report: TransferReport) -> dict[str, Any]:
    """The card's ``training.init`` block."""
    return {
        "name": init.name,
        "file": init.path.name,
        "sha256": init.sha256,
        "origin": init.origin,
        "licence": init.licence,
        "architecture": init.arch,
        **report.as_card(),
    }
