"""The submission dashboard: one self-contained HTML page (no script, nothing fetched at view time) of
a :class:`~graftkg.reporting.review.Review`, written with the review's JSON, a CSV of the open
findings to acknowledge, and the per-transplant reports it links.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from graftkg.reporting.acknowledgements import COLUMNS, finding_key
from graftkg.reporting.review import Review, ReviewedFinding
from graftkg.reporting.svg import INTENDED_USE, PAGE_STYLE, TimeAxis, esc, ticks

#: at most this many findings of one check are listed on the page (the JSON and the CSV hold them all)
LISTED = 500


def write_dashboard(
    review: Review,
    outdir: str | Path,
    *,
    thresholds: dict[str, float],
    reports: Callable[[str], str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write the dashboard of ``review`` to ``outdir``: ``index.html``, ``review.json``,
    ``open-findings.csv`` (the open findings, as rows of an acknowledgements file to fill in),
    ``transplants.html`` (every transplant) and, with
    ``reports`` (a transplant's identifier -> its report page), ``reports/<id>.html`` for each transplant
    the review links. ``thresholds`` are the bounds drawn on the figures (``ANC``, ``PLT``,
    ``donor_chimerism_pct``, ``donor_chimerism_loss_pct``). Returns the files written.
    """
    out = Path(outdir)
    if out.exists() and not out.is_dir():
        raise OSError(20, "exists and is not a folder", str(out))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    # a report left by an earlier review into the same folder would be linked from nothing: remove them
    for stale in (out / "reports").glob("*.html") if (out / "reports").is_dir() else ():
        stale.unlink()
    if reports is not None:
        (out / "reports").mkdir(exist_ok=True)
        linked = [row for row in review.transplant_rows if row.report]
        for k, row in enumerate(linked, 1):
            path = out / str(row.report)
            path.write_text(reports(row.transplant_id), encoding="utf-8")
            written.append(path)
            if progress is not None and (k % 1000 == 0 or k == len(linked)):
                progress(f"wrote {k:,} of {len(linked):,} transplant reports")
    else:
        for row in review.transplant_rows:
            row.report = None
    index = out / "index.html"
    index.write_text(render_dashboard(review, thresholds), encoding="utf-8")
    (out / "review.json").write_text(review.render_json(), encoding="utf-8")
    (out / "open-findings.csv").write_text(
        open_findings_csv(review.findings, review.unacknowledgeable), encoding="utf-8"
    )
    (out / "transplants.html").write_text(transplants_page(review), encoding="utf-8")
    return [index, out / "review.json", out / "open-findings.csv", out / "transplants.html", *written]


def open_findings_csv(findings: Sequence[ReviewedFinding], refused: Collection[str] = ()) -> str:
    """The open findings that can be acknowledged (not those of the ``refused`` rules), as rows of an
    acknowledgements file with ``reason``, ``comment``, ``by`` and ``date`` left to fill in (delete the
    rows not to acknowledge).

    Example:
        >>> from graftkg.findings import Finding
        >>> f = Finding("warning", "T1", "cd34_dose_1e6_per_kg", 45.0, "implausible", "CD34DosePlausible",
        ...             "plausibility")
        >>> open_findings_csv([ReviewedFinding(f)]).splitlines()[1]
        'CD34DosePlausible,T1,cd34_dose_1e6_per_kg,45,,,,'
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in findings:
        if r.acknowledgement is None and r.finding.transplant_id and r.finding.rule not in refused:
            writer.writerow([*finding_key(r.finding), "", "", "", ""])
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------- page


def render_dashboard(review: Review, thresholds: dict[str, float]) -> str:
    """The dashboard page of ``review`` (HTML, readable without JavaScript)."""
    made = (
        f"graftkg {review.graftkg_version}, ontology {review.ontology_version}, definitions {review.profile}; "
        f"made {review.generated}"
    )
    parts = [
        "<!doctype html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>Submission review: {esc(review.submission)}</title>',
        f"<style>{PAGE_STYLE}</style></head><body>",
        f"<h1>Submission review: {esc(review.submission)}</h1>",
        f'<p class="meta">{esc(made)}</p>',
        f'<p class="use"><strong>Intended use.</strong> {esc(INTENDED_USE)}</p>',
        '<nav><a href="#summary">Summary</a><a href="#checks">Checks</a><a href="#outcomes">Outcomes</a>'
        '<a href="#figures">Figures</a><a href="#findings">Findings</a><a href="#acknowledgements">Acknowledgements</a>'
        + ('<a href="#history">Changes</a>' if review.history else "")
        + '<a href="#transplants">Transplants</a></nav>',
        _summary(review),
        _checks(review),
        _outcomes(review),
        '<h2 id="figures">Figures</h2>',
        _recovery_figure(review, "neutrophil", "Neutrophil recovery day by graft source"),
        _recovery_figure(review, "platelet", "Platelet recovery day by graft source"),
        _chimerism_figure(review, thresholds),
        _incidence_figure(review),
        _findings(review),
        _acknowledgements(review),
        _history(review),
        _transplants(review),
        f'<footer><p class="meta">{esc(made)}. {esc(INTENDED_USE)}</p></footer>',
        "</body></html>\n",
    ]
    return "\n".join(p for p in parts if p)


def _pct(value: float | None) -> str:
    """A percentage as the page shows it: two decimals below 1 %, one above.

    Example:
        >>> _pct(0.06), _pct(12.345), _pct(None)
        ('0.06 %', '12.3 %', '–')
    """
    if value is None:
        return "–"
    return f"{value:.2f} %" if value < 1 else f"{value:.1f} %"


def _summary(review: Review) -> str:
    verdict = "conforms" if review.conforms() else "does not conform"
    failing = sum(1 for c in review.checks if c.status == "fail")
    rows = "".join(
        f'<tr><th>{esc(s)}</th><td class="n">{c["all"]:,}</td><td class="n">{c["open"]:,}</td>'
        f'<td class="n">{c["acknowledged"]:,}</td></tr>'
        for s, c in review.counts.items()
    )
    refused = (
        f"; {len(review.refused):,} would be refused by <code>graftkg classify</code> (an unreadable cell or a "
        "value no record can hold) and are counted as <em>refused</em>"
        if review.refused
        else ""
    )
    unattached = (
        f" {review.unattached_findings:,} finding(s) are on rows that name no transplant of the submission."
        if review.unattached_findings
        else ""
    )
    return (
        '<h2 id="summary">Summary</h2>'
        f"<p><strong>{review.transplants:,}</strong> transplants{refused}. At level <code>{esc(review.fail_on)}</code> "
        f'the submission <strong class="{"pass" if review.conforms() else "fail"}">{verdict}</strong> '
        f"(acknowledged findings do not count); {failing} of {len(review.checks)} checks fail their threshold."
        f"{esc(unattached)}</p>"
        '<table><tr><th>severity</th><th class="n">findings</th><th class="n">open</th><th class="n">acknowledged</th>'
        f"</tr>{rows}</table>"
    )


def _anchor(rule: str) -> str:
    return f"rule-{rule}"


def _check_rows(checks: Sequence[Any]) -> str:
    head = (
        '<tr><th>status</th><th>check</th><th>category</th><th>severity</th><th class="n">failing</th>'
        '<th class="n">applies to</th><th class="n">%</th><th class="n">threshold</th>'
        '<th class="n">acknowledged</th></tr>'
    )
    rows = []
    for c in checks:
        kahn = c.kahn_category + (f" ({c.kahn_subcategory})" if c.kahn_subcategory else "")
        name = esc(c.name)
        if c.findings or c.acknowledged_findings:
            name = f'<a href="#{esc(_anchor(c.rule))}">{name}</a>'
        threshold = f"{c.threshold:g} %" + ("" if c.own_threshold else " <small>(default)</small>")
        rows.append(
            f'<tr class="check check-{esc(c.status.replace(" ", "-"))}" data-rule="{esc(c.rule)}">'
            f'<td class="{"fail" if c.status == "fail" else "pass"}">'
            f"{esc(c.status)}</td><td>{name}<br><small><code>{esc(c.rule)}</code></small></td>"
            f"<td>{esc(kahn)}<br><small>{esc(c.category)}</small></td><td>{esc(c.severity)}</td>"
            f'<td class="n">{c.failing:,}</td><td class="n">{c.applies_to:,}</td><td class="n">{_pct(c.percent)}</td>'
            f'<td class="n">{threshold}</td><td class="n">{c.acknowledged:,}</td></tr>'
        )
    return f'<table class="checks">{head}{"".join(rows)}</table>'


def _checks(review: Review) -> str:
    by_kahn: dict[str, dict[str, int]] = {}
    for c in review.checks:
        row = by_kahn.setdefault(c.kahn_category or c.category, {"pass": 0, "fail": 0, "not applicable": 0})
        row[c.status] += 1
    summary = "".join(
        f'<tr><th>{esc(k)}</th><td class="n">{sum(v.values())}</td><td class="n pass">{v["pass"]}</td>'
        f'<td class="n fail">{v["fail"]}</td><td class="n">{v["not applicable"]}</td>'
        f'<td class="n">{_pct(100.0 * v["pass"] / max(v["pass"] + v["fail"], 1))}</td></tr>'
        for k, v in sorted(by_kahn.items())
    )
    failing = [c for c in review.checks if c.status == "fail"]
    others = [c for c in review.checks if c.status != "fail"]
    return (
        '<h2 id="checks">Checks</h2><p>Each check of <code>graftkg validate</code>: the transplants with an open '
        "finding of it, out of the transplants it applies to, against its threshold (the check fails above it). "
        "Categories are the Kahn framework's (Kahn et al. 2016), with graftkg's own below.</p>"
        '<table class="kahn"><tr><th>category</th><th class="n">checks</th><th class="n">pass</th>'
        f'<th class="n">fail</th><th class="n">not applicable</th><th class="n">% pass</th></tr>{summary}</table>'
        f'<h3 id="checks-failing">Failing their threshold ({len(failing)})</h3>'
        + (_check_rows(failing) if failing else "<p>None.</p>")
        + f'<details id="checks-all"><summary>The other {len(others)} checks (pass or not applicable)</summary>'
        + _check_rows(others)
        + "</details>"
    )


def _outcomes(review: Review) -> str:
    profiles = list(review.outcomes_by_profile)
    head = (
        "<tr><th>outcome</th>"
        + "".join(f'<th class="n">{esc(p)}{" (this review)" if p == review.profile else ""}</th>' for p in profiles)
        + "</tr>"
    )
    rows = []
    for outcome in review.outcomes:
        cells = []
        for p in profiles:
            n = review.outcomes_by_profile[p].get(outcome, 0)
            share = 100.0 * n / review.transplants if review.transplants else 0.0
            cells.append(f'<td class="n">{n:,} <small>({share:.1f} %)</small></td>')
        label = outcome.replace("_", " ")
        rows.append(f"<tr><th>{esc(label)}</th>{''.join(cells)}</tr>")
    beside = review.classification_findings
    codes = list(beside.get(review.profile, {}))
    found = "".join(
        f"<tr><th>{esc(code.replace('_', ' '))}</th>"
        + "".join(f'<td class="n">{beside[p].get(code, 0):,}</td>' for p in profiles)
        + "</tr>"
        for code in codes
    )
    parts = [
        '<h2 id="outcomes">Outcomes</h2><p>The outcome of each transplant under this review\'s definitions and '
        "under each other shipped profile, from the same data.</p>",
        f"<table>{head}{''.join(rows)}</table>",
        '<h3 id="classification-findings">Findings beside the outcome</h3><p>Transplants with each finding the '
        "definitions report beside the outcome.</p>",
        f"<table>{head.replace('>outcome<', '>finding<')}{found}</table>",
    ]
    if review.centres:
        outcomes = [o for o in review.outcomes if any(c["outcomes"].get(o) for c in review.centres)]
        head = (
            '<tr><th>centre</th><th class="n">transplants</th>'
            + "".join(f'<th class="n">{esc(o.replace("_", " "))}</th>' for o in outcomes)
            + '<th class="n">open violations</th><th class="n">warnings</th><th class="n">info</th></tr>'
        )
        body = "".join(
            f'<tr><th>{esc(c["centre"])}</th><td class="n">{c["transplants"]:,}</td>'
            + "".join(f'<td class="n">{c["outcomes"].get(o, 0):,}</td>' for o in outcomes)
            + f'<td class="n">{c["violation"]:,}</td><td class="n">{c["warning"]:,}</td>'
            f'<td class="n">{c["info"]:,}</td></tr>'
            for c in review.centres
        )
        parts.append(f'<h3 id="centres">By centre</h3><table>{head}{body}</table>')
    return "".join(parts)


# ----------------------------------------------------------------------------------------- figures


def _recovery_figure(review: Review, lineage: str, title: str) -> str:
    """A histogram of the recovery day per graft source, its engraftment window's last day marked."""
    by_source = review.recovery.get(lineage, {})
    sources = sorted(set(by_source) | set(review.not_recovered.get(lineage, {})))
    if not sources:
        return f"<figure><figcaption>{esc(title)}: no transplant with a derived recovery day.</figcaption></figure>"
    days = [d for v in by_source.values() for d in v]
    hi = max([*days, *review.windows.values(), 1])
    lo = min([*days, 0])
    left, width, row_h, gap = 70, 660, 70, 18
    height = len(sources) * (row_h + gap) + 50
    axis = TimeAxis(lo, hi, left, width)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 30}" height="{height}" '
        'font-family="sans-serif" '
        f'font-size="11" role="img" aria-label="{esc(title)}" class="figure-recovery" data-lineage="{esc(lineage)}">'
    ]
    for i, source in enumerate(sources):
        top = 10 + i * (row_h + gap)
        counts: dict[int, int] = {}
        for d in by_source.get(source, []):
            counts[d] = counts.get(d, 0) + 1
        peak = max(counts.values(), default=1)
        bar_w = max(1.0, width / max(hi - lo + 1, 1) - 0.5)
        window = review.windows.get(source)
        if window is not None:
            parts.append(
                f'<rect x="{axis.x(lo):.1f}" y="{top}" width="{axis.x(window) - axis.x(lo):.1f}" height="{row_h}" '
                f'fill="#eef3fb"><title>engraftment window of {esc(source)}, to day {window}</title></rect>'
            )
        parts.append(f'<rect x="{left}" y="{top}" width="{width}" height="{row_h}" fill="none" stroke="#bbb"/>')
        for d, n in sorted(counts.items()):
            h = (row_h - 6) * n / peak
            parts.append(
                f'<rect class="bar" x="{axis.x(d) - bar_w / 2:.1f}" y="{top + row_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="#2c3e50"><title>{esc(source)}, day {d}: {n} transplants</title></rect>'
            )
        if window is not None:
            parts.append(
                f'<line x1="{axis.x(window):.1f}" x2="{axis.x(window):.1f}" y1="{top}" y2="{top + row_h}" '
                f'stroke="#c0392b" stroke-dasharray="4 3"><title>day {window}: last day of the window</title></line>'
            )
        none = review.not_recovered.get(lineage, {}).get(source, 0)
        n_days = len(by_source.get(source, []))
        parts.append(
            f'<text x="{left - 6}" y="{top + row_h / 2:.1f}" text-anchor="end" font-weight="bold">{esc(source)}</text>'
        )
        parts.append(
            f'<text x="{left + width - 4}" y="{top + 12}" text-anchor="end" fill="#555">n = {n_days:,} recovered, '
            f"{none:,} not</text>"
        )
    parts.append(axis.svg(height - 36, "day after infusion (shaded: engraftment window; dashed: its last day)"))
    parts.append("</svg>")
    caption = (
        f"{title}: the derived recovery day of each evaluable transplant, one bar a day (height: transplants); "
        "transplants without recovery are counted at the right."
    )
    return f"<figure>{''.join(parts)}<figcaption>{esc(caption)}</figcaption></figure>"


def _chimerism_figure(review: Review, thresholds: dict[str, float]) -> str:
    from graftkg.reporting.review import CHIMERISM_DRAWN

    series = review.chimerism
    title = "Donor chimerism over time, graft failures"
    if not series:
        return f"<figure><figcaption>{esc(title)}: no graft failure with a chimerism assay.</figcaption></figure>"
    drawn = series[:CHIMERISM_DRAWN]
    days = [d for s in drawn for d, _ in s["series"]]
    left, width, height, top, pad = 50, 660, 220, 10, 8
    window = max(review.windows.values(), default=None)
    axis = TimeAxis.fit(days, focus=window, left=left, width=width)

    def y(v: float) -> float:
        return top + pad + (height - 2 * pad) * (1 - v / 100.0)

    colour = {"primary_graft_failure": "#8e44ad", "secondary_graft_failure": "#d35400"}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 30}" height="{height + 60}" '
        f'font-family="sans-serif" font-size="11" role="img" aria-label="{esc(title)}" class="figure-chimerism">',
        f'<rect x="{left}" y="{top}" width="{width}" height="{height}" fill="none" stroke="#bbb"/>',
        axis.break_marks(top, height),
    ]
    for end in (0, 100):
        parts.append(f'<text x="{left - 4}" y="{y(end) + 4:.1f}" text-anchor="end" fill="#555">{end}</text>')
    for key, tip in (("donor_chimerism_pct", "full donor chimerism"), ("donor_chimerism_loss_pct", "loss below")):
        v = thresholds[key]
        parts.append(
            f'<line x1="{left}" x2="{left + width}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#c0392b" '
            f'stroke-dasharray="4 3"><title>{tip} {v:g} %</title></line>'
            f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" fill="#c0392b">{v:g}</text>'
        )
    for s in drawn:
        pts = s["series"]
        c = colour.get(s["outcome"], "#2c3e50")
        tip = f"{s['transplant_id']} ({s['outcome'].replace('_', ' ')})"
        if len(pts) > 1:
            line = " ".join(f"{axis.x(d):.1f},{y(v):.1f}" for d, v in pts)
            parts.append(
                f'<polyline points="{line}" fill="none" stroke="{c}" stroke-opacity=".5"><title>'
                f"{esc(tip)}</title></polyline>"
            )
        for d, v in pts:
            parts.append(
                f'<circle cx="{axis.x(d):.1f}" cy="{y(v):.1f}" r="2.5" fill="{c}"><title>{esc(tip)}, day {d}: '
                f"{v:g} %</title></circle>"
            )
    parts.append(axis.svg(top + height + 16, "day after infusion (dashed red: chimerism thresholds)"))
    parts.append("</svg>")
    more = (
        f" The first {len(drawn):,} of {len(series):,} are drawn; the JSON holds all."
        if len(series) > len(drawn)
        else ""
    )
    caption = (
        f"{title}: donor chimerism (%) by day for each transplant classified as primary (purple) or secondary "
        f"(orange) graft failure.{more}"
    )
    return f"<figure>{''.join(parts)}<figcaption>{esc(caption)}</figcaption></figure>"


def _incidence_figure(review: Review) -> str:
    title = "Graft failure in the submission against the review's published incidences"
    items = review.incidences
    if not items:
        return ""
    hi = max([i.published for i in items] + [i.ci_high or 0 for i in items] + [1.0])
    hi = ticks(0, hi * 1.1, 5)[-1] if ticks(0, hi * 1.1, 5)[-1] >= hi else hi * 1.1
    left, width, row_h = 330, 380, 40
    height = len(items) * row_h + 50

    def x(v: float) -> float:
        return left + v / hi * width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" height="{height}" '
        'font-family="sans-serif" '
        f'font-size="11" role="img" aria-label="{esc(title)}" class="figure-incidence">'
    ]
    for t in ticks(0, hi, 5):
        parts.append(
            f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="6" y2="{height - 40}" stroke="#eee"/>'
            f'<text x="{x(t):.1f}" y="{height - 26}" text-anchor="middle" fill="#555">{t:g} %</text>'
        )
    for k, i in enumerate(items):
        mid = 14 + k * row_h
        for k_line, line in enumerate(textwrap.wrap(i.label, 48)[:2]):
            parts.append(f'<text x="4" y="{mid - 2 + 13 * k_line}">{esc(line)}</text>')
        if i.percent is not None and i.ci_low is not None and i.ci_high is not None:
            parts.append(
                f'<line x1="{x(i.ci_low):.1f}" x2="{x(i.ci_high):.1f}" y1="{mid}" y2="{mid}" stroke="#2c3e50" '
                f'stroke-width="2"><title>95 % CI {i.ci_low:.1f}-{i.ci_high:.1f} %</title></line>'
                f'<circle cx="{x(i.percent):.1f}" cy="{mid}" r="4" fill="#2c3e50"><title>submission: {i.events:,} of '
                f"{i.transplants:,} = {i.percent:.1f} %</title></circle>"
            )
        else:
            parts.append(f'<text x="{left + 4}" y="{mid + 4}" fill="#777">no such transplant in the submission</text>')
        d = x(i.published)
        parts.append(
            f'<path d="M{d:.1f},{mid - 6} l5,6 l-5,6 l-5,-6 z" fill="#c0392b"><title>published ({esc(i.study)}): '
            f"{esc(i.qualifier + ' ' if i.qualifier else '')}{i.published:g} %</title></path>"
        )
    parts.append("</svg>")
    rows = "".join(
        f'<tr><td>{esc(i.label)}</td><td>{esc(i.study)}</td><td class="n">{i.published:g} %</td>'
        f'<td class="n">{i.events:,} / {i.transplants:,}</td><td class="n">{_pct(i.percent)}</td>'
        f'<td class="n">{_pct(i.ci_low)} to {_pct(i.ci_high)}</td></tr>'
        for i in items
    )
    missing = (
        "<p><small>Not compared (the ontology names no class for their population): "
        + esc("; ".join(review.not_compared))
        + ".</small></p>"
        if review.not_compared
        else ""
    )
    caption = (
        f"{title}: for each incidence the review cites, the share of the submission's evaluable transplants in "
        "that population classified in that outcome (dot, with its 95 % Wilson interval) and the published "
        "figure (red diamond)."
    )
    return (
        f"<figure>{''.join(parts)}<figcaption>{esc(caption)}</figcaption></figure>"
        '<table><tr><th>published incidence</th><th>study</th><th class="n">published</th>'
        '<th class="n">in the submission</th><th class="n">%</th><th class="n">95 % CI</th></tr>'
        f"{rows}</table>{missing}"
    )


# ---------------------------------------------------------------------------------------- listings


def _report_link(review: Review, tid: str | None) -> str:
    if tid is None:
        return "<em>(row)</em>"
    target = links(review).get(tid)
    return f'<a href="{esc(target)}">{esc(tid)}</a>' if target else esc(tid)


def _findings(review: Review) -> str:
    by_rule: dict[str, list[ReviewedFinding]] = {}
    for r in review.findings:
        by_rule.setdefault(r.finding.rule, []).append(r)
    names = {c.rule: c.name for c in review.checks}
    parts = ['<h2 id="findings">Findings by check</h2>']
    if not by_rule:
        parts.append("<p>No finding.</p>")
    for c in review.checks:
        items = by_rule.get(c.rule)
        if not items:
            continue
        shown = items[:LISTED]
        rows = "".join(
            f"<tr><td>{_report_link(review, r.finding.transplant_id)}</td><td>{esc(r.finding.severity)}</td>"
            f"<td><code>{esc(r.finding.field)}</code></td><td>{esc('' if r.finding.value is None else r.finding.value)}"
            f"</td><td>{esc(r.finding.message)}</td><td><small>{esc(r.finding.location or '')}</small></td>"
            + (
                f'<td class="ack">acknowledged: {esc(r.acknowledgement.reason.replace("_", " "))}, '
                f"{esc(r.acknowledgement.by)}, {esc(r.acknowledgement.date)}"
                + (f"; {esc(r.acknowledgement.comment)}" if r.acknowledgement.comment else "")
                + "</td>"
                if r.acknowledgement
                else "<td>open</td>"
            )
            + "</tr>"
            for r in shown
        )
        more = (
            f"<p><small>{len(items) - LISTED:,} more in review.json and open-findings.csv.</small></p>"
            if len(items) > LISTED
            else ""
        )
        parts.append(
            f'<h3 id="{esc(_anchor(c.rule))}">{esc(names.get(c.rule, c.rule))} <small><code>{esc(c.rule)}</code> '
            f"({len(items):,})</small></h3><table><tr><th>transplant</th><th>severity</th><th>field</th><th>value</th>"
            f"<th>message</th><th>where</th><th>status</th></tr>{rows}</table>{more}"
        )
    return "".join(parts)


def _acknowledgements(review: Review) -> str:
    acked = sum(1 for r in review.findings if r.acknowledgement)
    parts = [
        '<h2 id="acknowledgements">Acknowledgements</h2>',
        f"<p>{acked:,} finding(s) acknowledged. To acknowledge others, fill in <code>reason</code>, <code>by</code> "
        'and <code>date</code> in <a href="open-findings.csv">open-findings.csv</a> (delete the rows you do not '
        "acknowledge) and pass it with <code>--acknowledgements</code>, or use <code>graftkg acknowledge</code>.</p>",
    ]
    stale = review.unmatched_acknowledgements
    if stale:
        rows = "".join(
            f"<tr><td>{esc(a.transplant_id)}</td><td><code>{esc(a.rule)}</code></td><td><code>{esc(a.field)}</code></td>"
            f"<td>{esc(a.value)}</td><td>{esc(a.reason)}</td><td>{esc(a.by)}, {esc(a.date)}</td></tr>"
            for a in stale
        )
        parts.append(
            f"<h3>No longer matching ({len(stale):,})</h3><p>These acknowledgements match no finding of this "
            "submission: the finding was resolved, or its value changed (a changed value is a new finding, to "
            "review again).</p><table><tr><th>transplant</th><th>rule</th><th>field</th><th>value</th><th>reason</th>"
            f"<th>by</th></tr>{rows}</table>"
        )
    return "".join(parts)


def _history(review: Review) -> str:
    h = review.history
    if h is None:
        return ""
    parts = [
        '<h2 id="history">Changes since the previous submission</h2>',
        f"<p>From <code>{esc(h.previous)}</code> to <code>{esc(h.current)}</code>: {len(h.new):,} new findings, "
        f"{len(h.resolved):,} resolved, {len(h.still_open):,} still open; {len(h.outcome_changes):,} outcomes "
        f"changed; {len(h.added):,} transplants added, {len(h.removed):,} removed.</p>",
    ]
    for title, items, anchor in (("New findings", h.new, "new"), ("Resolved findings", h.resolved, "resolved")):
        if items:
            rows = "".join(
                f"<tr><td>{_report_link(review, f.transplant_id)}</td><td>{esc(f.severity)}</td>"
                f"<td><code>{esc(f.rule)}</code></td><td><code>{esc(f.field)}</code></td><td>{esc(f.message)}</td></tr>"
                for f in items[:LISTED]
            )
            parts.append(
                f'<h3 id="history-{anchor}">{title} ({len(items):,})</h3><table><tr><th>transplant</th>'
                f"<th>severity</th><th>rule</th><th>field</th><th>message</th></tr>{rows}</table>"
            )
    if h.outcome_changes:
        rows = "".join(
            f"<tr><td>{_report_link(review, c.transplant_id)}</td><td>{esc(c.before.replace('_', ' '))}<ul>"
            + "".join(f"<li>{esc(s)}</li>" for s in c.explanation_before)
            + f"</ul></td><td>{esc(c.after.replace('_', ' '))}<ul>"
            + "".join(f"<li>{esc(s)}</li>" for s in c.explanation_after)
            + "</ul></td></tr>"
            for c in h.outcome_changes[:LISTED]
        )
        parts.append(
            f'<h3 id="history-outcomes">Outcomes changed ({len(h.outcome_changes):,})</h3><table><tr>'
            f"<th>transplant</th><th>before, and why</th><th>now, and why</th></tr>{rows}</table>"
        )
    for title, ids in (("Added", h.added), ("Removed", h.removed)):
        if ids:
            parts.append(
                f"<p><strong>{title}:</strong> {esc(', '.join(ids[:LISTED]))}"
                + (f" and {len(ids) - LISTED:,} more" if len(ids) > LISTED else "")
                + "</p>"
            )
    return "".join(parts)


def _rows(review: Review, rows: Sequence[Any]) -> str:
    return "".join(
        f"<tr><td>{_report_link(review, row.transplant_id)}</td><td>{esc(row.centre or '')}</td>"
        f"<td>{esc(row.graft_source or '')}</td><td>{esc(row.outcome.replace('_', ' '))}</td>"
        f'<td class="n">{row.open_findings:,}</td></tr>'
        for row in rows
    )


_HEAD = (
    '<tr><th>transplant</th><th>centre</th><th>graft source</th><th>outcome</th><th class="n">open findings</th></tr>'
)


def _transplants(review: Review) -> str:
    flagged = [row for row in review.transplant_rows if row.flagged]
    written = {
        "all": "every transplant has its report",
        "flagged": "these transplants have their reports",
        "none": "no report was written (<code>graftkg report</code> makes one)",
    }[review.reports]
    return (
        f'<h2 id="transplants">Transplants needing review ({len(flagged):,})</h2><p>Those with an open finding, '
        "those <code>classify</code> would refuse, and those classified as graft failure or poor graft function; "
        f'{written}. <a href="transplants.html">All {review.transplants:,} transplants</a>.</p>'
        f"<table>{_HEAD}{_rows(review, flagged)}</table>"
    )


def transplants_page(review: Review) -> str:
    """The page listing every transplant of the review, each linked to its report where one was written."""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Transplants: {esc(review.submission)}'
        f"</title><style>{PAGE_STYLE}</style></head><body><h1>Transplants: {esc(review.submission)}</h1>"
        f'<p><a href="index.html">Back to the review</a>. {review.transplants:,} transplants.</p>'
        f"<table>{_HEAD}{_rows(review, review.transplant_rows)}</table></body></html>\n"
    )


def links(review: Review) -> dict[str, str]:
    """Each linked transplant's report, relative to the dashboard page (made once a review)."""
    made = review.extra.get("links")
    if made is None:
        made = review.extra["links"] = {row.transplant_id: row.report for row in review.transplant_rows if row.report}
    return made


__all__ = ["LISTED", "links", "open_findings_csv", "render_dashboard", "transplants_page", "write_dashboard"]
