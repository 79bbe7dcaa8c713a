"""The synthetic world: instances organised by category, nuisances independent of it, held-out splits."""

import numpy as np
import pytest

from repro.errors import ConfigError
from repro.samples import world


@pytest.fixture(scope="module")
def split():
    return world.world_image_split(0, 4, 5, 3, 3, 2, 48)


def test_instances_are_deterministic_category_major_and_differ_in_outline():
    a, b = world.world_instances(7, 3, 4, 32), world.world_instances(7, 3, 4, 32)
    assert [i.category for i in a] == [c for c in range(3) for _ in range(4)]
    assert all(np.array_equal(x.sprite, y.sprite) and x.texture == y.texture for x, y in zip(a, b))
    outlines = [np.concatenate([p for p, _ in i.ops]) for i in a[:4]]
    assert all(not np.allclose(outlines[0], o) for o in outlines[1:])  # same family, own proportions
    assert all(np.abs(o).max() <= world.sy.EXTENT + 1e-9 for o in outlines)


def test_texture_and_colour_come_from_shared_pools_independent_of_the_category():
    inst = world.world_instances(0, 8, 40, 16)
    for c in range(8):
        mine = [i for i in inst if i.category == c]
        assert {i.hue for i in mine} <= set(world.PALETTE_HUES) and len({i.hue for i in mine}) >= 3
        assert {i.texture for i in mine} <= set(world.OBJECT_KINDS) and len({i.texture for i in mine}) >= 2


def test_the_split_holds_out_whole_instances_and_is_balanced(split):
    assert split["train_images"].shape == (4 * 3 * 3, 48, 48, 3) and split["val_images"].shape == (4 * 2 * 2, 48, 48, 3)
    assert not set(split["train_instances"]) & set(split["val_instances"])
    assert np.array_equal(split["train_instances"] // 5, split["train_labels"])
    assert np.array_equal(np.bincount(split["val_labels"]), [4] * 4)
    assert list(split["categories"]) == list(world.WORLD_CATEGORIES[:4])


def test_a_still_equals_its_background_outside_the_object_and_the_object_is_inside():
    rng = np.random.default_rng(0)
    (inst,) = world.world_instances(0, 1, 1, 64)
    pool = world.background_pool(0, 96)
    for _ in range(5):
        img, mask, bg, _ = world.render_still(rng, inst, pool, 48)
        assert mask.sum() > 0.1 * mask.size and not mask[0].any() and not mask[-1].any()
        assert np.array_equal(img[~mask], bg[~mask])
        assert not np.array_equal(img[mask], bg[mask])


def test_a_tilt_squashes_the_outline_by_its_cosine():
    v = world.View(scale=10.0, phi=np.radians(60), psi=0.0)
    A = world.view_pose((0, 0), v)
    assert np.allclose(A[:, :2], [[5.0, 0.0], [0.0, 10.0]])


def test_a_world_without_held_out_instances_is_refused():
    with pytest.raises(ConfigError, match="held-out"):
        world.world_image_split(0, 2, 3, 3, 1, 1, 32)


@pytest.fixture(scope="module")
def video():
    (inst,) = world.world_instances(3, 1, 1, 128)
    return world.world_video(5, inst, world.background_pool(0, 192), 40, 96)


def test_no_still_or_frame_can_be_told_apart_by_its_backdrop(video):
    """Issue 11: a backdrop that differs between stills (a texture window, a light gradient) is what MoCo
    learns instead of the category; behind the objects every still and frame shows the plain ``BACKDROP``,
    relit or not, and a frame's background differs from it only under the passing occluder."""
    *_, backgrounds = world.world_images(0, world.world_instances(0, 2, 2, 64), 3, 48)
    assert np.all(backgrounds == world.BACKDROP)
    clear = [bool(np.all(b == world.BACKDROP)) for b in video.backgrounds]  # frames without the occluder bar
    assert len(clear) // 3 <= sum(clear) < len(clear)


def test_a_world_video_has_exact_ground_truth(video):
    seen = video.labels == 0
    assert np.array_equal(video.frames[~seen], video.backgrounds[~seen])
    assert np.all(video.masks[:, 0] >= seen)  # seen pixels are the object's
    for t in range(len(video.frames)):
        assert np.array_equal(video.boxes[t, 0], world.sy.mask_box(video.masks[t, 0]))
    assert np.all((video.visible_fraction >= 0) & (video.visible_fraction <= 1 + 1e-6))


def test_a_world_video_turns_the_object_out_of_plane_and_passes_an_occluder(video):
    area = video.masks[:, 0].sum((1, 2))
    assert area.max() > 1.8 * area.min()  # tilt (and scale) change the look
    assert video.visible_fraction.min() < 0.95 and video.visible_fraction.max() == pytest.approx(1.0, abs=0.02)


def test_a_video_at_pace_one_half_shows_the_first_half_of_the_view_trajectory():
    """``pace`` scales the time of the view trajectory only: T frames at pace 0.5 show the object exactly as the
    first T of 2T - 1 frames at pace 1 (same tilt, turn, scale, drift; its amodal mask does not see the bar)."""
    (inst,) = world.world_instances(3, 1, 1, 128)
    pool = world.background_pool(0, 192)
    half = world.world_video(5, inst, pool, 12, 96, pace=0.5)
    whole = world.world_video(5, inst, pool, 23, 96, pace=1.0)
    assert np.array_equal(half.masks, whole.masks[:12]) and np.array_equal(half.boxes, whole.boxes[:12])
    assert not np.array_equal(half.masks[-1], whole.masks[-1])


def test_a_pace_that_does_not_move_forward_is_refused():
    (inst,) = world.world_instances(3, 1, 1, 64)
    with pytest.raises(ConfigError, match="world_video_pace"):
        world.world_video(5, inst, world.background_pool(0, 96), 4, 48, pace=0.0)


@pytest.fixture(scope="module")
def trajectories():
    return world.world_trajectories(0, 3, 2, 5, 48)


def test_world_trajectories_vary_one_factor_each(trajectories):
    d = trajectories
    assert d["images"].shape == (3 * 2 * 4 * 5, 48, 48, 3) and d["categories"] == list(world.WORLD_CATEGORIES[:3])
    for tid in np.unique(d["trajectory_ids"]):
        idx = np.flatnonzero(d["trajectory_ids"] == tid)
        kind, masks = d["transformations"][idx[0]], d["masks"][idx]
        assert len(set(d["labels"][idx])) == 1 and list(d["steps"][idx]) == list(range(5))
        if kind in ("illumination", "occlusion"):
            assert all(np.array_equal(m, masks[0]) for m in masks)  # the object does not move
        else:
            assert not np.array_equal(masks[0], masks[-1])  # its outline changes
        if kind == "occlusion":
            assert d["occluded_fraction"][idx][0] == 0 and np.all(np.diff(d["occluded_fraction"][idx]) >= 0)
        else:
            assert not d["occluded_fraction"][idx].any()


def test_unknown_world_transformations_are_refused():
    with pytest.raises(ConfigError, match="instance"):
        world.world_trajectories(0, 1, 1, 3, 32, transformations=("pose",))


@pytest.fixture(scope="module")
def part_objects():
    return world.world_part_objects(0, 8, 6, 48)


def test_world_part_objects_have_every_band_on_every_object_and_exact_ground_truth(part_objects):
    po = part_objects
    assert po.images.shape == (48, 48, 48, 3) and po.masks.shape == (48, 48, 48)
    assert np.array_equal(po.labels, np.arange(48) % 8) and po.categories == list(world.WORLD_CATEGORIES)
    assert po.part_names == [list(world.PART_BANDS)] * 8
    for img, mask, bg in zip(po.images, po.masks, po.backgrounds):
        assert set(np.unique(mask)) == {0, 1, 2, 3}  # background and all three bands
        assert np.array_equal(img[mask == 0], bg[mask == 0]) and not mask[0].any() and not mask[-1].any()


def test_part_bands_are_the_thirds_of_the_objects_own_height():
    (inst,) = world.world_instances(3, 1, 1, 32)  # a disk
    ys = world.sy._outline(inst.ops)[:, 1]
    A = world.view_pose((32, 32), world.View(scale=20.0))  # upright, untilted: local y = (row - 32) / 20
    mask = world.sy.raster(inst.ops, A, 64, 64)
    bands = world.part_bands(inst, A, mask)
    rows = np.arange(64)[:, None].repeat(64, 1)
    cut1, cut2 = 32 + 20 * (ys.min() + (ys.max() - ys.min()) * np.array([1 / 3, 2 / 3]))
    assert np.all(bands[mask & (rows < cut1)] == 1) and np.all(bands[mask & (rows > cut2)] == 3)
    assert np.all(bands[mask & (rows > cut1) & (rows < cut2)] == 2) and np.all(bands[~mask] == 0)
    turned = world.view_pose((32, 32), world.View(scale=20.0, angle=np.pi / 2))  # a quarter turn: bands run
    tb = world.part_bands(inst, turned, world.sy.raster(inst.ops, turned, 64, 64))  # across the columns
    cols = rows.T
    assert np.all(tb[(tb > 0) & (cols > 64 - cut1)] == 1) and np.all(tb[(tb > 0) & (cols < 64 - cut2)] == 3)


def test_world_part_objects_show_instances_no_other_split_shows(part_objects):
    train = world.world_instances(0, 8, 12, 96)
    trajectories = world.world_instances(0 + 7919, 8, 12 + 8, 96)
    parts = world.world_instances(0 + 104_729, 8, 6, 96)
    seen = {inst.sprite.tobytes() for inst in train + trajectories}
    assert not any(inst.sprite.tobytes() in seen for inst in parts)
