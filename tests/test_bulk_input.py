"""Files that break things spoil only what they touch, with memory bounded: long lines, bytes
that are not UTF-8, gzip data cut off or corrupt, and decompression bombs (the readers every
import shares), then a real listings import of a broken gzip file on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import listing
from watchfloor import bulk
from watchfloor.bulk import Spoiled, csv_records, lines, open_data, read_jsonl, spoiled


def test_a_line_too_long_is_skipped_without_holding_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "MAX_LINE", 100)
    data = b'{"a": 1}\n' + b"x" * 10_000 + b"\n" + b'{"b": 2}\n'
    got = list(lines(io.BufferedReader(io.BytesIO(data))))
    assert got[0] == (1, b'{"a": 1}\n') and got[2] == (3, b'{"b": 2}\n')
    assert isinstance(got[1][1], Spoiled) and "line 2 is longer than 100 bytes" in got[1][1].reason


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def test_cut_off_and_corrupt_gzip_keep_the_lines_before(tmp_path: Path) -> None:
    good = b"".join(b'{"n": %d}\n' % i for i in range(1000))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(_gz(good)[:-40])  # the last bytes and the trailer are gone
    with open_data(cut) as (fh, _):
        records = list(read_jsonl(fh))
    assert isinstance(records[-1].data, Spoiled) and "cut off" in records[-1].data.reason
    assert len(records) > 900 and all(isinstance(r.data, bytes) for r in records[:-1])
    corrupt = tmp_path / "corrupt.jsonl.gz"
    raw = bytearray(_gz(good))
    raw[len(raw) // 2 : len(raw) // 2 + 64] = bytes(64)
    corrupt.write_bytes(bytes(raw))
    with open_data(corrupt) as (fh, _):
        records = list(read_jsonl(fh))
    last = records[-1].data
    assert isinstance(last, Spoiled) and "unreadable from line" in last.reason


def test_a_decompression_bomb_is_refused_without_inflating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MIN_INFLATED", 1 << 20)
    bomb = tmp_path / "bomb.jsonl.gz"
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
    body = compressor.compress(b'{"n": 1}\n' + b" " * (64 << 20)) + compressor.flush()
    bomb.write_bytes(body)
    assert bomb.stat().st_size < 200_000
    with open_data(bomb) as (fh, _):
        records = list(read_jsonl(fh))
    assert records[0].data == b'{"n": 1}\n'
    assert "decompression bomb" in records[-1].data.reason


def test_a_csv_row_with_bad_bytes_is_rejected_and_the_rest_kept(tmp_path: Path) -> None:
    text = "platform,external_id,title\nP,1,first\nP,2,caf\xe9 ok\nP,3,third\n"
    data = text.encode("latin-1")  # row 3 (line 3) is not UTF-8
    path = tmp_path / "l.csv.gz"
    path.write_bytes(_gz(data))
    with open_data(path) as (fh, _):
        reader = csv_records(fh, ("platform", "external_id", "title"), "listing")
        rows = list(reader)
    assert [r.get("external_id") for r in rows] == ["1", None, "3"]
    assert "line 3 is not UTF-8" in spoiled(rows[1]).reason  # type: ignore[union-attr]


def test_a_broken_gzip_import_stores_the_good_rows_and_names_the_rest(
    engine, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from watchfloor.db import session_scope
    from watchfloor.listings.files import import_listings
    from watchfloor.listings.models import Listing
    from watchfloor.security.service import get_agency, system_principal

    rows = [listing(f"GZ{i}", title=f"Garden hose {i} m") for i in range(300)]
    data = b"".join(json.dumps(r).encode() + b"\n" for r in rows)
    path = tmp_path / "listings.jsonl.gz"
    path.write_bytes(_gz(data)[:-200])
    with session_scope(engine) as s:
        principal = system_principal(get_agency(s, "PLATFORM-EXAMPLE"))
    report = import_listings(engine, principal, path, parallel=False)
    with session_scope(engine) as s:
        stored = s.scalar(select(func.count()).where(Listing.external_id.like("GZ%")))
    assert stored == report.created and 250 < stored < 300
    assert report.rejected >= 1
    rejects = [json.loads(x) for x in Path(report.rejects_file).read_text().splitlines()]  # type: ignore[arg-type]
    assert any("cut off" in json.dumps(x) for x in rejects), rejects
    assert all(x["line"] > 250 for x in rejects)
