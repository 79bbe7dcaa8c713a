"""ResNet backbones and loading them from any checkpoint the repository understands.

Formats (``checkpoint_format`` tells them apart):
  * ``repro``       this repository's training checkpoints:
                    ``{"format": "repro", "arch", "mode", "model": state_dict, ...}`` where ``model`` is a ``MoCo``
                    state dict (``encoder_q.*``) or a supervised ResNet's.
  * ``moco``        the official MoCo v2 release (``moco_v2_800ep_pretrain.pth.tar``): ``{"state_dict":
                    {"module.encoder_q.*", "module.encoder_k.*", "module.queue", "module.queue_ptr"}, ...}``.
  * ``torchvision`` a plain torchvision ResNet ``state_dict`` file (``conv1.weight``, ..., ``fc.weight``).

A backbone is a torchvision ResNet with ``fc = Identity`` (the pooled representation: 2048-d for ResNet-50,
512-d for ResNet-18). Loading asserts that nothing but the classifier/projection head is left out, so a
wrong file is an error, never a silent random initialisation (the official MoCo ``main_lincls.py`` asserts
the same after loading).
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import numpy._core.multiarray as np_multiarray
import torch
import torchvision
from torch import nn

from .errors import CheckpointError, DatasetLayoutError
from .io import file_sha256

ARCHS = ("resnet18", "resnet34", "resnet50", "resnet101")
RANDOM_INIT = "random init"  # the name of the seeded randomly initialised network in every table and results.json
# the input normalisation torchvision's ImageNet ResNets and MoCo v2 were trained with (per RGB channel)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def normalize(x: torch.Tensor) -> torch.Tensor:
    """ImageNet normalisation: N x 3 x H x W images in [0, 1] -> (x - mean) / std, same dtype and device."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def denormalize(x: torch.Tensor) -> torch.Tensor:
    """The inverse of ``normalize``, clamped to [0, 1] so that the images can be shown."""
    mean = torch.tensor(IMAGENET_MEAN, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * std + mean).clamp(0, 1)


# torchvision's ResNet-50 IMAGENET1K_V1 weights, the ImageNet-supervised ResNet-50 the paper compares with
TORCHVISION_RESNET50 = ("resnet50-0676ba61.pth", "https://download.pytorch.org/models/resnet50-0676ba61.pth")


def supervised_row(modes, weights: str) -> dict[str, str]:
    """``{"supervised": weights}`` when the ``supervised`` mode is not trained here and ``weights`` is set
    (the paper preset: torchvision's ImageNet ResNet-50), else ``{}``; a missing file is a DatasetLayoutError
    naming the file to download."""
    if "supervised" in modes or not weights:
        return {}
    if not Path(weights).expanduser().is_file():
        name, url = TORCHVISION_RESNET50
        raise DatasetLayoutError(
            f"supervised_weights = {weights!r} does not exist. The 'ImageNet Supervised' row reads an ImageNet-"
            f"supervised ResNet state_dict; for the paper's ResNet-50 download torchvision's {name} ({url}) to "
            "that path, pass -p supervised_weights /path/to/weights.pth, or -p supervised_weights '' to drop the row"
        )
    return {"supervised": str(Path(weights).expanduser())}


def checkpoint_sha256(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a checkpoint file's bytes: the one fingerprint that cache keys derive from, so that
    cached features and representations follow the weights, whatever the file is called."""
    return file_sha256(path)


def parse_arch(arch: str) -> tuple[str, int]:
    """``"resnet18"`` -> ("resnet18", 64); ``"resnet18_w16"`` -> ("resnet18", 16): a torchvision ResNet whose
    stage widths are scaled by width/64 (the stem has ``width`` channels, the four stages width x 1, 2, 4,
    8, times the block's expansion)."""
    base, _, suffix = arch.partition("_w")
    width = int(suffix) if suffix.isdigit() else (64 if not suffix and not _ else -1)
    if base not in ARCHS or width < 4 or width % 4:
        raise CheckpointError(
            f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}, optionally "
            "narrowed as <arch>_w<width> with width a multiple of 4 (e.g. resnet18_w16)"
        )
    return base, width


class _NarrowResNet(torchvision.models.ResNet):
    """torchvision's ResNet with every width scaled by ``width / 64``; layer and parameter names unchanged, so
    the layer-3 patch path, the checkpoint formats and every loader apply."""

    def __init__(self, block, layers: list[int], width: int, num_classes: int):
        self._scale = width / 64
        super().__init__(block, layers, num_classes=num_classes)
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.fc = nn.Linear(int(512 * self._scale) * block.expansion, num_classes)
        for m in (self.conv1, self.bn1):  # the initialisation torchvision's ResNet.__init__ applies
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            else:
                nn.init.ones_(m.weight), nn.init.zeros_(m.bias)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        if planes == 64:  # first stage: its input is the narrowed stem
            self.inplanes = int(64 * self._scale)
        return super()._make_layer(block, int(planes * self._scale), blocks, stride, dilate)


def build_resnet(arch: str, num_classes: int = 1000) -> nn.Module:
    """A randomly initialised torchvision ResNet (``zero_init_residual`` off, as in MoCo); ``<arch>_w<width>``
    narrows it (``parse_arch``)."""
    base, width = parse_arch(arch)
    if width == 64:
        return getattr(torchvision.models, base)(weights=None, num_classes=num_classes)
    spec = {
        "resnet18": (torchvision.models.resnet.BasicBlock, [2, 2, 2, 2]),
        "resnet34": (torchvision.models.resnet.BasicBlock, [3, 4, 6, 3]),
        "resnet50": (torchvision.models.resnet.Bottleneck, [3, 4, 6, 3]),
        "resnet101": (torchvision.models.resnet.Bottleneck, [3, 4, 23, 3]),
    }[base]
    return _NarrowResNet(*spec, width=width, num_classes=num_classes)


def feature_dim(arch: str) -> int:
    """Width of the pooled representation (input width of ``fc``)."""
    return build_resnet(arch).fc.in_features


def build_backbone(arch: str) -> nn.Module:
    """A ResNet whose forward returns the pooled representation (``fc`` replaced by Identity)."""
    net = build_resnet(arch)
    net.fc = nn.Identity()
    return net


# What a checkpoint may hold besides tensors and plain containers: NumPy arrays (this repository's
# checkpoints store NumPy's RNG state, ``np.random.get_state()``). Rebuilding an array runs no user code.
NUMPY_ARRAY_GLOBALS = {
    "numpy.ndarray": np.ndarray,
    "numpy.dtype": np.dtype,
    "numpy._core.multiarray._reconstruct": np_multiarray._reconstruct,
    "numpy.core.multiarray._reconstruct": np_multiarray._reconstruct,
}
_NUMPY_DTYPES = [
    type(np.dtype(t))
    for t in (
        np.bool_,
        np.int8,
        np.uint8,
        np.int16,
        np.uint16,
        np.int32,
        np.uint32,
        np.int64,
        np.uint64,
        np.float16,
        np.float32,
        np.float64,
    )
]


def read_checkpoint(path: str | os.PathLike) -> dict:
    """``torch.load(weights_only=True)`` on CPU: tensors, containers, numbers and strings, plus NumPy arrays
    (``NUMPY_ARRAY_GLOBALS``) and nothing else, so a file that would run code when unpickled (any
    downloaded checkpoint may) is refused before anything in it runs. Clear errors for a missing,
    unreadable or refused file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    archive = zipfile.is_zipfile(path)  # torch.save's format since 1.6; anything else is read as corrupt
    unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path) if archive else []
    refused = [name for name in unsafe if name not in NUMPY_ARRAY_GLOBALS]
    if refused:
        raise CheckpointError(
            f"checkpoint {path} holds Python objects that would run code when loaded "
            f"({', '.join(refused[:5])}); it was refused. Load only weights: re-save it from a "
            "trusted session as a state_dict of tensors (torch.save(model.state_dict(), ...))"
        )
    try:
        with torch.serialization.safe_globals([NUMPY_ARRAY_GLOBALS[n] for n in unsafe] + _NUMPY_DTYPES):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if not archive:
            raise CheckpointError(
                f"checkpoint {path} cannot be read: it is corrupt, not a PyTorch file, or a "
                "pre-1.6 pickle (re-save it with a current torch.save)"
            ) from None
        raise CheckpointError(
            f"checkpoint {path} was refused by the weights-only loader ({str(exc).splitlines()[0]}); "
            "load only weights: re-save it as a state_dict of tensors"
        ) from None
    except Exception as exc:  # torch raises many types for truncated/corrupt files
        raise CheckpointError(
            f"checkpoint {path} cannot be read ({type(exc).__name__}: {exc}); it is corrupt or not a PyTorch file"
        ) from None


def checkpoint_format(obj: dict) -> str:
    if not isinstance(obj, dict):
        raise CheckpointError(f"a checkpoint must be a dict, got {type(obj).__name__}")
    if obj.get("format") == "repro":
        return "repro"
    if "state_dict" in obj and any(k.startswith("module.encoder_q.") for k in obj["state_dict"]):
        return "moco"
    if "conv1.weight" in obj or "module.conv1.weight" in obj:
        return "torchvision"
    raise CheckpointError(
        "unknown checkpoint format: expected this repository's checkpoint, the "
        "official MoCo v2 release (state_dict with module.encoder_q.*) or a torchvision "
        f"ResNet state_dict; top-level keys are {sorted(obj)[:8]}"
    )


def backbone_state_dict(obj: dict) -> dict[str, torch.Tensor]:
    """The backbone weights of a checkpoint of any known format, keys as in a torchvision ResNet."""
    fmt = checkpoint_format(obj)
    if fmt == "repro":
        sd = obj["model"]
    elif fmt == "moco":
        sd = obj["state_dict"]
    else:
        sd = obj
    sd = {k.removeprefix("module."): v for k, v in sd.items()}
    if any(k.startswith("encoder_q.") for k in sd):
        sd = {k.removeprefix("encoder_q."): v for k, v in sd.items() if k.startswith("encoder_q.")}
    elif any(k.startswith("encoder.") for k in sd):
        sd = {k.removeprefix("encoder."): v for k, v in sd.items() if k.startswith("encoder.")}
    return {k: v for k, v in sd.items() if not k.startswith("fc.")}


def load_backbone(path: str | os.PathLike | None, arch: str, seed: int = 0) -> nn.Module:
    """A backbone in eval mode from ``path`` (any known format), or seeded random weights if ``path`` is
    empty. Every backbone parameter and buffer must be present in the file (only ``fc`` may differ)."""
    if not path:
        torch.manual_seed(seed)
        return build_backbone(arch).eval()
    obj = read_checkpoint(path)
    if obj.get("format") == "repro" and obj.get("arch") not in (None, arch):
        raise CheckpointError(f"checkpoint {path} holds a {obj['arch']}, not a {arch}")
    net = build_backbone(arch)
    try:
        missing, unexpected = net.load_state_dict(backbone_state_dict(obj), strict=False)
    except RuntimeError as exc:
        raise CheckpointError(f"checkpoint {path} does not fit {arch}: {str(exc).splitlines()[1]}") from None
    if missing or unexpected:
        raise CheckpointError(
            f"checkpoint {path} does not fit {arch}: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    return net.eval()
