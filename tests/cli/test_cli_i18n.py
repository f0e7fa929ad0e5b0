"""``--lang`` on the command line: tables, verdicts and JSON texts in French and Spanish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from idtool.cli import main
from idtool.config import PROJECT_ROOT

EXAMPLES = PROJECT_ROOT / "examples"


def test_guidance_table_in_french(cli: CliRunner) -> None:
    result = cli.invoke(
        main,
        [
            "guidance",
            "Loxodonta africana",
            "--origin",
            "KE",
            "--purpose",
            "T",
            "--source",
            "W",
            "--lang",
            "fr",
        ],
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Loxodonta africana : Annexe I" in out or "Loxodonta africana: Annexe I" in out
    for words in ("interdictions", "permis", "contrôles de l'agent", "étapes suivantes"):
        assert words in out
    assert "permis d'exportation CITES" in out and "commerce interdit" in out
    assert "Aide à la décision uniquement" in out
    assert "Decision support only" not in out and "officer checks" not in out


def test_guidance_json_in_spanish_keeps_english_keys(cli: CliRunner) -> None:
    english = cli.invoke(main, ["guidance", "Python regius", "--format", "json"])
    spanish = cli.invoke(
        main,
        ["guidance", "Python regius", "--export-country", "GH", "--format", "json", "--lang", "es"],
    )
    assert spanish.exit_code == 0, spanish.output
    en, es = json.loads(english.stdout), json.loads(spanish.stdout)
    assert set(es) == set(en) and es["lang"] == "es" and en["lang"] == "en"
    assert es["status"] == "listed" and es["cites"]["appendix"] == "II"
    assert es["permits"][0].startswith("permiso de exportación CITES")
    assert "Ghana (GH)" in es["permits"][0]


def test_language_from_the_group_option_and_the_locale(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    spanish = cli.invoke(main, ["--lang", "es", "guidance", "Python regius"])
    assert "Apéndice II" in spanish.stdout
    monkeypatch.delenv("IDTOOL_LANG")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "fr_CI.UTF-8")
    french = cli.invoke(main, ["guidance", "Python regius"])
    assert "Annexe II" in french.stdout
    overridden = cli.invoke(main, ["guidance", "Python regius", "--lang", "en"])
    assert "Appendix II" in overridden.stdout


def test_unknown_language_is_a_usage_error(cli: CliRunner) -> None:
    result = cli.invoke(main, ["guidance", "Python regius", "--lang", "de"])
    assert result.exit_code == 2
    assert "'de' is not one of 'en', 'fr', 'es'" in result.output


def test_identify_table_and_json_in_spanish(core_home_copy: Path) -> None:
    photo = str(EXAMPLES / "coral_1.jpg")
    table = CliRunner().invoke(main, ["identify", photo, "--lang", "es"])
    assert table.exit_code == 0, table.output
    for header in ("imagen", "decisión", "confianza", "candidatos", "calidad"):
        assert header in table.stdout
    assert "La identificación visual es un indicio razonable, no una prueba." in table.stdout
    assert any(w in table.stdout for w in ("identificado", "incierto", "fuera de la referencia"))
    out = json.loads(
        CliRunner().invoke(main, ["identify", photo, "--format", "json", "--lang", "es"]).stdout
    )
    assert out["lang"] == "es"
    assert out["decision"] in ("identified", "uncertain", "not_in_reference")  # codes stay
    assert out["guidance"]["disclaimer"].startswith("Solo es una ayuda a la decisión")


def test_guidance_by_common_name_lists_the_officers_names_first(cli: CliRunner) -> None:
    result = cli.invoke(main, ["guidance", "perroquet", "gris", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Psittacus erithacus : Annexe I" in out or "Psittacus erithacus: Annexe I" in out
    assert "noms communs" in out
    assert out.index("français : perroquet gris") < out.index("anglais : African grey parrot")


def test_quality_in_spanish(cli: CliRunner, tmp_path: Path) -> None:
    import cv2
    import numpy as np

    dark = tmp_path / "dark.jpg"
    cv2.imwrite(str(dark), np.full((3024, 4032, 3), 6, dtype=np.uint8))  # a 12 MP dark photo
    result = cli.invoke(main, ["quality", str(dark), "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert "dark.jpg: revisar (4032x3024 px)" in result.stdout
    assert "la foto está demasiado oscura" in result.stdout
    english = cli.invoke(main, ["quality", str(dark)])
    assert "dark.jpg: warn (4032x3024 px)" in english.stdout
