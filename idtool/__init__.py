"""idtool: identify wildlife products in photos and say what CITES requires.

Visual identification is probable cause, not proof.
"""

from __future__ import annotations

import sys

__version__ = "0.1.0"

DISCLAIMER = (
    "Visual identification is probable cause, not proof. Confirm with a forensic "
    "laboratory or a qualified expert before any legal action."
)


def _import_sqlite_utils_without_pandas() -> None:
    """Import sqlite-utils with pandas hidden, once, before any idtool module needs it.

    sqlite-utils 4 imports pandas (and with it pyarrow) when it is installed, only to map
    ``pandas.Timestamp`` values to TEXT columns; idtool never stores pandas objects. That
    import costs about 0.4 s of every command's start-up (``python -X importtime``), a
    third of ``idtool identify`` on one photo. Hiding pandas for that one import makes
    sqlite-utils take its no-pandas path; pandas stays importable for everything else.
    """
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        return
    sys.modules["pandas"] = None  # type: ignore[assignment]  # `import pandas` -> ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["pandas"]


_import_sqlite_utils_without_pandas()

__all__ = ["DISCLAIMER", "__version__"]
