"""The message catalogue: Chinese first, English second, chosen from the browser's language.

Files: ``messages/<lang>/<area>.json``, flat ``{"key": "text"}``; a message is named
``<area>.<key>`` (``common.log_in``, ``phone.outbox``). Every language has the same keys
(``tests/web/test_catalogue.py`` checks it, and that every key pages use exists). Texts may hold
``{name}`` placeholders, filled by ``t(key, name=...)`` here and ``t(key, {name})`` in scripts.
"""

import json
from functools import cache
from pathlib import Path

from flask import Flask, g, request
from markupsafe import Markup

LANGUAGES = ("zh-CN", "en")  # the first is the default
MESSAGES_DIR = Path(__file__).resolve().parent / "messages"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every message of ``lang``, keyed ``area.key``."""
    messages = {}
    for path in sorted((MESSAGES_DIR / lang).glob("*.json")):
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            messages[f"{path.stem}.{key}"] = text
    return messages


def choose_language(accept_language) -> str:
    """zh-CN unless the browser prefers English (any ``zh*`` counts as Chinese)."""
    best = accept_language.best_match(["zh-CN", "zh", "en"], default="zh-CN")
    return "en" if best == "en" else "zh-CN"


def current_language() -> str:
    if "lang" not in g:
        g.lang = choose_language(request.accept_languages)
    return g.lang


def t(key: str, **params) -> str:
    """The message ``key`` in the request's language, placeholders filled."""
    text = catalogue(current_language()).get(key)
    if text is None:
        raise KeyError(f"message {key!r} is not in the catalogue")
    return text.format(**params) if params else text


def messages_json(areas) -> Markup:
    """The messages of ``areas`` as JSON for a ``<script type="application/json">`` block."""
    prefixes = tuple(f"{area}." for area in areas)
    chosen = {k: v for k, v in catalogue(current_language()).items() if k.startswith(prefixes)}
    # "<" escaped so no message can close the script element.
    return Markup(json.dumps(chosen, ensure_ascii=False).replace("<", "\\u003c"))


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(t=t, lang=current_language, messages_json=messages_json)

    @app.after_request
    def _vary(response):
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
        return response
