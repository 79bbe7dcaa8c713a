import numpy as np
import pytest

from repro.errors import DatasetLayoutError
from repro.segmentation.parts_map import coarse_parts
from repro.segmentation.pascal_parts import (
    IGNORE,
    crop_box,
    crop_object,
    load_pascal_parts,
    part_label_map,
    read_annotation,
)


def test_reads_objects_and_parts(voc_parts):
    anno = read_annotation(voc_parts["root"] / "Annotations_Part" / "img_a.mat")
    assert anno.imname == "img_a"
    assert [(o.cls, o.class_ind, len(o.parts)) for o in anno.objects] == [
        ("cow", 10, 6),
        ("person", 15, 0),
        ("boat", 4, 0),
    ]
    cow = anno.objects[0]
    assert cow.mask.dtype == bool and (cow.mask == voc_parts["cow"]).all()
    assert [n for n, _ in cow.parts] == [n for n, _ in voc_parts["cow_parts"]]
    assert all((m == ref).all() for (_, m), (_, ref) in zip(cow.parts, voc_parts["cow_parts"]))


def test_label_map_merges_parts_and_ignores_uncovered_object_pixels(voc_parts):
    cow = read_annotation(voc_parts["root"] / "Annotations_Part" / "img_a.mat").objects[0]
    labels = part_label_map(cow)
    head, torso, leg = (coarse_parts("cow").index(p) + 1 for p in ("head", "torso", "leg"))
    assert (labels[~voc_parts["cow"]] == 0).all()
    assert (labels[10:20, 20:30] == head).all() and (labels[10:30, 30:60] == torso).all()
    assert (labels[30:40, 30:40] == leg).all() and (labels[30:40, 50:60] == leg).all()
    assert (labels[20:30, 20:30] == IGNORE).all() and (labels[30:40, 40:50] == IGNORE).all()


def test_bad_mat_files_are_clear_errors(tmp_path):
    from scipy.io import savemat

    bad = tmp_path / "bad.mat"
    bad.write_bytes(b"garbage")
    with pytest.raises(DatasetLayoutError, match="cannot be read"):
        read_annotation(bad)
    savemat(tmp_path / "noanno.mat", {"x": np.zeros(3)})
    with pytest.raises(DatasetLayoutError, match="no variable 'anno'"):
        read_annotation(tmp_path / "noanno.mat")
    savemat(tmp_path / "noobjects.mat", {"anno": {"imname": "a"}})
    with pytest.raises(DatasetLayoutError, match="no field 'objects'"):
        read_annotation(tmp_path / "noobjects.mat")
    objs = np.zeros((1, 1), dtype=[("class", "O"), ("mask", "O"), ("parts", "O")])
    objs[0, 0]["class"], objs[0, 0]["mask"], objs[0, 0]["parts"] = "cow", np.ones((2, 2)), np.zeros((0, 0))
    savemat(tmp_path / "noclassind.mat", {"anno": {"imname": "a", "objects": objs}})
    with pytest.raises(DatasetLayoutError, match="class_ind"):
        read_annotation(tmp_path / "noclassind.mat")


def test_loader_crops_objects_and_counts_skips(voc_parts):
    crops, report = load_pascal_parts(
        voc_parts["root"],
        voc_parts["voc"],
        "train",
        ["cow", "car", "person"],
        margin=0.0,
        image_size=32,
        output_size=16,
    )
    # img_a: cow kept, person skipped (no parts), boat not asked for; img_b: car kept; img_c: no image;
    # img_d: no annotation
    assert [crops.classes[c] for c in crops.labels] == ["cow", "car"]
    assert list(crops.sources) == ["img_a#0", "img_b#0"]
    assert crops.images.shape == (2, 32, 32, 3) and crops.targets.shape == (2, 16, 16)
    assert report.counts["object without parts"] == 1
    assert report.counts["missing image"] == 1
    assert report.counts["image without part annotation"] == 1
    assert report.counts["unknown part car/spoiler (pixels ignored)"] == 1
    assert tuple(crops.boxes[0]) == crop_box(voc_parts["cow"], 0.0) == (10, 20, 40, 60)
    # the cow's target equals its label map cropped and resized independently
    cow = read_annotation(voc_parts["root"] / "Annotations_Part" / "img_a.mat").objects[0]
    _, expected = crop_object(
        np.zeros((*voc_parts["shape"], 3), np.uint8), part_label_map(cow), (10, 20, 40, 60), 32, 16
    )
    assert (crops.targets[0] == expected).all()
    car_labels = set(np.unique(crops.targets[1]))
    assert {coarse_parts("car").index(p) + 1 for p in ("wheel", "window")} <= car_labels
    assert "spoiler" not in str(crops.part_names) and IGNORE in car_labels


def test_corrupt_annotation_is_counted_and_empty_result_is_an_error(voc_parts):
    crops, report = load_pascal_parts(
        voc_parts["root"], voc_parts["voc"], "val", ["cow"], margin=0.1, image_size=16, output_size=8
    )
    assert len(crops) == 1 and report.counts["unreadable annotation"] == 1
    with pytest.raises(DatasetLayoutError, match="no usable val objects of horse"):
        load_pascal_parts(
            voc_parts["root"], voc_parts["voc"], "val", ["horse"], margin=0.1, image_size=16, output_size=8
        )


def test_layout_errors_name_the_expected_layout(tmp_path, voc_parts):
    with pytest.raises(DatasetLayoutError, match="Annotations_Part"):
        load_pascal_parts(tmp_path / "nowhere", voc_parts["voc"], "train", ["cow"], 0.1, 16, 8)
    with pytest.raises(DatasetLayoutError, match="ImageSets/Main"):
        load_pascal_parts(voc_parts["root"], tmp_path / "novoc", "train", ["cow"], 0.1, 16, 8)


def test_single_object_with_single_part_survives_squeezing(tmp_path, part_mat_writer):
    m = np.zeros((6, 8), bool)
    m[1:4, 2:7] = True
    part_mat_writer(tmp_path / "one.mat", "one", [{"class": "bird", "class_ind": 3, "mask": m, "parts": [("beak", m)]}])
    anno = read_annotation(tmp_path / "one.mat")
    assert len(anno.objects) == 1 and [n for n, _ in anno.objects[0].parts] == ["beak"]
    assert (part_label_map(anno.objects[0])[m] == coarse_parts("bird").index("head") + 1).all()
