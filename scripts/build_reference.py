"""Build the reference catalogue shipped in src/watchfloor/reference/data from ../shared/data.

Run from the repository root: ``python scripts/build_reference.py [SHARED_DATA_DIR]``.
The output is committed, so a user's clone needs no ../shared. Re-running it is deterministic.

Inputs (each named as the source of the facts it gives, in the output rows):
- un-precursors/precursors.csv: 1988 Convention Tables I/II with CAS, HS 2022, year; a trailing
  ``?`` marks a value not confirmed in a retrieved source and is kept in ``unverified``.
- reference/data/un_drugs.csv (in this repo): UN 1961/1971 schedules, CAS and HS 2022 of the main
  controlled drugs.
- drug-lexicon/c_cs_alpha.xlsx: the DEA's official alphabetical list of controlled substances
  (schedules, controlled-substance codes, other names); read with openpyxl.
- nps-names/tripsit-substances.csv: names and aliases of research chemicals (TripSit).
- drug-lexicon/csv/dea_street_names.csv: DEA slang terms and brand names.
- hs-nomenclature/harmonized-system.csv: HS 2022 codes and descriptions.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from watchfloor.reference.families import chemical_name, spell_out
from watchfloor.reference.loader import SUBSTANCE_FIELDS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "watchfloor" / "reference" / "data"

SOURCES = {
    "un-precursors": "UN 1988 Convention Tables I and II, compiled 2026-11-25 from INCB documents, "
    "EU Reg. 111/2005 annex and national lists (per-row detail in the sources column)",
    "incb-lists": "INCB Yellow List (narcotic drugs, 62nd ed., 2023) and Green List (psychotropic "
    "substances, 34th ed., 2023) for UN 1961/1971 schedules; CAS registry numbers as listed by "
    "PubChem; HS codes from the WCO HS 2022 subheading texts",
    "dea-controlled": "US DEA Diversion Control, Controlled Substances - Alphabetical Order "
    "(the official spreadsheet c_cs_alpha.xlsx, as shipped in the DOPE R package v2.1.0, "
    "github.com/CTN-0094/DOPE, MIT licence)",
    "dea-slang": "US DEA Slang Terms and Code Words, via the DOPE R package v2.1.0 "
    "(github.com/CTN-0094/DOPE, MIT licence)",
    "tripsit": "TripSit drug database (github.com/TripSit/drugs, drugs.json at commit 83670cb, "
    "2026-08-18): names, aliases and categories of research chemicals only",
    "hs2022": "HS 2022 nomenclature as extracted from UN Comtrade, "
    "github.com/datasets/harmonized-system commit 905e5a0 (ODC-PDDL-1.0)",
}
SRC_PRECURSORS, SRC_UN, SRC_DEA, SRC_SLANG, SRC_TRIPSIT = (
    "un-precursors",
    "incb-lists",
    "dea-controlled",
    "dea-slang",
    "tripsit",
)

# DEA slang categories -> catalogue key of the substance they name
SLANG_CATEGORY = {
    "Marijuana": "cannabis",
    "Marijuana Concentrates": "cannabis",
    "Cocaine": "cocaine",
    "Crack Cocaine": "cocaine",
    "Heroin": "heroin",
    "LSD": "lsd",
    "PCP": "phencyclidine",
    "Methamphetamine": "methamphetamine",
    "Amphetamine": "amphetamine",
    "Synthetic Cannabinoids": "synthetic-cannabinoids",
    "Opium": "opium",
    "MDMA": "mdma",
    "Synthetic Cathinones": "synthetic-cathinones",
    "Fentanyl and Fentanyl Derivatives": "fentanyl",
    "Acetaminophen and Oxycodone": "oxycodone",
    "Peyote": "peyote",
    "Ketamine": "ketamine",
    "Alprazolam": "alprazolam",
    "Mushrooms": "psilocybin",
    "Mescaline": "mescaline",
    "Hydrocodone": "hydrocodone",
    "Oxycodone": "oxycodone",
    "Promethazine with Codeine": "codeine",
    "GHB": "ghb",
    "Clonazepam": "clonazepam",
    "Ritalin": "methylphenidate",
}
# substance groups that DEA slang names but that are not single substances
GROUPS = {
    "synthetic-cannabinoids": ("Synthetic cannabinoids", "cannabis"),
    "synthetic-cathinones": ("Synthetic cathinones", "other"),
}

FIELDS = ["key", *SUBSTANCE_FIELDS]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", spell_out(name).lower())


def cas_ok(cas: str) -> bool:
    digits = cas.replace("-", "")
    if not re.fullmatch(r"\d{2,7}-\d\d-\d", cas):
        return False
    body, check = digits[:-1], int(digits[-1])
    return sum(int(c) * (i + 1) for i, c in enumerate(reversed(body))) % 10 == check


class Catalogue:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, str]] = {}
        self.names: dict[tuple[str, str], tuple[str, str]] = {}  # (key, norm) -> (name, kind+src)
        self.by_norm: dict[str, str] = {}

    def add(self, key: str, row: dict[str, str]) -> None:
        base = {f: "" for f in FIELDS}
        base.update(row)
        base["key"] = key
        self.rows[key] = base
        self.index(key, row["name"])

    def index(self, key: str, name: str) -> None:
        self.by_norm.setdefault(norm(name), key)

    def name(self, key: str, name: str, kind: str, source: str) -> None:
        name = name.strip()
        if not name or norm(name) == norm(self.rows[key]["name"]):
            return
        self.names.setdefault((key, name.lower()), (name, f"{kind}\t{source}"))
        if kind in ("synonym", "abbreviation"):
            self.index(key, name)

    def merge_source(self, key: str, source: str) -> None:
        srcs = self.rows[key]["sources"]
        if source not in [part.split(":", 1)[0] for part in srcs.split(" | ")]:
            self.rows[key]["sources"] = f"{srcs} | {source}" if srcs else source


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def build(shared: Path) -> Catalogue:
    cat = Catalogue()
    hs_codes = {r["hscode"] for r in read_csv(shared / "hs-nomenclature/harmonized-system.csv")}

    for r in read_csv(shared / "un-precursors/precursors.csv"):
        unverified = [f for f in ("cas", "year_added") if r[f].endswith("?")]
        cas = r["cas"].rstrip("?")
        if cas and not cas_ok(cas):
            raise SystemExit(f"precursor {r['name']}: CAS {cas} fails its check digit")
        if r["hs2022"] not in hs_codes:
            raise SystemExit(f"precursor {r['name']}: HS {r['hs2022']} not in HS 2022")
        key = slug(r["name"])
        cat.add(
            key,
            {
                "name": r["name"],
                "kind": "precursor",
                "drug_class": "precursor",
                "cas": cas,
                "hs2022": r["hs2022"],
                "un_1988_table": r["un_1988_table"],
                "un_1988_year": r["year_added"],
                "used_for": r["used_for"],
                "unverified": ";".join(f"{f}={r[f]}" for f in unverified),
                "sources": f"{SRC_PRECURSORS}: {r['source']}",
            },
        )
        for syn in filter(None, r["synonyms"].split(";")):
            kind = "abbreviation" if re.fullmatch(r"[A-Z0-9-]{2,10}", syn) else "synonym"
            cat.name(key, syn, kind, SRC_PRECURSORS)

    for r in read_csv(OUT / "un_drugs.csv"):
        if r["cas"] and not cas_ok(r["cas"]):
            raise SystemExit(f"drug {r['name']}: CAS {r['cas']} fails its check digit")
        if r["hs2022"] and r["hs2022"] not in hs_codes:
            raise SystemExit(f"drug {r['name']}: HS {r['hs2022']} not in HS 2022")
        key = slug(r["name"])
        cat.add(
            key,
            {
                "name": r["name"],
                "kind": "drug",
                "drug_class": r["drug_class"],
                "cas": r["cas"],
                "hs2022": r["hs2022"],
                "un_1961": r["un_1961"],
                "un_1971": r["un_1971"],
                "note": r["note"],
                "sources": SRC_UN,
            },
        )
        for syn in filter(None, r["synonyms"].split(";")):
            cat.name(key, syn, "synonym", SRC_UN)
        if r["dea_name"]:
            cat.by_norm[norm(r["dea_name"])] = key

    for key, (name, cls) in GROUPS.items():
        cat.add(
            key,
            {
                "name": name,
                "kind": "drug",
                "drug_class": cls,
                "note": "substance group",
                "sources": SRC_SLANG,
            },
        )

    for row in read_dea_list(shared / "drug-lexicon/c_cs_alpha.xlsx"):
        add_dea(cat, row)

    for r in read_csv(shared / "drug-lexicon/csv/dea_street_names.csv"):
        key = SLANG_CATEGORY.get(r["category"])
        if key is None or key not in cat.rows:
            raise SystemExit(f"DEA slang category {r['category']!r} has no catalogue entry")
        slang = re.sub(r"\s*\(.*?\)\s*", " ", r["slang"]).strip()
        cat.name(key, slang, "slang", SRC_SLANG)
        if r["brand"]:
            cat.name(key, r["brand"].replace("®", ""), "brand", SRC_SLANG)
        cat.merge_source(key, SRC_SLANG)
    add_tripsit(cat, shared / "nps-names/tripsit-substances.csv")
    return cat


def top_level(text: str) -> tuple[str, list[str]]:
    """A DEA entry split into the text before its first top-level parenthesis and the
    top-level parenthesised parts: "Acryl fentanyl (N-(1-phenethylpiperidin-4-yl)-N-
    phenylacrylamide)" gives "Acryl fentanyl" and the whole IUPAC name. Only a parenthesis
    after a space opens a part: "N-(1-adamantyl)-…" is one chemical name."""
    if text.startswith(("(", "[")):
        return text.strip(), []
    head, parts, depth, start = "", [], 0, None
    for i, ch in enumerate(text):
        if ch == "(":
            if depth == 0 and (head or text[i - 1 : i] == " "):
                start = i + 1
                head = head or text[:i]
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0 and start is not None:
                parts.append(text[start:i].strip())
                start = None
    if depth:  # an unclosed parenthesis: keep the text as one name
        return text.strip(), []
    return (head or text).strip(), [p for p in parts if p]


def other_names(cell: str | None) -> list[str]:
    """The "Names" cell of the DEA list: synonyms and brands separated by ";" or ", "
    (chemical names keep their commas without a space), without positional-isomer notes."""
    if not cell:
        return []
    cell = re.split(r"\(?\s*positional\s*isomer", cell, flags=re.I)[0]
    names = []
    for part in re.split(r";|,\s+|\s+and\s+", cell):
        part = part.strip(" ()")
        if len(part) >= 2 and part.count("(") == part.count(")"):
            names.append(part)
    return names


def read_dea_list(path: Path) -> list[dict[str, str]]:
    """Rows of the DEA's official "Controlled Substances - Alphabetical Order" sheet."""
    import openpyxl  # only the build needs it

    sheet = openpyxl.load_workbook(path, read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h).strip().lower() for h in rows[0]]
    out = []
    for values in rows[1:]:
        r = dict(zip(header, values, strict=False))
        if not r.get("substance"):
            continue
        out.append(
            {
                "substance": " ".join(str(r["substance"]).split()),
                "number": str(int(r["number"])) if r.get("number") else "",
                "schedule": str(r["schedule"] or "").strip(),
                "narcotic": str(r["narcotic"] or "").strip(),
                "names": str(r["names"] or ""),
            }
        )
    return out


def add_dea(cat: Catalogue, r: dict[str, str]) -> None:
    substance = r["substance"].replace("\u2013", "-")
    head, parts = top_level(substance)
    heads = other_names(head) or [head]  # "5F-APINACA, 5F-AKB48": two names of one entry
    head, names = heads[0], heads[1:] + other_names(r["names"])
    key = None
    # joined to an entry of the UN lists by its own names only: the "Names" cell lists
    # class words and brands ("fentanyl" for a fentanyl analogue)
    for cand in [substance, head, *parts]:
        key = cat.by_norm.get(norm(cand))
        if key:
            break
    if key is None:
        display = head
        if len(display) > 40 and names and len(names[0]) <= 40:
            display = names[0]  # "FUB-144" rather than its IUPAC name
        key = slug(display)[:60]
        if key in cat.rows:
            key = f"{key}-dea{r['number'] or len(cat.rows)}"
        cat.add(
            key,
            {
                "name": display,
                "kind": "drug",
                "drug_class": guess_class(substance + " " + " ".join(names)),
                "sources": SRC_DEA,
            },
        )
    row = cat.rows[key]
    if not row["dea_schedule"] or _rank(r["schedule"]) < _rank(row["dea_schedule"]):
        row["dea_schedule"] = r["schedule"]
        row["dea_code"] = r["number"]
        row["dea_narcotic"] = r["narcotic"]
    cat.merge_source(key, SRC_DEA)
    for name in [substance, head, *parts, *names]:
        if not name or re.search(r"precursor|intermediate|preparation", name, re.I):
            continue
        # DEA names a class word as a synonym of its analogues: skip names that already
        # belong to another entry
        owner = cat.by_norm.get(norm(name))
        if owner is not None and owner != key:
            continue
        cat.name(key, name, "synonym", SRC_DEA)


def _rank(schedule: str) -> int:
    order = {"I": 1, "II": 2, "IIN": 2, "III": 3, "IIIN": 3, "IV": 4, "V": 5}
    return order.get(schedule, 9)


# TripSit's own categories that name what a research chemical is
TRIPSIT_CLASS = {
    "opioid": "opioid",
    "benzodiazepine": "benzodiazepine",
    "psychedelic": "psychedelic",
    "stimulant": "stimulant",
    "dissociative": "dissociative",
    "empathogen": "mdma",
}


def add_tripsit(cat: Catalogue, path: Path) -> None:
    """TripSit's research chemicals that no control list of the catalogue names: recognised
    by name as new psychoactive substances (their control status is not a TripSit fact).
    Names of substances already in the catalogue are added as synonyms when they are
    chemical names or codes (by the recogniser's standard); other aliases are slang."""
    for r in read_csv(path):
        cats = set(r["categories"].split("|"))
        names = [r["pretty_name"], r["name"], *filter(None, r["aliases"].split("|"))]
        # an alias of 4 letters or fewer ("php", "pcp") is too short to say which entry
        # it is: only the names and longer aliases join a TripSit entry to the catalogue's
        joins = [n for n in names if len(norm(n)) > 4]
        key = next((cat.by_norm[norm(n)] for n in joins if norm(n) in cat.by_norm), None)
        if key is None:
            if "research-chemical" not in cats or cats & {"nootropic", "supplement", "inactive"}:
                continue
            key = slug(r["pretty_name"])[:60]
            cls = next((TRIPSIT_CLASS[c] for c in TRIPSIT_CLASS if c in cats), "other")
            cat.add(
                key,
                {
                    "name": r["pretty_name"],
                    "kind": "drug",
                    "drug_class": guess_class(r["pretty_name"]) if cls == "other" else cls,
                    "note": "new psychoactive substance (TripSit research chemical); control "
                    "status not in the catalogue's sources",
                    "sources": SRC_TRIPSIT,
                },
            )
        else:
            cat.merge_source(key, SRC_TRIPSIT)
        for name in names:
            # a chemical name or code is a synonym; anything else ("angel_dust", "curie")
            # is a street word, which the matcher reads only in context
            chemical = chemical_name(name.replace("_", " "))
            owner = cat.by_norm.get(norm(name))
            if owner is not None and owner != key:
                continue
            cat.name(key, name, "synonym" if chemical else "slang", SRC_TRIPSIT)


def guess_class(name: str) -> str:
    """Class of a DEA-only substance from its chemical name (a naming rule, not a source fact)."""
    n = name.lower()
    rules = [
        ("fentanyl", "fentanyl"),
        ("azepam", "benzodiazepine"),
        ("azolam", "benzodiazepine"),
        ("cannabi", "cannabis"),
        ("thc", "cannabis"),
        ("tryptamine", "psychedelic"),
        ("2c-", "psychedelic"),
        ("methylenedioxy", "mdma"),
        ("amphetamine", "amphetamine"),
        ("cathinone", "other"),
        ("morph", "opioid"),
        ("codeine", "opioid"),
        ("nitazene", "opioid"),
        ("barbit", "prescription"),
        ("testosterone", "prescription"),
        ("nandrolone", "prescription"),
    ]
    for needle, cls in rules:
        if needle in n:
            return cls
    return "other"


def write(cat: Catalogue) -> None:
    with open(OUT / "substances.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, FIELDS, lineterminator="\n")
        w.writeheader()
        for key in sorted(cat.rows):
            w.writerow(cat.rows[key])
    with open(OUT / "sources.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["id", "description"])
        for sid, text in SOURCES.items():
            w.writerow([sid, text])
    with open(OUT / "names.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["key", "name", "name_kind", "source"])
        for (key, _), (name, meta) in sorted(cat.names.items()):
            kind, source = meta.split("\t")
            w.writerow([key, name, kind, source])


def copy_hs(shared: Path) -> None:
    with (
        open(shared / "hs-nomenclature/harmonized-system.csv", encoding="utf-8") as src,
        open(OUT / "hs2022.csv", "w", newline="", encoding="utf-8") as dst,
    ):
        w = csv.writer(dst, lineterminator="\n")
        w.writerow(["hscode", "level", "parent", "section", "description"])
        for r in csv.DictReader(src):
            w.writerow([r["hscode"], r["level"], r["parent"], r["section"], r["description"]])


NARCOTICS = {"SDNT", "SDNTK", "ILLICIT-DRUGS-EO14059"}


def copy_sanctions(shared: Path) -> int:
    """The narcotics-programme rows of the consistent 2022-01 SDN triple, bytes unchanged."""
    src = shared / "ofac-sdn" / "snapshot-2022-01"
    dst = OUT / "sanctions"
    dst.mkdir(exist_ok=True)
    keep: set[str] = set()
    lines = []
    for line in (src / "sdn.csv").read_bytes().splitlines(keepends=True):
        row = next(csv.reader([line.decode("cp1252", errors="replace")]), [])
        if len(row) > 3 and NARCOTICS.intersection(p.strip() for p in row[3].split("] [")):
            keep.add(row[0].strip())
            lines.append(line)
    (dst / "sdn.csv").write_bytes(b"".join(lines))
    for name in ("alt.csv", "add.csv"):
        kept = [
            line
            for line in (src / name).read_bytes().splitlines(keepends=True)
            if line.split(b",", 1)[0].strip().decode() in keep
        ]
        (dst / name).write_bytes(b"".join(kept))
    return len(keep)


if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    catalogue = build(shared)
    write(catalogue)
    copy_hs(shared)
    entries = copy_sanctions(shared)
    print(f"{entries} narcotics SDN entries written to {OUT / 'sanctions'}")
    print(f"{len(catalogue.rows)} substances, {len(catalogue.names)} names written to {OUT}")
