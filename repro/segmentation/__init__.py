"""Section C: object-part segmentation from a single representation (Table 5).

  * ``pascal_parts``: the Pascal-Part ``.mat`` reader, object crops and their part label maps;
  * ``parts_map``:    the documented merging of Pascal-Part's fine parts into coarse parts per class;
  * ``decoder``:      ``PartDecoder``, four transposed convolutions from one vector to part logits;
  * ``metrics``:      ``pixel_accuracy``, the measure of Table 5;
  * ``evaluate``:     cached representations, one decoder per class, ``run_table5``;
  * ``table5``:       the paper's Table 5 as data and rendering in its format.
"""
from .decoder import PartDecoder
from .evaluate import Table5Result, run_table5
from .metrics import pixel_accuracy
from .table5 import PAPER_TABLE5

__all__ = ["PAPER_TABLE5", "PartDecoder", "Table5Result", "pixel_accuracy", "run_table5"]
