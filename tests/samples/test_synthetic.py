"""The synthetic generators deliver the ground truth their docstrings promise: boxes and visibility that
match the rendered pixels, part masks that cover exactly the object, trajectories whose transformation
really progresses, determinism by seed, and clear errors on bad arguments."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from repro.errors import ConfigError
from repro.samples import synthetic
from repro.samples.synthetic import (
    PART_CATEGORIES,
    SYNTHETIC_CATEGORIES,
    TRANSFORMATIONS,
    category_images,
    part_objects,
    synthetic_video,
    transformation_trajectories,
)


def _naive_box(mask):
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return np.zeros(4, np.float32)
    return np.array([xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1], np.float32)


def _touches_border(mask):
    return mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any()


# ----------------------------------------------------------------------------- determinism and API
CALLS = {
    "video": lambda seed: synthetic_video(seed, 6, 48, 2),
    "images": lambda seed: category_images(seed, 6, 2, 40),
    "parts": lambda seed: part_objects(seed, 6, 2, 40),
    "trajectories": lambda seed: transformation_trajectories(seed, 6, 1, 3, 40),
}


def _items(out):
    return list(out.values()) if isinstance(out, dict) else list(vars(out).values())


@pytest.mark.parametrize("name", sorted(CALLS))
def test_same_seed_gives_identical_arrays_and_another_seed_differs(name):
    a, b, c = CALLS[name](7), CALLS[name](7), CALLS[name](8)
    for x, y in zip(_items(a), _items(b)):
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y)  # bitwise
        else:
            assert x == y  # names
    assert not np.array_equal(_items(a)[0], _items(c)[0])  # images / frames differ


def test_shapes_and_dtypes():
    v = synthetic_video(0, 5, 40, 4)
    frames, boxes, visible = v.frames, v.boxes, v.visible
    assert frames.shape == (5, 40, 40, 3) and frames.dtype == np.uint8
    assert boxes.shape == (5, 4, 4) and boxes.dtype == np.float32
    assert visible.shape == (5, 4) and visible.dtype == bool

    c = category_images(0, 7, 3, 36)
    images, labels, cats = c.images, c.labels, c.categories
    assert images.shape == (21, 36, 36, 3) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and np.array_equal(labels, np.arange(21) % 7)
    assert cats == list(SYNTHETIC_CATEGORIES[:7]) and len(SYNTHETIC_CATEGORIES) >= 8

    p = part_objects(0, 6, 2, 36)
    images, masks, labels, cats, parts = p.images, p.masks, p.labels, p.categories, p.part_names
    assert images.shape == (12, 36, 36, 3) and masks.shape == (12, 36, 36) and masks.dtype == np.uint8
    assert labels.dtype == np.int64 and cats == list(PART_CATEGORIES)[:6]
    assert parts == [list(PART_CATEGORIES[c]) for c in cats] and all(len(p) >= 3 for p in parts)

    out = transformation_trajectories(0, 6, 2, 4, 36, transformations=("occlusion", "viewpoint"))
    n = 6 * 2 * 2 * 4
    assert out["images"].shape == (n, 36, 36, 3) and out["images"].dtype == np.uint8
    for key in ("labels", "trajectory_ids", "steps"):
        assert out[key].shape == (n,) and out[key].dtype == np.int64
    assert out["transformations"].shape == (n,) and set(out["transformations"]) == {"occlusion", "viewpoint"}
    assert out["categories"] == list(SYNTHETIC_CATEGORIES[:6])
    assert out["masks"].shape == (n, 36, 36) and out["masks"].dtype == bool


# ----------------------------------------------------------------------------- (a) videos
def test_video_boxes_are_the_extent_of_each_full_object_mask(synthetic_videos):
    for v in synthetic_videos:
        T, M = v.visible.shape
        for t in range(T):
            for m in range(M):
                assert np.array_equal(v.boxes[t, m], _naive_box(v.masks[t, m]))
                x, y, w, h = v.boxes[t, m].astype(int)
                seen = v.labels[t] == m  # visible pixels of m
                assert seen[y : y + h, x : x + w].sum() == seen.sum()  # all inside its box
                assert not (seen & ~v.masks[t, m]).any()  # and inside its full mask
        assert (v.boxes[..., 2:] > 0).all()  # centres stay in frame


def test_video_pixels_show_objects_exactly_where_the_label_map_says(synthetic_videos):
    for v in synthetic_videos:
        bg = v.labels == -1
        assert np.array_equal(v.frames[bg], v.backgrounds[bg])
        changed = (v.frames != v.backgrounds).any(-1)
        assert changed[~bg].mean() > 0.9  # textures differ from background
        assert np.array_equal(v.labels >= 0, v.masks.any(1))  # objects cover their masks


def test_video_depth_order_decides_who_is_seen(synthetic_videos):
    overlaps = 0
    for v in synthetic_videos:
        rank = np.argsort(v.order)  # rank[m]: 0 = back-most
        for t in range(len(v.frames)):
            covering = v.masks[t] * (rank[:, None, None] + 1)  # M x S x S, 0 = not covered
            top = covering.max(0)  # S x S: 1 + rank of the front-most
            front = np.where(top > 0, v.order[np.maximum(top - 1, 0)], -1)
            assert np.array_equal(v.labels[t], front)  # the front-most one is seen
            overlaps += int((v.masks[t].sum(0) > 1).sum())
    assert overlaps > 0  # objects do occlude each other


def test_video_visibility_is_the_visible_fraction_of_the_full_object(synthetic_videos):
    for v in synthetic_videos:
        T, M = v.visible.shape
        seen = np.stack([(v.labels == m).sum((1, 2)) for m in range(M)], 1)
        inframe = v.masks.sum((2, 3))
        assert np.array_equal(v.visible, v.visible_fraction >= synthetic.VISIBLE_MIN_FRACTION)
        for t in range(T):
            for m in range(M):
                if not _touches_border(v.masks[t, m]):  # full object is in the frame
                    assert v.visible_fraction[t, m] == pytest.approx(seen[t, m] / inframe[t, m], rel=1e-6)
                else:  # part of it is outside
                    assert v.visible_fraction[t, m] <= seen[t, m] / inframe[t, m] + 1e-6
        assert (seen < inframe).any()  # some occlusion happens


def test_video_visibility_threshold_turns_flags_off_for_occluded_objects():
    v = synthetic.synthetic_video(0, 24, 96, 3, min_visible_fraction=1.0)
    seen = np.stack([(v.labels == m).sum((1, 2)) for m in range(3)], 1)
    occluded = seen < v.masks.sum((2, 3))
    assert occluded.any() and not v.visible[occluded].any()


def test_video_objects_move_smoothly(synthetic_videos):
    for v in synthetic_videos:
        centre = v.boxes[..., :2] + v.boxes[..., 2:] / 2  # T x M x 2
        assert np.abs(np.diff(centre, axis=0)).max() <= 0.1 * v.frames.shape[1]
        assert np.abs(centre[-1] - centre[0]).max() > 2  # and do move


def test_video_objects_are_identifiable_by_appearance(synthetic_videos):
    """Nearest mean colour (per object over the video) recognises each object in each frame."""
    for v in synthetic_videos:
        feats, ids = [], []
        for t in range(len(v.frames)):
            for m in range(len(v.order)):
                if v.visible_fraction[t, m] > 0.3:
                    feats.append(v.frames[t][v.labels[t] == m].mean(0))
                    ids.append(m)
        feats, ids = np.array(feats), np.array(ids)
        centres = np.array([feats[ids == m].mean(0) for m in range(len(v.order))])
        pred = np.argmin(((feats[:, None] - centres[None]) ** 2).sum(-1), 1)
        assert (pred == ids).mean() >= 0.9
        assert len(set(v.shapes)) == len(v.shapes)


# ----------------------------------------------------------------------------- (b) category images
def _shape_features(mask):
    """Rotation / scale invariant shape descriptors: two Hu moments, solidity, hole fraction."""
    m = mask.astype(np.uint8)
    hu = cv2.HuMoments(cv2.moments(m, True)).ravel()[:2]
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outer = max(contours, key=cv2.contourArea)
    filled = np.zeros_like(m)
    cv2.drawContours(filled, [outer], -1, 1, -1)
    hull = cv2.contourArea(cv2.convexHull(outer))
    return np.array([*(-np.log10(np.abs(hu) + 1e-12)), m.sum() / max(hull, 1), 1 - m.sum() / filled.sum()])


def test_category_images_show_the_object_exactly_on_its_mask(category_set):
    s = category_set
    assert not any(_touches_border(m) for m in s.masks)  # wholly inside the image
    outside = ~s.masks
    assert np.array_equal(s.images[outside], s.backgrounds[outside])
    assert (s.images != s.backgrounds).any(-1)[s.masks].mean() > 0.9
    fg = np.array([im[m].mean(0) for im, m in zip(s.images, s.masks)])
    bg = np.array([im[~m].mean(0) for im, m in zip(s.images, s.masks)])
    assert np.median(np.linalg.norm(fg - bg, axis=1)) > 40  # the object stands out


def test_category_is_carried_by_shape_not_colour(category_set):
    s = category_set
    y = s.labels
    train = (np.arange(len(y)) // len(s.categories)) % 2 == 0  # half of every category

    def nearest_centroid_accuracy(x):
        x = (x - x.mean(0)) / (x.std(0) + 1e-9)
        centres = np.array([x[train & (y == c)].mean(0) for c in range(len(s.categories))])
        pred = np.argmin(((x[~train, None] - centres[None]) ** 2).sum(-1), 1)
        return (pred == y[~train]).mean()

    def nearest_neighbour_accuracy(x):
        x = (x - x.mean(0)) / (x.std(0) + 1e-9)
        d = ((x[~train, None] - x[None, train]) ** 2).sum(-1)
        return (y[train][d.argmin(1)] == y[~train]).mean()

    chance = 1 / len(s.categories)
    colour = np.array([im[m].mean(0) for im, m in zip(s.images, s.masks)])
    assert nearest_centroid_accuracy(colour) < chance + 0.2
    shape = np.array([_shape_features(m) for m in s.masks])
    assert nearest_neighbour_accuracy(shape) > 0.85


# ----------------------------------------------------------------------------- (c) part objects
def test_part_masks_cover_exactly_the_object(part_set):
    s = part_set
    obj = s.masks > 0
    assert np.array_equal(s.images[~obj], s.backgrounds[~obj])
    assert (s.images != s.backgrounds).any(-1)[obj].mean() > 0.9
    assert not any(_touches_border(m) for m in obj)


def test_every_part_of_every_object_is_present_and_distinct(part_set):
    s = part_set
    assert len(s.categories) >= 6
    for img, mask, label, bg in zip(s.images, s.masks, s.labels, s.backgrounds):
        names = s.part_names[label]
        assert len(names) >= 3 and mask.max() == len(names)
        means = []
        for p in range(1, len(names) + 1):
            assert (mask == p).sum() >= 4, (s.categories[label], names[p - 1])
            means.append(img[mask == p].astype(float).mean(0))
        bg_mean = bg[mask == 0].astype(float).mean(0)
        # each part differs from the background; parts differ from each other in colour
        assert min(np.linalg.norm(m - bg_mean) for m in means) > 20
        assert min(np.linalg.norm(a - b) for i, a in enumerate(means) for b in means[i + 1 :]) > 20


# ----------------------------------------------------------------------------- (d) trajectories
def _trajectories(d):
    for t in np.unique(d["trajectory_ids"]):
        yield np.flatnonzero(d["trajectory_ids"] == t)


def test_trajectories_are_contiguous_labelled_and_unique(trajectory_set):
    d = trajectory_set
    L, n = 6, 0
    for idx in _trajectories(d):
        n += 1
        assert np.array_equal(idx, np.arange(idx[0], idx[0] + L))  # contiguous, length L
        assert len(set(d["labels"][idx])) == 1 and len(set(d["transformations"][idx])) == 1
        assert np.array_equal(d["steps"][idx], np.arange(L))
    assert n == 6 * 2 * len(TRANSFORMATIONS)
    assert set(d["transformations"]) == set(TRANSFORMATIONS)
    assert np.array_equal(np.bincount(d["labels"]), np.full(6, 2 * len(TRANSFORMATIONS) * L))


def test_occlusion_fraction_grows_along_occlusion_trajectories(trajectory_set):
    d = trajectory_set
    for idx in _trajectories(d):
        f = d["occluded_fraction"][idx]
        if d["transformations"][idx[0]] != "occlusion":
            assert (f == 0).all()
            continue
        assert f[0] == 0 and np.all(np.diff(f) > 0) and 0.5 <= f[-1] <= 0.9
        mask = d["masks"][idx[0]]
        assert all(np.array_equal(d["masks"][i], mask) for i in idx)  # the object does not move
        # independently of the reported fraction: ever more object pixels change from step 0
        changed = [(d["images"][i] != d["images"][idx[0]]).any(-1)[mask].mean() for i in idx]
        assert np.all(np.diff(changed) > 0)
        assert abs(changed[-1] - f[-1]) < 0.1


def test_illumination_changes_light_not_geometry(trajectory_set):
    d = trajectory_set
    for idx in _trajectories(d):
        if d["transformations"][idx[0]] != "illumination":
            continue
        assert all(np.array_equal(d["masks"][i], d["masks"][idx[0]]) for i in idx)
        brightness = d["images"][idx].reshape(len(idx), -1).mean(1)
        steps = np.diff(brightness)
        assert np.all(steps > 0) or np.all(steps < 0)  # monotone relighting
        assert abs(brightness[-1] - brightness[0]) > 15


def test_viewpoint_moves_the_object_smoothly_inside_the_image(trajectory_set):
    d = trajectory_set
    for idx in _trajectories(d):
        if d["transformations"][idx[0]] != "viewpoint":
            continue
        m = d["masks"][idx]
        assert not any(_touches_border(x) for x in m)
        iou = (m[1:] & m[:-1]).sum((1, 2)) / (m[1:] | m[:-1]).sum((1, 2))
        assert iou.min() > 0.3 and not np.array_equal(m[0], m[-1])


def test_trajectories_use_the_category_image_shapes():
    """Trajectory objects have the shape of their label in (b): a shape classifier fitted on (b) masks
    recognises the step-0 viewpoint masks (before any squash)."""
    train = synthetic.category_images(1, 6, 12, 48)
    feats = np.array([_shape_features(m) for m in train.masks])
    d = synthetic.transformation_trajectories(2, 6, 3, 3, 48, transformations=("viewpoint",))
    first = d["steps"] == 0
    test = np.array([_shape_features(m) for m in d["masks"][first]])
    mu, sd = feats.mean(0), feats.std(0) + 1e-9
    dist = ((((test - mu) / sd)[:, None] - ((feats - mu) / sd)[None]) ** 2).sum(-1)
    assert (train.labels[dist.argmin(1)] == d["labels"][first]).mean() > 0.8


# ----------------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: synthetic_video(-1, 4, 64), "seed"),
        (lambda: synthetic_video(0, 0, 64), "num_frames"),
        (lambda: synthetic_video(0, 4, 16), "size"),
        (lambda: synthetic_video(0, 4, 64, num_objects=len(SYNTHETIC_CATEGORIES) + 1), "num_objects"),
        (lambda: synthetic_video(0, 4.0, 64), "num_frames"),
        (lambda: synthetic_video(0, True, 64), "num_frames"),
        (lambda: synthetic.synthetic_video(0, 4, 64, min_visible_fraction=0.0), "min_visible_fraction"),
        (lambda: category_images(0, len(SYNTHETIC_CATEGORIES) + 1, 2, 64), "num_categories"),
        (lambda: category_images(0, 6, 0, 64), "per_category"),
        (lambda: category_images("0", 6, 2, 64), "seed"),
        (lambda: part_objects(0, len(PART_CATEGORIES) + 1, 2, 64), "num_categories"),
        (lambda: part_objects(0, 6, 2, 8), "size"),
        (lambda: transformation_trajectories(0, 6, 1, 1, 64), "trajectory_len"),
        (lambda: transformation_trajectories(0, 6, 1, 4, 64, transformations=("zoom",)), "transformations"),
        (lambda: transformation_trajectories(0, 6, 1, 4, 64, transformations=()), "transformations"),
        (
            lambda: transformation_trajectories(0, 6, 1, 4, 64, transformations=("occlusion", "occlusion")),
            "transformations",
        ),
    ],
)
def test_bad_arguments_raise_a_clear_value_error(call, words):
    with pytest.raises(ValueError, match=words) as info:
        call()
    assert isinstance(info.value, ConfigError)
