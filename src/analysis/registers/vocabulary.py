"""Vocabularies: register headers, sectors and organization types, from Chinese and English wording."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.reference import load_reference
from analysis.registers.parsing import unit_from_header
from analysis.registers.text import BLANK_TOKENS, by_unique, normalize_text
from analysis.schema import require_columns

# Canonical columns a register must have for the toolkit to do its work.
REQUIRED_COLUMNS = ("org_name", "year", "province", "expenditure", "beneficiaries")


# Every name a header can map to (the canonical columns before parsing, plus the data note).
CANONICAL_NAMES = (
    "project_id",
    "project_name",
    "org_name",
    "org_type",
    "year",
    "province",
    "prefecture",
    "county",
    "sector",
    "expenditure",
    "beneficiaries",
    "poor_households",
    "joint_funded",
    "data_note",
    # optional columns of issue 17 (docs/data.md): cost categories, the project period, outcomes
    "direct_cost",
    "admin_cost",
    "in_kind",
    "start_year",
    "end_year",
    "period",
    "households_exited",
    "persons_exited",
    "enrolled",
    "treated",
    "jobs",
)


# Words of a beneficiaries header that say what it counts (checked on the header as NFKC, lower case):
# visits (人次) first, then people (人数, 人口, persons ...); a unit in brackets says the same.
PERSON_TIMES_WORDS = ("人次", "person-times", "person times", "persontimes")
PERSONS_WORDS = ("人数", "人口", "persons", "people", "individuals")


_BRACKET = re.compile(r"[(（\[][^()（）\[\]]*[)）\]]")


def _header_key(header: str) -> str:
    """Matching key: NFKC (full-width -> half-width), lower case, no spaces, '_' as space."""
    text = unicodedata.normalize("NFKC", str(header)).lower()
    return re.sub(r"[\s_]+", "", text)


@dataclass
class HeaderMap:
    """How the headers of one register map to canonical columns.

    ``columns`` maps each raw header to its canonical name; ``units`` maps a raw header to the unit
    written in it (``("万元", 1e4)``); ``ignored`` lists headers that matched nothing; ``duplicates``
    lists canonical names claimed by more than one header (the first is used).
    """

    columns: dict[str, str] = field(default_factory=dict)
    units: dict[str, tuple[str, float]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    def missing(self, required=REQUIRED_COLUMNS) -> list[str]:
        """The required canonical columns no header maps to."""
        found = set(self.columns.values())
        return [c for c in required if c not in found]


def _alias_table(extra: pd.DataFrame | None) -> dict[str, str]:
    table = load_reference("header_aliases")
    if extra is not None:
        require_columns(extra, ["canonical", "alias"], "an extra header-alias table")
        table = pd.concat([table, extra[["canonical", "alias"]].astype(str)], ignore_index=True)
    return {_header_key(a): c for c, a in zip(table["canonical"], table["alias"], strict=True)}


def map_headers(headers, *, extra_aliases: pd.DataFrame | None = None) -> HeaderMap:
    """Map raw register headers to canonical column names (see docs/data.md for the accepted list).

    A header is matched whole first ("省（自治区、直辖市）"), then with a unit in brackets removed
    ("支出金额（万元）" -> expenditure, unit 万元).
    """
    aliases = _alias_table(extra_aliases)
    result = HeaderMap()
    for header in headers:
        key = _header_key(header)
        canonical = aliases.get(key)
        if canonical is None:
            canonical = aliases.get(_header_key(_BRACKET.sub("", str(header))))
            unit = unit_from_header(header)
            if canonical is not None and unit is not None:
                result.units[header] = unit
        if canonical is None:
            result.ignored.append(str(header))
        elif canonical in result.columns.values():
            result.duplicates.append(str(header))
        else:
            result.columns[header] = canonical
    return result


def header_basis(header) -> str:
    """What a beneficiaries header says it counts: 'person_times' (受益人次, 受益人数（人次）,
    person-times), 'persons' (受益人数, 受益人口, people reached, a unit 人/万人 in brackets) or
    'unknown' (beneficiaries: the header does not say)."""
    text = unicodedata.normalize("NFKC", str(header or "")).lower()
    unit = unit_from_header(header) if header else None
    if any(w in text for w in PERSON_TIMES_WORDS):
        return "person_times"
    if any(w in text for w in PERSONS_WORDS) or (unit and unit[0] in ("人", "万人", "名")):
        return "persons"
    return "unknown"


_PROBLEMS = ["", "missing", "unknown"]


def _vocab_mapper(table: str, key_col: str, default: str):
    vocab = load_reference(table)
    lookup = {}
    for row in vocab.itertuples(index=False):
        for name in [getattr(row, key_col), row.label_zh, row.label_en, *row.aliases.split("|")]:
            lookup[normalize_text(name)] = getattr(row, key_col)
    categories = list(dict.fromkeys([*vocab[key_col], default]))

    def mapper(values: pd.Series) -> pd.DataFrame:
        def one(raw):
            k = normalize_text(raw)
            if k in lookup:
                return lookup[k], ""
            if k in BLANK_TOKENS:
                return default, "missing"
            # Longest vocabulary word contained in the text ("教育扶贫助学项目" -> education).
            hits = [w for w in lookup if w and not w.isascii() and w in k]
            return (lookup[max(hits, key=len)], "") if hits else (default, "unknown")

        codes, results = by_unique(values, one)
        value_codes = np.array([categories.index(r[0]) for r in results], dtype=np.int8)
        problem_codes = np.array([_PROBLEMS.index(r[1]) for r in results], dtype=np.int8)
        return pd.DataFrame(
            {
                "value": pd.Categorical.from_codes(value_codes[codes], categories),
                "problem": pd.Categorical.from_codes(problem_codes[codes], _PROBLEMS),
            },
            index=values.index,
        )

    return mapper


def map_sector(values: pd.Series) -> pd.DataFrame:
    """Map sector wording (产业扶贫, 教育, health, …) to industry/education/health/relocation/volunteer/other.

    Returns ``value`` and ``problem`` ('' when recognised, 'missing' or 'unknown'; both map to 'other'),
    both categorical.
    """
    return _vocab_mapper("sectors", "sector", "other")(values)


def map_org_type(values: pd.Series) -> pd.DataFrame:
    """Map organization-type wording (基金会, 社会团体, 民办非企业单位, …) to the canonical types.

    Returns ``value`` (foundation, social_group, social_service_agency or unknown) and ``problem``,
    both categorical.
    """
    return _vocab_mapper("org_types", "org_type", "unknown")(values)
