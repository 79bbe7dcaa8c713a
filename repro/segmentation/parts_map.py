"""The part-merging map: Pascal-Part's fine parts grouped into coarse parts, per Table 5 class.

Pascal-Part [46] annotates up to 24 fine parts per class (``lfleg``, ``rebrow``, ``wheel_3``, ...; the names
are those of the dataset's ``part2ind.m``). The supplement does not say which parts Table 5 predicts
("we crop bounding boxes for the each object ... train a small CNN ... that takes as input a single
representation"), so we choose a coarse grouping, as is common for Pascal-Part: left/right and numbered
instances merge (``wheel_1`` ... ``wheel_n`` -> ``wheel``, ``lwing``/``rwing`` -> ``wing``), and small parts
merge into the part that holds them (eyes, ears, nose into ``head``; paws and hooves into ``leg``).
The grouping is the ``PART_GROUPS`` table below; pass another table to the reader to change it.

Label ids of one class: 0 = background, ``i + 1`` = the i-th coarse part in ``PART_GROUPS[class]``.

Classes whose Pascal-Part annotation is a silhouette only (boat, chair, diningtable, sofa) have no parts
and are excluded, as Table 5 excludes them; bottle, pottedplant, train and tvmonitor have parts but are not
in Table 5 (the supplement does not say why) and are not mapped here either.
"""

from __future__ import annotations

import re
from typing import Mapping

from ..config import TABLE5_CLASSES
from ..errors import ReproError

#: Classes that Pascal-Part annotates with a silhouette only (no parts): not in Table 5.
SILHOUETTE_ONLY = ("boat", "chair", "diningtable", "sofa")
#: Classes with parts that Table 5 leaves out as well.
NOT_IN_TABLE5 = ("bottle", "pottedplant", "train", "tvmonitor")

_ANIMAL_HEAD = ("head", "leye", "reye", "lear", "rear", "nose", "muzzle", "lhorn", "rhorn")
_VEHICLE_BODY = (
    "frontside",
    "leftside",
    "rightside",
    "backside",
    "roofside",
    "leftmirror",
    "rightmirror",
    "fliplate",
    "bliplate",
    "door",
    "headlight",
)

#: class -> ordered ((coarse part, fine part names), ...); numbered fine parts are listed without ``_n``.
PART_GROUPS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "aeroplane": (
        ("body", ("body",)),
        ("tail", ("stern", "tail")),
        ("wing", ("lwing", "rwing")),
        ("engine", ("engine",)),
        ("wheel", ("wheel",)),
    ),
    "bicycle": (
        ("wheel", ("fwheel", "bwheel")),
        ("chainwheel", ("chainwheel",)),
        ("saddle", ("saddle",)),
        ("handlebar", ("handlebar", "headlight")),
    ),
    "bird": (
        ("head", ("head", "leye", "reye", "beak")),
        ("torso", ("torso", "neck")),
        ("wing", ("lwing", "rwing")),
        ("leg", ("lleg", "lfoot", "rleg", "rfoot")),
        ("tail", ("tail",)),
    ),
    "bus": (("body", _VEHICLE_BODY), ("window", ("window",)), ("wheel", ("wheel",))),
    "car": (("body", _VEHICLE_BODY), ("window", ("window",)), ("wheel", ("wheel",))),
    "cat": (
        ("head", _ANIMAL_HEAD),
        ("torso", ("torso", "neck")),
        ("leg", ("lfleg", "lfpa", "rfleg", "rfpa", "lbleg", "lbpa", "rbleg", "rbpa")),
        ("tail", ("tail",)),
    ),
    "cow": (
        ("head", _ANIMAL_HEAD),
        ("torso", ("torso", "neck")),
        ("leg", ("lfuleg", "lflleg", "rfuleg", "rflleg", "lbuleg", "lblleg", "rbuleg", "rblleg")),
        ("tail", ("tail",)),
    ),
    "dog": (
        ("head", _ANIMAL_HEAD),
        ("torso", ("torso", "neck")),
        ("leg", ("lfleg", "lfpa", "rfleg", "rfpa", "lbleg", "lbpa", "rbleg", "rbpa")),
        ("tail", ("tail",)),
    ),
    "horse": (
        ("head", _ANIMAL_HEAD),
        ("torso", ("torso", "neck")),
        (
            "leg",
            (
                "lfuleg",
                "lflleg",
                "rfuleg",
                "rflleg",
                "lbuleg",
                "lblleg",
                "rbuleg",
                "rblleg",
                "lfho",
                "rfho",
                "lbho",
                "rbho",
            ),
        ),
        ("tail", ("tail",)),
    ),
    "motorbike": (
        ("wheel", ("fwheel", "bwheel")),
        ("handlebar", ("handlebar",)),
        ("saddle", ("saddle",)),
        ("light", ("headlight",)),
    ),
    "person": (
        ("head", ("head", "leye", "reye", "lear", "rear", "lebrow", "rebrow", "nose", "mouth", "hair")),
        ("torso", ("torso", "neck")),
        ("arm", ("llarm", "luarm", "lhand", "rlarm", "ruarm", "rhand")),
        ("leg", ("llleg", "luleg", "lfoot", "rlleg", "ruleg", "rfoot")),
    ),
    "sheep": (
        ("head", _ANIMAL_HEAD),
        ("torso", ("torso", "neck")),
        ("leg", ("lfuleg", "lflleg", "rfuleg", "rflleg", "lbuleg", "lblleg", "rbuleg", "rblleg")),
        ("tail", ("tail",)),
    ),
}
assert tuple(PART_GROUPS) == TABLE5_CLASSES

_NUMBERED = re.compile(r"_\d+$")


class UnknownPartError(ReproError, KeyError):
    """A part name that the merging map does not know (the reader counts these and ignores their pixels)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def base_part_name(name: str) -> str:
    """``wheel_3`` -> ``wheel``: numbered instances share their coarse part."""
    return _NUMBERED.sub("", name.strip().lower())


def coarse_parts(cls: str, groups: Mapping = PART_GROUPS) -> tuple[str, ...]:
    """The coarse part names of ``cls`` in label order (label id = position + 1; 0 is background)."""
    if cls in SILHOUETTE_ONLY:
        raise ReproError(
            f"class {cls!r} has a silhouette only in Pascal-Part (no parts); Table 5 excludes "
            "it: remove it from seg_classes"
        )
    if cls not in groups:
        raise ReproError(
            f"class {cls!r} has no part-merging map; known classes: {', '.join(groups)} "
            "(add an entry to repro.segmentation.parts_map.PART_GROUPS to use it)"
        )
    return tuple(coarse for coarse, _ in groups[cls])


def part_index(cls: str, part_name: str, groups: Mapping = PART_GROUPS) -> int:
    """Label id (1-based) of fine part ``part_name`` of class ``cls`` after merging."""
    coarse_parts(cls, groups)
    base = base_part_name(part_name)
    for i, (_, fine) in enumerate(groups[cls]):
        if base in fine:
            return i + 1
    raise UnknownPartError(
        f"part {part_name!r} of class {cls!r} is not in the part-merging map "
        f"(known fine parts: {', '.join(f for _, fs in groups[cls] for f in fs)})"
    )


def num_labels(cls: str, groups: Mapping = PART_GROUPS) -> int:
    """Number of decoder outputs for ``cls``: background + its coarse parts."""
    return 1 + len(coarse_parts(cls, groups))
