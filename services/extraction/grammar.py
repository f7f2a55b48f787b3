"""Small English helpers for the offline extractor: verb forms, pronouns and text normalisation.

Deliberately tiny and deterministic: a few word lists and suffix rules, no models.
"""

from __future__ import annotations

import re

# Irregular present forms in the third person singular.
_IRREGULAR_THIRD_PERSON = {"be": "is", "am": "is", "are": "is", "have": "has", "do": "does", "go": "goes"}

# Past tense forms that do not end in -ed; these stay as they are ("I went" → "Went").
IRREGULAR_PAST = frozenset(
    """
    ate became began bent bit bled blew bought brought broke built burnt caught chose came crept dealt did
    drank drew dreamt drove dug fed fell felt fled flew fought forgot forgave found froze gave got grew had
    heard held hid hung kept knelt knew laid led leapt learnt left lent lay lit lost made meant met paid
    ran rang rode rose said sang sank sat saw sent shook shone shot showed shrank slept slid sold spent
    spoke spun stood stole stuck stung swam swore swept swung taught tore thought threw told took understood
    was went were woke won wore wove wrote
    quit put cut hit hurt let set shut spread cast
    """.split()
)

# Base forms that end in -ed but are present tense ("I need" → "Needs").
_BASE_FORMS_ENDING_IN_ED = frozenset(
    "need feed bleed breed seed speed shed wed exceed succeed proceed embed heed weed shred bed".split()
)

# Words ending in -ly that are verbs, not adverbs.
_VERBS_ENDING_IN_LY = frozenset("apply reply rely supply comply imply multiply fly ally bully rally tally".split())

# Adverbs that may sit between "I" and the verb ("I really love sushi").
ADVERBS = frozenset(
    """
    also really truly totally absolutely definitely actually usually normally generally typically often
    sometimes always never rarely seldom occasionally frequently mostly mainly still just only recently
    currently now finally even already honestly seriously kinda sorta hardly barely especially
    particularly personally basically literally genuinely strongly deeply regularly constantly
    """.split()
)

_PRONOUNS = {
    "i'm": "they're",
    "i've": "they've",
    "i'd": "they'd",
    "i'll": "they'll",
    "i": "they",
    "me": "them",
    "my": "their",
    "mine": "theirs",
    "myself": "themselves",
}
_PRONOUN_RE = re.compile(r"(?<![\w.'])(i'm|i've|i'd|i'll|i|me|my|mine|myself)(?![\w'])", re.IGNORECASE)
# "I am" / "I was" inside a predicate become "they are" / "they were" (singular they).
_I_AM_RE = re.compile(r"(?<![\w.'])i\s+(am|was)\b", re.IGNORECASE)


def is_adverb(word: str) -> bool:
    lower = word.lower()
    if lower in ADVERBS:
        return True
    return lower.endswith("ly") and len(lower) >= 6 and lower not in _VERBS_ENDING_IN_LY


def is_past_tense(word: str) -> bool:
    lower = word.lower()
    if lower in IRREGULAR_PAST:
        return True
    return lower.endswith("ed") and lower not in _BASE_FORMS_ENDING_IN_ED


def third_person(verb: str) -> str:
    """The third person singular present of a base-form verb: love→loves, study→studies, watch→watches."""
    lower = verb.lower()
    if lower in _IRREGULAR_THIRD_PERSON:
        return _IRREGULAR_THIRD_PERSON[lower]
    if is_past_tense(lower):
        return verb
    if len(lower) > 1 and lower.endswith("y") and lower[-2] not in "aeiou":
        return verb[:-1] + "ies"
    if lower.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    return verb + "s"


def first_to_third_person(text: str) -> str:
    """Rewrite leftover first-person pronouns in a predicate as singular "they".

    "I love my dog" has its subject removed elsewhere; here "my dog" → "their dog", "call me" →
    "call them", "because I am tired" → "because they are tired".
    """
    text = _I_AM_RE.sub(lambda m: "they are" if m.group(1).lower() == "am" else "they were", text)
    return _PRONOUN_RE.sub(lambda m: _PRONOUNS[m.group(1).lower()], text)


def normalize_text(text: str) -> str:
    """Lower-case words only, single-spaced: the form used to compare facts and memories."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("'", "")))


def capitalize_first(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
