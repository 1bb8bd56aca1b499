"""Tables of the reference catalogue."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchfloor.db import Base


class Substance(Base):
    """A controlled drug, precursor or substance group, with the source of its facts."""

    __tablename__ = "substances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    drug_class: Mapped[str] = mapped_column(String(20), index=True)
    cas: Mapped[str | None] = mapped_column(String(16), index=True)
    hs2022: Mapped[str | None] = mapped_column(String(6))
    un_1961: Mapped[str | None] = mapped_column(String(10))
    un_1971: Mapped[str | None] = mapped_column(String(10))
    un_1988_table: Mapped[str | None] = mapped_column(String(4))
    un_1988_year: Mapped[str | None] = mapped_column(String(8))
    dea_schedule: Mapped[str | None] = mapped_column(String(4))
    dea_code: Mapped[str | None] = mapped_column(String(8))
    dea_narcotic: Mapped[str | None] = mapped_column(String(1))
    used_for: Mapped[str | None] = mapped_column(String(200))
    unverified: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[str] = mapped_column(Text)

    names: Mapped[list[SubstanceName]] = relationship(
        back_populates="substance", order_by="SubstanceName.name", lazy="selectin"
    )


class SubstanceName(Base):
    """Another name of a substance: synonym, abbreviation, brand or street (slang) name."""

    __tablename__ = "substance_names"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    substance_id: Mapped[int] = mapped_column(
        ForeignKey("substances.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    normalized: Mapped[str] = mapped_column(String(300), index=True)
    name_kind: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(40))

    substance: Mapped[Substance] = relationship(back_populates="names")


class HsCode(Base):
    """An HS 2022 chapter (2 digits), heading (4) or subheading (6)."""

    __tablename__ = "hs_codes"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)
    parent: Mapped[str | None] = mapped_column(String(6))
    section: Mapped[str] = mapped_column(String(5))
    description: Mapped[str] = mapped_column(Text)


class ReferenceSource(Base):
    """A public source that facts in the catalogue cite by id."""

    __tablename__ = "reference_sources"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    description: Mapped[str] = mapped_column(Text)


class ReferenceLoad(Base):
    """One load of the shipped catalogue; the checksum makes a second identical load a no-op."""

    __tablename__ = "reference_loads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    loaded_at: Mapped[str] = mapped_column(String(40))
    substances: Mapped[int] = mapped_column(Integer)
    names: Mapped[int] = mapped_column(Integer)
    hs_codes: Mapped[int] = mapped_column(Integer)
