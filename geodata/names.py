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
    if name.isascii():  # nothing to decompose: the common case, several times faster
        return _SPACES.sub(" ", name.translate(_APOSTROPHES)).strip().lower()
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


# Words that say what kind of region a name is, not which one: "Kursk Oblast", "Kursk region",
# "Kurskaya oblast'" and GeoNames' "Kursk" all mean one region.
REGION_WORDS = frozenset(
    "oblast oblasti krai kray region province provinz state governorate prefecture territory "
    "okrug autonomous avtonomnyy republic respublika of the mintaqat voivodeship county".split()
)
# Russian and Ukrainian adjective endings ("Krasnodarskiy", "Kurskaya", "Kharkivska") become
# the noun's "-sk" or nothing, so the adjective meets the noun ("Krasnodar Krai").
_ADJECTIVE = re.compile(r"(?:skiy|skij|skii|skyi|sky|skaya|skaja|ska)$")


def has_region_word(name: str) -> bool:
    """True when a name says it is a region: "Kursk Oblast" but not "Kursk".

    >>> has_region_word("Krasnodar Krai"), has_region_word("Krasnodar")
    (True, False)
    """
    return key_has_region_word(normalise_name(name))


def key_has_region_word(key: str) -> bool:
    """`has_region_word` of a name already normalised (`normalise_name`)."""
    return any(word in REGION_WORDS for word in key.replace("-", " ").split())


def region_key(name: str) -> str:
    """One key for the spellings of a first-level region's name.

    >>> {region_key(n) for n in ("Kursk Oblast", "Kursk region", "Kurskaya oblast'", "KURSK")}
    {'kursk'}
    >>> region_key("Krasnodar Krai") == region_key("Krasnodarskiy") == "krasnodar"
    True
    >>> region_key("Krasnoyarsk Krai") == region_key("Krasnoyarskiy")
    True
    """
    words = [w for w in normalise_name(name).split() if w not in REGION_WORDS]
    bare = " ".join(words) if words else normalise_name(name)
    stem = _ADJECTIVE.sub("sk", bare)
    # "krasnodarsk" and "krasnodar" meet; "kursk" keeps its "sk", which is part of the name.
    if stem.endswith("sk") and len(stem) >= 6:
        stem = stem[:-2]
    return stem
