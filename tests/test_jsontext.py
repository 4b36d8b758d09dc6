"""JSON as the server reads and stores it (sync.jsontext): numbers JSON cannot carry, text that is not
Unicode, integers beyond 64 bits."""
from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sync.jsontext import BadNumber, _read, loads, stored


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-2.5e999", "9" * 5000])
def test_a_number_no_float_or_int_holds_is_read_as_what_was_sent(number):
    read = loads(f'{{"a": [1, 2.5, {number}]}}')
    assert read == {"a": [1, 2.5, BadNumber(number)]}
    assert read["a"][2].text == number[:64]


def test_what_python_reads_as_numbers_is_read_the_same():
    text = '{"i": -12, "f": 0.1, "e": 1e-7, "big": 123456789012345678901234567890, "t": "抽查"}'
    assert loads(text) == json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        loads('{"a": 1')


@pytest.mark.parametrize("value", [
    {"a": [BadNumber("NaN"), 1.5]},  # a payload kept for an admin
    {"note": "坏\ud800"},  # an unpaired surrogate: a json column holds its \u escape
    {"n": 2 ** 80, "m": {1: "non-string key"}},  # beyond orjson
    {"t": "地面干净", "x": None, "l": []},
])
def test_what_is_stored_is_json_postgresql_takes(value):
    text = stored(value)
    assert "NaN" not in text.replace('"NaN"', "")  # a bare NaN is not JSON
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in {text}"))
    assert stored(json.loads(text)) == text  # reads back as what it says


def test_a_text_nested_deeper_than_the_reader_follows_is_not_json():
    assert loads("[" * 300 + "]" * 300) == json.loads("[" * 300 + "]" * 300)
    with pytest.raises(json.JSONDecodeError, match="nested too deeply"):
        loads("[" * 100_000 + "]" * 100_000)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(min_value=-(2 ** 80), max_value=2 ** 80)
    | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)


@given(value=_JSON_VALUES, ascii_only=st.booleans())
@example(value={"n": -(2 ** 63) - 1}, ascii_only=True)  # beyond orjson's integers: read as a float
@example(value={"u": 2 ** 64 - 1}, ascii_only=True)
@example(value=["\ud800", 1e-7, 1e16, -0.0, float("inf")], ascii_only=True)
def test_the_fast_reading_is_the_json_modules(value, ascii_only):
    """orjson reads most texts; whatever it reads must come out exactly as the json module reads it:
    the same types (an integer stays an integer), the same floats, the same text."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    expected = repr(_read(text))
    assert repr(loads(text)) == expected
    assert repr(loads(text.encode("utf-8", "surrogatepass"))) == expected
