"""Make ``import geo`` mean the package, not this test folder.

pytest puts ``tests/`` on ``sys.path`` (for ``tests/conftest.py``), and there this folder,
``tests/geo``, looks like a namespace package called ``geo`` that shadows the real one
(which the editable install only offers after every ``sys.path`` entry has been tried).
Putting the repository root first restores the real package.  The repo-wide fix is
``pythonpath = ["."]`` in pytest's configuration.
"""

import sys
from pathlib import Path

_REPO_ROOT = str(Path(__file__).resolve().parents[2])

if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
_imported = sys.modules.get("geo")
if _imported is not None and getattr(_imported, "__file__", None) is None:
    del sys.modules["geo"]  # the namespace stand-in, imported before we could intervene
