"""The batch report in French: page texts, verdict words and guidance, JSON codes unchanged."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from batch_support import env_vars, needs_reference
from click.testing import CliRunner
from english_names import english_names_in

from idtool.cli import main
from idtool.config import Settings

pytestmark = needs_reference


def test_batch_report_in_french(env: Settings, photo_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "rapport"
    args = ["batch", str(photo_dir), "--out", str(out), "--runtime", "torch", "--origin", "CM"]
    result = CliRunner().invoke(main, [*args, "--purpose", "T", "--lang", "fr"], env=env_vars(env))
    assert result.exit_code == 0, result.output
    assert "L'identification visuelle est un motif raisonnable de soupçon" in result.stdout
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<html lang='fr'>" in page
    for text in ("rapport de lot idtool", "Synthèse", "À examiner en premier", "Toutes les images"):
        assert text in page
    assert "<th>confiance</th>" in page and "<th>fichier</th>" in page
    assert "Annexe I" in page and "Appendix I" not in page
    assert "Visual identification is probable cause" not in page
    # names as the phone shows them, in French: no internal label, no English name
    cells = re.findall(r'<td class="(?:lbl|small cands)">(.*?)</td>', page)
    assert cells and not [c for c in cells if "material_" in c]  # (file paths may have one)
    assert english_names_in(html.unescape(re.sub(r"<[^>]+>", " ", page))) == []
    assert "ivoire" in page or "coraux durs" in page or "céramique" in page
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    listed = [r for r in records if not r["error"] and r.get("guidance")]
    assert listed and all(r["guidance"]["lang"] == "fr" for r in listed)
    assert {r["decision"] for r in records if not r["error"]} <= {
        "identified",
        "uncertain",
        "not_in_reference",
    }
    summary = CliRunner().invoke(
        main, [*args, "--purpose", "T", "--lang", "fr", "--format", "json"], env=env_vars(env)
    )
    counts = json.loads(summary.stdout)["counts"]
    assert "Appendix I" in counts["appendix"]  # the JSON summary keeps its English keys
