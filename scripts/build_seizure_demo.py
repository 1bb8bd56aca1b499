"""Build the demo's public seizure statistics shipped in src/watchfloor/cooperation/data.

Run from the repository root: ``python scripts/build_seizure_demo.py [SHARED_DATA_DIR]``.
The output is committed (a user's clone has no ../shared) and re-running it is deterministic.

- seizures_unodc.csv.gz: the UNODC seizures 2018-2022 of the countries in seizure_demo.toml, one
  record per country, drug and year (a statistic: period ``year``), owned by that country's
  agency, with the demo's TLP mix. The "Total ..." rows are left out: they sum the rows of
  their group, which would then be counted twice.
- seizures_cbp.csv.gz: CBP's monthly nationwide drug seizures (FY2019-FY2026), one record per
  month, component, area of responsibility and drug type (period ``month``, the number of
  seizure events in ``events``, pounds as reported), owned by US-CBP, TLP:CLEAR.

Both are in the seizure import's CSV format (``watchfloor sharing import``).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

import pycountry

from watchfloor.cooperation.seizures.files import SEIZURE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "watchfloor" / "cooperation" / "data"
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
COMPONENTS = {
    "Office of Field Operations": "OFO",
    "U.S. Border Patrol": "USBP",
    "Air and Marine Operations": "AMO",
}


def slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")[:24]


def tlp_for(reference: str) -> tuple[str, str]:
    """The demo's TLP mix, fixed by the reference: (tlp, recipients)."""
    roll = int(hashlib.sha256(reference.encode()).hexdigest()[:8], 16) % 100
    if roll < 35:
        return "clear", ""
    if roll < 60:
        return "green", ""
    if roll < 85:
        return "amber", "INT-INCB"
    return "red", ""


def write(path: Path, rows: list[dict[str, object]]) -> None:
    # gzip without a time stamp, so that a rebuild of the same data is the same file
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
        io.TextIOWrapper(gz, encoding="utf-8", newline="") as fh,
    ):
        out = csv.DictWriter(fh, fieldnames=SEIZURE_COLUMNS, lineterminator="\n")
        out.writeheader()
        for row in rows:
            out.writerow(row)
    print(f"{path.relative_to(ROOT)}: {len(rows)} records")


def unodc(shared: Path, config: dict) -> list[dict[str, object]]:
    owners = {c["iso3"]: c["code"] for c in config["countries"]}
    data = json.loads((shared / "unodc-cdc" / "unodc_drug_seizures_2018_2022.json").read_text())
    rows = []
    seen: Counter[str] = Counter()
    for r in data:
        if r["msCode"] not in owners or not r["Kilograms"]:
            continue  # zero rows say nothing was reported
        if r["Drug"].startswith("Total "):
            continue  # a sum of the rows above it ("including the above"): counted twice
        iso2 = pycountry.countries.get(alpha_3=r["msCode"]).alpha_2
        base = f"UNODC-{iso2}-{r['Year']}-{slug(r['Drug'])}"
        seen[base] += 1
        reference = base if seen[base] == 1 else f"{base}-{seen[base]}"
        tlp, recipients = tlp_for(reference)
        rows.append(
            {
                "agency": owners[r["msCode"]],
                "reference": reference,
                "seized_on": f"{r['Year']}-01-01",
                "country": iso2,
                "substance": r["Drug"],
                "quantity": round(float(r["Kilograms"]), 6),
                "unit": "kg",
                "period": "year",
                "source": "UNODC, World Drug Report: drug seizures",
                "notes": f"{r['Drug group']} / {r['DrugSubGroup']}",
                "tlp": tlp,
                "recipients": recipients,
            }
        )
    return rows


def cbp(shared: Path) -> list[dict[str, object]]:
    rows = []
    folder = shared / "cbp-seizures" / "cbp"
    for name in ("nationwide-drugs-fy19-fy22.csv", "nationwide-drugs-fy23-fy26-dec.csv"):
        with open(folder / name, encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                fy = int(r["FY"].split()[0])
                month = MONTHS.index(r["Month (abbv)"]) + 1
                year = fy - 1 if month >= 10 else fy  # the federal year starts in October
                place = r["Area of Responsibility"].title()
                drug = r["Drug Type"].replace("**", "").strip()
                reference = "-".join(
                    (
                        f"CBP-{year}-{month:02d}",
                        COMPONENTS[r["Component"]],
                        slug(place),
                        slug(r["Land Filter"]),
                        slug(drug),
                    )
                )
                rows.append(
                    {
                        "agency": "US-CBP",
                        "reference": reference,
                        "seized_on": f"{year}-{month:02d}-01",
                        "country": "US",
                        "place": place,
                        "substance": drug,
                        "quantity": round(float(r["Sum Qty (lbs)"]), 6),
                        "unit": "lb",
                        "period": "month",
                        "events": int(r["Count of Event"]),
                        "source": "CBP Nationwide Drug Seizures",
                        "notes": f"{r['Component']}; {r['Region']}; {r['Land Filter']}",
                        "tlp": "clear",
                    }
                )
    return rows


def main() -> None:
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    config = tomllib.loads((OUT / "seizure_demo.toml").read_text(encoding="utf-8"))
    write(OUT / "seizures_unodc.csv.gz", unodc(shared, config))
    write(OUT / "seizures_cbp.csv.gz", cbp(shared))


if __name__ == "__main__":
    main()
