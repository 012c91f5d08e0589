"""Timing and Dosage, with the Timing invariants (R4 datatypes.html#Timing, dosage.html)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from conformance.strategies import primitives as p
from conformance.strategies.datatypes import (
    TIMES,
    codeable_concepts,
    concept,
    durations,
    periods,
    ranges,
    ratios,
    simple_quantities,
)
from conformance.strategies.elements import Json, Part, either, element, many, often, one, prim, prims
from conformance.strategies.valuesets import EVENT_TIMING, REQUIRED, UNITS_OF_TIME

ABBREVIATIONS = ("BID", "TID", "QID", "AM", "PM", "QD", "QOD", "Q4H", "Q6H", "BED", "WK", "MO")


@st.composite
def _ranged(draw: st.DrawFn, name: str, values: st.SearchStrategy[Any], unit: bool = False) -> Json:
    """Draw a value, sometimes its maximum (never below it), and its unit if it has one (R4 tim-1, tim-2, tim-6..8)."""
    low, high = sorted(draw(st.tuples(values, values)))
    part: Json = {name: low}
    if draw(st.booleans()):
        part[f"{name}Max"] = high
    if unit:
        part[f"{name}Unit"] = draw(p.bound(UNITS_OF_TIME))
    return part


@st.composite
def _when(draw: st.DrawFn) -> Json:
    """Draw event codes, and an offset only when none is a meal code C, CM, CD or CV (R4 tim-9)."""
    part: Json = {"when": draw(st.lists(p.bound(EVENT_TIMING), min_size=1, max_size=3, unique=True))}
    if not {"C", "CM", "CD", "CV"} & set(part["when"]) and draw(st.booleans()):
        part["offset"] = draw(st.integers(0, 720))
    return part


_days = st.lists(p.bound(REQUIRED["TimingRepeat.dayOfWeek"]), min_size=1, max_size=3, unique=True)
_bounds = either(one("boundsDuration", durations), one("boundsRange", ranges(TIMES)), one("boundsPeriod", periods))
repeats = element(
    optional=[
        *(_bounds, _ranged("count", p.positive_ints), _ranged("duration", p.positive_decimals, unit=True)),
        *(_ranged("frequency", p.positive_ints), _ranged("period", p.positive_decimals, unit=True)),
        one("dayOfWeek", _days),
        either(_when(), prims("timeOfDay", p.times)),  # R4 tim-10: timeOfDay or when, not both
    ],
    most=3,
)
timings = element(
    optional=[
        prims("event", p.date_times),
        *often(one("repeat", repeats)),
        one("code", concept("http://terminology.hl7.org/CodeSystem/v3-GTSAbbreviation", ABBREVIATIONS)),
    ]
)
_dose_and_rate = element(
    optional=[
        one("type", codeable_concepts),
        either(one("doseRange", ranges()), one("doseQuantity", simple_quantities)),
        either(one("rateRatio", ratios), one("rateRange", ranges()), one("rateQuantity", simple_quantities)),
    ]
)
_instructions: list[Part] = [
    *(prim("sequence", p.integers), prim("text", p.strings), many("additionalInstruction", codeable_concepts, 2)),
    prim("patientInstruction", p.strings),
    *often(one("timing", timings)),
    either(prim("asNeededBoolean", p.booleans), one("asNeededCodeableConcept", codeable_concepts)),
]
dosages = element(
    optional=[
        *_instructions,
        *(one("site", codeable_concepts), one("route", codeable_concepts), one("method", codeable_concepts)),
        *often(many("doseAndRate", _dose_and_rate, 2), 2),
        one("maxDosePerPeriod", ratios),
        *(one("maxDosePerAdministration", simple_quantities), one("maxDosePerLifetime", simple_quantities)),
    ],
    most=3,
)
