"""Option bundles and helpers shared by the CLI command modules."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from idtool.config import Settings, load_settings, with_overrides
from idtool.i18n import LANGUAGES, set_default_language

F = TypeVar("F", bound=Callable[..., Any])


def catalog_option(func: F) -> F:
    """Add ``--catalog PATH`` (default: ``$IDTOOL_HOME/catalog.db``)."""
    return click.option(
        "--catalog",
        "catalog_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="SQLite catalog to use (default: $IDTOOL_HOME/catalog.db).",
    )(func)


def model_option(func: F) -> F:
    """Add ``--model DIR`` (default: newest trained bundle in $IDTOOL_HOME/models, else shipped)."""
    return click.option(
        "--model",
        "model_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Model bundle directory (default: newest trained in $IDTOOL_HOME/models, else the shipped one).",
    )(func)


RUNTIMES = ("auto", "onnx", "onnx-int8", "torch")


def runtime_option(func: F) -> F:
    """Add ``--runtime auto|onnx|onnx-int8|torch``: the embedding runtime."""
    return click.option(
        "--runtime",
        type=click.Choice(RUNTIMES),
        default="auto",
        show_default=True,
        help="Embedding runtime (auto: the ONNX Runtime export if present, else PyTorch).",
    )(func)


ENGINE_ALIAS_WARNING = (
    "warning: --engine auto|onnx|onnx-int8|torch is deprecated here and will be removed in "
    "the next release; use --runtime (--engine now names where work runs: batch, listings)"
)


def runtime_option_with_engine_alias(func: F) -> F:
    """``--runtime``, plus the old spelling ``--engine`` as a hidden, deprecated alias.

    ``identify`` and ``serve`` took the onnx/torch choice as ``--engine`` until ``--engine``
    came to mean where work runs (``local|ray`` on ``batch`` and ``listings``). The alias
    prints a warning on stderr; an explicit ``--runtime`` wins over it.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, engine_alias: str | None = None, **kwargs: Any) -> Any:
        if engine_alias is not None:
            echo_err(ENGINE_ALIAS_WARNING)
            if kwargs.get("runtime", "auto") == "auto":
                kwargs["runtime"] = engine_alias
        return func(*args, **kwargs)

    aliased = click.option(
        "--engine",
        "engine_alias",
        type=click.Choice(RUNTIMES),
        default=None,
        hidden=True,
        help="Deprecated: use --runtime.",
    )(wrapper)
    return runtime_option(aliased)  # type: ignore[return-value]


def job_options(func: F) -> F:
    """The options of a resumable photo job (``batch``, ``listings``): ``--workers``,
    ``--batch-size``, ``--engine`` (local|ray), ``--runtime`` (onnx/torch), ``--ray-address``, ``--top-k``."""
    # imported here: the other commands (identify's fast start) need not load the pipeline
    from idtool.batch.pipeline import DEFAULT_BATCH_SIZE, DEFAULT_WORKERS, ENGINES

    options = [
        click.option(
            "--workers",
            type=click.IntRange(1, 64),
            default=DEFAULT_WORKERS,
            show_default=True,
            help="Decode threads (local engine) or Ray actors (ray engine).",
        ),
        click.option(
            "--batch-size",
            type=click.IntRange(1, 512),
            default=DEFAULT_BATCH_SIZE,
            show_default=True,
            help="Photos per embedding call.",
        ),
        click.option(
            "--engine",
            type=click.Choice(ENGINES),
            default="local",
            show_default=True,
            help="Execution engine for the photos: this process, or a Ray cluster "
            "(pip install 'idtool[ray]').",
        ),
        runtime_option,
        click.option(
            "--ray-address",
            default=None,
            help="Ray cluster to join (ray://host:10001 or host:6379; default $RAY_ADDRESS, "
            "else a local Ray instance).",
        ),
        click.option(
            "--top-k",
            type=click.IntRange(1, 20),
            default=3,
            show_default=True,
            help="Candidates per photo.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _apply_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        set_default_language(value)


def lang_option(func: F) -> F:
    """Add ``--lang en|fr|es``: the language of the texts (JSON keys stay English).

    Without it: ``idtool --lang``, then ``IDTOOL_LANG``, ``lang`` in config.toml, the
    locale (``LANGUAGE``, ``LC_ALL``, ``LANG``), then English.
    """
    return click.option(
        "--lang",
        type=click.Choice(LANGUAGES, case_sensitive=False),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_apply_lang,
        help="Language of the texts: en, fr or es (default: IDTOOL_LANG, else the locale).",
    )(func)


def format_option(func: F) -> F:
    """Add ``--format table|json``; json prints one JSON object per line."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="table for people, json for one JSON object per line.",
    )(func)


def recipe_options(func: F) -> F:
    """The training recipe flags shared by ``train`` and ``evaluate``: ``--seed``,
    ``--folds``, ``--target-accuracy``."""
    # imported here: only the commands that fit a head pay for the model imports
    from idtool.model.bundle import TARGET_SELECTIVE_ACCURACY

    options = [
        click.option(
            "--seed",
            type=int,
            default=0,
            show_default=True,
            help="Random seed (training is reproducible).",
        ),
        click.option(
            "--folds",
            type=click.IntRange(2, 20),
            default=5,
            show_default=True,
            help="Cross-validation folds.",
        ),
        click.option(
            "--target-accuracy",
            type=click.FloatRange(0.5, 1.0),
            default=TARGET_SELECTIVE_ACCURACY,
            show_default=True,
            help="Selective accuracy the confidence threshold must reach.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def tiles_option(func: F) -> F:
    """``--tiles/--no-tiles`` for the commands that fit a head (train, evaluate)."""
    return click.option(
        "--tiles/--no-tiles",
        default=None,
        help="Add the surface-tile texture view (default: on when the reference set has two "
        "of material_ivory, material_walrus_ivory, material_bone).",
    )(func)


def balance_option(func: F) -> F:
    """``--balance-classes`` for the commands that fit a head (train, evaluate)."""
    return click.option(
        "--balance-classes/--no-balance-classes",
        "balanced",
        default=False,
        show_default=True,
        help="Weigh each class inversely to its photo count, so a small class is not "
        "outvoted (raises its recall; see docs/decisions.md).",
    )(func)


def trade_options(func: F) -> F:
    """Add the declared-trade flags: --origin, --export-country, --destination, --purpose, --source."""
    options = [
        click.option(
            "--origin",
            "origin_country",
            help="Country of origin (ISO code or name); picks the population.",
        ),
        click.option("--export-country", help="Country of export (ISO code or name)."),
        click.option(
            "--destination",
            "destination_country",
            help="Country of destination (ISO code or name).",
        ),
        click.option("--purpose", help="CITES purpose code: T P Q S Z E M B H L N G."),
        click.option("--source", help="CITES source code: W R D A C F I O U X Y."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def declaration_from(values: dict[str, Any]) -> Any:
    """The validated :class:`TradeDeclaration` for the trade flags (raises BadField)."""
    from idtool.cites.guidance import TradeDeclaration

    return TradeDeclaration.from_values(
        origin_country=values.get("origin_country"),
        export_country=values.get("export_country"),
        destination_country=values.get("destination_country"),
        purpose=values.get("purpose"),
        source=values.get("source"),
    )


def settings_from(ctx: click.Context, **overrides: Any) -> Settings:
    """Resolve the settings for this invocation, applying CLI overrides.

    The group resolves the base settings once (``ctx.obj``); commands add their flags.
    """
    root = ctx.find_root()
    base = root.obj if isinstance(root.obj, Settings) else load_settings()
    return with_overrides(base, **overrides)


def echo_json(obj: Any) -> None:
    """Print one JSON object on one line to stdout."""
    click.echo(json.dumps(obj, ensure_ascii=False, sort_keys=False, default=str))


def echo_err(message: str) -> None:
    click.echo(message, err=True)


def is_tty() -> bool:
    return sys.stderr.isatty()
