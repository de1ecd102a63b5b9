"""The vendored front-end libraries: which files of which npm package, pinned and hashed.

Pages load libraries only from ``fieldapp/static/vendor/<package>-<version>/`` (never from a
CDN: government networks often cannot reach one). ``vendor-lock.json`` beside them lists every
file with its SHA-256; ``tests/web/test_vendor.py`` checks the files against it.

Refresh (or add a package) by editing ``PACKAGES`` and running::

    python -m fieldapp.web.vendor refresh

which downloads each exact version's tarball from the npm registry the lock file names (or
the one in ``NPM_CONFIG_REGISTRY``, npm's own setting, e.g. a mirror reachable from a
government network), checks the registry's integrity hash, copies the listed files and writes
the lock file. ``python -m
fieldapp.web.vendor check`` verifies the committed files against the lock.
"""

import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import urllib.request
from pathlib import Path
from urllib.parse import quote

VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"
LOCK_FILE = VENDOR_DIR / "vendor-lock.json"

MIT = """MIT License

Copyright (c) {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""

# name → version, what it is for, and the files to take: {path in the tarball: path in the dir}.
# ``license`` is written when the tarball ships no licence file (the package's own terms).
PACKAGES: dict[str, dict] = {
    "@alpinejs/csp": {
        "version": "3.17.4", "use": "page state without eval (CSP build of Alpine.js)",
        "files": {"dist/cdn.min.js": "alpine-csp.min.js", "dist/module.esm.min.js":
                  "alpine-csp.esm.min.js", "package.json": "package.json"},
        "license": MIT.format(holder="2019-2025 Caleb Porzio and contributors"),
    },
    "idb": {
        "version": "8.0.4", "use": "IndexedDB with promises (the phone app's outbox)",
        "files": {"build/index.js": "index.js", "build/umd.js": "umd.js", "LICENSE": "LICENSE"},
    },
    "leaflet": {
        "version": "1.9.4", "use": "maps (sites, radius circles, boundaries, the fix)",
        "files": {"dist/leaflet.js": "leaflet.js", "dist/leaflet-src.esm.js":
                  "leaflet-src.esm.js", "dist/leaflet.css": "leaflet.css",
                  "dist/images/layers.png": "images/layers.png",
                  "dist/images/layers-2x.png": "images/layers-2x.png",
                  "dist/images/marker-icon.png": "images/marker-icon.png",
                  "dist/images/marker-icon-2x.png": "images/marker-icon-2x.png",
                  "dist/images/marker-shadow.png": "images/marker-shadow.png",
                  "LICENSE": "LICENSE"},
    },
    "uplot": {
        "version": "1.6.32", "use": "the console's charts (visit-rate trend)",
        "files": {"dist/uPlot.esm.js": "uPlot.esm.js", "dist/uPlot.min.css": "uPlot.min.css",
                  "LICENSE": "LICENSE"},
    },
    "swagger-ui-dist": {
        "version": "5.35.0", "use": "the API docs page at /api/docs",
        "files": {"swagger-ui-bundle.js": "swagger-ui-bundle.js",
                  "swagger-ui-standalone-preset.js": "swagger-ui-standalone-preset.js",
                  "swagger-ui.css": "swagger-ui.css", "LICENSE": "LICENSE", "NOTICE": "NOTICE",
                  "swagger-ui-bundle.js.LICENSE.txt": "swagger-ui-bundle.js.LICENSE.txt"},
    },
    "axe-core": {
        "version": "4.14.1", "use": "accessibility checks in the browser tests (test only)",
        "files": {"axe.min.js": "axe.min.js", "LICENSE": "LICENSE",
                  "LICENSE-3RD-PARTY.txt": "LICENSE-3RD-PARTY.txt"},
    },
}


def directory_name(name: str, version: str) -> str:
    """``@alpinejs/csp`` 3.17.4 → ``alpinejs-csp-3.17.4``."""
    return f"{name.lstrip('@').replace('/', '-')}-{version}"


def static_path(name: str) -> str:
    """The path under ``static/`` of a locked package's folder, e.g. for ``url_for``."""
    version = json.loads(LOCK_FILE.read_text())["packages"][name]["version"]
    return f"vendor/{directory_name(name, version)}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def registry() -> str:
    """Where ``refresh`` downloads from: npm's own setting, else the registry the lock names."""
    return (os.environ.get("NPM_CONFIG_REGISTRY")
            or json.loads(LOCK_FILE.read_text())["registry"]).rstrip("/")


def _download(base: str, name: str, version: str) -> bytes:
    meta_url = f"{base}/{quote(name, safe='@')}/{version}"
    with urllib.request.urlopen(meta_url, timeout=60) as resp:
        dist = json.load(resp)["dist"]
    with urllib.request.urlopen(dist["tarball"], timeout=300) as resp:
        data = resp.read()
    algo, _, expected = dist["integrity"].partition("-")
    if base64.b64encode(hashlib.new(algo, data).digest()).decode() != expected:
        raise SystemExit(f"{name}@{version}: tarball does not match the registry's integrity")
    return data


def refresh() -> None:
    """Download every package of ``PACKAGES`` and rewrite its folder and the lock file."""
    base = registry()
    lock: dict = {"registry": base, "packages": {}}
    for name, spec in PACKAGES.items():
        version = spec["version"]
        target = VENDOR_DIR / directory_name(name, version)
        if target.exists():
            shutil.rmtree(target)
        with tarfile.open(fileobj=io.BytesIO(_download(base, name, version))) as tar:
            members = {m.name.removeprefix("package/"): m for m in tar.getmembers()}
            files = {}
            for src, dest in spec["files"].items():
                data = tar.extractfile(members[src]).read()
                files[dest] = data
        if "license" in spec:
            files["LICENSE"] = spec["license"].encode()
        for dest, data in sorted(files.items()):
            path = target / dest
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        lock["packages"][name] = {
            "version": version, "directory": target.name, "use": spec["use"],
            "files": {dest: sha256(data) for dest, data in sorted(files.items())},
        }
        print(f"{name}@{version}: {len(files)} files → {target.relative_to(VENDOR_DIR.parent)}")
    LOCK_FILE.write_text(json.dumps(lock, indent=2, ensure_ascii=False) + "\n")


def check(vendor_dir: Path = VENDOR_DIR) -> list[str]:
    """Problems with the vendored files: a hash that differs, a file missing or unlisted."""
    lock_file = vendor_dir / LOCK_FILE.name
    lock = json.loads(lock_file.read_text())
    problems = []
    listed = set()
    for name, entry in lock["packages"].items():
        folder = vendor_dir / entry["directory"]
        if entry["directory"] != directory_name(name, entry["version"]):
            problems.append(f"{name}: folder {entry['directory']} does not name its version")
        if "LICENSE" not in entry["files"]:
            problems.append(f"{name}: no LICENSE file")
        for rel, digest in entry["files"].items():
            path = folder / rel
            listed.add(path)
            if not path.is_file():
                problems.append(f"{name}: {rel} is missing")
            elif sha256(path.read_bytes()) != digest:
                problems.append(f"{name}: {rel} does not match its SHA-256 in the lock file")
    for path in vendor_dir.rglob("*"):
        if path.is_file() and path != lock_file and path not in listed:
            problems.append(f"{path.relative_to(vendor_dir)} is not in the lock file")
    return problems


def main(argv: list[str]) -> int:
    if argv[1:] == ["refresh"]:
        refresh()
        return 0
    if argv[1:] == ["check"]:
        problems = check()
        print("\n".join(problems) or "vendored files match vendor-lock.json")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
