"""The README documents every command line command."""

from __future__ import annotations

from pathlib import Path

from cli.main import COMMANDS


def test_every_cli_command_is_in_the_readme():
    """Each registered sub-command appears in the README as `run.py <name>`."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [name for name in COMMANDS if f"run.py {name}" not in readme]
    assert not missing, missing
