"""``idtool case set|show|export aitr``: seizure facts of a case and the AITR sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from idtool.catalog.store import current_user
from idtool.cli.common import echo_err, echo_json, format_option, settings_from
from idtool.evidence.case_facts import FIELD_NAMES, LIST_FIELDS
from idtool.evidence.cases import CaseFile, get_case, set_case_facts
from idtool.evidence.store import EvidenceStore

FIELD_HELP = {
    "seizure_date": "Date of the seizure, YYYY-MM-DD.",
    "location": "Where: port, airport, post office, border post...",
    "quantity": "How many or how much (a number; see --unit).",
    "unit": "pieces, pairs, sets, kg, g, mg, l, ml, m, m2, m3, cm, cm2, cm3, bags, boxes...",
    "specimen": "CITES trade term code: IVC (ivory carvings), SKI, LIV, SCA, HOR, TUS...",
    "taxon": "Scientific name (default: what the photos were identified as).",
    "country_origin": "Country of origin (ISO code or name).",
    "country_export": "Country of export or re-export.",
    "countries_transit": "Countries of transit, comma-separated (e.g. NG,FR).",
    "country_destination": "Country of destination.",
    "transport_mode": "air, sea, road, rail or mail.",
    "detection_method": "x_ray, dog, documents, intelligence, risk_profile, random, "
    "physical, tip_off, other.",
    "reason": "no_permit, false_declaration, invalid_permit, over_quota, wrong_species, "
    "concealment, prohibited, other.",
    "offender_nationalities": "Nationalities of the offenders, comma-separated ISO codes.",
    "disposal": "held_as_evidence, stored, rescue_centre, returned, released, destroyed, "
    "forfeited, other.",
    "notes": "Anything else the report should say.",
}


def _field_options(func: Any) -> Any:
    for name in reversed(FIELD_NAMES):
        func = click.option(
            "--" + name.replace("_", "-"), name, default=None, help=FIELD_HELP[name]
        )(func)
    return func


def _echo_case(case: CaseFile) -> None:
    click.echo(f"case {case.case_ref}: version {case.version}")
    for name, value in case.facts.to_dict().items():
        if value not in (None, []):
            shown = ", ".join(value) if name in LIST_FIELDS else value
            click.echo(f"  {name}: {shown}")
    taxa = case.identified_taxa()
    if taxa and not case.facts.taxon:
        click.echo(f"  taxon (from the photos): {', '.join(taxa)}")
    for v in case.history:
        click.echo(f"  v{v.version} {v.at} {v.actor}: {', '.join(v.changed)}")
    for r in case.records:
        ident = r.identification
        click.echo(
            f"  record {r.id} {r.created_at} {r.officer}: "
            f"{ident.get('decision')} {ident.get('label') or ''}".rstrip()
        )


aitr_options = [
    click.option("--year", type=click.IntRange(1975, 9999), required=True, help="Year reported."),
    click.option(
        "--out",
        "out",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
        help="File to write (.xlsx or .csv).",
    ),
    click.option(
        "--format",
        "file_format",
        type=click.Choice(["xlsx", "csv"]),
        default=None,
        help="xlsx or csv (default: from the --out suffix, else xlsx).",
    ),
    click.option("--agency", default=None, help='The "Detecting agency" column, e.g. "Customs".'),
]


def write_aitr_report(report: Any, out: Path, file_format: str | None) -> None:
    """Write an AITR sheet (xlsx or csv), list the cases left out on stderr, and say what
    was written. Shared by ``idtool case export aitr`` and ``idtool hub export aitr``."""
    from idtool.aitr import write_csv, write_xlsx

    kind = file_format or ("csv" if out.suffix.lower() == ".csv" else "xlsx")
    (write_csv if kind == "csv" else write_xlsx)(report, out)
    for missing in report.missing:
        echo_err(f"not reported: {missing.message()}")
    summary = report.to_dict()
    click.echo(
        f"wrote {summary['rows']} row(s), {summary['seizures']} seizure(s) of {report.year} "
        f"to {out}" + (f"; {len(report.missing)} case(s) not reported" if report.missing else "")
    )


def with_options(options: list[Any]) -> Any:
    def decorate(command: Any) -> Any:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


@click.group("case")
def case_group() -> None:
    """Seizure facts of a case, and the CITES annual illegal trade report."""


@case_group.command("set")
@click.argument("case_ref")
@_field_options
@click.option(
    "--clear",
    "clear",
    multiple=True,
    type=click.Choice(FIELD_NAMES),
    help="Empty this field (repeat for several).",
)
@click.option(
    "--expect-version",
    type=click.IntRange(0),
    default=None,
    help="Refuse the change if the case is no longer at this version (0: new case).",
)
@format_option
@click.pass_context
def set_command(
    ctx: click.Context,
    case_ref: str,
    clear: tuple[str, ...],
    expect_version: int | None,
    output_format: str,
    **values: str | None,
) -> None:
    """Set seizure facts of CASE_REF: only the fields given change (a new version).

    Every change is a new version, logged in the custody chain; nothing is
    overwritten. Countries are ISO codes or names; codes are checked.

    Example:

        idtool case set JKIA-2026-0042 --seizure-date 2026-03-14 --quantity 12 --unit pieces --specimen IVC --country-origin CM --countries-transit NG,FR
    """
    changes: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
    changes.update({name: None for name in clear})
    if not changes:
        raise click.UsageError("give at least one field to set (see --help) or --clear")
    settings = settings_from(ctx)
    with EvidenceStore.open(settings.evidence_path) as store:
        case, changed = set_case_facts(store, case_ref, changes, current_user(), expect_version)
    if output_format == "json":
        echo_json({**case.to_dict(), "changed": changed})
        return
    if not changed:
        echo_err(f"nothing changed: case {case.case_ref} already holds these facts")
    _echo_case(case)


@case_group.command("show")
@click.argument("case_ref")
@format_option
@click.pass_context
def show_command(ctx: click.Context, case_ref: str, output_format: str) -> None:
    """Show the seizure facts of CASE_REF, their versions, records and identifications.

    Example:

        idtool case show JKIA-2026-0042
    """
    settings = settings_from(ctx)
    with EvidenceStore.open(settings.evidence_path) as store:
        case = get_case(store, case_ref)
    if output_format == "json":
        body = case.to_dict()
        body["records"] = [
            {
                "id": r.id,
                "created_at": r.created_at,
                "officer": r.officer,
                "identification": r.identification,
            }
            for r in case.records
        ]
        echo_json(body)
    else:
        _echo_case(case)


@case_group.group("export")
def export_group() -> None:
    """Write reports from the post's cases."""


@export_group.command("aitr")
@with_options(aitr_options)
@click.pass_context
def export_aitr(
    ctx: click.Context, year: int, out: Path, file_format: str | None, agency: str | None
) -> None:
    """Write the CITES annual illegal trade report seizure sheet for --year.

    One row per seizure and taxon from this post's cases, the report's columns in
    order. Cases of the year missing a required field (date, species, specimen,
    quantity, unit) are not written: each is listed on stderr with what is missing.

    Example:

        idtool case export aitr --year 2026 --out aitr-2026.xlsx
    """
    from idtool.aitr.sheet import report_from_store

    settings = settings_from(ctx)
    with EvidenceStore.open(settings.evidence_path) as store:
        report = report_from_store(store, year, agency=agency)
    write_aitr_report(report, out, file_format)


def register(group: click.Group) -> None:
    """Attach the ``case`` group to the root group."""
    group.add_command(case_group)
