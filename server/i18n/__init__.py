"""Console strings in Simplified Chinese first, English second; a cookie picks the language."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import request

LANGUAGES = ("zh", "en")
CATALOG_DIR = Path(__file__).parent


@cache
def catalog(lang: str) -> dict[str, str]:
    """`<lang>.json` plus each capability's own `<area>.<lang>.json`."""
    merged: dict[str, str] = {}
    for path in sorted(CATALOG_DIR.glob(f"*{lang}.json")):
        if path.name == f"{lang}.json" or path.name.endswith(f".{lang}.json"):
            merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def current_language() -> str:
    lang = request.cookies.get("lang", "zh")
    return lang if lang in LANGUAGES else "zh"


def translate(key: str, **params) -> str:
    """The text for `key` in the current language, falling back to Chinese, then to the key."""
    text = catalog(current_language()).get(key) or catalog("zh").get(key) or key
    return text.format(**params) if params else text
