"""The vendored front-end libraries match their lock file, carry licences, and are all pages use."""

import json
import re
import shutil
from pathlib import Path

from fieldapp.web.vendor import LOCK_FILE, PACKAGES, VENDOR_DIR, check, directory_name, registry

FIELDAPP = Path(__file__).resolve().parents[2] / "fieldapp"


def test_every_vendored_file_matches_its_sha256_in_the_lock_file():
    assert check() == []


def test_the_lock_file_pins_exactly_the_packages_the_refresh_script_fetches():
    lock = json.loads(LOCK_FILE.read_text())["packages"]
    assert {name: entry["version"] for name, entry in lock.items()} == {
        name: spec["version"] for name, spec in PACKAGES.items()}
    for name, entry in lock.items():
        assert (VENDOR_DIR / directory_name(name, entry["version"]) / "LICENSE").is_file()


def test_the_refresh_downloads_from_the_locks_registry_unless_npm_names_a_mirror(monkeypatch):
    monkeypatch.delenv("NPM_CONFIG_REGISTRY", raising=False)
    assert registry() == json.loads(LOCK_FILE.read_text())["registry"] == \
        "https://registry.npmjs.org"
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "https://mirror.example/npm/")
    assert registry() == "https://mirror.example/npm"


def test_a_changed_missing_or_unlisted_file_is_reported(tmp_path):
    copy = tmp_path / "vendor"
    shutil.copytree(VENDOR_DIR, copy)
    leaflet = copy / directory_name("leaflet", PACKAGES["leaflet"]["version"])
    (leaflet / "leaflet.js").write_text("alert('changed')")
    (leaflet / "LICENSE").unlink()
    (leaflet / "extra.js").write_text("")
    problems = "\n".join(check(copy))
    assert "leaflet.js does not match" in problems
    assert "LICENSE is missing" in problems
    assert "extra.js is not in the lock file" in problems


def test_no_page_loads_anything_from_another_origin():
    pattern = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//""", re.I)
    scripted = re.compile(r"""(fetch|import)\s*\(\s*["'`](https?:)?//""", re.I)
    offenders = []
    for path in (FIELDAPP / "web").rglob("*"):
        if path.suffix in {".html", ".js", ".css"}:
            text = path.read_text(encoding="utf-8")
            if pattern.search(text) or scripted.search(text) or "cdn." in text:
                offenders.append(str(path.relative_to(FIELDAPP)))
    assert offenders == []
