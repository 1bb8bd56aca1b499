"""Requests and answers of the entities API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from watchfloor.identifiers import validate_country
from watchfloor.inputs import Input

PartySchema = Literal["person", "company", "vessel", "aircraft"]
Country = Annotated[str, AfterValidator(validate_country)]
DATE = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"


class IdentifierIn(Input):
    kind: str | None = Field(
        default=None, max_length=80, description="Kind of document.", examples=["Passport"]
    )
    number: str = Field(
        min_length=1, max_length=80, description="The number as written.", examples=["G1234567"]
    )


class MatchIn(Input):
    """Who to screen: a name, and whatever else is known (each lowers or raises the score)."""

    name: str = Field(
        min_length=1,
        max_length=400,
        description="The name in any script and word order.",
        examples=["Joaquin Guzman Loera"],
    )
    schema_: PartySchema | None = Field(
        default=None, alias="schema", description="Kind of party, when known.", examples=["person"]
    )
    countries: list[Country] = Field(
        default_factory=list,
        max_length=20,
        description="ISO 3166-1 alpha-2 codes (nationality, residence, address).",
        examples=[["MX"]],
    )
    date_of_birth: str | None = Field(
        default=None, pattern=DATE, description="YYYY, YYYY-MM or YYYY-MM-DD.",
        examples=["1957-04-04"],
    )  # fmt: skip
    address: str | None = Field(default=None, max_length=500, examples=[None])
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=20)
    threshold: float | None = Field(
        default=None, ge=0, le=1, description="Pass mark; the configured one when absent.",
        examples=[0.7],
    )  # fmt: skip
    limit: int = Field(default=10, ge=1, le=50, description="Candidates to return.")


class FeatureOut(BaseModel):
    feature: str = Field(description="What was compared.", examples=["date_of_birth"])
    outcome: Literal["agree", "partial", "conflict", "missing", "neutral"] = Field(
        examples=["agree"]
    )
    detail: str = Field(description="What agreed or not.", examples=["1957-04-04 on both"])
    effect: float = Field(
        description="Share of the score (the name's similarity, or what the feature added).",
        examples=[0.1],
    )


class RecordRef(BaseModel):
    party_id: int
    source_type: str
    source_id: int
    role: str


class DecisionIn(Input):
    """An analyst's decision on a screening hit, recorded and audited."""

    query: str = Field(min_length=1, max_length=400, description="The name that was screened.")
    party_id: int = Field(ge=1, le=2**31 - 1, description="The candidate decided on.")
    decision: Literal["match", "no_match"]
    reason: str = Field(min_length=1, max_length=2000)
    score: float | None = Field(None, ge=0, le=1)


class DecisionOut(BaseModel):
    id: int
    query: str
    party_id: int
    cluster_id: int | None
    decision: str
    reason: str
    decided_by: str
    decided_at: dt.datetime


class CandidateOut(BaseModel):
    party_id: int = Field(examples=[17])
    name: str = Field(description="The party's name.", examples=["GUZMAN LOERA, Joaquin"])
    matched_name: str = Field(description="The name or alias that matched best.")
    schema_: str | None = Field(serialization_alias="schema", examples=["person"])
    source_type: str = Field(description="Where the party comes from.", examples=["sanctions"])
    source_id: int = Field(examples=[1203])
    source_label: str = Field(examples=["OFAC SDN #12345 [SDNTK]"])
    role: str = Field(examples=["listed"])
    owner_agency: str | None = Field(description="The record's agency; none for lists.")
    countries: list[Country] = Field(examples=[["MX"]])
    dates_of_birth: list[str] = Field(examples=[["1957-04-04"]])
    score: float = Field(ge=0, le=1, examples=[0.93])
    passes: bool = Field(description="Score at or above the threshold.", examples=[True])
    label: str = Field(
        description="What the score means: 'potential match — review' at the threshold, "
        "else 'weak similarity'. A screening hit is never a finding on its own.",
        examples=["potential match — review"],
    )
    cluster_id: int | None = Field(
        description="The resolved entity this party belongs to, if entity resolution joined it."
    )
    other_records: list[RecordRef] = Field(
        default_factory=list,
        description="The entity's other records you may read (one row per entity).",
    )
    decision: DecisionOut | None = Field(
        None, description="Your agency's latest decision on this name and entity, if any."
    )
    features: list[FeatureOut]


class MatchOut(BaseModel):
    query: str = Field(examples=["Joaquin Guzman Loera"])
    config_version: str = Field(description="matching.toml version used.")
    threshold: float = Field(examples=[0.7])
    results: list[CandidateOut]


class EntityPartyOut(BaseModel):
    id: int = Field(examples=[17])
    name: str = Field(examples=["GUZMAN LOERA, Joaquin"])
    aliases: list[str] = Field(examples=[["EL CHAPO"]])
    schema_: str | None = Field(serialization_alias="schema", examples=["person"])
    source_type: str = Field(description="Kind of record it was taken from.", examples=["seizure"])
    source_id: int = Field(description="That record's id.", examples=[3])
    role: str = Field(description="Its role in the record.", examples=["suspect"])
    owner_agency: str | None = Field(description="The record's agency; none for lists.")
    countries: list[str] = Field(examples=[["MX"]])
    dates_of_birth: list[str] = Field(examples=[["1954-12-25"]])
    identifiers: list[list[str]] = Field(description="[kind, number] pairs.")
    addresses: list[str]
    phones: list[str]
    emails: list[str]
    wallets: list[str]
    handles: list[str]
    linked_to: list[str] = Field(description="Names it is linked to (sanctions remarks).")
    cluster_id: int | None = Field(description="The resolved identity it belongs to.")


class LinkOut(BaseModel):
    party_l: int = Field(examples=[17])
    party_r: int = Field(examples=[912])
    probability: float = Field(ge=0, le=1, examples=[0.998])
    weight: float = Field(description="Splink match weight (log2 Bayes factor).", examples=[12.4])
    agreed: list[str] = Field(description="Fields that agreed.", examples=[["name", "dob"]])


class EntityClusterOut(BaseModel):
    id: int = Field(examples=[5])
    size: int = Field(description="Parties in the cluster, readable by you or not.")
    restricted: int = Field(description="Of them, parties of records you may not read.")
    confirmed: bool = Field(description="Every readable pair confirmed by an analyst.")
    members: list[EntityPartyOut]
    links: list[LinkOut] = Field(description="The matched pairs among the members shown.")


class SplitIn(Input):
    party_ids: list[int] = Field(
        min_length=1,
        max_length=500,
        description="Members that are not the same as the others of the cluster.",
        examples=[[912]],
    )


class SplitOut(BaseModel):
    clusters: list[int] = Field(description="The clusters the members are in afterwards.")


class NodeOut(BaseModel):
    id: str = Field(description="c<cluster>, p<party>, or r<n> for a restricted entity.")
    label: str = Field(examples=["GUZMAN LOERA, Joaquin"])
    kind: Literal["entity", "restricted"] = Field(examples=["entity"])
    parties: list[int] = Field(description="Its parties you may read.")
    restricted: int = Field(description="Its parties you may not read.")
    countries: list[str] = Field(examples=[["MX"]])
    sources: dict[str, int] = Field(description="Its readable parties by kind of record.")
    community: int = Field(description="Proposed network (Louvain community) number.")
    centrality: float = Field(description="Betweenness centrality within this view.")


class EdgeOut(BaseModel):
    source: str = Field(examples=["c5"])
    target: str = Field(examples=["p912"])
    kinds: list[str] = Field(examples=[["shipped to", "shared phone"]])
    evidence: list[dict[str, str | int]] = Field(
        description="Records and shared values behind the link (none towards a restricted end)."
    )


class NetworkOut(BaseModel):
    start: str = Field(description="The node of the party asked for.")
    depth: int = Field(examples=[2])
    truncated: bool = Field(description="The walk stopped at the node limit.")
    nodes: list[NodeOut]
    edges: list[EdgeOut]
