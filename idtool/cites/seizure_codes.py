"""The code lists of a seizure record: CITES trade terms and units, and the AITR vocabularies.

Written for idtool from two CITES Secretariat documents:

- *Guidelines for the preparation and submission of CITES annual reports* (section 6 a,
  "Description of specimens and units of quantity"): the trade-term codes (``IVC`` ivory
  carvings, ``SKI`` skins...) and the units. Only the terms a border post meets with the
  products idtool looks at, and the common units, are listed here; a code outside this
  list is refused with the list in the message, so a missing one is added here.
- *Guidelines for the preparation and submission of the CITES annual illegal trade report*
  (approved by the Standing Committee at SC71, 2019; standard format at their end): the
  seizure columns "Mode of transport", "Method of detection", "Reason for seizure" and
  "Disposal of confiscated specimens". The format leaves those as text; the codes below
  are idtool's short names for the usual answers, written into the report as their
  English meanings.

Meanings are English message ids (``N_``), translated where they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from idtool.errors import BadField
from idtool.i18n import N_
from idtool.i18n import gettext as _


@dataclass(frozen=True)
class SeizureCode:
    """One code of a seizure vocabulary and its meaning (English message id)."""

    code: str
    meaning: str

    def to_dict(self) -> dict[str, str]:
        """The code and its meaning in the current language."""
        return {"code": self.code, "meaning": _(self.meaning)}


def _table(*pairs: tuple[str, str]) -> dict[str, SeizureCode]:
    return {code: SeizureCode(code, meaning) for code, meaning in pairs}


TRADE_TERMS = _table(
    ("BOC", N_("bone carvings")),
    ("BOD", N_("bodies (whole dead animals)")),
    ("BON", N_("bones")),
    ("BOP", N_("bone pieces")),
    ("CAP", N_("carapaces")),
    ("CAR", N_("carvings (other than ivory, bone or horn)")),
    ("CAV", N_("caviar")),
    ("CLA", N_("claws")),
    ("COR", N_("coral (raw)")),
    ("DER", N_("derivatives")),
    ("EGG", N_("eggs (dead or blown)")),
    ("EXT", N_("extract")),
    ("FEA", N_("feathers")),
    ("FIN", N_("fins")),
    ("GAL", N_("gall")),
    ("GAB", N_("gall bladders")),
    ("GAR", N_("garments")),
    ("HAI", N_("hair")),
    ("HEA", N_("heads")),
    ("HOC", N_("horn carvings")),
    ("HOP", N_("horn pieces")),
    ("HOR", N_("horns")),
    ("IJW", N_("ivory jewellery")),
    ("IVC", N_("ivory carvings")),
    ("IVP", N_("ivory pieces")),
    ("KEY", N_("piano keys (ivory)")),
    ("LIV", N_("live")),
    ("LPL", N_("large leather products")),
    ("LPS", N_("small leather products")),
    ("MEA", N_("meat")),
    ("MED", N_("medicine")),
    ("MUS", N_("musk")),
    ("OIL", N_("oil")),
    ("PLA", N_("plates (skin)")),
    ("POW", N_("powder")),
    ("SCA", N_("scales")),
    ("SHE", N_("shells")),
    ("SKE", N_("skeletons")),
    ("SKI", N_("skins")),
    ("SKP", N_("skin pieces")),
    ("SKU", N_("skulls")),
    ("TAI", N_("tails")),
    ("TEE", N_("teeth")),
    ("TIM", N_("timber")),
    ("TRO", N_("trophies")),
    ("TUS", N_("tusks")),
    ("WAX", N_("wax")),
)

# Units: the stored code, then what the report writes. "pieces" is the annual reports'
# "number of specimens" (a count with no unit of measure).
UNITS = _table(
    ("pieces", N_("number of specimens")),
    ("pairs", N_("pairs")),
    ("sets", N_("sets")),
    ("kg", N_("kilograms")),
    ("g", N_("grams")),
    ("mg", N_("milligrams")),
    ("l", N_("litres")),
    ("ml", N_("millilitres")),
    ("m", N_("metres")),
    ("m2", N_("square metres")),
    ("m3", N_("cubic metres")),
    ("cm", N_("centimetres")),
    ("cm2", N_("square centimetres")),
    ("cm3", N_("cubic centimetres")),
    ("bags", N_("bags")),
    ("boxes", N_("boxes")),
    ("bottles", N_("bottles")),
    ("cartons", N_("cartons")),
    ("flasks", N_("flasks")),
    ("shipments", N_("shipments")),
)
# What officers type for a unit (CITES three-letter unit codes and common spellings).
UNIT_ALIASES = {
    "pcs": "pieces",
    "piece": "pieces",
    "number": "pieces",
    "items": "pieces",
    "ite": "pieces",
    "kil": "kg",
    "kgs": "kg",
    "kilograms": "kg",
    "grm": "g",
    "grams": "g",
    "mgm": "mg",
    "ltr": "l",
    "litres": "l",
    "liters": "l",
    "mlt": "ml",
    "mtr": "m",
    "sqm": "m2",
    "cum": "m3",
    "ctm": "cm",
    "sqc": "cm2",
    "ccm": "cm3",
    "pai": "pairs",
    "set": "sets",
    "bag": "bags",
    "box": "boxes",
    "bot": "bottles",
    "crt": "cartons",
    "fla": "flasks",
    "shp": "shipments",
}

TRANSPORT_MODES = _table(
    ("air", N_("air")),
    ("sea", N_("sea")),
    ("road", N_("road")),
    ("rail", N_("rail")),
    ("mail", N_("mail or courier")),
)

DETECTION_METHODS = _table(
    ("x_ray", N_("X-ray or scanner")),
    ("dog", N_("detection dog")),
    ("documents", N_("documents check")),
    ("intelligence", N_("intelligence")),
    ("risk_profile", N_("risk profiling")),
    ("random", N_("random check")),
    ("physical", N_("physical inspection")),
    ("tip_off", N_("tip-off")),
    ("other", N_("other")),
)

SEIZURE_REASONS = _table(
    ("no_permit", N_("no permit or certificate")),
    ("false_declaration", N_("false declaration")),
    ("invalid_permit", N_("invalid or forged permit")),
    ("over_quota", N_("quantity above the permit")),
    ("wrong_species", N_("species not as on the permit")),
    ("concealment", N_("concealed, not declared")),
    ("prohibited", N_("trade prohibited (Appendix I or national law)")),
    ("other", N_("other")),
)

DISPOSALS = _table(
    ("held_as_evidence", N_("held as evidence")),
    ("stored", N_("stored by the authorities")),
    ("rescue_centre", N_("sent to a rescue centre")),
    ("returned", N_("returned to the country of export")),
    ("released", N_("released into the wild")),
    ("destroyed", N_("destroyed")),
    ("forfeited", N_("forfeited to the State")),
    ("other", N_("other")),
)

SEIZURE_VOCABULARIES = {
    "units": UNITS,
    "trade_terms": TRADE_TERMS,
    "transport_modes": TRANSPORT_MODES,
    "detection_methods": DETECTION_METHODS,
    "reasons": SEIZURE_REASONS,
    "disposals": DISPOSALS,
}


def check_code(field_name: str, value: str, table: dict[str, SeizureCode]) -> str:
    """A code of ``table``, matched without regard to case (``ivc`` is ``IVC``).

    Raises:
        BadField: not a code of the table (the message lists them).
    """
    text = value.strip()
    for code in table:
        if code.casefold() == text.casefold():
            return code
    raise BadField(f"{field_name}: {value!r} is not a known code; use one of {', '.join(table)}")


def check_unit(value: str) -> str:
    """A unit code of :data:`UNITS`, also from a CITES unit code or a spelling (``KIL``).

    Raises:
        BadField: not a known unit.
    """
    text = value.strip().casefold()
    return check_code("unit", UNIT_ALIASES.get(text, text), UNITS)
