"""Make ``import geo`` mean the package, not a namespace stand-in.

Two things hide the real package from pytest: the venv's editable install was made before
``geo/`` had an ``__init__.py`` and still maps ``geo`` to a namespace package, and pytest
puts ``tests/`` on ``sys.path`` (for ``tests/conftest.py``), where this folder, ``tests/geo``,
also looks like a namespace package called ``geo``.  Putting the repository root first on
``sys.path`` restores the real package.  Lasting fixes: re-run ``pip install --no-deps -e .``
and set ``pythonpath = ["."]`` in pytest's configuration.
"""

import sys
from pathlib import Path

_REPO_ROOT = str(Path(__file__).resolve().parents[2])

if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
_imported = sys.modules.get("geo")
if _imported is not None and getattr(_imported, "__file__", None) is None:
    del sys.modules["geo"]  # the namespace stand-in, imported before we could intervene
