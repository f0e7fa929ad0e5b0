"""Settings, resolved in one place.

Precedence (highest first): explicit overrides (CLI flags, test arguments), environment
variables ``IDTOOL_*``, ``$IDTOOL_HOME/config.toml``, then the defaults below.

``IDTOOL_HOME`` is where idtool keeps its state (catalog, evidence, tokens, trained
models). It defaults to ``$XDG_DATA_HOME/idtool`` or ``~/.local/share/idtool``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from idtool.errors import BadField
from idtool.i18n import language_from_env, normalise_language

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_MODELS_DIR = PROJECT_ROOT / "models"
SHIPPED_REFERENCE_DIR = PROJECT_ROOT / "reference_images"


def default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "idtool"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, frozen once resolved."""

    home: Path
    catalog_path: Path
    model_dir: Path | None = None  # None: newest trained bundle in home, else the shipped one
    evidence_dir: Path | None = None  # None: home / "evidence"
    max_image_bytes: int = 40 * 1024 * 1024
    max_image_pixels: int = 60_000_000
    server_workers: int = 4
    rate_limit_per_minute: int = 120
    inference_threads: int = 0  # 0: let the runtime choose (all cores)
    lang: str | None = None  # en, fr or es; None: from the locale (LANGUAGE, LC_ALL, LANG)

    @property
    def evidence_path(self) -> Path:
        return self.evidence_dir if self.evidence_dir is not None else self.home / "evidence"

    @property
    def trained_models_dir(self) -> Path:
        return self.home / "models"

    @property
    def language(self) -> str:
        """The language texts are shown in: ``lang`` if set, else the POSIX locale's."""
        return self.lang or language_from_env()


_ENV_FIELDS: dict[str, str] = {
    "catalog_path": "IDTOOL_CATALOG",
    "model_dir": "IDTOOL_MODEL",
    "evidence_dir": "IDTOOL_EVIDENCE_DIR",
    "max_image_bytes": "IDTOOL_MAX_IMAGE_BYTES",
    "max_image_pixels": "IDTOOL_MAX_IMAGE_PIXELS",
    "server_workers": "IDTOOL_SERVER_WORKERS",
    "rate_limit_per_minute": "IDTOOL_RATE_LIMIT_PER_MINUTE",
    "inference_threads": "IDTOOL_INFERENCE_THREADS",
    "lang": "IDTOOL_LANG",
}


def _coerce(name: str, value: Any) -> Any:
    field_type = {f.name: f.type for f in fields(Settings)}[name]
    if value is None:
        return None
    if name == "lang":
        return normalise_language(str(value))
    if "Path" in str(field_type):
        return Path(str(value)).expanduser()
    if "int" in str(field_type):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise BadField(f"setting {name} must be a whole number, got {value!r}") from None
    return value


def load_settings(**overrides: Any) -> Settings:
    """Resolve settings from overrides, environment, config file and defaults.

    Args:
        **overrides: values that win over everything else; ``None`` values are ignored.
            ``home`` may be given here too.

    Returns:
        The frozen settings.

    Raises:
        BadField: a value cannot be converted, or config.toml is malformed.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    home_value = given.pop("home", None) or os.environ.get("IDTOOL_HOME")
    home = Path(home_value).expanduser() if home_value else default_home()
    file_values: dict[str, Any] = {}
    config_file = home / "config.toml"
    if config_file.is_file():
        try:
            file_values = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BadField(f"{config_file} is not valid TOML: {exc}") from None
    known = {f.name for f in fields(Settings)} - {"home"}
    unknown = set(file_values) - known
    if unknown:
        raise BadField(f"{config_file}: unknown setting(s) {', '.join(sorted(unknown))}")
    resolved: dict[str, Any] = {"catalog_path": home / "catalog.db"}
    for name in known:
        if name in given:
            resolved[name] = _coerce(name, given[name])
        elif name in _ENV_FIELDS and os.environ.get(_ENV_FIELDS[name]):
            resolved[name] = _coerce(name, os.environ[_ENV_FIELDS[name]])
        elif name in file_values:
            resolved[name] = _coerce(name, file_values[name])
    return Settings(home=home, **resolved)


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    """Return a copy of ``settings`` with the non-None overrides applied."""
    given = {k: _coerce(k, v) for k, v in overrides.items() if v is not None}
    return replace(settings, **given)
