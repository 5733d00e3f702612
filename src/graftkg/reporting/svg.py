"""The plotting conventions the transplant report and the submission dashboard share: SVG written by
hand (no script, no network at view time), a time axis that keeps the engraftment period readable
however long the follow-up, tick steps a reader expects, and one page style.

Hand-written rather than drawn by a plotting library: a dashboard links thousands of report pages,
each with its plot, and the pages must render in a browser with JavaScript off; the few figures
needed (series by day, strip plots, interval bars) are a few dozen lines each.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

#: what every page says it is for
INTENDED_USE = (
    "For reviewing registry submissions and for research. graftkg is not a medical device: its "
    "classifications apply the stated definitions to the submitted data, and neither they nor the "
    "recommendations listed replace clinical judgement for an individual patient."
)

#: the style every page shares
PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:70rem;margin:1.5rem auto;padding:0 1rem;line-height:1.4;"
    "color:#1b1b1b}"
    "table{border-collapse:collapse;margin:.5rem 0}th,td{text-align:left;padding:.15rem .6rem;vertical-align:top;"
    "border-bottom:1px solid #e3e3e3}th{font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".meta{color:#555;font-size:.9rem}.use{border-left:4px solid #b58900;padding:.3rem .8rem;background:#fdf6e3;"
    "font-size:.9rem}.pass{color:#1e5631}.fail{color:#8e2c1f;font-weight:600}.ack{color:#555;font-style:italic}"
    ".against{color:#8e2c1f}.for{color:#1e5631}.ci-recorded{color:#8e2c1f;font-weight:bold}small{color:#555}"
    "figure{margin:1rem 0}figcaption{color:#555;font-size:.9rem}nav a{margin-right:1rem}"
)


def esc(value: object) -> str:
    """``value`` as text, escaped for HTML and SVG.

    Example:
        >>> esc("<b> & 'x'")
        '&lt;b&gt; &amp; &#x27;x&#x27;'
    """
    return html.escape(str(value))


def nice_step(span: float, target: int = 8) -> float:
    """A tick step of 1, 2 or 5 times a power of ten giving about ``target`` ticks over ``span``.

    Example:
        >>> nice_step(100), nice_step(1100), nice_step(3), nice_step(0)
        (20.0, 200.0, 0.5, 1.0)
    """
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return float(m * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def ticks(lo: float, hi: float, target: int = 8) -> list[float]:
    """Round tick positions from ``lo`` to ``hi`` (both included when they fall on a step).

    Example:
        >>> ticks(0, 28)
        [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
        >>> ticks(-7, 14, 4)
        [0.0, 10.0]
    """
    step = nice_step(hi - lo, target)
    first = math.ceil(lo / step) * step
    out = []
    k = 0
    while first + k * step <= hi + 1e-9:
        out.append(round(first + k * step, 9))
        k += 1
    return out


@dataclass(frozen=True)
class TimeAxis:
    """Days after infusion mapped to x: linear up to ``split`` on the first ``share`` of the width,
    then linear again, compressed, up to ``hi`` (a broken axis, marked on the plot). Without a split,
    one linear scale.

    Example:
        >>> axis = TimeAxis.fit([0, 3, 10, 14, 21, 28, 35, 1095], focus=28, left=0, width=100)
        >>> axis.split, round(axis.x(28)), round(axis.x(40)), round(axis.x(1095))
        (40.0, 52, 75, 100)
        >>> TimeAxis.fit([0, 10, 20], focus=28, left=0, width=100).split is None
        True
    """

    lo: float
    hi: float
    left: float
    width: float
    split: float | None = None
    share: float = 0.75

    @classmethod
    def fit(cls, days: Sequence[float], *, focus: float | None, left: float, width: float) -> TimeAxis:
        """The axis for ``days``: when the last day lies far beyond the day by which most of them (nine
        in ten) and ``focus`` (the engraftment window's last day) have passed, the scale changes a little
        after that day, at a tick."""
        lo = min([*days, 0])
        hi = max([*days, focus or 0, 1])
        ordered = sorted(days)
        most = ordered[max(0, math.floor(len(ordered) * 0.9) - 1)] if ordered else 0
        reach = max(most, focus or 0, lo + 1)
        step = nice_step(reach - lo)
        split = math.floor(reach / step + 1) * step
        if hi > 2 * split:
            return cls(lo, hi, left, width, split=split)
        return cls(lo, hi, left, width)

    def x(self, day: float) -> float:
        """The x coordinate of ``day``."""
        if self.split is None:
            return self.left + (day - self.lo) / max(self.hi - self.lo, 1) * self.width
        first = self.width * self.share
        if day <= self.split:
            return self.left + (day - self.lo) / max(self.split - self.lo, 1) * first
        return self.left + first + (day - self.split) / max(self.hi - self.split, 1) * (self.width - first)

    def ticks(self) -> list[float]:
        """Tick days: round steps on each part of the axis."""
        if self.split is None:
            return ticks(self.lo, self.hi)
        near = ticks(self.lo, self.split, 7)
        far = [d for d in ticks(self.split, self.hi, 3) if self.x(d) - self.x(self.split) > 24]
        return [*near, *far]

    def svg(self, y: float, label: str) -> str:
        """The axis' tick labels and caption at ``y``, with the break marked when there is one."""
        parts = [
            f'<text x="{self.x(d):.1f}" y="{y:.1f}" text-anchor="middle" fill="#555">{d:g}</text>' for d in self.ticks()
        ]
        if self.split is not None:
            bx = self.x(self.split)
            parts.append(
                f'<text x="{bx:.1f}" y="{y + 14:.1f}" text-anchor="middle" fill="#555">'
                f"// scale changes after day {self.split:g}</text>"
            )
        parts.append(
            f'<text x="{self.left + self.width / 2:.1f}" y="{y + 28:.1f}" text-anchor="middle">{esc(label)}</text>'
        )
        return "\n".join(parts)

    def break_marks(self, top: float, height: float) -> str:
        """A dotted vertical line where the scale changes (nothing without a split)."""
        if self.split is None:
            return ""
        bx = self.x(self.split)
        return (
            f'<line x1="{bx:.1f}" x2="{bx:.1f}" y1="{top:.1f}" y2="{top + height:.1f}" stroke="#888" '
            f'stroke-dasharray="1 2"><title>the scale changes after day {self.split:g}</title></line>'
        )


def wilson_interval(events: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``events``/``n`` (95 % by default), as fractions.

    Example:
        >>> [round(v, 3) for v in wilson_interval(4, 100)]
        [0.016, 0.098]
        >>> wilson_interval(0, 0)
        (0.0, 1.0)
    """
    if n == 0:
        return (0.0, 1.0)
    p = events / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


__all__ = ["INTENDED_USE", "PAGE_STYLE", "TimeAxis", "esc", "nice_step", "ticks", "wilson_interval"]
