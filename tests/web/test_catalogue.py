"""One message catalogue: every language has every message, and every key pages use exists."""

import re
import string
from pathlib import Path

import pytest

from fieldapp.web.i18n import LANGUAGES, MESSAGES_DIR, catalogue

WEB = Path(__file__).resolve().parents[2] / "fieldapp" / "web"
# t("area.key") in templates and scripts, data-i18n="area.key" in templates.
USE = re.compile(r"""(?:\bt\(\s*|data-i18n=)["']([a-z_]+\.[a-z0-9_]+)["']""")


def _placeholders(text):
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_chinese_is_the_first_language_and_every_language_has_the_same_areas():
    assert LANGUAGES[0] == "zh-CN"
    areas = {lang: sorted(p.name for p in (MESSAGES_DIR / lang).glob("*.json"))
             for lang in LANGUAGES}
    assert areas["en"] == areas["zh-CN"] and "common.json" in areas["zh-CN"]


@pytest.mark.parametrize("lang", LANGUAGES[1:])
def test_every_message_exists_in_every_language_with_the_same_placeholders(lang):
    chinese, other = catalogue("zh-CN"), catalogue(lang)
    assert sorted(chinese) == sorted(other)
    for key, text in chinese.items():
        assert _placeholders(text) == _placeholders(other[key]), key
        assert text.strip() and other[key].strip(), key


def test_every_key_used_in_templates_and_scripts_is_in_the_catalogue():
    known = catalogue("zh-CN")
    used = {}
    for path in WEB.rglob("*"):
        if path.suffix in {".html", ".js"}:
            for key in USE.findall(path.read_text(encoding="utf-8")):
                used.setdefault(key, str(path.relative_to(WEB)))
    assert used, "no page uses the catalogue?"
    missing = {key: where for key, where in used.items() if key not in known}
    assert missing == {}


def test_chinese_messages_are_chinese():
    han = re.compile(r"[\u4e00-\u9fff]")
    chinese = catalogue("zh-CN")
    without = [k for k, text in chinese.items() if not han.search(text)
               and not re.fullmatch(r"[\s\d{}a-zA-Z_./:%-]*", text)]
    assert without == []
