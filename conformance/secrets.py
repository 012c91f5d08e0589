"""The credentials a run is given, and how every output hides them: values become ``***``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

MASK = "***"
# Headers that carry credentials whoever set them (RFC 9110 #field.authorization, common API-key names).
ALWAYS_SECRET = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key"})
# Shorter values are not scrubbed from free text: they would mask ordinary words (the header is still hidden).
MIN_SCRUBBED = 4
# The userinfo of a URL anywhere in a text: scheme://user:password@ (RFC 3986 #section-3.2.1).
USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*):[^@\s/]*@")


class Secrets:
    """Secret header names and values of one process; everything rendered for a user passes through it."""

    def __init__(self) -> None:
        self.names: set[str] = set(ALWAYS_SECRET)
        self.values: set[str] = set()

    def add_headers(self, headers: Iterable[tuple[str, str]]) -> None:
        """Treat these headers' names and values as secret."""
        for name, value in headers:
            self.names.add(name.lower())
            self._add_value(value)

    def add_url(self, url: str) -> None:
        """Treat the password of a URL's userinfo as secret."""
        password = urlsplit(url).password
        if password:
            self._add_value(password)

    def _add_value(self, value: str) -> None:
        if len(value.strip()) >= MIN_SCRUBBED:
            self.values.add(value.strip())
            # An Authorization value's credential alone ("Bearer <token>") must vanish too.
            credential = value.strip().partition(" ")[2]
            if credential and len(credential) >= MIN_SCRUBBED:
                self.values.add(credential)

    def header(self, name: str, value: str) -> str:
        """Return a request header's value as it may be shown."""
        return MASK if name.lower() in self.names else self.scrub(value)

    def scrub(self, text: str) -> str:
        """Replace every secret value in a text, longest first."""
        for value in sorted(self.values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return redact_url(text)


def redact_url(text: str) -> str:
    """Show the userinfo of every URL in a text as ``user:***@``: a password never appears."""
    return USERINFO.sub(lambda m: f"{m['head']}:{MASK}@", text)


SECRETS = Secrets()
