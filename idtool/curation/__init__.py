"""The curator's tools: editing, auditing, training and evaluating the reference set.

Owns reference edits with history, the audit (duplicates, suspect labels, licences), the
grouped near-duplicate split, training of the calibrated head and its model card,
evaluation with its report and plots.

May import: the foundation modules, ``idtool.model``, ``idtool.catalog``, ``idtool.cites``,
``idtool.forensics`` and ``idtool.decide``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from idtool.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from idtool.curation.audit import DEFAULT_MIN_IMAGES, SEVERITIES, audit_reference
    from idtool.curation.audit_report import write_audit_html
    from idtool.curation.evaluation import evaluate
    from idtool.curation.evaluation_report import (
        Tolerance,
        compare_evaluations,
        read_summary,
        store_evaluation,
        write_evaluation,
    )
    from idtool.curation.model_card import render_model_card
    from idtool.curation.recipe import TrainingRecipe
    from idtool.curation.reference_edits import (
        add_photos,
        history,
        provenance_summary,
        remove_photos,
        rename_class,
        show_class,
    )
    from idtool.curation.training import embed_training_set, train_head

# the public names of this part, each imported from its module on first use
_EXPORTS: dict[str, str] = {
    "DEFAULT_MIN_IMAGES": "idtool.curation.audit",
    "SEVERITIES": "idtool.curation.audit",
    "audit_reference": "idtool.curation.audit",
    "write_audit_html": "idtool.curation.audit_report",
    "evaluate": "idtool.curation.evaluation",
    "Tolerance": "idtool.curation.evaluation_report",
    "compare_evaluations": "idtool.curation.evaluation_report",
    "read_summary": "idtool.curation.evaluation_report",
    "store_evaluation": "idtool.curation.evaluation_report",
    "write_evaluation": "idtool.curation.evaluation_report",
    "render_model_card": "idtool.curation.model_card",
    "TrainingRecipe": "idtool.curation.recipe",
    "add_photos": "idtool.curation.reference_edits",
    "history": "idtool.curation.reference_edits",
    "provenance_summary": "idtool.curation.reference_edits",
    "remove_photos": "idtool.curation.reference_edits",
    "rename_class": "idtool.curation.reference_edits",
    "show_class": "idtool.curation.reference_edits",
    "embed_training_set": "idtool.curation.training",
    "train_head": "idtool.curation.training",
}
__all__ = [
    "DEFAULT_MIN_IMAGES",
    "SEVERITIES",
    "Tolerance",
    "TrainingRecipe",
    "add_photos",
    "audit_reference",
    "compare_evaluations",
    "embed_training_set",
    "evaluate",
    "history",
    "provenance_summary",
    "read_summary",
    "remove_photos",
    "rename_class",
    "render_model_card",
    "show_class",
    "store_evaluation",
    "train_head",
    "write_audit_html",
    "write_evaluation",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
