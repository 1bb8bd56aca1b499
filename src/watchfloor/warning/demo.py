"""The early-warning demo: public statistics, three worked evaluations, a subscription, a scan.

US-DEA imports the NFLIS-Drug laboratory reports, the CDC provisional overdose deaths and
the Agora crawl counts (all TLP:CLEAR); it records three interventions with their series:

- the Silk Road 2.0 takedown (Operation Onymous, 2014-11-06) and the Evolution market's exit
  (2015-03-14), each on the weekly mean of Agora's product pages per crawl;
- the US temporary class-wide scheduling of fentanyl-related substances (DEA order effective
  2018-02-06) on NFLIS reports of fentanyl-related substances other than fentanyl, with
  fentanyl itself (already in Schedule II, so untouched by the order) as the control, on the
  log scale since the two differ tenfold in size.

US-CBP subscribes to first sightings and possible new substances anywhere in the US, and
both agencies scan the last periods of each source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor.security import Agency, system_principal
from watchfloor.warning import importers, interventions, service
from watchfloor.warning.interventions import EvaluationOptions, SeriesSpec
from watchfloor.warning.models import Intervention, Subscription

IMPORTS = [
    ("nflis-drug", "warning", "nflis_drug_dqs_2026-03-03.csv.gz"),
    ("cdc-overdose", "warning", "cdc_vsrr_overdose_2015-2018.csv.gz"),
    ("agora-crawls", "listings", "agora_crawls.csv"),
]
AGORA = SeriesSpec(
    label="Agora product pages per crawl (weekly mean)",
    source="agora-crawls",
    measure="listings",
    period="week",
    rebin="mean",
)


@dataclass
class WarningDemo:
    observations: int = 0
    interventions: int = 0
    warnings: int = 0


def _file(package: str, name: str) -> Path:
    return Path(str(resources.files(f"watchfloor.{package}").joinpath("data", name)))


def load(session: Session, agencies: dict[str, Agency]) -> WarningDemo:
    """Load (or, run again, leave as they are) the statistics, interventions and warnings."""
    report = WarningDemo()
    dea = system_principal(agencies["US-DEA"])
    loaded = select(Intervention.id).where(
        Intervention.owner_agency_id == dea.agency_id, Intervention.reference == "DEMO-SR2-ONYMOUS"
    )
    if session.scalar(loaded) is not None:
        return report  # loaded before: a second `make run` adds nothing
    for key, package, name in IMPORTS:
        parsed = importers.parse(importers.dataset(key), _file(package, name))
        report.observations += importers.store(session, dea, parsed, source_name=name).created
    examples = [
        dict(
            reference="DEMO-SR2-ONYMOUS",
            title="Silk Road 2.0 taken down (Operation Onymous)",
            kind="takedown",
            started_on=dt.date(2014, 11, 6),
            target=AGORA,
            controls=[],
            options=EvaluationOptions(window_to=dt.date(2015, 3, 8)),
            expected="increase",
            description="Europol, FBI and partners closed Silk Road 2.0 and other hidden "
            "services on 2014-11-06. Did sellers move to Agora?",
        ),
        dict(
            reference="DEMO-EVOLUTION-EXIT",
            title="Evolution market exit scam",
            kind="takedown",
            started_on=dt.date(2015, 3, 14),
            target=AGORA,
            controls=[],
            options=EvaluationOptions(window_from=dt.date(2014, 11, 10)),
            expected="increase",
            description="Evolution's operators shut it down with its users' escrow on "
            "2015-03-14. Did its sellers move to Agora?",
        ),
        dict(
            reference="DEMO-US-FRS-CLASS-SCHEDULING",
            title="US class-wide scheduling of fentanyl-related substances",
            kind="scheduling",
            country="US",
            started_on=dt.date(2018, 2, 6),
            target=SeriesSpec(
                label="NFLIS reports of fentanyl-related substances (not fentanyl)",
                source="nflis-drug",
                measure="reports",
                exclude_substances=["fentanyl"],
            ),
            controls=[
                SeriesSpec(
                    label="NFLIS reports of fentanyl",
                    source="nflis-drug",
                    measure="reports",
                    substances=["fentanyl"],
                )
            ],
            options=EvaluationOptions(scale="log"),
            expected="decrease",
            description="DEA's temporary order placing all fentanyl-related substances in "
            "Schedule I took effect on 2018-02-06.",
        ),
    ]
    for ex in examples:
        interventions.record(session, dea, tlp="clear", **ex)  # type: ignore[arg-type]
        report.interventions += 1
    cbp = system_principal(agencies["US-CBP"])
    if not session.scalar(select(Subscription.id).where(Subscription.agency_id == cbp.agency_id)):
        service.subscribe(session, cbp, name="New substances in the US", substances=[],
                          places=["US"], kinds=["first_sighting", "possible_nps"])  # fmt: skip
    for principal in (dea, cbp):
        report.warnings += service.scan(session, principal, recent=3).created
    session.flush()
    return report
