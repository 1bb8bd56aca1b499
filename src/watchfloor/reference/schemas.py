"""Pydantic shapes of the reference API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SubstanceNameOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str = Field(description="The other name.", examples=["China White"])
    name_kind: str = Field(
        description="synonym, abbreviation, brand, slang or name.", examples=["slang"]
    )
    source: str = Field(
        description="Id of the public source (see /api/v1/reference/sources).",
        examples=["dea-slang"],
    )


class SubstanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str = Field(description="Stable identifier in the catalogue.", examples=["fentanyl"])
    name: str = Field(description="Canonical name.", examples=["Fentanyl"])
    kind: str = Field(description="drug or precursor.", examples=["drug"])
    drug_class: str = Field(
        description="Substance class used across Watchfloor.", examples=["fentanyl"]
    )
    cas: str | None = Field(description="CAS registry number.", examples=["437-38-7"])
    hs2022: str | None = Field(description="HS 2022 subheading.", examples=["293333"])
    un_1961: str | None = Field(
        description="UN 1961 Convention schedules, ';'-separated.", examples=["I"]
    )
    un_1971: str | None = Field(description="UN 1971 Convention schedules.", examples=[None])
    un_1988_table: str | None = Field(description="UN 1988 Convention table.", examples=["I"])
    un_1988_year: str | None = Field(
        description="Year placed in its 1988 table; '?' = unverified.", examples=["2017"]
    )
    dea_schedule: str | None = Field(description="US DEA (CSA) schedule.", examples=["II"])
    dea_code: str | None = Field(description="DEA controlled substance code.", examples=["9801"])
    used_for: str | None = Field(
        description="Drugs a precursor is typically used to make.", examples=["fentanyl"]
    )
    unverified: str | None = Field(
        description="Values not confirmed in a source, kept with '?'.", examples=["cas=7722-64-7?"]
    )
    note: str | None = Field(description="Remarks.", examples=[None])
    sources: str = Field(
        description="Source ids (and per-row detail) of the facts.",
        examples=["incb-lists | dea-controlled"],
    )


class SubstanceDetail(SubstanceOut):
    names: list[SubstanceNameOut] = Field(description="All other names.")


class SubstanceHitOut(BaseModel):
    substance: SubstanceOut
    matched: str = Field(description="The name or number that matched.", examples=["Murder 8"])
    matched_kind: str = Field(description="Which kind of name matched.", examples=["slang"])
    how: str = Field(description="cas, exact, prefix, contains or fuzzy.", examples=["exact"])
    score: float = Field(description="0-100, higher is closer.", examples=[100.0])


class SearchResult(BaseModel):
    query: str = Field(examples=["npp"])
    count: int = Field(examples=[1])
    results: list[SubstanceHitOut]


class HsCodeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(examples=["293337"])
    level: int = Field(examples=[6])
    parent: str | None = Field(examples=["2933"])
    section: str = Field(examples=["VI"])
    description: str = Field(examples=["Heterocyclic compounds; ..."])


class CountryOut(BaseModel):
    code: str = Field(description="ISO 3166-1 alpha-2.", examples=["MX"])
    name: str = Field(examples=["Mexico"])
