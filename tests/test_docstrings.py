"""The `>>>` examples of the library's docstrings run as tests."""

import doctest
import importlib
import pkgutil

import budgetkg
import pytest

# Every module, in the stage subpackages too (walk_packages imports the packages to list them).
MODULES = sorted(m.name for m in pkgutil.walk_packages(budgetkg.__path__, "budgetkg."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
