import random
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.transforms.v2.functional as TF

from repro.errors import CheckpointError
from repro.models import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    build_resnet,
    checkpoint_format,
    denormalize,
    feature_dim,
    load_backbone,
    normalize,
    read_checkpoint,
)


def test_normalize_is_torchvisions_and_denormalize_inverts_it():
    x = torch.rand(4, 3, 9, 11, generator=torch.Generator().manual_seed(0))
    assert torch.equal(normalize(x), TF.normalize(x, IMAGENET_MEAN, IMAGENET_STD))
    assert normalize(x.double()).dtype == torch.float64
    assert torch.allclose(denormalize(normalize(x)), x, atol=1e-6)


@pytest.fixture(scope="module")
def resnet18_sd():
    torch.manual_seed(1)
    return build_resnet("resnet18").state_dict()


def _same_weights(net, sd):
    return all(torch.equal(v, sd[k]) for k, v in net.state_dict().items())


def test_torchvision_state_dict(tmp_path, resnet18_sd):
    torch.save(resnet18_sd, tmp_path / "tv.pth")
    net = load_backbone(tmp_path / "tv.pth", "resnet18")
    assert _same_weights(net, resnet18_sd) and not net.training
    assert net(torch.zeros(1, 3, 32, 32)).shape == (1, feature_dim("resnet18")) == (1, 512)


def test_official_moco_release_format(tmp_path, resnet18_sd):
    sd = {f"module.encoder_q.{k}": v for k, v in resnet18_sd.items() if not k.startswith("fc.")}
    sd.update(
        {
            "module.encoder_q.fc.0.weight": torch.zeros(512, 512),
            "module.encoder_k.conv1.weight": torch.ones(1),
            "module.queue": torch.zeros(128, 8),
            "module.queue_ptr": torch.zeros(1, dtype=torch.long),
        }
    )
    torch.save({"epoch": 800, "arch": "resnet18", "state_dict": sd}, tmp_path / "moco.pth.tar")
    assert checkpoint_format(torch.load(tmp_path / "moco.pth.tar")) == "moco"
    assert _same_weights(load_backbone(tmp_path / "moco.pth.tar", "resnet18"), resnet18_sd)


def test_repro_format_and_arch_mismatch(tmp_path, resnet18_sd):
    torch.save({"format": "repro", "arch": "resnet18", "mode": "supervised", "model": resnet18_sd}, tmp_path / "c.pt")
    assert _same_weights(load_backbone(tmp_path / "c.pt", "resnet18"), resnet18_sd)
    with pytest.raises(CheckpointError, match="holds a resnet18, not a resnet50"):
        load_backbone(tmp_path / "c.pt", "resnet50")


def test_missing_keys_corrupt_and_unknown_files(tmp_path, resnet18_sd):
    partial = {k: v for k, v in resnet18_sd.items() if not k.startswith("layer4.")}
    torch.save(partial, tmp_path / "partial.pth")
    with pytest.raises(CheckpointError, match="missing.*layer4"):
        load_backbone(tmp_path / "partial.pth", "resnet18")
    (tmp_path / "bad.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        load_backbone(tmp_path / "bad.pth", "resnet18")
    torch.save({"weights": 1}, tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match="unknown checkpoint format"):
        load_backbone(tmp_path / "other.pth", "resnet18")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_backbone(tmp_path / "nope.pth", "resnet18")


def test_random_init_is_seeded():
    a, b = load_backbone("", "resnet18", seed=3), load_backbone("", "resnet18", seed=3)
    assert _same_weights(a, b.state_dict())


def test_checkpoint_fingerprint_is_the_sha256_of_the_bytes(tmp_path):
    import hashlib

    from repro.invariance.features import checkpoint_digest
    from repro.models import checkpoint_sha256
    from repro.segmentation.checkpoints import fingerprint

    path = tmp_path / "w.pt"
    path.write_bytes(bytes(range(256)) * 9000)  # several read blocks
    full = hashlib.sha256(path.read_bytes()).hexdigest()
    assert checkpoint_sha256(path) == fingerprint(str(path), "resnet18", 0) == full
    assert checkpoint_digest(path) == full[:12]
    assert fingerprint("", "resnet18", 3) == "random:resnet18:3"


def test_a_narrowed_resnet_keeps_torchvisions_names_and_scales_every_width():
    wide, narrow = build_resnet("resnet18"), build_resnet("resnet18_w16")
    assert list(wide.state_dict()) == list(narrow.state_dict())
    for key, w in wide.state_dict().items():
        n = narrow.state_dict()[key]
        if w.dim() == 4:  # conv: out x in x k x k
            assert n.shape[0] == w.shape[0] // 4, key
            assert n.shape[1] == (3 if w.shape[1] == 3 else w.shape[1] // 4), key
        elif w.dim() == 1 and key != "fc.bias":
            assert n.shape[0] == w.shape[0] // 4, key
    assert feature_dim("resnet18_w16") == 128 and feature_dim("resnet50_w32") == 1024
    assert load_backbone(None, "resnet18_w16")(torch.zeros(2, 3, 64, 64)).shape == (2, 128)


@pytest.mark.parametrize("arch", ["resnet18_w", "resnet18_w6", "resnet18_w0", "resnet7", "resnet18_x16"])
def test_a_malformed_architecture_name_is_refused_with_the_accepted_forms(arch):
    with pytest.raises(CheckpointError, match=r"<arch>_w<width>"):
        build_resnet(arch)


def test_a_narrowed_checkpoint_round_trips_and_does_not_fit_the_full_width(tmp_path):
    torch.manual_seed(3)
    sd = build_resnet("resnet18_w16").state_dict()
    torch.save(sd, tmp_path / "narrow.pth")
    assert _same_weights(load_backbone(tmp_path / "narrow.pth", "resnet18_w16"), sd)
    with pytest.raises(CheckpointError, match="does not fit resnet18"):
        load_backbone(tmp_path / "narrow.pth", "resnet18")


class _RunsCode:
    """Unpickling this creates a file: the proof that a loader ran code from the checkpoint."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_checkpoint_that_would_run_code_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "ran"
    torch.save({"state_dict": {"conv1.weight": torch.zeros(1)}, "payload": _RunsCode(marker)}, tmp_path / "evil.pth")
    with pytest.raises(CheckpointError, match=r"would run code.*refused"):
        load_backbone(tmp_path / "evil.pth", "resnet18")
    assert not marker.exists()


def test_numpy_arrays_and_rng_states_load_without_unpickling_code(tmp_path):
    state = {"numpy": np.random.get_state(), "python": random.getstate(), "w": torch.ones(2)}
    torch.save(state, tmp_path / "rng.pt")
    got = read_checkpoint(tmp_path / "rng.pt")
    assert np.array_equal(got["numpy"][1], state["numpy"][1]) and got["python"] == state["python"]
