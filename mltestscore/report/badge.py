"""The badge: a small "ML Test Score | 2.5 / 7" SVG coloured by band, made locally.

No badge service is called: the SVG is rendered from a Jinja2 template (autoescaped, so a
custom label cannot inject markup) with text widths estimated from Verdana's metrics, the
font badges conventionally use.
"""

from __future__ import annotations

import os
from pathlib import Path

from mltestscore.report.atomic import write_atomic
from mltestscore.report.html import band_level, environment
from mltestscore.scorecard import Scorecard

DEFAULT_LABEL = "ML Test Score"
# From red (band 0) to bright green (the top band), the usual badge palette.
BAND_COLOURS = ("#e05d44", "#fe7d37", "#dfb317", "#a4a61d", "#97ca00", "#44cc11")

# Approximate advance widths of Verdana 11px, in pixels.
_NARROW = set("iIl.,:;!'|()[]{} 1tfjr")
_WIDE = set("mwMW@%")


def text_width(text: str) -> float:
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 4.0
        elif char in _WIDE:
            width += 10.0
        elif char.isupper() or char.isdigit() or char in "/½":
            width += 7.5
        else:
            width += 6.5
    return width


def badge_colour(scorecard: Scorecard) -> str:
    bands = scorecard["rubric"]["bands"]
    return BAND_COLOURS[band_level(scorecard["band"]["index"], len(bands))]


def render_badge(scorecard: Scorecard, label: str = DEFAULT_LABEL) -> str:
    label = " ".join(str(label).split())[:40] or DEFAULT_LABEL
    value = f"{scorecard['score']:g} / {scorecard['max_score']:g}"
    if scorecard["rubric"].get("modified"):  # an own rubric calling itself an official one
        value += " (modified rubric)"
    label_width = round(text_width(label) + 12)
    value_width = round(text_width(value) + 12)
    band = scorecard["band"]
    return (
        environment()
        .get_template("badge.svg.j2")
        .render(
            label=label,
            value=value,
            colour=badge_colour(scorecard),
            label_width=label_width,
            value_width=value_width,
            width=label_width + value_width,
            title=f"{label}: {value}, band {band['interval']}: {band['label']}",
        )
    )


def write_badge(
    scorecard: Scorecard, path: str | os.PathLike[str], label: str = DEFAULT_LABEL
) -> Path:
    return write_atomic(path, render_badge(scorecard, label))
