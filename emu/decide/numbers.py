"""Numbers as people read them: three significant figures, never in exponent form."""

from __future__ import annotations


def readable(value: float) -> str:
    if value >= 999.5:  # three significant figures would round it to 1e+03
        return f"{value:,.0f}"
    return f"{value:.3g}"
