"""Reference catalogue: substances, precursors, HS 2022 codes, slang, countries, currencies."""

# what other domains may import (scripts/check_public.py checks it)
from watchfloor.reference.families import chemical_name, family_of
from watchfloor.reference.loader import catalogue_rows, fold
from watchfloor.reference.matcher import (
    Mention,
    SubstanceFacts,
    SubstanceMatcher,
    shipped_facts,
    tokens,
)
from watchfloor.reference.sanctions import SanctionsEntry, SanctionsLoad, country_code, load_sdn

__all__ = [
    "Mention",
    "SanctionsEntry",
    "SanctionsLoad",
    "SubstanceFacts",
    "SubstanceMatcher",
    "catalogue_rows",
    "chemical_name",
    "country_code",
    "family_of",
    "fold",
    "load_sdn",
    "shipped_facts",
    "tokens",
]
