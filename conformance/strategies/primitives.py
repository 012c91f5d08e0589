"""Strategies for the values of R4 primitive types (datatypes.html#primitive), in their JSON forms."""

from __future__ import annotations

import base64
import calendar
import string
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")

# R4 datatypes.html#string: at most 1MB (1024*1024 characters).
MAX_STRING = 1024 * 1024
LONG_LENGTHS = (64, 255, 256, 4096, 65_535, 65_536, MAX_STRING)
# Surrogates, controls, unassigned, private use, and whitespace other than U+0020 (added below):
# servers and XML may drop or refuse them, and FHIR strings must not start or end with whitespace.
EXCLUDED: tuple[Literal["Cs", "Cc", "Cn", "Co", "Zs", "Zl", "Zp"], ...] = ("Cs", "Cc", "Cn", "Co", "Zs", "Zl", "Zp")
# Scripts servers get wrong: Latin with diacritics, combining marks, Greek, Cyrillic, Hebrew and
# Arabic (right to left), Devanagari, Thai, kana, CJK, Hangul, and astral-plane emoji and CJK
# (two UTF-16 units each).
SCRIPTS = (
    *((0x21, 0x7E), (0xA1, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF)),
    *((0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x3040, 0x30FF), (0x4E00, 0x9FFF)),
    *((0xAC00, 0xD7A3), (0x1F300, 0x1FAFF), (0x20000, 0x2A6DF)),
)
# R4 datatypes.html#dateTime: Z or an offset from -14:00 to +14:00; -00:00 is allowed by the regex.
OFFSETS = ("Z", "+00:00", "-00:00", "+01:00", "+05:30", "+05:45", "+09:00", "+12:45", "+14:00", "-03:30", "-12:00")
ID_CHARS = string.ascii_letters + string.digits + "-."
HOSTS = ("example.org", "fhir.example.com:8443", "xn--bcher-kva.example", "127.0.0.1")
SEGMENT_CHARS = string.ascii_letters + string.digits + "-._~"


def rarely(rare: st.SearchStrategy[T], common: st.SearchStrategy[T], odds: int = 8) -> st.SearchStrategy[T]:
    """Draw from `rare` about once in `odds` draws, else from `common` (shrinking towards `common`)."""
    return st.integers(0, odds - 1).flatmap(lambda roll: rare if roll == odds - 1 else common)


def _tidy(text: str) -> str:
    """Trim a text; R4 datatypes.html#string: no leading or trailing whitespace, never whitespace alone."""
    return text.strip() or "-"


def stretch(seed: str, length: int) -> str:
    """Repeat a seed's non-space characters to exactly `length` characters."""
    solid = seed.replace(" ", "") or "-"
    return (solid * (length // len(solid) + 1))[:length]


_characters = st.one_of(
    st.just(" "),
    *(st.characters(min_codepoint=lo, max_codepoint=hi, exclude_categories=EXCLUDED) for lo, hi in SCRIPTS),
)
_text = st.text(_characters, min_size=1, max_size=24)
strings = _text.map(_tidy)
# Strings at the length limits, where the elements most likely to hold long text draw them.
long_strings = rarely(st.builds(stretch, _text, st.sampled_from(LONG_LENGTHS)), strings, odds=32)
markdown = st.one_of(
    long_strings, st.builds("**{}** _{}_ [link](https://example.org/{})".format, strings, strings, strings)
)
booleans = st.booleans()
# R4 datatypes.html#integer: 32 bits; positiveInt from 1, unsignedInt from 0.
integers = st.integers(-(2**31), 2**31 - 1)
positive_ints = st.integers(1, 2**31 - 1)
unsigned_ints = st.integers(0, 2**31 - 1)
tokens = st.text(ID_CHARS, min_size=1, max_size=10)
# R4 datatypes.html#id: 1 to 64 of [A-Za-z0-9\-\.].
ids = rarely(st.text(ID_CHARS, min_size=64, max_size=64), tokens)
segments = st.text(SEGMENT_CHARS, min_size=1, max_size=12)
BASES = tuple(f"{scheme}://{host}/fhir/" for scheme in ("http", "https") for host in HOSTS)
urls = st.builds(str.__add__, st.sampled_from(BASES), segments)
# R4 datatypes.html#uuid: an RFC 4122 UUID, lower case; version 4, as the fhir.resources models demand.
# Built from a drawn number (st.uuids() draws from true randomness: seeded runs would not repeat).
uuids = st.integers(0, 2**128 - 1).map(lambda number: f"urn:uuid:{uuid.UUID(int=number, version=4)}")
_arcs = st.lists(st.integers(0, 99_999), min_size=1, max_size=4).map(lambda arcs: ".".join(map(str, arcs)))
oids = st.builds("urn:oid:{}.{}".format, st.integers(0, 2), _arcs)  # R4 datatypes.html#oid
uris = st.one_of(urls, uuids, oids)
canonicals = st.one_of(urls, st.builds("{}|{}".format, urls, st.sampled_from(("1.0.0", "4.0.1", "2024-01"))))
base64_binaries = st.binary(min_size=1, max_size=48).map(lambda data: base64.b64encode(data).decode("ascii"))
_word = st.text(string.ascii_letters + string.digits + "-.:/", min_size=1, max_size=10)
# R4 datatypes.html#code: no whitespace but single inner spaces.
codes = st.one_of(_word, st.builds("{} {}".format, _word, _word))


def bound(values: Sequence[str]) -> st.SearchStrategy[str]:
    """Draw a code of a value set."""
    return st.sampled_from(values)


EXPONENTS = (0, 0, -1, -1, -2, -2, -3, -6, 1, 2, 25, -25, 308, -308, 400, -400)
SIGNIFICANT = 10**15  # with up to 3 trailing zeros: 18 significant digits, what XML Schema asks for


def _decimal(number: int) -> Decimal:
    """Decode an exact decimal from one number: coefficient, trailing zeros and an exponent.

    R4 datatypes.html#decimal: precision is data (72.50 is not 72.5); exponents far beyond a
    double's (1E+400) are valid FHIR decimals.
    """
    number, exponent = divmod(number, len(EXPONENTS))
    number, zeros = divmod(number, 4)
    coefficient = -(number + 1) // 2 if number % 2 else number // 2  # 0, -1, 1, -2, 2, ...: shrinks to 0
    digits = tuple(int(digit) for digit in f"{abs(coefficient)}{'0' * zeros}")
    return Decimal((int(coefficient < 0), digits, EXPONENTS[exponent] - zeros))


decimals = st.integers(0, (2 * SIGNIFICANT - 1) * 4 * len(EXPONENTS) - 1).map(_decimal)
positive_decimals = decimals.map(lambda number: abs(number) if number else Decimal(1))  # above zero
# Days are counted over 12 months of 31 days (clamped to the month's end) in years ordered by their
# distance from 2000, so that dates shrink towards 2000-01-01 yet reach 0001 and 9999.
YEARS = tuple(sorted(range(1, 10_000), key=lambda year: (abs(year - 2000), year)))
DAYS = len(YEARS) * 12 * 31
FRACTIONS = ("", "", "", ".0", ".5", ".000", ".123", ".120", ".123456", ".123456789")


def day_of(number: int) -> tuple[int, int]:
    """Decode a day number into its year and its day (of 12 months of 31 days) in the year."""
    year_index, day = divmod(number, 12 * 31)
    return YEARS[year_index], day


def calendar_text(year: int, day: int, precision: int) -> str:
    """Write a date to year (0), month (1) or day (2) precision (R4 datatypes.html#date)."""
    month, day_of_month = divmod(day, 31)
    last = calendar.monthrange(year, month + 1)[1]
    return f"{year:04d}-{month + 1:02d}-{min(day_of_month + 1, last):02d}"[: (4, 7, 10)[precision]]


def time_text(second: int, fraction: str) -> str:
    """Write a time of day from its second of the day (R4 datatypes.html#time: hh:mm:ss, no 24:00)."""
    return f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}{fraction}"


_seconds = st.integers(0, 86_399)
_fractions = st.sampled_from(FRACTIONS)
times = st.builds(time_text, _seconds, _fractions)
DAY_NUMBERS = st.integers(0, DAYS - 1)
dates = st.builds(lambda number, precision: calendar_text(*day_of(number), precision), DAY_NUMBERS, st.integers(0, 2))
# The parts of a dateTime after its day, as one number: precision, time of day, fraction, timezone.
MOMENTS = st.integers(0, 4 * 86_400 * len(FRACTIONS) * len(OFFSETS) - 1)


def moment_text(year: int, day: int, moment: int) -> str:
    """Write a dateTime: to year, month or day, or (precision 3) with a time and a timezone.

    R4 datatypes.html#dateTime: any precision; a time requires a timezone.
    """
    moment, precision = divmod(moment, 4)
    moment, second = divmod(moment, 86_400)
    offset, fraction = divmod(moment, len(FRACTIONS))
    if precision < 3:
        return calendar_text(year, day, precision)
    return f"{calendar_text(year, day, 2)}T{time_text(second, FRACTIONS[fraction])}{OFFSETS[offset]}"


date_times = st.builds(lambda number, moment: moment_text(*day_of(number), moment), DAY_NUMBERS, MOMENTS)
# R4 datatypes.html#instant: a date, a time to the second or finer, and a timezone.
instants = st.builds(lambda number, moment: moment_text(*day_of(number), moment | 3), DAY_NUMBERS, MOMENTS)
