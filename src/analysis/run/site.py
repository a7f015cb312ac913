"""A run's report site: ``index.html``, one page a co-author opens offline (from file:// or a zip).

It shows the title, the data's provenance and the simulated-data mark, the headline numbers with their
intervals, a table of contents, the numbered figures with their captions (the figure catalogue, the same
numbers and captions as notebook 04 and the files), links to every table (csv, html, tex) and notebook
page, the full set of parameters the notebooks used (paths relative to the run folder) and the input
hashes. No times and no absolute paths, so the same run gives the same bytes; no external URL.
Text comes from ``data/site_text.csv`` in English or Chinese (the run's ``lang``).
"""

from __future__ import annotations

import csv
import html
import json
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from analysis.errors import ParameterError
from analysis.outputs import read_table
from analysis.present.catalogue import figure_alt, figure_caption, figure_catalogue
from analysis.present.headlines import HEADLINE_TABLES, headline_numbers
from analysis.run.record import shown_path
from analysis.schema import NOTEBOOKS, POLICY_YEAR, RUN_TABLES

_STYLE = (
    "body{font-family:Arial,Helvetica,'Noto Sans CJK SC','Source Han Sans SC','PingFang SC',"
    "'Microsoft YaHei',sans-serif;max-width:62em;margin:2em auto;padding:0 1em;line-height:1.45}"
    "img{max-width:100%;width:40em;border:1px solid #ddd}.sim{color:#D55E00;font-weight:bold}"
    "table{border-collapse:collapse;margin:0.5em 0}td,th{padding:3px 10px;text-align:left;"
    "vertical-align:top;border-bottom:1px solid #eee}td.num{text-align:right;white-space:nowrap}"
    "figure{margin:1.5em 0}figcaption{margin-top:0.3em}code{font-size:90%}"
)


@cache
def _text_table() -> dict[str, dict[str, str]]:
    path = resources.files("analysis") / "data" / "site_text.csv"
    with path.open(encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {r["key"]: {"en": r["en"], "zh": r["zh"]} for r in rows}


def site_text(key: str, lang: str = "en", **fields) -> str:
    """The report site's text for ``key`` in ``lang`` (en, zh), with ``{fields}`` filled in."""
    if lang not in ("en", "zh"):
        raise ParameterError(f"lang must be 'en' or 'zh', got {lang!r}")
    entry = _text_table().get(key)
    if entry is None:
        raise ParameterError(f"no site text {key!r} in data/site_text.csv")
    return entry[lang].format(**fields) if fields else entry[lang]


def heading_text(heading: str, lang: str) -> str:
    """A notebook heading in ``lang``: the Chinese of ``data/site_text.csv`` (keyed by the English
    heading), or the heading itself in English or where the table has none."""
    entry = _text_table().get(heading.strip())
    return entry[lang] if entry is not None and lang == "zh" else heading


def _number(value, unit: str) -> str:
    if pd.isna(value):
        return "–"
    return f"{value:,.0f}" if unit == "yuan_per_person" else f"{value:.3f}"


def _headline_section(out: Path, lang: str) -> list[str]:
    e, t = html.escape, lambda k, **f: site_text(k, lang, **f)
    tables = {}
    for name in HEADLINE_TABLES:
        path = out / "tables" / name
        if path.is_file():
            tables[name] = read_table(path)
    rows = headline_numbers(tables)
    parts = [f"<section id='headline'><h2>{e(t('headline'))}</h2><table>"]
    parts.append(
        f"<tr><th>{e(t('measure'))}</th><th>{e(t('estimate'))}</th><th>{e(t('interval'))}</th>"
        f"<th>{e(t('detail'))}</th></tr>"
    )
    for r in rows.itertuples():
        low, high = _number(r.ci_low, r.unit), _number(r.ci_high, r.unit)
        parts.append(
            f"<tr><td>{e(t(r.measure, year=POLICY_YEAR))}</td>"
            f"<td class='num'>{_number(r.estimate, r.unit)} {e(t(r.unit))}</td>"
            f"<td class='num'>[{low}, {high}]</td><td>{e(r.detail)} "
            f"(<a href='tables/{e(r.source_table)}'>{e(r.source_table)}</a>)</td></tr>"
        )
    parts.append("</table></section>")
    return parts


def _notebook_section(out: Path, manifest: dict, lang: str) -> list[str]:
    e, t = html.escape, lambda k: site_text(k, lang)
    parts = [f"<section id='notebooks'><h2>{e(t('notebooks'))}</h2><ul>"]
    records = manifest.get("notebooks", {})
    for name in NOTEBOOKS:
        if (out / "html" / f"{name}.html").is_file():
            reused = records.get(name, {}).get("reused")
            parts.append(
                f"<li><a href='html/{name}.html'>{name}</a> "
                f"(<a href='notebooks/{name}.ipynb'>ipynb</a>)"
                + (f" — {e(t('reused'))}" if reused else "")
                + "</li>"
            )
    parts.append("</ul></section>")
    return parts


def _figure_section(out: Path, lang: str) -> list[str]:
    e = html.escape
    parts = [f"<section id='figures'><h2>{e(site_text('figures', lang))}</h2>"]
    for fig in figure_catalogue().itertuples():
        stems = [
            s for s in (fig.name, f"{fig.name}_{lang}") if (out / "figures" / f"{s}.png").is_file()
        ]
        if not stems:
            continue
        stem, caption = stems[0], figure_caption(fig.name, lang, numbered=True)
        alt = f"{caption} {figure_alt(fig.name, lang)}"
        links = " · ".join(
            f"<a href='figures/{e(stem)}.{x}'>{x.upper()}</a>"
            for x in ("png", "svg", "pdf")
            if (out / "figures" / f"{stem}.{x}").is_file()
        )
        parts.append(
            f"<figure id='figure-{fig.number}'><img src='figures/{e(stem)}.png' alt='{e(alt)}'>"
            f"<figcaption>{e(caption)} ({links})</figcaption></figure>"
        )
    parts.append("</section>")
    return parts


def _table_section(out: Path, lang: str) -> list[str]:
    e, t = html.escape, lambda k: site_text(k, lang)
    stems = list(dict.fromkeys(Path(name).stem for name in RUN_TABLES))
    parts = [f"<section id='tables'><h2>{e(t('tables'))}</h2><table>"]
    parts.append(
        f"<tr><th>{e(t('table'))}</th><th>{e(t('files'))}</th><th>{e(t('written_by'))}</th></tr>"
    )
    for stem in stems:
        files = [f for f in sorted((out / "tables").glob(f"{stem}.*")) if f.suffix in _TABLE_KINDS]
        if not files:
            continue
        files.sort(key=lambda f: _TABLE_KINDS.index(f.suffix))
        links = " · ".join(f"<a href='tables/{e(f.name)}'>{f.suffix[1:]}</a>" for f in files)
        writer = next(nb for name, nb in RUN_TABLES.items() if Path(name).stem == stem)
        parts.append(
            f"<tr><td>{e(t('table:' + stem))}</td><td>{links}</td>"
            f"<td><a href='html/{writer}.html'>{writer}</a></td></tr>"
        )
    parts.append("</table></section>")
    return parts


_TABLE_KINDS = [".csv", ".html", ".tex"]


def _value_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _parameter_section(manifest: dict, lang: str) -> list[str]:
    e, t = html.escape, lambda k: site_text(k, lang)
    used = manifest.get("parameters_used", {})
    parts = [f"<section id='parameters'><h2>{e(t('parameters'))}</h2><table>"]
    parts.append(
        f"<tr><th>{e(t('parameter'))}</th><th>{e(t('value'))}</th><th>{e(t('notebook'))}</th>"
        f"<th>{e(t('default'))}</th></tr>"
    )
    for name, info in sorted(used.items()):
        parts.append(
            f"<tr><th>{e(name)}</th><td><code>{e(_value_text(info['value']))}</code></td>"
            f"<td>{e(', '.join(n[:2] for n in info['notebooks']))}</td>"
            f"<td>{e(t('yes') if info['default'] else t('no'))}</td></tr>"
        )
    parts.append("</table></section>")
    return parts


def _provenance_section(out: Path, manifest: dict, lang: str) -> list[str]:
    e, t = html.escape, lambda k: site_text(k, lang)
    parts = [f"<section id='provenance'><h2>{e(t('provenance'))}</h2>"]
    parts.append(
        f"<p class='sim'>{e(t('simulated'))}</p>"
        if manifest.get("simulated_input")
        else f"<p>{e(t('not_simulated'))}</p>"
    )
    parts.append(f"<table><tr><th>{e(t('input'))}</th><th>{e(t('sha256'))}</th></tr>")
    for path, digest in sorted(manifest["inputs"].items()):
        shown = shown_path(path, out)
        parts.append(f"<tr><td><code>{e(shown)}</code></td><td><code>{e(digest)}</code></td></tr>")
    parts.append("</table>")
    report = out / "processed" / "cleaning_report.json"
    if report.is_file():
        counts = json.loads(report.read_text(encoding="utf-8"))
        numbers = ", ".join(
            f"{counts.get(k, 0):,}" for k in ("rows_in", "rows_clean", "rows_rejected")
        )
        parts.append(
            f"<p>{e(t('rows'))}: {numbers} (<a href='processed/cleaning_report.json'>"
            "cleaning_report.json</a>, <a href='processed/rejected.csv'>rejected.csv</a>)</p>"
        )
    parts.append(
        f"<p>{e(t('status'))}: {e(manifest['status'])}. {e(t('manifest'))}: "
        "<a href='manifest.json'>manifest.json</a>.</p></section>"
    )
    return parts


_SECTIONS = ("headline", "figures", "tables", "notebooks", "parameters", "provenance")


def index_html(out: Path, manifest: dict) -> str:
    """The run's index page (see the module's docstring); ``out`` is the folder holding the run's
    files (the building folder while the run is made), ``manifest`` its manifest."""
    lang = manifest.get("lang", "en")
    e, t = html.escape, lambda k: site_text(k, lang)
    title = f"{t('title')} — {t('run')} {manifest['run']}"
    parts = [
        f"<!doctype html><html lang='{'zh-Hans' if lang == 'zh' else 'en'}'><head>"
        f"<meta charset='utf-8'><title>{e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{e(t('title'))}</h1><p>{e(t('run'))} <code>{e(manifest['run'])}</code></p>",
    ]
    if manifest.get("simulated_input"):
        parts.append(f"<p class='sim'>{e(t('simulated'))}</p>")
    parts.append(f"<nav><h2>{e(t('contents'))}</h2><ol>")
    parts += [f"<li><a href='#{s}'>{e(t(s))}</a></li>" for s in _SECTIONS]
    parts.append("</ol></nav>")
    parts += _headline_section(out, lang)
    parts += _figure_section(out, lang)
    parts += _table_section(out, lang)
    parts += _notebook_section(out, manifest, lang)
    parts += _parameter_section(manifest, lang)
    parts += _provenance_section(out, manifest, lang)
    parts.append("</body></html>\n")
    return "".join(parts)
