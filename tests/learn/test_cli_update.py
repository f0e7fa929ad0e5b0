"""``idtool update`` keygen and status; errors as one line."""

from __future__ import annotations

from click.testing import CliRunner

from idtool.cli import main


def test_keygen_never_overwrites_and_status_without_update(tmp_path):
    runner = CliRunner()
    env = {"IDTOOL_HOME": str(tmp_path / "home")}
    first = runner.invoke(main, ["update", "keygen", "--out", str(tmp_path / "k")], env=env)
    assert first.exit_code == 0, first.output
    private = tmp_path / "k" / "idtool-update.key"
    assert private.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(main, ["update", "keygen", "--out", str(tmp_path / "k")], env=env)
    assert again.exit_code == 1 and "error [bad_field]" in again.output
    status = runner.invoke(main, ["update", "status"], env=env)
    assert status.exit_code == 0 and "no update installed" in status.output
    missing = runner.invoke(main, ["update", "rollback"], env=env)
    assert missing.exit_code == 1 and "error [not_found]" in missing.output
    wrong_key = runner.invoke(
        main,
        ["update", "apply", str(private), "--trust", str(private)],
        env=env,
    )
    assert wrong_key.exit_code == 1 and "error [" in wrong_key.output
