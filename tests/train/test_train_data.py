"""Step-indexed sampling (the data position), the four datasets, and tracked patches on their content."""

import numpy as np
import pytest
import torch

from repro.errors import ConfigError, MissingArtifactError
from repro.train.data import FramePairDataset, StepSampler, build_dataset, check_mode, tracked_chunk
from repro.train.loop import total_steps


def test_sampler_resumes_exactly_and_covers_epochs():
    full = list(StepSampler(10, 4, seed=3, total_steps=12))
    tail = list(StepSampler(10, 4, seed=3, total_steps=12, start_step=7))
    assert full[7:] == tail
    items = [i for b in full for i, _, _ in b]
    for e in range(4):  # every epoch is a permutation of the 10 items
        assert sorted(items[10 * e : 10 * (e + 1)]) == list(range(10))
    assert [(s, slot) for _, s, slot in full[5]] == [(5, k) for k in range(4)]
    assert list(StepSampler(10, 4, seed=4, total_steps=12)) != full


def test_sampler_splits_the_global_batch_across_processes():
    whole = StepSampler(7, 6, seed=0, total_steps=5)
    parts = [StepSampler(7, 6, seed=0, total_steps=5, rank=r, world=3) for r in range(3)]
    for step in range(5):
        assert sum((p.batch(step) for p in parts), []) == whole.batch(step)
    with pytest.raises(ConfigError, match="divisible"):
        StepSampler(7, 5, seed=0, total_steps=5, world=2)


def test_unknown_mode():
    with pytest.raises(ConfigError, match="unknown training mode"):
        check_mode("video")


def test_image_datasets(tiny_cfg):
    sup = build_dataset(tiny_cfg, "supervised")
    s = sup[(3, 0, 0)]
    assert s["image"].shape == (3, 32, 32) and s["image"].dtype == torch.uint8 and int(s["label"]) == 0
    img = build_dataset(tiny_cfg, "images")
    a, b = img[(5, 2, 1)], img[(5, 2, 1)]
    assert all(torch.equal(a[k], b[k]) for k in a)  # deterministic per (step, slot)
    assert not torch.equal(a["view_q"], a["view_k"])  # two different views
    assert not torch.equal(img[(5, 3, 1)]["view_q"], a["view_q"])


def test_frame_pairs_are_k_apart(tiny_cfg):
    ds = build_dataset(tiny_cfg, "frames")
    assert len(ds) == 4  # 2 sequences x 2 chunks
    for step in range(30):
        s = ds[(step % 4, step, 0)]
        i, j = s["frame_pair"].tolist()
        chunk = ds.chunks[step % 4]
        assert j - i >= tiny_cfg.video.pair_gap and chunk.start <= i < j < chunk.start + chunk.length
    grid = FramePairDataset(ds.chunks, 32, 0, k=3, pair_mode="grid")
    seen = {tuple(grid[(0, s, 0)]["frame_pair"].tolist()) for s in range(20)}
    assert seen <= {(0, 3), (3, 6)} and len(seen) == 2  # V_pairs of an 8-frame chunk


def test_the_frame_cache_changes_no_sample(tiny_cfg):
    cached, plain = build_dataset(tiny_cfg, "frames"), build_dataset(tiny_cfg.replace(frame_cache_mb=0), "frames")
    assert cached.cache.max_bytes == tiny_cfg.run.frame_cache_mb << 20 and plain.cache.max_bytes == 0
    for step in range(12):
        a, b = cached[(step % 4, step, 1)], plain[(step % 4, step, 1)]
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert len(cached.cache) > 0 and len(plain.cache) == 0


def test_an_epoch_of_video_pairs_visits_each_chunk_pairs_per_chunk_times(tiny_cfg):
    one, three = build_dataset(tiny_cfg, "frames"), build_dataset(tiny_cfg.replace(pairs_per_chunk=3), "frames")
    assert len(three) == 3 * len(one) == 12
    items = [three[(i, 0, i)] for i in range(12)]
    assert [int(x["index"]) for x in items] == [i % 4 for i in range(12)]  # the chunk, not the item
    for x in items:
        chunk = three.chunks[int(x["index"])]
        i, j = x["frame_pair"].tolist()
        assert chunk.start <= i < j < chunk.start + chunk.length
    assert total_steps(tiny_cfg.replace(pairs_per_chunk=3, train_steps=0, epochs=2), len(three), "frames")[0] == 2 * (
        12 // 8
    )
    with pytest.raises(ConfigError, match="pairs_per_chunk"):
        FramePairDataset(one.chunks, 32, 0, k=3, pairs_per_chunk=0)


def test_supervised_trains_at_most_supervised_steps(tiny_cfg):
    cfg = tiny_cfg.replace(train_steps=20, supervised_steps=8, batch_size=8)
    assert total_steps(cfg, 100, "supervised")[0] == 8 and total_steps(cfg, 100, "images")[0] == 20
    assert total_steps(cfg.replace(train_steps=5), 100, "supervised")[0] == 5  # never more than the others
    assert total_steps(cfg.replace(supervised_steps=0), 100, "supervised")[0] == 20
    by_epoch = cfg.replace(train_steps=0, epochs=2)
    assert total_steps(by_epoch, 100, "supervised")[0] == 8
    assert total_steps(by_epoch.replace(supervised_steps=0), 100, "supervised")[0] == 2 * (100 // 8)


def test_tracked_patches_stay_on_the_tracked_square(tiny_cfg, box_of):
    ds = build_dataset(tiny_cfg, "frames+tracks")
    on_square = 0
    for step in range(40):
        s = ds[(step % len(ds), step, 0)]
        i, j = s["frame_pair"].tolist()
        tc = ds.chunks[step % len(ds)]
        assert any((p == [i, j]).all() for p in tc.pairs)  # a pair that has tracks
        for img, box in ((s["patch_q"], s["box_q"]), (s["patch_k"], s["box_k"])):
            x1, y1, x2, y2 = box.tolist()
            assert 0 <= x1 < x2 <= 32 and 0 <= y1 < y2 <= 32
            cx, cy = int((x1 + x2) / 2), int((y1 + y2) / 2)
            r, g, b = img[:, min(cy, 31), min(cx, 31)].tolist()
            on_square += r > 200 and g < 60 and b < 60  # the red square's pixel
    # half the tracks are the square, the others a background box: the square is found about half the time,
    # and at its box centre, never elsewhere
    assert 25 <= on_square <= 55


def test_cropped_patches_are_the_tracked_boxes_pixels(tiny_cfg):
    """``patch_input="crop"``: a patch is its box cut out and augmented, so a patch of the square's track is
    all red (half the tracks), and no box travels with it. The frames with their boxes ("roi") never are."""

    def red_patches(cfg):
        ds, n = build_dataset(cfg, "frames+tracks"), 0
        for step in range(40):
            s = ds[(step % len(ds), step, 0)]
            assert ("box_q" in s) == (cfg.train.patch_input == "roi")
            for img in (s["patch_q"], s["patch_k"]):
                r, g, b = img.int()
                n += ((r > 200) & (g < 60) & (b < 60)).float().mean().item() > 0.9
        return n

    assert 25 <= red_patches(tiny_cfg.replace(patch_input="crop")) <= 55
    assert red_patches(tiny_cfg) == 0
    with pytest.raises(ConfigError, match="patch_input must be one of roi, crop"):
        build_dataset(tiny_cfg.replace(patch_input="box"), "frames+tracks")


def test_tracked_chunk_groups_by_pair():
    tracks = {
        "pairs": np.array([[0, 4], [1, 5], [2, 6]]),
        "pair_index": np.array([0, 0, 2]),
        "boxes_i": np.arange(12, dtype=np.float32).reshape(3, 4),
        "boxes_j": np.arange(12, 24, dtype=np.float32).reshape(3, 4),
    }
    tc = tracked_chunk("chunk", tracks)
    assert tc.pairs.tolist() == [[0, 4], [2, 6]]
    assert [len(b) for b in tc.boxes_i] == [2, 1] and tc.boxes_j[1][0].tolist() == [20, 21, 22, 23]
    assert tracked_chunk("chunk", {**tracks, "pair_index": np.array([], dtype=np.int64)}) is None


def test_missing_tracks_is_a_clear_error(tiny_cfg):
    cfg = tiny_cfg.replace(track_quantile=0.5)  # another tracks key: none there
    with pytest.raises(MissingArtifactError, match="repro tracks"):
        build_dataset(cfg, "frames+tracks")
