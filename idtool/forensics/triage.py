"""Material triage: the non-destructive checks an officer can do next.

For a material result (a label starting with ``material_``) :func:`checks_for_material`
returns what to look at, how, what each possibility would show, and when to send a sample
to a laboratory. The text lives in ``idtool/data/material_checks.json`` (English; its
texts are extracted into the gettext catalogs by ``babel.cfg`` and translated here into
the active language); every check is indicative, never proof.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from idtool.i18n import gettext as _
from idtool.types import MATERIAL_PREFIX


@dataclass(frozen=True)
class MaterialCheck:
    """One check: its name, how to do it, and what it would show for each possibility."""

    key: str
    name: str
    how: str
    shows: tuple[tuple[str, str], ...]  # (possibility, what it would show)
    indicative: bool
    destructive: bool
    tool: str | None = None  # the idtool command that helps with it (``idtool schreger``)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "how": self.how,
            "shows": dict(self.shows),
            "indicative": self.indicative,
            "destructive": self.destructive,
            "tool": self.tool,
        }


@dataclass(frozen=True)
class MaterialTriage:
    """The triage card for one material label."""

    label: str
    material: str  # the key used in the table, "generic" if the label was unknown
    title: str
    checks: tuple[MaterialCheck, ...]
    send_to_lab_when: tuple[str, ...]
    references: tuple[str, ...]
    disclaimer: str
    separates: str | None = None  # which quick checks tell this material from its lookalikes

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "material": self.material,
            "title": self.title,
            "separates": self.separates,
            "checks": [c.to_dict() for c in self.checks],
            "send_to_lab_when": list(self.send_to_lab_when),
            "references": list(self.references),
            "disclaimer": self.disclaimer,
        }


@lru_cache(maxsize=1)
def _table() -> dict[str, Any]:
    text = resources.files("idtool").joinpath("data/material_checks.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def known_materials() -> tuple[str, ...]:
    """The material keys with their own triage card (``ivory_or_bone``, ``horn``...)."""
    return tuple(_table()["materials"])


def checks_for_material(label: str) -> MaterialTriage | None:
    """The triage card for a material label.

    Args:
        label: an identification label, e.g. ``material_ivory_or_bone``.

    Returns:
        None for labels that are not materials (not starting with ``material_``); the
        generic card for material labels without their own entry.
    """
    if not label.startswith(MATERIAL_PREFIX):
        return None
    table = _table()
    key = label[len(MATERIAL_PREFIX) :].strip().lower()
    entry = table["materials"].get(key)
    if entry is None:
        entry, key = table["generic"], "generic"
    checks = []
    for check_key in entry["checks"]:
        raw = table["checks"][check_key]
        checks.append(
            MaterialCheck(
                key=check_key,
                name=_(raw["name"]),
                how=_(raw["how"]),
                shows=tuple((_(k), _(v)) for k, v in raw["shows"].items()),
                indicative=bool(raw["indicative"]),
                destructive=bool(raw["destructive"]),
                tool=raw.get("tool"),
            )
        )
    return MaterialTriage(
        label=label,
        material=key,
        title=_(entry["title"]),
        checks=tuple(checks),
        send_to_lab_when=tuple(_(reason) for reason in entry["send_to_lab_when"]),
        references=tuple(table["references"]),
        disclaimer=_(table["disclaimer"]),
        separates=_(entry["separates"]) if entry.get("separates") else None,
    )


@dataclass(frozen=True)
class LookalikeCheck:
    """One quick check that tells a listed material from a look-alike, in order of cost."""

    key: str | None  # the check's card in the table (None: the laboratory)
    short: str  # a few words: "glaze"
    text: str  # what to do and what each outcome means
    tool: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "short": self.short, "text": self.text, "tool": self.tool}


def lookalike_checks(labels: Iterable[str]) -> tuple[LookalikeCheck, ...]:
    """The quick checks that separate a listed material from a look-alike, cheapest first.

    Args:
        labels: the candidate labels; a check limited to some materials (Schreger lines
            for the ivories) is kept only when one of them is among the labels.
    """
    present = set(labels)
    out = []
    for step in _table()["lookalike_triage"]["steps"]:
        only = step.get("only_with")
        if only and not present.intersection(only):
            continue
        out.append(
            LookalikeCheck(
                key=step.get("check"),
                short=_(step["short"]),
                text=_(step["text"]),
                tool=step.get("tool"),
            )
        )
    return tuple(out)


def lookalike_listed() -> frozenset[str]:
    """The listed hard materials the look-alike checks are written for (ivories, corals,
    tortoiseshell): a candidate among them, beside a look-alike, gets the triage."""
    return frozenset(_table()["lookalike_triage"]["listed"])


def lookalike_title() -> str:
    """The heading of the look-alike checks, in the active language."""
    return _(_table()["lookalike_triage"]["title"])
