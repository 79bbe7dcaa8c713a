"""Section C: object-part segmentation from a single representation (Table 5).

Modules, each importing only those above it:
  * ``metrics``:      ``pixel_accuracy``, the measure of Table 5, in percent and per crop;
  * ``bootstrap``:    the paired bootstrap interval for the difference of two rows' Avg.;
  * ``parts_map``:    the documented merging of Pascal-Part's fine parts into coarse parts per class;
  * ``pascal_parts``: the Pascal-Part ``.mat`` reader, object crops and their part label maps;
  * ``decoder``:      ``PartDecoder``, four transposed convolutions from one vector to part logits, and its
                      training;
  * ``figures``:      the chapter's figure, each model's predicted part maps beside the ground truth;
  * ``table5``:       the paper's Table 5 as data, rendering in its format, the chapter's closing text;
  * ``checkpoints``:  the models of our Table 5, their checkpoints, the paper rows they stand for;
  * ``crops``:        the object crops of both splits (Pascal-Part or the synthetic stand-in), cached;
  * ``frozen``:       the check that the frozen encoder did not change;
  * ``features``:     the encoder's single representation of every crop, cached per checkpoint;
  * ``prior``:        the per-pixel prior, the score of a prediction without a representation;
  * ``evaluate``:     one decoder per model and class, ``run_table5``.
"""

from .decoder import PartDecoder
from .evaluate import Table5Result, run_table5
from .metrics import pixel_accuracy
from .table5 import PAPER_TABLE5

__all__ = ["PAPER_TABLE5", "PartDecoder", "Table5Result", "pixel_accuracy", "run_table5"]
