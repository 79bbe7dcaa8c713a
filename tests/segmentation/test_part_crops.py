import numpy as np
import pytest

from repro.segmentation.pascal_parts import IGNORE, crop_box, crop_object, crops_from_arrays


def mask_at(shape, y0, x0, y1, x1):
    m = np.zeros(shape, bool)
    m[y0:y1, x0:x1] = True
    return m


def test_box_is_the_mask_bounding_box_without_margin():
    m = mask_at((100, 100), 10, 20, 20, 40)
    m[15, 20:40] = False  # holes do not change the box
    assert crop_box(m, 0.0) == (10, 20, 20, 40)


def test_margin_widens_each_side_by_a_fraction_of_the_side():
    m = mask_at((100, 100), 10, 20, 20, 40)  # h 10 centred at 15, w 20 centred at 30
    assert crop_box(m, 0.1) == (9, 18, 21, 42)  # h 12: 9..21; w 24: 18..42
    assert crop_box(m, 0.5) == (5, 10, 25, 50)


def test_box_is_clipped_to_the_image():
    m = mask_at((50, 60), 0, 50, 10, 60)
    assert crop_box(m, 0.5) == (0, 45, 15, 60)


def test_square_box_keeps_the_aspect_ratio():
    m = mask_at((100, 100), 40, 20, 50, 60)  # h 10, w 40, centre (45, 40)
    assert crop_box(m, 0.0, square=True) == (25, 20, 65, 60)


def test_empty_mask_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        crop_box(np.zeros((5, 5), bool), 0.1)


def test_crop_maps_labels_alike_and_resizes():
    H, W = 40, 60
    labels = np.zeros((H, W), np.uint8)
    labels[10:30, 20:40] = 1  # object, top half part 1
    labels[20:30, 20:40] = 2  # bottom half part 2
    image = np.zeros((H, W, 3), np.uint8)
    image[10:30, 20:40] = 200
    crop, target = crop_object(image, labels, crop_box(labels > 0, 0.0), 32, 16)
    assert crop.shape == (32, 32, 3) and target.shape == (16, 16)
    assert crop.min() == 200  # the crop holds the object only
    assert (target[:8] == 1).all() and (target[8:] == 2).all()
    # with margin 0.25 the object spans the central 1/1.5 of each side: a background border of 1/6
    crop, target = crop_object(image, labels, crop_box(labels > 0, 0.25), 30, 12)
    assert (target[:2] == 0).all() and (target[-2:] == 0).all() and (target[:, :2] == 0).all()
    assert set(np.unique(target[2:-2, 2:-2])) == {1, 2}
    assert crop[0, 0].max() == 0 and crop[15, 15].min() == 200


def test_outside_ignore_marks_background_pixels():
    images = np.zeros((1, 20, 20, 3), np.uint8)
    masks = np.zeros((1, 20, 20), np.uint8)
    masks[0, 5:15, 5:15] = 1
    kw = dict(labels=np.array([0]), classes=["a"], part_names=[["p"]], margin=0.5, image_size=20, output_size=8)
    bg = crops_from_arrays(images, masks, **kw)
    ig = crops_from_arrays(images, masks, outside="ignore", **kw)
    assert (bg.targets == 0).any() and not (bg.targets == IGNORE).any()
    assert not (ig.targets == 0).any() and ((ig.targets == IGNORE) == (bg.targets == 0)).all()
    assert bg.num_labels(0) == 2 and bg.part_names == (("p",),)
