"""Lazy re-exports for package ``__init__`` modules.

A part's ``__init__`` names its public API in ``__all__`` and maps each name to the module
that defines it; the module is imported on first use, so importing a package stays cheap
(``idtool identify`` starts without loading the parts it does not need)::

    _EXPORTS = {"Catalog": "idtool.catalog.store"}
    __all__ = ["Catalog"]
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package`` for ``exports``.

    Args:
        package: the package's ``__name__``.
        exports: public name -> dotted name of the module that defines it.

    Returns:
        ``(__getattr__, __dir__)`` to assign in the package's ``__init__``.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
