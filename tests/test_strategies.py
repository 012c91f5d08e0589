"""The hypothesis strategies: valid resources are valid R4 and reach their types' elements; invalid ones
break one labelled rule each, which the reference server's validator refuses."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import SearchStrategy

from conformance import fhirjson
from conformance.resources import MARKER_SYSTEM, TYPES, Marker
from conformance.server import parsing
from conformance.server.fhirhttp import FhirError
from conformance.server.validation import as_judged
from conformance.server.validation import invalid as invalidity
from conformance.strategies import NOT_GENERATED, RULES, Invalid, Json, datatype, invalid, schema, valid
from conformance.strategies import primitives as p
from conformance.strategies.valuesets import REQUIRED
from tests.r4_rules import problems

MARKER = Marker("run-strategies-selftest")
SAMPLE = 1_000  # valid examples per type whose reach is measured
# One example in VALIDATED is also judged by the validator, the R4B model and the R4 rules: a hundred per type
# (the judges cost more than drawing, and the whole strategy is drawn either way).
VALIDATED = 10
INVALID_SAMPLE = 60
# Floors of the shares reached, asserted per type (the measured figures are printed): 90% of the type's
# own elements; 85% of its datatypes' elements, which it reaches in its 1,000 examples only through
# rarer paths (Duration in an Observation: Observation.effectiveTiming.repeat.boundsDuration).
OWN_FLOOR, DATATYPE_FLOOR = 0.9, 0.85


def fixed(examples: int) -> settings:
    """Return repeatable settings: a fixed seed, no example database, no deadline."""
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None)


def on_the_wire(resource: Json) -> Json:
    """Return the resource as the reference server reads it from a create body."""
    wire = parsing.as_object(parsing.read_json(fhirjson.dumps(resource).encode()).value)
    parsing.check_type(wire, resource["resourceType"])
    return wire


def verdict(resource: Json) -> str:
    """Return what the reference server's validator makes of the resource as sent on the wire."""
    try:
        problem = invalidity(as_judged(on_the_wire(resource), keep_id=False), 400)
    except FhirError:
        return "refused"
    except Exception as error:  # a validator bug: the server would answer 500
        return f"crashed ({type(error).__name__})"
    return "accepted" if problem is None else "refused"


def _check_valid(resource: Json, found: list[schema.Site]) -> None:
    """Assert that a resource is valid R4, marked as the run's, and makes no literal references."""
    wire = on_the_wire(resource)
    assert invalidity(as_judged(wire, keep_id=False), 400) is None
    get_fhir_model_class(resource["resourceType"]).model_validate(wire)
    assert problems(resource, found) == []
    assert MARKER.tag in resource["meta"]["tag"]
    assert any(item.get("system") == MARKER_SYSTEM for item in resource["identifier"])
    assert all(s.value.startswith("#") for s in found if s.field.key == "Reference.reference")


def present(found: list[schema.Site]) -> set[str]:
    """Return the elements a resource holds (a `_name` counting as its element)."""
    return {s.field.key.replace("._", ".") for s in found if not s.item}


def _generated(field: schema.Field) -> bool:
    return field.name not in NOT_GENERATED and field.key not in NOT_GENERATED


def elements_of(resource_type: str) -> tuple[set[str], set[str]]:
    """Return the type's R4 elements (its backbone elements' too) and those of the datatypes they use."""
    own: set[str] = set()
    used: set[str] = set()
    todo, done = [resource_type], set()
    while todo:
        type_name = todo.pop()
        done.add(type_name)
        for field in filter(_generated, schema.fields(type_name).values()):
            (own if type_name.startswith(resource_type) else used).add(field.key)
            # Extension.value[x] names every type: its values count, their elements not.
            if not field.primitive and type_name != "Extension" and field.type not in {"Resource", *done}:
                todo.append(field.type)
    return own, used


def _share(wanted: set[str], seen: set[str]) -> tuple[float, str]:
    missing = sorted(wanted - seen)
    reached = len(wanted) - len(missing)
    return reached / len(wanted), f"{reached}/{len(wanted)} ({reached / len(wanted):.1%}), missing {missing}"


@pytest.mark.parametrize("resource_type", TYPES)
def test_valid_resources_are_valid_r4_and_reach_their_elements(resource_type: str, record_property: Any) -> None:
    """A thousand examples reach most of the type's elements; one in ten passes the validator, the R4B model and
    the R4 rules."""
    seen: set[str] = set()
    drawn = itertools.count()

    @fixed(SAMPLE)
    @given(valid(resource_type, MARKER))
    def check(resource: Json) -> None:
        found = list(schema.sites(resource))
        seen.update(present(found))
        if next(drawn) % VALIDATED == 0:
            _check_valid(resource, found)

    started = time.process_time()
    check()
    rate = SAMPLE / (time.process_time() - started)
    own, used = elements_of(resource_type)
    (own_share, own_text), (used_share, used_text) = _share(own, seen), _share(used, seen)
    record_property("reach", f"elements {own_share:.3f}, datatype elements {used_share:.3f}")
    print(f"\n{resource_type}: {SAMPLE} valid examples, {rate:.0f}/s of CPU time, one in {VALIDATED} judged")
    print(f"  elements {own_text}\n  datatype elements {used_text}")
    assert own_share >= OWN_FLOOR and used_share >= DATATYPE_FLOOR


def _check_refused(example: Invalid, rule: str | None = None) -> None:
    """Assert an invalid example keeps the marker and is refused by the validator."""
    assert MARKER.tag in example.resource["meta"]["tag"]
    assert rule is None or example.rule == rule
    found = verdict(example.resource)
    assert found == "refused", f"{example.rule} at {example.where}: {found}"


@pytest.mark.parametrize("resource_type", TYPES)
def test_invalid_resources_break_a_labelled_rule_the_validator_refuses(resource_type: str) -> None:
    """The validator refuses every invalid example of the type but those of the known gaps."""

    @fixed(INVALID_SAMPLE)
    @given(invalid(resource_type, MARKER))
    def check(example: Invalid) -> None:
        _check_refused(example)

    check()


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_can_be_asked_for_alone(rule: str) -> None:
    """invalid(..., rules=[rule]) breaks resources by that rule only, and the validator refuses them."""

    @settings(fixed(10), suppress_health_check=[HealthCheck.filter_too_much])
    @given(invalid("Encounter", MARKER, [rule]))
    def check(example: Invalid) -> None:
        _check_refused(example, rule)

    check()


def test_an_unknown_rule_is_refused() -> None:
    """Asking for a rule that is not one raises, naming the rules there are."""
    with pytest.raises(ValueError, match="wrong-json-type"):
        invalid("Patient", MARKER, ["no-such-rule"])


# Inputs the validator once let through or crashed on: each is refused now (R4 json.html: the JSON types of
# primitives; terminologies.html#required; a number for a url raised AttributeError, a 500 on the wire).
LAX_SCALARS: list[Json] = [
    {"resourceType": "Patient", "active": "true"},
    {"resourceType": "Patient", "active": 1},
    {"resourceType": "Patient", "multipleBirthInteger": "2"},
    {"resourceType": "Patient", "deceasedDateTime": 42},
    {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueQuantity": {"value": "72.50"}},
    {"resourceType": "Patient", "photo": [{"url": 42}]},
]
CODES_OUTSIDE: list[Json] = [
    {"resourceType": "Patient", "gender": "banana_split"},
    {"resourceType": "Patient", "name": [{"use": "not_a_code", "family": "Chalmers"}]},
    {"resourceType": "Observation", "status": "FINAL_", "code": {"text": "x"}},
    {"resourceType": "Encounter", "status": "not_a_code", "class": {"code": "AMB"}},
    {"resourceType": "Patient", "language": "not_a_code"},
    {"resourceType": "Patient", "photo": [{"contentType": "banana_split"}]},
    {"resourceType": "Patient", "extension": [{"url": "https://example.org/x", "valueMoney": {"currency": "FINAL_"}}]},
    {"resourceType": "Patient", "extension": [{"url": "https://example.org/x", "valueRelatedArtifact": {"type": "x"}}]},
]


@pytest.mark.parametrize("resource", LAX_SCALARS + CODES_OUTSIDE, ids=lambda r: fhirjson.dumps(r)[25:60])
def test_the_validator_refuses_what_it_once_let_through(resource: Json) -> None:
    """A primitive of another JSON type, a url that is a number, and a code outside its required value set
    (an extension value's too) are refused, not accepted nor a crash."""
    assert verdict(resource) == "refused"


def test_required_bindings_name_r4_code_elements_and_agree_with_the_models() -> None:
    """Each bound element is a code of its model; where the R4B model lists the codes, they are the same."""
    for key, codes in REQUIRED.items():
        owner, name = key.split(".")
        field = schema.fields(owner)[name]
        assert field.type == "code", key
        assert not field.codes or "+" in field.codes or set(field.codes) == set(codes), key


def test_every_extension_value_type_has_a_strategy() -> None:
    """datatype() knows every type of Extension.value[x] R4 and the R4B models share."""
    types = {f.type for f in schema.fields("Extension").values() if f.choice == "value"}
    assert len(types) == 49
    assert all(isinstance(datatype(name), SearchStrategy) for name in types)


@pytest.mark.parametrize("length", p.LONG_LENGTHS)
def test_long_strings_are_exactly_at_their_length(length: int) -> None:
    """A stretched string has exactly the length asked for (up to R4's 1MB) and no space at either end."""
    text = p.stretch("Zoë Ångström 田中", length)
    assert len(text) == length and text == text.strip()


def test_literal_references_appear_when_asked_for() -> None:
    """valid(..., literal_references=True) also writes Type/id references, in R4's forms (references.html#literal)."""
    literal: list[str] = []

    @fixed(60)
    @given(valid("Observation", MARKER, literal_references=True))
    def check(resource: Json) -> None:
        found = list(schema.sites(resource))
        assert problems(resource, found) == []
        literal.extend(s.value for s in found if s.field.key == "Reference.reference" and not s.value.startswith("#"))

    check()
    assert literal
