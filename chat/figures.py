"""How the app writes a measured figure: 3, 0.42, 12.5, 1234 (no exponents, no trailing
zeros). One rule for metrics chips, summaries, the chart and the CSV export. Pure."""

from __future__ import annotations


def figure(value: float) -> str:
    """A figure with as many decimals as its size deserves.

    >>> [figure(v) for v in (3.0, 0.4201, 12.54, 1234.5, -0.5)]
    ['3', '0.42', '12.5', '1234', '-0.5']
    """
    if float(value).is_integer():
        return str(int(value))
    size = abs(value)
    text = f"{value:.2f}" if size < 10 else f"{value:.1f}" if size < 100 else f"{value:.0f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
