"""One message catalogue: every language has every message, and every key pages use exists."""

import re
import string
from pathlib import Path

import pytest

from fieldapp.web.i18n import LANGUAGES, MESSAGES_DIR, catalogue

WEB = Path(__file__).resolve().parents[2] / "fieldapp" / "web"
# Any quoted "area.key" of a catalogue area in a template or script names a message.
AREAS = sorted(p.stem for p in (MESSAGES_DIR / "zh-CN").glob("*.json"))
USE = re.compile(r"""["'`]((?:""" + "|".join(AREAS) + r""")\.[a-z0-9_]+)["'`]""")


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
            text = path.read_text(encoding="utf-8")
            for match in USE.finditer(text):
                if text[:match.start()].endswith("url_for(") or match[1].endswith(".css"):
                    continue  # an endpoint ("phone.static") or a file name, not a message
                used.setdefault(match[1], str(path.relative_to(WEB)))
    assert used, "no page uses the catalogue?"
    missing = {key: where for key, where in used.items() if key not in known}
    assert missing == {}


def test_chinese_messages_are_chinese():
    han = re.compile(r"[\u4e00-\u9fff]")
    chinese = catalogue("zh-CN")
    without = [k for k, text in chinese.items() if not han.search(text)
               and not re.fullmatch(r"[\s\d{}a-zA-Z_./:%-]*", text)]
    assert without == []


def test_every_code_the_api_sends_has_words_in_the_phone_app():
    from geo import integrity, verify
    from models import ISSUE_STATES, PROJECT_STAGES, PURPOSES, REVIEW_REASONS, ROLES

    flags = {v for m in (integrity, verify) for k, v in vars(m).items()
             if k.isupper() and isinstance(v, str) and v.islower() and "_" in v}
    flags |= {"photo_time_mismatch", "photo_location_mismatch", "photo_reused"}
    needed = ([f"phone.stage_{c}" for c in PROJECT_STAGES]
              + [f"phone.purpose_{c}" for c in PURPOSES]
              + [f"phone.reason_{c}" for c in REVIEW_REASONS]
              + [f"phone.issue_{c}" for c in ISSUE_STATES]
              + [f"phone.role_{c}" for c in ROLES]
              + [f"phone.flag_{c}" for c in flags]
              + [f"phone.{p}_{c}" for p in ("verdict", "status")
                 for c in ("verified", "out_of_range", "inconclusive")][:3]
              + [f"phone.verdict_{c}_means" for c in ("verified", "out_of_range", "inconclusive")]
              + [f"phone.status_{c}" for c in ("accepted", "needs_review", "approved", "rejected")]
              + [f"phone.due_{c}" for c in ("met", "pending_review", "due", "overdue")]
              + [f"phone.outbox_{c}" for c in ("queued", "sending", "stored", "rejected",
                                               "conflict")]
              + [f"phone.{k}_help" for k in ("position_denied", "position_unavailable",
                                            "position_timeout")])
    known = catalogue("zh-CN")
    assert [key for key in needed if key not in known] == []
