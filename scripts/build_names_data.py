"""Build the name data shipped in src/watchfloor/identifiers/data from a maintained package.

Run from the repository root: ``python scripts/build_names_data.py``. It downloads one pinned
wheel of OpenSanctions' ``rigour`` (MIT licence) with pip, reads two of its data files, and
writes what screening needs; the output is committed, so neither rigour nor its native
dependencies (PyICU) are needed to run Watchfloor. Re-running it is deterministic.

- ``legal_forms.csv``: company legal forms (display form, generic kind, alias), rigour's
  organisation-type table, compiled from OCCRP's legal-form spreadsheet, the ISO 20275
  Entity Legal Forms code list (GLEIF) and Wikipedia's list of business entity types.
- ``name_parts.txt.gz``: one line per name item of Wikidata (its Q-number, then the ways the
  name is written, folded to Latin letters as Watchfloor folds names): "yevgeny", "evgenii"
  and "евгений" are one given name. Only single words of alphabetic scripts, and only items
  with two or more folded spellings, are kept.
"""

from __future__ import annotations

import ast
import csv
import gzip
import io
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from watchfloor.identifiers.names import fold

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "watchfloor" / "identifiers" / "data"
RIGOUR = "rigour==1.8.2"  # the last release whose data ships as plain files
# Chinese characters, kana and hangul: their readings are syllables shared by many names
_ONE_CHARACTER = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[\u3100-\u312f]+")
_EAST_ASIAN = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


def wheel(tmp: Path) -> zipfile.ZipFile:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary",
         ":all:", "-d", str(tmp), RIGOUR],
        check=True,
    )  # fmt: skip
    return zipfile.ZipFile(next(tmp.glob("rigour-*.whl")))


def org_types(zf: zipfile.ZipFile) -> list[dict[str, object]]:
    tree = ast.parse(zf.read("rigour/data/names/org_types.py").decode("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "ORG_TYPES":
            return list(ast.literal_eval(node.value))
    raise SystemExit("ORG_TYPES not found in rigour's org_types.py")


def write_legal_forms(types: list[dict[str, object]]) -> int:
    rows = set()
    for t in types:
        display = str(t.get("display") or "")
        generic = str(t.get("generic") or "")
        written = [*t["aliases"], t.get("display"), t.get("compare")]  # type: ignore[misc]
        for alias in filter(None, written):
            rows.add((display, generic, str(alias).strip()))
    with open(OUT / "legal_forms.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["display", "generic", "alias"])
        w.writerows(sorted(rows))
    return len(rows)


def write_name_parts(text: str) -> int:
    out = []
    for line in text.splitlines():
        if "=>" not in line:
            continue
        names, qid = line.rsplit("=>", 1)
        if any(_ONE_CHARACTER.fullmatch(n.strip()) for n in names.split(",")):
            continue  # a Chinese character's readings (興: xing, hing, heng), not one name
        forms = set()
        for name in names.split(","):
            if _EAST_ASIAN.search(name):  # syllables: one reading stands for many names
                continue
            words = fold(name).replace("'", "").replace("-", "").split()
            if len(words) == 1 and words[0].isalpha() and len(words[0]) > 2:
                forms.add(words[0])
        if len(forms) >= 2:
            out.append(f"{qid.strip()} {' '.join(sorted(forms))}")
    out.sort()
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz:
        gz.write(("\n".join(out) + "\n").encode("utf-8"))
    (OUT / "name_parts.txt.gz").write_bytes(buf.getvalue())
    return len(out)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        zf = wheel(Path(tmp))
        n_forms = write_legal_forms(org_types(zf))
        n_items = write_name_parts(zf.read("rigour/data/names/persons.txt").decode("utf-8"))
        licence = next(n for n in zf.namelist() if "dist-info/licenses/" in n)
        (OUT / "RIGOUR_LICENSE").write_bytes(zf.read(licence))
    print(f"{n_forms} legal-form aliases, {n_items} name items -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
