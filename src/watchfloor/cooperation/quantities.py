"""Seized quantities in the unit they were reported in, and normalised for comparison.

Masses become kilograms and counts (doses, tablets, blotters, plants) become doses, so that a
table or a chart adds like with like. A volume stays a volume in litres: the density of a
liquid drug or precursor is not known from the report, and guessing one would invent
kilograms nobody weighed.

>>> normalise(2.5, "lb")
(1.133981, 'kg')
>>> normalise(40, "tablets")
(40.0, 'doses')
"""

from __future__ import annotations

from typing import Literal

Normalised = Literal["kg", "doses", "l"]

# exact conversion factors (the pound and ounce as defined by the 1959 international
# yard and pound agreement)
_TO_KG = {"kg": 1.0, "g": 1e-3, "mg": 1e-6, "t": 1000.0, "lb": 0.45359237, "oz": 0.028349523125}
_TO_L = {"l": 1.0, "ml": 1e-3}
_COUNTS = ("doses", "tablets", "capsules", "blotters", "plants", "units")

UNITS = tuple(_TO_KG) + tuple(_TO_L) + _COUNTS


def normalise(quantity: float, unit: str) -> tuple[float, Normalised]:
    """``quantity`` of ``unit`` as kilograms, doses or litres (rounded to the milligram,
    the millilitre or the dose's millionth, past which a report is noise)."""
    if unit in _TO_KG:
        return round(quantity * _TO_KG[unit], 6), "kg"
    if unit in _TO_L:
        return round(quantity * _TO_L[unit], 6), "l"
    if unit in _COUNTS:
        return float(quantity), "doses"
    raise ValueError(f"unknown unit {unit!r}; use one of {', '.join(UNITS)}")
