"""Everything a run records is untrusted text: prove no payload becomes markup.

Payloads go into every field the page shows (test names, parametrize ids, failure messages,
check names and reasons, measurement names, units, table titles, columns and cells,
attestation evidence and owners, warnings, the commit). The page is parsed with
``html.parser``; the only elements, attributes and links allowed are the template's own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mltestscore.report.badge import render_badge
from mltestscore.report.html import render_html
from mltestscore.report.markdown import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</style><script>alert(2)</script>",
    "' onmouseover='alert(3)",
    "javascript:alert(4)",
    "<svg onload=alert(5)>",
    "]]><!--<iframe src=//evil.example>",
    "Ünïcödé ✓ 数据 — \u202eevil",  # with a right-to-left override
]
FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed", "base", "link", "form", "meta"}


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _payload_scorecard(make: Any, payload: str) -> dict[str, Any]:
    table = {
        "title": payload,
        "columns": [payload, "value"],
        "rows": [[payload, 1.5], [payload, -2]],
        "chart": "value",
    }
    runs = [
        make.run(
            f"tests/test_{payload}.py::test_x[{payload}]",
            ["data-1"],
            outcome="failed",
            message=payload,
            measurements=[
                {"name": payload, "value": payload, "item": None, "unit": payload},
                {"name": payload, "table": table, "item": None},
            ],
        ),
        make.run(
            f"tests/t.py::test_check[{payload}]",
            [],
            checks=[
                make.check(
                    payload,
                    ["model-6"],
                    outcome="failed",
                    reason=payload,
                    tables=[table],
                    measurements={payload: payload},
                    thresholds={payload: 1},
                    parameters={payload: payload},
                )
            ],
        ),
    ]
    attestations = [
        make.attestation("model-1", payload, owner=payload),
        make.attestation("model-2", f"{payload}", owner=payload, when=date(2020, 1, 1)),
    ]
    return dict(make.scorecard(runs, attestations, commit=payload, warnings=[payload]))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_becomes_markup_in_the_html(make: Any, payload: str) -> None:
    html = render_html(_payload_scorecard(make, payload))
    clean = Tags()
    clean.feed(render_html(make.scorecard([])))
    parsed = Tags()
    parsed.feed(html)
    parsed.close()

    meta_count = sum(1 for tag, _ in parsed.tags if tag == "meta")
    assert meta_count == sum(1 for tag, _ in clean.tags if tag == "meta")
    assert {tag for tag, _ in parsed.tags} <= {tag for tag, _ in clean.tags} | {
        "table",
        "caption",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "pre",
        "dl",
        "dt",
        "dd",
        "rect",
        "ul",
        "li",
        "a",
        "b",
    }
    assert not {tag for tag, _ in parsed.tags} & (FORBIDDEN_TAGS - {"meta"})
    for tag, attrs in parsed.tags:
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        assert "src" not in attrs
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "https://", "http://")), href
    assert sum(1 for tag, _ in parsed.tags if tag == "style") == 1
    # The payload is there, as text a person can read (control and bidi characters shown as
    # <U+XXXX> markers, so they cannot reorder or hide what is around them).
    from mltestscore.report.text import neutralise

    assert neutralise(payload) in "".join(parsed.text)


def test_a_javascript_link_in_an_attestation_stays_text(make: Any) -> None:
    scorecard = make.scorecard(
        [], [make.attestation("model-1", "javascript:alert(document.cookie)")]
    )
    parsed = Tags()
    parsed.feed(render_html(scorecard))
    hrefs = [a["href"] for t, a in parsed.tags if t == "a"]
    assert all((h or "").startswith("#") for h in hrefs)
    assert "javascript:alert(document.cookie)" in "".join(parsed.text)


def test_an_attribute_breaking_payload_stays_inside_its_attribute(make: Any) -> None:
    payload = '"><img/src=x/onerror=alert(1)>'
    scorecard = make.scorecard([], [make.attestation("model-1", "https://ok.example/" + payload)])
    parsed = Tags()
    parsed.feed(render_html(scorecard))
    assert [a["href"] for t, a in parsed.tags if t == "a" and "ok.example" in (a["href"] or "")]
    assert not [t for t, _ in parsed.tags if t == "img"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_becomes_markup_in_the_badge(make: Any, payload: str) -> None:
    svg = render_badge(make.scorecard([]), label=payload)
    root = ET.fromstring(svg)
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert tags <= {"svg", "title", "linearGradient", "stop", "clipPath", "rect", "g", "text"}
    for element in root.iter():
        assert not [name for name in element.attrib if name.lower().startswith("on")]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_becomes_html_or_a_link_in_the_markdown(make: Any, payload: str) -> None:
    markdown = render_markdown(_payload_scorecard(make, payload))
    # Inside a code span Markdown shows text literally; everything else must be escaped.
    text = re.sub(r"`[^`\n]*`", "`code`", markdown)
    assert "<script" not in text
    assert "<img" not in text
    assert "<svg" not in text
    assert "<iframe" not in text
    assert "](" not in text.replace("\\]", "")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(st.text(min_size=1, max_size=60), min_size=6, max_size=6),
    number=st.floats(allow_nan=True, allow_infinity=False) | st.integers() | st.none(),
)
def test_any_recorded_text_renders_as_text(make: Any, texts: list[str], number: object) -> None:
    name, message, reason, cell, evidence, owner = texts
    table = {"title": name, "columns": [cell, "v"], "rows": [[cell, number]], "chart": "v"}
    scorecard = make.scorecard(
        [
            make.run(
                f"t.py::test[{name}]",
                ["data-1"],
                outcome="failed",
                message=message,
                measurements=[{"name": name, "table": table, "item": None}],
            ),
            make.run(
                "t.py::c", [], checks=[make.check(name, ["data-2"], reason=reason, tables=[table])]
            ),
        ],
        [make.attestation("model-1", evidence, owner=owner)],
    )
    parsed = Tags()
    parsed.feed(render_html(scorecard))
    parsed.close()
    assert not {tag for tag, _ in parsed.tags} & FORBIDDEN_TAGS - {"meta"}
    for _, attrs in parsed.tags:
        assert not [a for a in attrs if a.startswith("on")]
        assert (attrs.get("href") or "#").startswith(("#", "http://", "https://"))
