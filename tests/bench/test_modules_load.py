"""`make bench` runs no test of its own, so a renamed helper would only show on the next benchmark run:
every benchmark module must at least load, and name its section."""

import importlib

import pytest

from bench.__main__ import SECTIONS


@pytest.mark.parametrize("section", sorted(SECTIONS))
def test_each_benchmark_section_loads_and_can_run(section):
    assert callable(importlib.import_module(f"bench.{section}").run)
