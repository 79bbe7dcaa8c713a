"""Figures in notebooks: every plotting function returns a closed Figure, and the notebook cell ends with
it, so the figure is displayed exactly once by its rich repr. (With ``plt.subplots(); ...;`` the inline
backend's end-of-cell flush shows it once under papermill but twice under nbval's kernel, and nbval then
reports different outputs.)"""

from __future__ import annotations

import matplotlib

matplotlib.rcParams.update({"figure.dpi": 80, "savefig.dpi": 80})

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def finish(fig: Figure) -> Figure:
    """Lays the figure out, closes it (no end-of-cell flush) and returns it for display."""
    fig.tight_layout()
    plt.close(fig)
    return fig
