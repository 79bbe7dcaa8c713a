import pytest

from repro.config import TABLE5_CLASSES
from repro.errors import ReproError
from repro.segmentation.parts_map import (
    PART_GROUPS,
    SILHOUETTE_ONLY,
    UnknownPartError,
    base_part_name,
    coarse_parts,
    num_labels,
    part_index,
)

# The fine part names of Pascal-Part's part2ind.m (numbered parts shown with one index), written out here
# independently of the map, so every annotated part must find a coarse part.
PASCAL_PART_NAMES = {
    "aeroplane": "body stern lwing rwing tail engine_1 engine_4 wheel_1 wheel_7",
    "bicycle": "fwheel bwheel saddle handlebar chainwheel headlight headlight_1",
    "bird": "head leye reye beak torso neck lwing rwing lleg lfoot rleg rfoot tail",
    "bus": "frontside leftside rightside backside roofside leftmirror rightmirror fliplate bliplate door_1 "
    "wheel_1 wheel_3 headlight_2 window_1 window_12",
    "car": "frontside leftside rightside backside roofside leftmirror rightmirror fliplate bliplate door_2 "
    "wheel_4 headlight_1 window_5",
    "cat": "head leye reye lear rear nose torso neck lfleg lfpa rfleg rfpa lbleg lbpa rbleg rbpa tail",
    "cow": "head leye reye lear rear muzzle lhorn rhorn torso neck lfuleg lflleg rfuleg rflleg lbuleg lblleg "
    "rbuleg rblleg tail",
    "dog": "head leye reye lear rear nose muzzle torso neck lfleg lfpa rfleg rfpa lbleg lbpa rbleg rbpa tail",
    "horse": "head leye reye lear rear muzzle lfho rfho lbho rbho torso neck lfuleg lflleg rfuleg rflleg "
    "lbuleg lblleg rbuleg rblleg tail",
    "motorbike": "fwheel bwheel handlebar saddle headlight_1 headlight_2",
    "person": "head leye reye lear rear lebrow rebrow nose mouth hair torso neck llarm luarm lhand rlarm ruarm "
    "rhand llleg luleg lfoot rlleg ruleg rfoot",
    "sheep": "head leye reye lear rear muzzle lhorn rhorn torso neck lfuleg lflleg rfuleg rflleg lbuleg lblleg "
    "rbuleg rblleg tail",
}


def test_the_twelve_table5_classes_are_mapped_and_nothing_else():
    assert tuple(PART_GROUPS) == TABLE5_CLASSES
    assert len(TABLE5_CLASSES) == 12


@pytest.mark.parametrize("cls", TABLE5_CLASSES)
def test_every_pascal_part_maps_to_one_coarse_part(cls):
    coarse = coarse_parts(cls)
    assert len(set(coarse)) == len(coarse) >= 3
    ids = {part_index(cls, name) for name in PASCAL_PART_NAMES[cls].split()}
    assert ids == set(range(1, len(coarse) + 1))  # every coarse part is used, ids are 1..n
    assert num_labels(cls) == len(coarse) + 1


def test_numbered_parts_are_grouped():
    assert base_part_name("wheel_3") == base_part_name("wheel_12") == "wheel"
    assert part_index("car", "wheel_1") == part_index("car", "wheel_9") == coarse_parts("car").index("wheel") + 1
    assert part_index("bus", "window_17") == coarse_parts("bus").index("window") + 1
    assert part_index("aeroplane", "engine_2") != part_index("aeroplane", "wheel_2")


def test_coarse_groups_follow_the_issue():
    assert coarse_parts("person") == ("head", "torso", "arm", "leg")
    assert {"body", "window", "wheel"} == set(coarse_parts("car")) == set(coarse_parts("bus"))
    assert part_index("person", "lhand") == part_index("person", "ruarm")
    assert part_index("cow", "lhorn") == part_index("cow", "head")
    assert part_index("horse", "lbho") == part_index("horse", "rfuleg")


@pytest.mark.parametrize("cls", SILHOUETTE_ONLY)
def test_silhouette_only_classes_are_excluded(cls):
    with pytest.raises(ReproError, match="silhouette"):
        coarse_parts(cls)


def test_unknown_class_and_part_are_clear_errors():
    with pytest.raises(ReproError, match="no part-merging map"):
        coarse_parts("train")
    with pytest.raises(UnknownPartError, match="spoiler"):
        part_index("car", "spoiler")
