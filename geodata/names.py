"""How names and country codes are compared: one rule for the gazetteer and the cache."""

from __future__ import annotations

import re
import unicodedata

# Transliterations of the soft sign and of apostrophes vary (Slov'yansk,
# Slov’yansk, Slovʼyansk): drop them all so every spelling meets.
_APOSTROPHES = str.maketrans("", "", "'’‘ʼʹ`")
_SPACES = re.compile(r"\s+")
_COUNTRY_CODE = re.compile(r"[A-Za-z]{2}")


def normalise_name(name: str) -> str:
    """Fold case, accents, apostrophes and runs of spaces away.

    >>> normalise_name("  Slov’yansk ") == normalise_name("SLOVYANSK")
    True
    >>> normalise_name("Kyïv")
    'kyiv'
    """
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", bare.translate(_APOSTROPHES)).strip().casefold()


def normalise_country(country: str | None) -> str | None:
    """Upper-case an ISO 3166-1 alpha-2 code; refuse anything else.

    A country name passed by mistake ("Ukraine") would otherwise match nothing
    and look like "not found".

    >>> normalise_country(" ua ")
    'UA'
    """
    if country is None:
        return None
    code = country.strip()
    if not _COUNTRY_CODE.fullmatch(code):
        raise ValueError(f"country must be a two-letter ISO 3166-1 code like 'UA', not {country!r}")
    return code.upper()
