"""Expected folder layouts of the real datasets, and the early check that a dataset root exists.

The runner checks every non-empty ``*_root`` parameter before it starts a notebook, so a paper-scale run
with a missing dataset stops at once with the layout to put in place, not minutes later inside a reader.
Readers use ``require_root`` too and add their own finer checks (``DatasetLayoutError``).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DatasetLayoutError

LAYOUTS = {
    "trackingnet_root": (
        "TrackingNet",
        """\
<root>/TRAIN_0 ... TRAIN_11, TEST/
    frames/<seq>/0.jpg, 1.jpg, ...      frames, 0-based, not zero-padded
    anno/<seq>.txt                      one 'x,y,w,h' line per frame""",
    ),
    "probe_root": (
        "Labelled images of the kNN / linear probe (paper: ImageNet)",
        """\
<root>/train/<class>/<image>.JPEG     the bank (ImageNet's training folder)
<root>/val/<class>/<image>.JPEG       the queries (ImageNet's val images moved into class folders, as
                                      PyTorch's ImageNet example does with valprep.sh)""",
    ),
    "aloi_root": (
        "ALOI (any resolution; each tar unpacked into a folder of its name)",
        """\
<root>/aloi_red2_view/png2/<object 1..1000>/<object>_r<azimuth 0..355>.png    viewpoint (72 azimuths)
<root>/aloi_red2_col/png2/<object>/<object>_i<colour temperature 110..250>.png illumination colour
<root>/aloi_red2_ill/png2/<object>/<object>_l<lamp 1..8>c<camera 1..3>.png      illumination direction
aloi_red2_* / png2 is half resolution (read first); aloi_red4_* / png4 (quarter) and aloi_* / png (full)
are accepted too, as are the folders of the authors' README: <root>/ALOI_viewpoint/<object>/...,
ALOI_illumcolor/, ALOI_illumdir/""",
    ),
    "got10k_root": (
        "GOT-10k",
        """\
<root>/train/GOT-10k_Train_<id>/00000001.jpg, ...
<root>/train/GOT-10k_Train_<id>/cover.label            occlusion level per frame
<root>/train/GOT-10k_Train_<id>/meta_info.ini          object_class, ...""",
    ),
    "pascal3d_root": (
        "PASCAL3D+ (release 1.1)",
        """\
<root>/Annotations/<class>_{imagenet,pascal}/<image>.mat   record.objects with viewpoint azimuth/elevation
<root>/Images/<class>_{imagenet,pascal}/<image>.JPEG|jpg""",
    ),
    "pascal_parts_root": (
        "Pascal-Part annotations",
        """\
<root>/Annotations_Part/<image_id>.mat    anno.objects(class, class_ind, mask, parts(part_name, mask))""",
    ),
    "voc_root": (
        "PASCAL VOC 2010 images",
        """\
<root>/JPEGImages/<image_id>.jpg""",
    ),
}


def describe(param: str) -> str:
    name, layout = LAYOUTS[param]
    return f"{name} expected layout:\n" + "\n".join("  " + ln for ln in layout.splitlines())


def require_root(param: str, root: str | Path) -> Path:
    """``root`` as a Path if it is a folder, else a DatasetLayoutError with the expected layout."""
    path = Path(root).expanduser()
    if not path.is_dir():
        raise DatasetLayoutError(
            f"{param} = {str(root)!r}: no such folder ({path.resolve()}).\n{describe(param)}\n"
            f"Put the dataset there, or pass `-p {param} /path/to/it`."
        )
    return path


def check_roots(params: dict) -> None:
    """Every non-empty known ``*_root`` parameter must name an existing folder."""
    for name, value in params.items():
        if name in LAYOUTS and value:
            require_root(name, value)
