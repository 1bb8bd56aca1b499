"""Federation between two real server processes on 127.0.0.1, each with its own database:
a record shared with the peer's agency arrives, a TLP:RED one never does, a revocation
removes it on the peer, a tampered or replayed batch is rejected and audited."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.helpers import api_headers, free_port
from watchfloor.audit import AuditEvent
from watchfloor.cooperation import intake
from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.cooperation.seizures.schemas import SeizureIn
from watchfloor.cooperation.seizures.service import create_seizure
from watchfloor.cooperation.watchlists.models import WatchlistEntry
from watchfloor.db import build_engine, session_scope
from watchfloor.security.models import Agency
from watchfloor.security.service import create_agency, system_principal
from watchfloor.sharing.grants import apply_sharing
from watchfloor.sharing.schemas import SharingIn

pytestmark = pytest.mark.e2e

WATCHFLOOR = str(Path(sys.executable).with_name("watchfloor"))


def cli(url: str, name: str, *args: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")}
    env.update(WATCHFLOOR_DATABASE_URL=url, WATCHFLOOR_INSTANCE_NAME=name)
    r = subprocess.run([WATCHFLOOR, *args], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout) if "--json" in args else r.stdout


@pytest.fixture
def instances(make_db) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Instances wf-a and wf-b, each with its database and a running server."""
    out: dict[str, Any] = {}
    procs = []
    agencies = {"wf-a": [("MX-ANAM", "MX"), ("CA-CBSA", "CA")], "wf-b": [("CA-CBSA", "CA")]}
    try:
        for name in ("wf-a", "wf-b"):
            url = make_db("empty")
            with session_scope(build_engine(url)) as s:
                for code, country in agencies[name]:
                    create_agency(
                        s, code=code, name=code, country=country, kind="customs", actor="test"
                    )
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")}
            env.update(WATCHFLOOR_DATABASE_URL=url, WATCHFLOOR_INSTANCE_NAME=name)
            procs.append(
                subprocess.Popen(
                    [WATCHFLOOR, "serve", "--demo", "--port", str(port)],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            base = f"http://127.0.0.1:{port}"
            for _ in range(150):
                try:
                    httpx.get(base + "/healthz", timeout=1)
                    break
                except httpx.HTTPError:
                    import time

                    time.sleep(0.1)
            out[name] = {
                "db": url,
                "base": base,
                "key": cli(url, name, "cooperation", "federation", "identity", "--json")[
                    "public_key"
                ],
            }
        a, b = out["wf-a"], out["wf-b"]
        cli(
            a["db"],
            "wf-a",
            "federation",
            "add-peer",
            "wf-b",
            b["base"],
            b["key"],
            "--agencies",
            "CA-CBSA",
        )
        cli(b["db"], "wf-b", "cooperation", "federation", "add-peer", "wf-a", a["base"], a["key"])
        yield out
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)


def seizures_on(url: str) -> dict[str, Seizure]:
    with session_scope(build_engine(url)) as s:
        rows = s.scalars(select(Seizure).where(Seizure.origin_instance == "wf-a")).all()
        return {
            r.reference: (
                r.tlp,
                r.owner.code,
                sorted(x.agency.code for x in r.recipients if x.agency),
            )
            for r in rows
        }  # type: ignore[misc]


def test_records_travel_as_their_policy_allows(instances, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    a, b = instances["wf-a"], instances["wf-b"]
    engine_a = build_engine(a["db"])
    with session_scope(engine_a) as s:
        mx = system_principal(s.scalar(select(Agency).where(Agency.code == "MX-ANAM")))

        def seizure(ref: str, sharing: SharingIn) -> int:
            data = SeizureIn(
                reference=ref,
                seized_on="2026-11-20",
                country="MX",
                substance="fentanyl",
                quantity=3,
                unit="kg",
                sharing=sharing,
            )
            return create_seizure(s, mx, data).id

        shared = seizure(
            "FED-1", SharingIn(tlp="amber", recipients=["CA-CBSA"], legal_basis="MLA MX-CA")
        )
        entry = {
            "reference": "FED-WL-1",
            "kind": "name",
            "value": "Quimica Bajio Importaciones SA",
            "reason": "objected importer",
            "sharing": {"tlp": "amber", "recipients": ["CA-CBSA"]},
        }
        intake.submit_one(s, mx, entry, intake.WATCHLIST)
        seizure("FED-RED", SharingIn(tlp="red"))
        seizure("FED-MINE", SharingIn(tlp="amber"))

    report = cli(b["db"], "wf-b", "cooperation", "federation", "sync", "wf-a", "--json")
    assert report["stored"] == 2 and report["revoked"] == 0  # the seizure and the entry
    with session_scope(build_engine(b["db"])) as s:
        got_entry = s.scalar(select(WatchlistEntry).where(WatchlistEntry.origin_instance == "wf-a"))
        assert (got_entry.reference, got_entry.owner.code, got_entry.active) == (
            "FED-WL-1",
            "MX-ANAM",
            True,
        )
    got = seizures_on(b["db"])
    assert got == {"FED-1": ("amber", "MX-ANAM", ["CA-CBSA"])}
    # the peer's own users read it through the policy that came with it
    engine_b = build_engine(b["db"])
    with session_scope(engine_b) as s:
        local_id = s.scalar(select(Seizure.id).where(Seizure.reference == "FED-1"))
    r = httpx.get(
        f"{b['base']}/api/v1/sharing/seizures/{local_id}",
        headers=api_headers(engine_b, "CA-CBSA", "analyst"),
    )
    assert r.status_code == 200 and r.json()["sharing"]["legal_basis"] == "MLA MX-CA"
    again = cli(b["db"], "wf-b", "cooperation", "federation", "sync", "wf-a", "--json")
    assert (again["stored"], again["revoked"]) == (0, 0)  # idempotent
    # B keeps A's signed audit checkpoints, so that A cannot cut its chain unseen
    from watchfloor.cooperation.federation import checkpoints

    with session_scope(engine_b) as s:
        kept = checkpoints.kept(s, "wf-a")
    assert kept and kept[0]["instance"] == "wf-a" and checkpoints.signed(kept[0], a["key"])
    with session_scope(engine_a) as s:
        assert s.get(AuditEvent, kept[0]["seq"]).hash == kept[0]["hash"]  # type: ignore[union-attr]

    with session_scope(engine_a) as s:  # revoked on A: gone from B at the next sync
        row = s.get(Seizure, shared)
        apply_sharing(s, system_principal(row.owner), row, SharingIn(tlp="amber"))
    report = cli(b["db"], "wf-b", "cooperation", "federation", "sync", "wf-a", "--json")
    assert report["revoked"] == 1
    assert seizures_on(b["db"]) == {}

    # a request not signed by a registered peer gets nothing, and is audited
    forged = httpx.get(
        f"{a['base']}/api/v1/federation/feed?since=0",
        headers={
            "X-Watchfloor-Instance": "wf-b",
            "X-Watchfloor-Time": "2026-12-01T00:00:00+00:00",
            "X-Watchfloor-Signature": "00" * 64,
        },
    )
    assert forged.status_code == 401

    # a batch altered in transit, or replayed, is rejected and audited on B
    from watchfloor.cooperation.federation import service as federation
    from watchfloor.settings import get_settings

    monkeypatch.setenv("WATCHFLOOR_INSTANCE_NAME", "wf-b")
    get_settings.cache_clear()
    try:
        with session_scope(engine_a) as s:
            row = s.get(Seizure, shared)
            apply_sharing(
                s, system_principal(row.owner), row, SharingIn(tlp="amber", recipients=["CA-CBSA"])
            )
        with session_scope(engine_b) as s:
            peer = federation.get_peer(s, "wf-a")
            path = f"/api/v1/federation/feed?since={peer.cursor}"
            body = httpx.get(
                a["base"] + path, headers=federation.request_headers(s, "GET", path)
            ).json()
            tampered = json.loads(json.dumps(body))
            tampered["batch"]["records"][0]["policy"]["tlp"] = "clear"
            with pytest.raises(federation.Rejected, match="bad signature"):
                federation.check(s, peer, tampered, peer.cursor)
            peer = federation.get_peer(s, "wf-a")
            batch = federation.check(s, peer, body, peer.cursor)
            federation.store(s, peer, batch)
            s.commit()
            with pytest.raises(federation.Rejected, match="replay"):
                federation.check(s, federation.get_peer(s, "wf-a"), body, batch["since"])
            reasons = [
                json.loads(e.detail)["reason"]
                for e in s.scalars(
                    select(AuditEvent).where(AuditEvent.action == "federation.rejected")
                )
            ]
        assert any("bad signature" in r for r in reasons) and any("replay" in r for r in reasons)
        assert "FED-1" in seizures_on(b["db"])

        # the worker's periodic pull does the same as the CLI
        from watchfloor.worker import sync_all_peers

        with session_scope(engine_a) as s:
            mx = system_principal(s.scalar(select(Agency).where(Agency.code == "MX-ANAM")))
            data = SeizureIn(
                reference="FED-2",
                seized_on="2026-11-21",
                country="MX",
                substance="NPP",
                quantity=40,
                unit="kg",
                sharing=SharingIn(tlp="amber", recipients=["CA-CBSA"]),
            )
            create_seizure(s, mx, data)
        assert sync_all_peers(engine_b) == ["wf-a"]
        assert set(seizures_on(b["db"])) == {"FED-1", "FED-2"}
    finally:
        get_settings.cache_clear()
