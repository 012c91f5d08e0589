"""Rewriting a transaction's links to its own entries (R4 http.html#trules) into the ids they got."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

# R4 http.html#trules: "Servers SHALL replace all matching links in the bundle, whether they are
# found in the resource ids, resource references, elements of type uri, url, oid, uuid, and
# <a href="" & <img src="" in the narrative. Elements of type canonical are not replaced."
# The kind of each element that can hold such a link, by JSON name, in the R4 datatypes and the
# types the suite sends (Patient, Observation, Encounter, Condition, MedicationRequest,
# Practitioner, Organization); every other element keeps its value.
ELEMENT_KINDS = {
    "reference": "reference",  # Reference.reference
    "system": "uri",  # Identifier, Coding, Quantity (ContactPoint.system is a code, never a link)
    "url": "uri",  # Attachment.url (Extension.url: see EXTENSION_URL)
    "implicitRules": "uri",  # Resource.implicitRules
    "source": "uri",  # Meta.source
    "instantiatesUri": "uri",  # MedicationRequest.instantiatesUri
    "valueUri": "uri",  # Extension.value[x] of type uri, url, oid, uuid
    "valueUrl": "uri",
    "valueOid": "uri",
    "valueUuid": "uri",
    "profile": "canonical",  # Meta.profile
    "instantiatesCanonical": "canonical",  # MedicationRequest.instantiatesCanonical
    "valueCanonical": "canonical",
    "div": "narrative",  # Narrative.div
}
# Extension.url is a uri, but it names the extension's definition (R4 extensibility.html), as a
# canonical does: it never points at a bundle entry.
EXTENSION_URL = "canonical"
EXTENSIONS = ("extension", "modifierExtension")
REWRITTEN = frozenset({"reference", "uri", "narrative"})
# The two narrative links the rule names: <a href="..."> and <img src="...">.
NARRATIVE_LINK = re.compile(r"""(<a\s(?:[^>]*?\s)?href|<img\s(?:[^>]*?\s)?src)(\s*=\s*)(["'])(.*?)\3""", re.DOTALL)

Resolve = Callable[[str], str | None]


def resolver(targets: Mapping[str, dict[str, Any]], keep_versions: bool = True) -> Resolve:
    """Map a link to an entry (its fullUrl) to the resource stored for it: Type/id (with its version, if asked)."""

    def resolve(link: str) -> str | None:
        full_url, history, _ = link.partition("/_history/")
        target = targets.get(full_url)
        if target is None:
            return None  # R4 #trules: references outside the bundle "are left untouched"
        reference = f"{target['resourceType']}/{target['id']}"
        # R4 #trules: "Version-specific references should remain as version-specific references".
        return f"{reference}/_history/{target['meta']['versionId']}" if history and keep_versions else reference

    return resolve


def rewrite(resource: dict[str, Any], resolve: Resolve, kinds: Collection[str], in_extension: bool = False) -> Any:
    """A copy of `resource` whose links of the given kinds that `resolve` knows are replaced."""
    return {key: _element(key, value, resolve, kinds, in_extension) for key, value in resource.items()}


def _element(key: str, value: Any, resolve: Resolve, kinds: Collection[str], in_extension: bool) -> Any:
    """One element's value (each item, if it repeats) with its links replaced."""
    if isinstance(value, list):
        return [_element(key, item, resolve, kinds, in_extension) for item in value]
    if isinstance(value, dict):
        return rewrite(value, resolve, kinds, key in EXTENSIONS)
    kind = EXTENSION_URL if in_extension and key == "url" else ELEMENT_KINDS.get(key)
    if not isinstance(value, str) or kind not in kinds:
        return value
    if kind == "narrative":
        return NARRATIVE_LINK.sub(lambda match: _narrative_link(match, resolve), value)
    return resolve(value) or value


def _narrative_link(match: re.Match[str], resolve: Resolve) -> str:
    target = resolve(html.unescape(match.group(4)))
    if target is None:
        return match.group(0)
    element, equals, quote = match.group(1, 2, 3)
    return f"{element}{equals}{quote}{html.escape(target)}{quote}"
