"""Narrative: XHTML of the basic formatting elements that R4 allows (narrative.html#xhtml)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from conformance.strategies import primitives as p
from conformance.strategies.elements import element, one, prim
from conformance.strategies.valuesets import REQUIRED

XHTML = "http://www.w3.org/1999/xhtml"
INLINE = ("b", "i", "em", "strong", "span", "code", "sub", "sup", "small")

_text = p.strings.map(escape)  # XML's own escapes only: XHTML entities are not XML (R4 narrative.html#xhtml)
_phrase = st.one_of(_text, st.builds("<{0}>{1}</{0}>".format, st.sampled_from(INLINE), _text))
# Every block holds text: R4 txt-2, the narrative has some non-whitespace content.
_blocks = st.one_of(
    _phrase.map("<p>{}</p>".format),
    st.builds('<p style="color: #336699">{}<br/>{}</p>'.format, _text, _phrase),
    _phrase.map("<ul><li>{}</li></ul>".format),
    _phrase.map("<table><tr><td>{}</td></tr></table>".format),
    st.builds("<a href={}>{}</a>".format, p.urls.map(quoteattr), _text),
    st.builds("<h{0}>{1}</h{0}>".format, st.integers(1, 6), _text),
)
divs = st.builds(
    f'<div xmlns="{XHTML}"{{}}>{{}}</div>'.format,
    st.sampled_from(("", ' xml:lang="en" lang="en"', ' lang="ja"')),
    st.lists(_blocks, min_size=1, max_size=2).map("".join),
)
# The div is xhtml, which has no id or extensions of its own (R4 json.html#xhtml).
narratives = element([prim("status", p.bound(REQUIRED["Narrative.status"])), one("div", divs)])
