import pytest
from hypothesis import given, strategies as st
from openpyxl.utils import column_index_from_string, get_column_letter, range_boundaries

from xlpkg.cellref import bounds, col_index, col_letter


@given(st.integers(min_value=1, max_value=16384))
def test_columns_agree_with_openpyxl(n):
    assert col_letter(n) == get_column_letter(n)
    assert col_index(col_letter(n)) == column_index_from_string(col_letter(n)) == n


@pytest.mark.parametrize("ref", ["A1", "B3:D7", "$F$12", "$AA$2:$AB$40", "XFD1048576"])
def test_bounds_agree_with_openpyxl(ref):
    assert bounds(ref) == range_boundaries(ref)


@pytest.mark.parametrize("bad", ["", "A", "1", "A1:B", "a b", "AAAA1"])
def test_bad_references_are_refused(bad):
    with pytest.raises(ValueError):
        bounds(bad)
