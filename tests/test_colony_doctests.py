"""The examples in the man-hill modules' docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = ["poem.antcolony", "poem.colony.elo", "poem.colony.suggestion", "poem.colony.state", "poem.colony.persistence",
           "poem.colony.audit", "poem.cli.model", "poem.colony.kernels", "poem.colony.conditional", "poem.colony.doubt",
           "poem.colony.calibration", "poem.colony.params"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
