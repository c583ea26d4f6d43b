"""The supervisor's charts as server-drawn SVG: escaped, described, gaps left as gaps."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from switchboard.web.charts import render, value_text
from switchboard.web.ports import Chart, Series

SVG = "{http://www.w3.org/2000/svg}"


def _svg(html: str) -> ET.Element:
    found = re.search(r"<svg.*</svg>", html, re.S)
    assert found is not None
    return ET.fromstring(found.group(0))  # noqa: S314 (our own output)


def test_a_campaign_name_is_text_never_markup() -> None:
    evil = '<script>alert(1)</script>" onload="x'
    chart = Chart("cpa", "CPA", "bars", [evil], [Series("CPA", [12.5])], unit="USD")
    html = render(chart)
    assert "<script>" not in html and 'onload="x' not in html
    assert "&lt;script&gt;" in html
    svg = _svg(html)  # well-formed XML
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "chart-cpa-title chart-cpa-desc"


def test_bars_below_zero_hang_from_the_axis_and_the_table_has_every_row() -> None:
    chart = Chart("roi", "ROI", "bars", ["a", "b"], [Series("ROI", [-1.0, 2.0])], unit="ratio")
    html = render(chart)
    bars = _svg(html).findall(f"{SVG}rect[@class='bar']")
    assert len(bars) == 2
    lines = _svg(html).findall(f"{SVG}line")
    zero_line = next(line for line in lines if line.get("stroke") == "#1b1f24")
    axis = float(zero_line.get("y1") or 0)
    negative, positive = bars
    assert float(negative.get("y") or 0) == axis  # hangs down from zero
    assert float(positive.get("y") or 0) + float(positive.get("height") or 0) == axis
    assert re.findall(r'<th scope="row">(\w)</th><td>([^<]+)</td>', html) == [
        ("a", "-1.00"),
        ("b", "2.00"),
    ]


def test_a_line_breaks_where_there_is_no_value_and_the_target_is_drawn() -> None:
    values: list[float | None] = [0.5, 0.9, None, 1.0]
    chart = Chart("sl", "SL", "lines", ["1", "2", "3", "4"], [Series("SL", values)],
                  unit="share", target=0.8)  # fmt: skip
    svg = _svg(render(chart))
    assert len(svg.findall(f"{SVG}polyline")) == 1  # 1-2 joined, 4 alone
    assert len(svg.findall(f"{SVG}circle")) == 1
    assert svg.find(f"{SVG}line[@class='target']") is not None
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and "target 80 %" in (desc.text or "")


def test_an_empty_chart_says_so() -> None:
    html = render(Chart("cpa", "CPA", "bars", [], [Series("CPA", [])], unit="USD"))
    assert "No data yet" in html


def test_values_read_as_people_expect() -> None:
    assert value_text(0.8, "share") == "80 %"
    assert value_text(2.0, "tasks") == "2"
    assert value_text(1.5, "agents") == "1.5"
    assert value_text(200, "USD") == "200.00"
    assert value_text(None, "USD") == "\u2013"
