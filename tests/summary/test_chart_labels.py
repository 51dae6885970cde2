"""The bureau charts label each bar as precisely as the tables (issue 21.11): 97.71 % and
97.70 % must not both read 98 %."""
from __future__ import annotations

import re
import zipfile

from tests.summary.test_summary import _consolidation
from xlpkg.summary import write_summary


def test_bureau_chart_labels_keep_two_decimals(tmp_path):
    path = write_summary(_consolidation(), tmp_path / "s.xlsx", bureau=True)
    with zipfile.ZipFile(path) as z:
        charts = [z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/charts/chart")]
    label_formats = [re.search(r'<c:numFmt formatCode="([^"]*)"', m.group(0)).group(1)
                     for xml in charts for m in re.finditer(r"<c:dLbls>.*?</c:dLbls>", xml, re.S)
                     if "<c:numFmt" in m.group(0)]
    assert sorted(label_formats) == ["0.00", "0.00%"], label_formats
