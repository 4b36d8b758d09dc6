"""Label codes: the shared vectors (also run by the PWA's node tests) and typo detection."""

import json
from pathlib import Path

import pytest

from qr_labels.codes import (
    ALPHABET,
    MAX_SERIAL,
    CodeError,
    code_from_scan,
    make_code,
    parse_code,
    payload_url,
)

VECTORS = json.loads((Path(__file__).parents[2] / "qr_labels" / "code_vectors.json").read_text("utf-8"))


@pytest.mark.parametrize("vector", VECTORS["valid"], ids=lambda v: v["code"])
def test_codes_are_made_from_kind_and_serial(vector):
    assert make_code(vector["kind"], vector["serial"]) == vector["code"]
    parsed = parse_code(vector["code"])
    assert (parsed.kind, parsed.serial) == (vector["kind"], vector["serial"])


@pytest.mark.parametrize("vector", VECTORS["normalise"], ids=lambda v: v["input"])
def test_typed_codes_are_normalised(vector):
    assert parse_code(vector["input"]).code == vector["code"]


@pytest.mark.parametrize("vector", VECTORS["invalid"], ids=lambda v: v["input"] or "blank")
def test_invalid_codes_say_what_is_wrong(vector):
    with pytest.raises(CodeError) as caught:
        parse_code(vector["input"])
    assert caught.value.reason == vector["error"]


@pytest.mark.parametrize("vector", VECTORS["payloads"], ids=lambda v: v["url"])
def test_payload_urls(vector):
    assert payload_url(vector["base"], vector["code"]) == vector["url"]


@pytest.mark.parametrize("vector", VECTORS["scans"], ids=lambda v: v["input"])
def test_scanned_text_yields_the_code(vector):
    if "error" in vector:
        with pytest.raises(CodeError, match=vector["error"]):
            code_from_scan(vector["input"])
    else:
        assert code_from_scan(vector["input"]).code == vector["code"]


def _typos(code: str):
    for i, original in enumerate(code):
        for ch in ALPHABET:
            if ch != original:
                yield code[:i] + ch + code[i + 1 :]
        for j in (i + 1, i + 2):  # adjacent and jump transpositions
            if j < len(code) and code[i] != code[j]:
                yield code[:i] + code[j] + code[i + 1 : j] + code[i] + code[j + 1 :]


SERIALS = [0, 1, 31, 32, 1023, 1024, 99_999, MAX_SERIAL, *range(5_000, 5_000_000, 250_001)]


@pytest.mark.parametrize("kind", ["room", "asset"])
def test_every_single_character_typo_and_transposition_is_caught(kind):
    for serial in SERIALS:
        code = make_code(kind, serial)
        for typo in _typos(code):
            with pytest.raises(CodeError):
                parse_code(typo)


def test_codes_are_typed_and_unique_per_serial():
    rooms = {make_code("room", serial) for serial in range(2_000)}
    assert len(rooms) == 2_000
    assert all(code.startswith("R") for code in rooms)
    assert make_code("asset", 7).startswith("A")


def test_serials_beyond_five_characters_are_refused():
    with pytest.raises(ValueError):
        make_code("room", MAX_SERIAL + 1)
