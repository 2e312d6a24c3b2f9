"""Fixtures of the browser tests: the real app in a subprocess, with the real planner
(``server``) or with the greedy ``fast_planner`` (``fast_server``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_helpers import Server, fast_planner_env, running_server


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    with running_server(tmp_path / "instance") as s:
        yield s


@pytest.fixture
def fast_server(tmp_path) -> Iterator[Server]:
    with running_server(tmp_path / "instance", fast_planner_env()) as s:
        yield s
