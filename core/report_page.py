"""The manager's report as one self-contained HTML page.

Everything the page needs is inside it: the charts are inline SVG (:mod:`.report_charts`),
the style is one ``<style>`` block, and there is no script, font, image or link to fetch, so
it opens from a file or an email attachment with no network and prints as it shows. The
layout is one column on a phone and a grid of figures on a wider screen; each section is
kept on one printed page where it fits. Each figure has a numbered footnote with its
definition. No PHI is ever on the page: sections carry counts, rates, money and provider
and payer names only.
"""

from __future__ import annotations

import datetime as dt

from jinja2 import Environment

from clinicops.core.metrics import Metrics
from clinicops.core.report_charts import svg

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ m.practice }} — report {{ m.period.label }}</title>
<style>
:root { color-scheme: light; --ink: #1d2733; --muted: #5b6675; --line: #d9dee5; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem; font: 15px/1.45 system-ui, -apple-system, "Segoe UI",
  Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
header h1 { font-size: 1.4rem; margin: 0 0 .2rem; }
header p { margin: 0; color: var(--muted); }
section { border-top: 1px solid var(--line); margin-top: 1.5rem; padding-top: .5rem; break-inside: avoid; }
h2 { font-size: 1.15rem; margin: .3rem 0 .6rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .6rem; margin: 0; }
.figure { border: 1px solid var(--line); border-radius: .4rem; padding: .5rem .7rem; }
.figure dt { font-size: .8rem; color: var(--muted); }
.figure dd { margin: 0; font-size: 1.35rem; font-weight: 600; }
.figure sup { font-size: .7rem; font-weight: 400; color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 0 1rem; }
figure.chart { margin: .8rem 0; min-width: 0; }
figure.chart svg { width: 100%; height: auto; display: block; }
figcaption { font-size: .85rem; color: var(--muted); }
ol.notes { font-size: .8rem; color: var(--muted); padding-left: 1.4rem; }
p.note { font-size: .9rem; }
footer { margin-top: 2rem; font-size: .8rem; color: var(--muted); }
@media print { body { max-width: none; padding: 0; font-size: 11pt; } section { page-break-inside: avoid; } }
</style>
</head>
<body>
<header>
<h1>{{ m.practice }}</h1>
<p>Report for {{ m.period.start.isoformat() }} to {{ m.period.end.isoformat() }} · made {{ made }}</p>
</header>
{% for s in m.sections %}
<section id="{{ s.key }}" class="report-section">
<h2>{{ s.title }}</h2>
<dl class="figures">
{% for f in s.figures %}<div class="figure" id="figure-{{ f.key }}"><dt>{{ f.label }}</dt>
<dd data-value="{{ f.value if f.value is not none else '' }}">{{ f.shown() }}<sup>{{ notes[f.key] }}</sup></dd></div>
{% endfor %}</dl>
<div class="charts">
{% for c in s.charts %}<figure class="chart">{{ charts[s.key][loop.index0] | safe }}
<figcaption>{{ c.title }}</figcaption></figure>
{% endfor %}</div>
{% for n in s.notes %}<p class="note">{{ n }}</p>
{% endfor %}<ol class="notes" start="{{ notes[s.figures[0].key] if s.figures else 1 }}">
{% for f in s.figures %}<li>{{ f.label }}: {{ f.definition.sentence() }}</li>
{% endfor %}</ol>
</section>
{% endfor %}
{% if m.failures %}<section id="left-out"><h2>Left out</h2>
{% for f in m.failures %}<p class="note">The plugin {{ f }} could not report; the log has the details.</p>{% endfor %}
</section>{% endif %}
<footer>Made by clinicops from the practice's records. Counts, rates and money only: no patient is named.</footer>
</body>
</html>
"""

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render(metrics: Metrics, made: dt.datetime, zone: dt.tzinfo) -> str:
    """The page for these metrics; ``made`` is when, by the practice's clock, shown in its zone."""
    notes: dict[str, int] = {}
    for s in metrics.sections:
        for f in s.figures:
            notes[f.key] = len(notes) + 1
    charts = {
        s.key: [svg(c, f"{s.key.replace('.', '-')}-{n}") for n, c in enumerate(s.charts)] for s in metrics.sections
    }
    made_text = made.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return _ENV.from_string(TEMPLATE).render(m=metrics, notes=notes, charts=charts, made=made_text)
