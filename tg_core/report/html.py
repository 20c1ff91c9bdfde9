"""The report as one self-contained HTML page: inline CSS and SVG, no scripts, all text escaped."""

from __future__ import annotations

from html import escape

from ..train.search.turns import describe_turns
from .chart import ChartPoint, score_chart
from .diff import word_diff_html
from .fmt import DASH, count
from .graph_svg import graph_svg
from .html_steps import badge, step_html, usage_text
from .view import RunView

CSS = """
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;
 max-width:1100px;margin:24px auto;padding:0 20px}
h1{font-size:26px;margin:0 0 2px}h2{font-size:19px;border-bottom:1px solid #d0d7de;
 padding-bottom:4px;margin:34px 0 10px}h3{margin:6px 0}h4{margin:12px 0 4px;font-size:14px}
.sub,.muted,.note{color:#59636e}.note{font-size:13px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #d0d7de;border-radius:8px;padding:8px 14px;flex:1;min-width:210px}
.card .k{color:#59636e;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:21px;font-weight:600}.card .d{color:#59636e;font-size:12.5px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;white-space:nowrap}td.num{text-align:right;white-space:nowrap;
 font-variant-numeric:tabular-nums}tr.best td{background:#f0fff4}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:8px 10px;
 white-space:pre-wrap;overflow-wrap:anywhere;margin:6px 0;
 font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
ins{background:#dafbe1;color:#116329;text-decoration:none}
del{background:#ffebe9;color:#a40e26}del+ins{margin-left:3px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;
 border:1px solid;vertical-align:1px;margin-left:4px}
.badge.s-kept{color:#1a7f37;border-color:#4ac26b;background:#dafbe1}
.badge.s-rejected,.badge.s-undone{color:#9a6700;border-color:#d4a72c;background:#fff8c5}
.badge.s-refused,.badge.s-failed{color:#cf222e;border-color:#ff8182;background:#ffebe9}
.badge.s-screened-out{color:#0550ae;border-color:#80ccff;background:#ddf4ff}
.badge.s-skipped,.badge.s-unchanged{color:#59636e;border-color:#d0d7de;background:#f6f8fa}
.step{border:1px solid #d0d7de;border-radius:8px;padding:6px 16px 12px;margin:16px 0}
.why{margin:2px 0 6px}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:1px 16px;margin:6px 0}
.facts dt{color:#59636e}.facts dd{margin:0}
.cand{border:1px solid #d0d7de;border-left:5px solid #d0d7de;border-radius:6px;
 padding:6px 12px;margin:10px 0}
.cand.s-kept{border-left-color:#1a7f37}.cand.s-undone{border-left-color:#d4a72c}
.cand.s-refused,.cand.s-failed{border-left-color:#cf222e}
.cand.s-screened-out{border-left-color:#54aeff}
.cand header .scores{float:right;color:#59636e;font-size:12.5px}
.reason{margin:2px 0;color:#424a53}.param{font-size:12.5px;color:#59636e;margin-top:6px}
details{margin:4px 0}summary{cursor:pointer;color:#0969da}
.scroll{overflow-x:auto;border:1px solid #d0d7de;border-radius:6px;padding:6px}
a{color:#0969da;text-decoration:none}
"""


def _card(key: str, value: str, detail: str) -> str:
    return (
        f'<div class="card"><div class="k">{escape(key)}</div><div class="v">{escape(value)}'
        f'</div><div class="d">{escape(detail)}</div></div>'
    )


def _cards(view: RunView) -> str:
    fmt, s = view.fmt, view.settings
    n_val = s.get("n_val", 0)
    est = view.estimate
    search = s.get("search")
    how = f"batch {s.get('batch_size', DASH)}"
    if search:
        turns = describe_turns(
            int(search.get("num_candidates", 1)),
            search.get("operators") or ["rewrite"],
            int(search.get("deletions", 1)),
        )
        how += f" · per step {turns}"
        how += " · candidate pool" if search.get("pool") else ""
    return (
        '<div class="cards">'
        + "".join(
            [
                _card(
                    "validation score",
                    f"{fmt.score(view.initial)} → {fmt.score(view.best)}",
                    f"start → best; {fmt.delta(view.initial, view.best)}; "
                    f"n={n_val} validation examples"
                    if n_val
                    else "no validation set: every change was kept",
                ),
                _card(
                    "steps",
                    f"{len(view.steps)} run, {view.kept_steps} kept",
                    f"stopped: {view.stopped}",
                ),
                _card(
                    "spent",
                    f"{count(view.usage.get('calls'))} calls",
                    f"{usage_text(view.usage)}; estimated before the run: "
                    f"{count(est.get('calls'))} calls, {count(est.get('tokens'))} tokens",
                ),
                _card(
                    "data",
                    f"{count(s.get('n_train'))} train · {count(n_val)} val",
                    how,
                ),
            ]
        )
        + "</div>"
    )


def chart_points(view: RunView) -> list[ChartPoint]:
    """The chart's x positions: ``start``, then every step numbered from 1."""
    n_val = int(view.settings.get("n_val", 0))
    points = [ChartPoint("start", view.initial, n_val, view.initial)]
    points += [ChartPoint(str(s.number), s.val, s.val_n, s.best, s.accepted) for s in view.steps]
    return points


def _overview(view: RunView) -> str:
    fmt = view.fmt
    head = (
        "<tr><th>step</th><th>minibatch</th><th>parent</th><th>minibatch score</th>"
        "<th>validation</th><th>best so far</th><th>outcome</th><th>calls</th>"
        "<th>tokens</th><th>why</th></tr>"
    )
    rows = []
    for s in view.steps:
        start = f"#{s.parent}" if s.parent is not None else "current"
        cells = [
            f'<td><a href="#step-{s.number}">{s.number}</a></td>',
            f"<td>{escape(', '.join(map(str, s.batch)))}</td>",
            f"<td>{start}</td>",
            f'<td class="num">{escape(fmt.with_n(s.train, s.train_n))}</td>',
            f'<td class="num">{escape(fmt.with_n(s.val, s.val_n))}</td>',
            f'<td class="num">{escape(fmt.score(s.best))}</td>',
            f"<td>{badge('kept' if s.accepted else 'rejected')}</td>",
            f'<td class="num">{count(s.usage.get("calls"))}</td>',
            f'<td class="num">{count(s.usage.get("total_tokens"))}</td>',
            f"<td>{escape(s.reason)}</td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _parameters(view: RunView) -> str:
    out = []
    for i, role in enumerate(view.roles):
        before, after = view.initial_values[i], view.final_values[i]
        change = (
            f'<pre class="diff">{word_diff_html(before, after)}</pre>'
            if before != after
            else '<p class="muted">Unchanged by the run.</p>'
        )
        out.append(
            f'<h3>{escape(role)}</h3><p class="muted">From the start to the best value '
            f"(the value the parameter holds now):</p>{change}"
            f"<details><summary>starting value</summary><pre>{escape(before)}</pre></details>"
            f"<details><summary>best value</summary><pre>{escape(after)}</pre></details>"
        )
    return "".join(out)


def _pool(view: RunView) -> str:
    if not view.pool:
        return ""
    fmt = view.fmt
    head = (
        "<tr><th>id</th><th>made in</th><th>operator</th><th>parent</th>"
        "<th>mean validation</th><th>Pareto front</th><th>value</th></tr>"
    )
    rows = []
    for c in view.pool:
        made = "start" if c.step is None else f'<a href="#step-{c.step}">step {c.step}</a>'
        text = " | ".join(c.values)
        short = text if len(text) <= 90 else text[:90].rsplit(" ", 1)[0] + " …"
        value = (
            f"<details><summary>{escape(short)}</summary>"
            + "".join(f"<pre>{escape(v)}</pre>" for v in c.values)
            + "</details>"
        )
        mark = " (best)" if c.best else ""
        rows.append(
            f'<tr class="{"best" if c.best else ""}"><td class="num">#{c.id}{mark}</td>'
            f"<td>{made}</td>"
            f"<td>{escape(c.operator)}</td>"
            f"<td>{DASH if c.parent is None else f'#{c.parent}'}</td>"
            f'<td class="num">{escape(fmt.with_n(c.mean, c.n))}</td>'
            f"<td>{'yes' if c.front else 'no'}</td><td>{value}</td></tr>"
        )
    return (
        '<h2>Candidate pool</h2><p class="note">Every validated candidate with its mean '
        "validation score. The Pareto front holds the candidates that are best on at least "
        "one validation example and dominated by no other; parents are drawn from it.</p>"
        f"<table>{head}{''.join(rows)}</table>"
    )


def render_page(view: RunView) -> str:
    """The whole page for ``view``."""
    s = view.settings
    sub = (
        f"{len(view.steps)} steps of {count(s.get('total_steps'))} planned on "
        f"{count(s.get('n_train'))} training and {count(s.get('n_val'))} validation examples"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Optimization report</title><style>{CSS}</style></head><body>"
        f'<h1>Optimization report</h1><p class="sub">{escape(sub)}</p>{_cards(view)}'
        f'<p class="note">{escape(view.fmt.note)} Steps are numbered from 1; “start” is the '
        "score before the first step. “n” is the number of examples behind a score; a dash "
        "means there is none.</p>"
        "<h2>Validation score</h2>"
        f'<div class="chartbox">{score_chart(chart_points(view), view.fmt)}</div>'
        f"<h2>Steps</h2>{_overview(view)}"
        f"<h2>Parameters</h2>{_parameters(view)}"
        "<h2>Step by step</h2>"
        + "".join(step_html(step, view.fmt) for step in view.steps)
        + _pool(view)
        + '<h2>Computation graph of one step</h2><p class="note">Recorded on the first '
        "step's minibatch. Blue boxes receive feedback (a thick border marks a parameter "
        "being optimized); grey ones are inputs and fixed text. Hover over a box to read its whole text.</p>"
        f'<div class="scroll">{graph_svg(view.graph)}</div></body></html>'
    )
