"""Checkpoints: official MoCo and torchvision files load with exact key checks; this repository's
checkpoints load in repro.models.load_backbone; corrupt or mismatched checkpoints are clear errors."""

import shutil

import numpy as np
import pytest
import torch
import torchvision

from repro.errors import CheckpointError
from repro.moco import MoCo
from repro.models import load_backbone
from repro.train import init_from_checkpoint, load_official_moco, load_torchvision_resnet, train
from repro.train.checkpoint import TRACKS_ONLY, resume_keys
from repro.train.loop import read_log


def tiny_moco(seed):
    torch.manual_seed(seed)
    return MoCo("resnet18", dim=16, K=32, m=0.9, mlp=True)


@pytest.fixture
def official_file(tmp_path):
    """A file in the official MoCo v2 release format (DDP 'module.' prefix, extra entries)."""
    src = tiny_moco(1)
    src.queue_ptr[0] = 16
    obj = {
        "epoch": 800,
        "arch": "resnet18",
        "optimizer": {},
        "state_dict": {f"module.{k}": v for k, v in src.state_dict().items()},
    }
    path = tmp_path / "moco_v2_800ep_pretrain.pth.tar"
    torch.save(obj, path)
    return path, src, obj


def test_official_moco_checkpoint_loads_without_conversion(official_file, tmp_path):
    path, src, obj = official_file
    dst = tiny_moco(2)
    load_official_moco(path, dst)
    for k, v in src.state_dict().items():
        assert torch.equal(dst.state_dict()[k], v), k
    assert int(dst.queue_ptr) == 16
    # the lead's backbone loader reads the same file: encoder_q without its head
    net = load_backbone(path, "resnet18")
    assert torch.equal(net.layer4[1].bn2.weight, src.encoder_q.layer4[1].bn2.weight)
    # one key absent: named in the error, never a silent partial load
    del obj["state_dict"]["module.encoder_k.layer2.0.conv1.weight"]
    torch.save(obj, tmp_path / "partial.pth.tar")
    with pytest.raises(CheckpointError, match="encoder_k.layer2.0.conv1.weight"):
        load_official_moco(tmp_path / "partial.pth.tar", tiny_moco(3))


def test_torchvision_state_dict_loads_all_but_the_head(tmp_path):
    torch.manual_seed(4)
    tv = torchvision.models.resnet18()
    torch.save(tv.state_dict(), tmp_path / "resnet18.pth")
    moco = tiny_moco(5)
    head = {k: v.clone() for k, v in moco.encoder_q.fc.state_dict().items()}
    load_torchvision_resnet(tmp_path / "resnet18.pth", moco.encoder_q)
    assert torch.equal(moco.encoder_q.conv1.weight, tv.conv1.weight)
    assert all(torch.equal(moco.encoder_q.fc.state_dict()[k], v) for k, v in head.items())
    sd = tv.state_dict()
    del sd["layer4.1.bn2.running_var"]
    torch.save(sd, tmp_path / "broken.pth")
    with pytest.raises(CheckpointError, match="layer4.1.bn2.running_var"):
        load_torchvision_resnet(tmp_path / "broken.pth", tiny_moco(6).encoder_q)
    # init_checkpoint of a MoCo run from a torchvision file: backbone into both encoders
    moco = tiny_moco(7)
    init_from_checkpoint(tmp_path / "resnet18.pth", moco, "frames")
    assert torch.equal(moco.encoder_k.layer1[0].conv1.weight, tv.layer1[0].conv1.weight)
    assert all(torch.equal(a, b) for a, b in zip(moco.encoder_q.fc.parameters(), moco.encoder_k.fc.parameters()))


@pytest.fixture
def trained(tiny_cfg, tmp_path):
    cfg = tiny_cfg.replace(train_steps=2, checkpoint_every=2)
    out = tmp_path / "images"
    r = train(cfg, "images", out, tensorboard=False)
    return cfg, out, r


def test_checkpoint_contents_and_backbone_loading(trained, tiny_cfg, tmp_path):
    cfg, out, r = trained
    assert r.steps_run == 2 and (out / "log.csv").is_file()
    log = read_log(out / "log.csv")
    assert np.all((log["pos_cos"] >= -1) & (log["pos_cos"] <= 1) & (log["neg_cos"] >= -1) & (log["neg_cos"] <= 1))
    assert r.last["pos_cos"] == pytest.approx(log["pos_cos"][-1], abs=1e-5)
    ck = torch.load(out / "checkpoint.pt", weights_only=False)
    for key in ("format", "arch", "mode", "model", "optimizer", "schedule", "step", "rng", "config", "queue_step"):
        assert key in ck
    assert ck["format"] == "repro" and ck["mode"] == "images" and ck["step"] == 2
    assert {"encoder_q.conv1.weight", "encoder_k.conv1.weight", "queue", "queue_ptr"} <= set(ck["model"])
    net = load_backbone(out / "checkpoint.pt", "resnet18")
    assert torch.equal(net.conv1.weight, ck["model"]["encoder_q.conv1.weight"])
    with pytest.raises(CheckpointError, match="resnet18, not a resnet50"):
        load_backbone(out / "checkpoint.pt", "resnet50")
    # a finished run returns at once
    again = train(cfg, "images", out, tensorboard=False)
    assert again.steps_run == 0 and again.start_step == 2
    # supervised checkpoints load too (the torchvision classifier's fc is left out)
    sup = train(cfg, "supervised", tmp_path / "sup", tensorboard=False)
    assert load_backbone(sup.checkpoint, "resnet18").fc.__class__.__name__ == "Identity"


def test_corrupt_checkpoint_is_an_error_not_a_fresh_start(trained):
    cfg, out, _ = trained
    path = out / "checkpoint.pt"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt"):
        train(cfg.replace(train_steps=4), "images", out, tensorboard=False)
    assert path.read_bytes() == data[: len(data) // 2]  # left as it was


def test_mismatched_checkpoint_is_an_error(trained, tmp_path):
    cfg, out, _ = trained
    with pytest.raises(CheckpointError, match=r"lr: checkpoint 0.05, now 0.1"):
        train(cfg.replace(lr=0.1), "images", out, tensorboard=False)
    shutil.copytree(out, tmp_path / "frames")
    with pytest.raises(CheckpointError, match="mode 'images'"):
        train(cfg, "frames", tmp_path / "frames", tensorboard=False)
    torch.save({"format": "repro", "arch": "resnet18"}, tmp_path / "frames" / "checkpoint.pt")
    with pytest.raises(CheckpointError, match="incomplete"):
        train(cfg, "frames", tmp_path / "frames", tensorboard=False)


def test_a_checkpoint_older_than_train_seed_still_resumes(trained):
    """Checkpoints written before ``train_seed`` existed were trained with what is now train_seed 0."""
    cfg, out, _ = trained
    ck = torch.load(out / "checkpoint.pt", weights_only=False)
    del ck["config"]["train_seed"]
    torch.save(ck, out / "checkpoint.pt")
    assert train(cfg, "images", out, tensorboard=False).steps_run == 0
    with pytest.raises(CheckpointError, match="train_seed: checkpoint 0, now 1"):
        train(cfg.replace(train_seed=1), "images", out, tensorboard=False)


def test_supervised_steps_bind_only_supervised_checkpoints(trained, tmp_path):
    """supervised_steps and supervised_lr change nothing that a contrastive mode computes."""
    cfg, out, _ = trained
    assert "supervised_steps" not in resume_keys(cfg, "images") and "supervised_lr" not in resume_keys(cfg, "frames")
    assert resume_keys(cfg, "supervised")["supervised_steps"] == cfg.train.supervised_steps
    assert train(cfg.replace(supervised_steps=1, supervised_lr=0.2), "images", out, tensorboard=False).steps_run == 0
    sup = train(cfg.replace(supervised_steps=1), "supervised", tmp_path / "sup", tensorboard=False)
    assert sup.total_steps == sup.steps_run == 1  # at most supervised_steps, though train_steps is 2
    with pytest.raises(CheckpointError, match="supervised_steps: checkpoint 1, now 2"):
        train(cfg.replace(supervised_steps=2), "supervised", tmp_path / "sup", tensorboard=False)


def test_patch_settings_bind_only_frames_tracks_checkpoints(trained, tmp_path):
    """The patch path's settings change nothing that a mode without tracks computes; a frames+tracks
    checkpoint from before ``patch_input`` existed was trained with "roi"."""
    cfg, out, _ = trained
    assert all(not TRACKS_ONLY & set(resume_keys(cfg, m)) for m in ("supervised", "images", "frames"))
    assert TRACKS_ONLY <= set(resume_keys(cfg, "frames+tracks"))
    assert train(cfg.replace(patch_input="crop", patch_roi_size=3), "images", out, tensorboard=False).steps_run == 0
    tracks = tmp_path / "tracks"
    train(cfg, "frames+tracks", tracks, tensorboard=False)
    ck = torch.load(tracks / "checkpoint.pt", weights_only=False)
    del ck["config"]["patch_input"]
    torch.save(ck, tracks / "checkpoint.pt")
    assert train(cfg, "frames+tracks", tracks, tensorboard=False).steps_run == 0
    with pytest.raises(CheckpointError, match="patch_input: checkpoint 'roi', now 'crop'"):
        train(cfg.replace(patch_input="crop"), "frames+tracks", tracks, tensorboard=False)


def test_a_checkpoint_of_the_sample_world_is_not_resumed_on_a_changed_world(trained):
    """A finished checkpoint is reused as it is; one made from other sample stills must not be."""
    cfg, out, _ = trained
    assert {"images_per_instance", "train_instances"} <= set(resume_keys(cfg, "images"))
    assert "world_videos" not in resume_keys(cfg, "images") and "world_videos" in resume_keys(cfg, "frames")
    assert "world_videos" not in resume_keys(cfg.replace(trackingnet_root="/data/TrackingNet"), "frames")
    assert "images_per_instance" not in resume_keys(cfg.replace(image_root="/data/ImageNet/train"), "images")
    assert "part_objects_per_category" not in resume_keys(cfg, "frames+tracks")
    with pytest.raises(CheckpointError, match="images_per_instance: checkpoint"):
        train(cfg.replace(images_per_instance=cfg.samples.images_per_instance + 1), "images", out, tensorboard=False)
