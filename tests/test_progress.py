"""The one progress bar helper: drawn on a terminal, silent otherwise or with --quiet."""

from __future__ import annotations

import os
import sys

from typer.testing import CliRunner

from explicate.cli import app
from explicate.runtime import progress


class _Tty:
    def isatty(self) -> bool:
        return True


def test_bars_are_drawn_on_a_terminal_only_and_never_when_quiet(monkeypatch) -> None:
    monkeypatch.delenv(progress.QUIET_ENV, raising=False)
    assert not progress.shown(None)  # pytest's stderr is no terminal
    assert progress.shown(True) and not progress.shown(False)
    monkeypatch.setattr(sys, "stderr", _Tty())
    assert progress.shown(None) and not progress.shown(None, work=10, least=50)
    monkeypatch.setenv(progress.QUIET_ENV, "1")
    assert not progress.shown(None) and progress.shown(True)


def test_quiet_option_sets_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv(progress.QUIET_ENV, "")  # restored after the test, whatever the CLI sets
    (tmp_path / "r.lf").write_text('labels: A, B\nlf a: text contains "x" -> A\n')
    result = CliRunner().invoke(app, ["--quiet", "check", str(tmp_path / "r.lf")])
    assert result.exit_code == 0, result.output
    assert os.environ.get(progress.QUIET_ENV) == "1"
