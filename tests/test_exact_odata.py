from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exactsync.exact import odata


def test_quote_doubles_single_quotes():
    assert odata.quote("O'Brien") == "'O''Brien'"
    assert odata.quote("") == "''"
    assert odata.quote("a' or Name ne '") == "'a'' or Name ne '''"


@given(st.text())
def test_a_quoted_literal_is_one_literal(value):
    literal = odata.quote(value)
    inner = literal[1:-1]
    assert literal[0] == literal[-1] == "'"
    # Every quote inside comes in a pair, so none can end the literal early.
    assert inner.replace("''", "") .count("'") == 0
    assert inner.replace("''", "'") == value


def test_quote_refuses_what_is_not_a_string():
    with pytest.raises(TypeError):
        odata.quote(25)


def test_guid_is_validated_and_lower_case():
    assert odata.guid("4D8F6B28-4B3C-4C1E-9F0A-2B7C3D4E5F60") == "guid'4d8f6b28-4b3c-4c1e-9f0a-2b7c3d4e5f60'"
    with pytest.raises(ValueError, match="is not a GUID"):
        odata.guid("x' or 1 eq 1 or ID eq guid'")


def test_int64_from_string_or_number():
    assert odata.parse_int64("4300012345") == 4300012345
    assert odata.parse_int64(4300012345) == 4300012345
    assert odata.int64("4300012345") == "4300012345L"
    for bad in (None, True, 1.5, "12a"):
        with pytest.raises(ValueError):
            odata.parse_int64(bad)


def test_dates_are_amsterdam_wall_time():
    # Created 16:21:04 "Z" came with an HTTP Date of 14:21:04 GMT (summer time).
    created = odata.parse_date("/Date(1782404464260)/")
    assert created.tzinfo.key == "Europe/Amsterdam"
    assert created.strftime("%Y-%m-%d %H:%M:%S %z") == "2026-06-25 16:21:04 +0200"
    assert created.timestamp() == datetime.fromisoformat("2026-06-25T14:21:04.260+00:00").timestamp()
    winter = odata.parse_date("/Date(1704067200000)/")
    assert winter.isoformat() == "2024-01-01T00:00:00+01:00"
    assert odata.parse_date(None) is None
    with pytest.raises(ValueError):
        odata.parse_date("2024-01-01")


def test_unwrap_accepts_the_three_shapes_of_d():
    rows = [{"ID": "a"}, {"ID": "b"}]
    assert odata.unwrap({"d": {"results": rows, "__next": "http://x/next"}}) == (rows, "http://x/next")
    assert odata.unwrap({"d": {"results": rows}}) == (rows, None)
    assert odata.unwrap({"d": rows}) == (rows, None)
    assert odata.unwrap({"d": {"ID": "a", "__metadata": {}}}) == ([{"ID": "a", "__metadata": {}}], None)
    with pytest.raises(ValueError):
        odata.unwrap({"error": {}})
