"""Renderers of the one scorecard model: terminal, JSON, and the rest."""

from __future__ import annotations
