"""Plots saved as PNG files (pyqtgraph's exporter)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from clonelab.models.video_export import ExportError


def export_plot_png(plot: Any, path: str | os.PathLike[str], *, width: int = 1200) -> Path:
    """Save a pyqtgraph PlotWidget (or PlotItem) as a PNG `width` pixels wide."""
    import pyqtgraph.exporters as exporters  # Qt: imported only where plots are exported

    item = plot.getPlotItem() if hasattr(plot, "getPlotItem") else plot
    exporter = exporters.ImageExporter(item)
    exporter.parameters()["width"] = width
    path = Path(path)
    exporter.export(str(path))
    if not path.is_file():
        raise ExportError(f"{path}: the plot could not be saved")
    return path
