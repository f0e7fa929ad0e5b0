"""Forensic aids: what a photo alone can and cannot show.

Owns Schreger-angle measurement (manual points, automatic spectra, synthetic sections for
tests and benchmarks), the material triage cards and the photo-quality checks.

May import: the foundation modules and ``idtool.model``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idtool.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from idtool.forensics.quality import QualityReport, assess_decoded, assess_quality
    from idtool.forensics.schreger import (
        angles_from_points,
        classify,
        measure_schreger,
        read_points,
    )
    from idtool.forensics.tiles import TileConfig, select_tiles, tile_inputs
    from idtool.forensics.triage import MaterialTriage, checks_for_material

# the public names of this part, each imported from its module on first use
_EXPORTS: dict[str, str] = {
    "QualityReport": "idtool.forensics.quality",
    "assess_decoded": "idtool.forensics.quality",
    "assess_quality": "idtool.forensics.quality",
    "angles_from_points": "idtool.forensics.schreger",
    "classify": "idtool.forensics.schreger",
    "measure_schreger": "idtool.forensics.schreger",
    "read_points": "idtool.forensics.schreger_points",
    "TileConfig": "idtool.forensics.tiles",
    "select_tiles": "idtool.forensics.tiles",
    "tile_inputs": "idtool.forensics.tiles",
    "MaterialTriage": "idtool.forensics.triage",
    "checks_for_material": "idtool.forensics.triage",
}
__all__ = [
    "MaterialTriage",
    "QualityReport",
    "TileConfig",
    "angles_from_points",
    "assess_decoded",
    "assess_quality",
    "checks_for_material",
    "classify",
    "measure_schreger",
    "read_points",
    "select_tiles",
    "tile_inputs",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
