"""People's names and emails as text: normalised (NFKC) and free of look-alike tricks.

A name or an email is refused when it carries a bidirectional control (a right-to-left
override makes ``Ana\\u202eevil`` read otherwise than it is stored), a control or invisible
format character, or a word that mixes scripts with letters that look like letters of the
other script (``ana`` spelt with a Cyrillic ``a``, U+0430). Which letters look alike is the
Unicode confusables table (UTS #39) as the ``confusable_homoglyphs`` library ships it; a word of
one script (``Мария``, ``山田``) and a name whose words are each of one script
(``Анна Smith``) pass. Emails are also lower-cased, as before.
"""

from __future__ import annotations

import unicodedata

from confusable_homoglyphs import categories, confusables

from refundkit.domain.errors import ValidationError

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
"""The Unicode bidirectional formatting characters (UAX #9): marks, embeddings, overrides
and isolates."""
JOINERS = frozenset("\u200c\u200d")
"""Zero-width (non-)joiners: invisible, but needed to spell names in Persian or Hindi."""


def normalise_name(raw: str) -> str:
    name = unicodedata.normalize("NFKC", raw).strip()
    _refuse_hidden(name, "name", allowed=JOINERS)
    for word in name.split():
        _refuse_look_alikes(word, "name")
    return name


def email_key(raw: str) -> str:
    """An email as stored: NFKC, trimmed, lower-cased (the sign-in looks it up so)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", raw).strip().lower())


def normalise_email(raw: str) -> str:
    email = email_key(raw)
    _refuse_hidden(email, "email", allowed=frozenset())
    local, _, domain = email.rpartition("@")
    for part in (local, *domain.split(".")):
        _refuse_look_alikes(part, "email")
    return email


def _refuse_hidden(text: str, field: str, *, allowed: frozenset[str]) -> None:
    for char in text:
        if char in BIDI_CONTROLS:
            raise ValidationError(
                f"{field} holds a bidirectional control character (U+{ord(char):04X}), "
                "which makes it read otherwise than it is written",
                field=field,
            )
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") and char not in allowed:
            raise ValidationError(
                f"{field} holds an invisible or control character (U+{ord(char):04X})",
                field=field,
            )


def _refuse_look_alikes(word: str, field: str) -> None:
    scripts = categories.unique_aliases(word) - {"COMMON"}
    if len(scripts) < 2:
        return
    for script in sorted(scripts):
        letters = "".join(c for c in word if categories.alias(c) == script)
        others = sorted(scripts - {script})
        found = confusables.is_confusable(letters, preferred_aliases=others)
        if found:
            char = found[0]["character"]
            raise ValidationError(
                f"{field} mixes scripts with look-alike letters: {char!r} is "
                f"{script.title()} and looks like a {' or '.join(o.title() for o in others)} "
                "letter",
                field=field,
            )
