"""Keyword classification of facts into Mem0's default categories, or into a caller's own categories."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Mem0's default categories, in the order they are reported.
DEFAULT_CATEGORIES: dict[str, frozenset[str]] = {
    "personal_details": frozenset(
        """
        name named nickname called age old birthday born live lived living from hometown nationality
        citizen moved address pronouns gender neighborhood neighbourhood apartment flat house home
        """.split()
    ),
    "family": frozenset(
        """
        family wife husband partner spouse kid child children son daughter mom mum mother dad father
        parent brother sister sibling grandma grandmother grandpa grandfather grandparent baby twin
        niece nephew aunt uncle cousin fiance fiancee girlfriend boyfriend married
        """.split()
    ),
    "professional_details": frozenset(
        """
        work worked working job engineer developer programmer manager designer teacher nurse lawyer
        accountant architect scientist researcher company career office colleague coworker boss employer
        startup profession salary promoted promotion intern internship freelance freelancer consultant
        student university college degree phd client clients business team meeting deadline
        """.split()
    ),
    "sports": frozenset(
        """
        sport sports football soccer basketball tennis golf running runner marathon gym workout swim
        swimming cycling bike biking yoga climbing bouldering baseball hockey volleyball boxing surfing
        rugby cricket ski skiing snowboarding athlete match league
        """.split()
    ),
    "travel": frozenset(
        """
        travel traveling travelling trip trips visit visited visiting vacation holiday holidays flight
        flights fly flying abroad passport hotel airport tour backpacking destination
        itinerary
        """.split()
    ),
    "food": frozenset(
        """
        food foods eat eats eating ate vegetarian vegan pescatarian sushi pizza pasta cook cooking recipe
        recipes meat fish chicken beef pork seafood shellfish cheese chocolate coffee tea spicy dish cuisine
        restaurant breakfast lunch dinner gluten dairy nut nuts peanut peanuts fruit vegetable vegetables
        dessert wine beer drink snack bake baking keto ramen curry burger salad steak
        """.split()
    ),
    "music": frozenset(
        """
        music song songs band guitar piano drums violin sing singing singer concert album jazz rock pop rap
        classical spotify playlist musician
        """.split()
    ),
    "health": frozenset(
        """
        allergic allergy allergies diabetes diabetic asthma health healthy doctor medication medicine sick
        illness disease injury injured pregnant surgery therapy therapist anxiety depression diet sleep
        insomnia intolerant intolerance migraine migraines vitamin weight calories pain hospital condition
        blood
        """.split()
    ),
    "technology": frozenset(
        """
        computer laptop phone iphone android software programming code coding python javascript
        typescript java rust golang app apps tech technology ai linux mac macbook windows gadget internet
        database cloud kubernetes
        """.split()
    ),
    "hobbies": frozenset(
        """
        hobby hobbies reading books book novels painting paint drawing photography gardening garden
        knitting chess gaming games puzzles woodworking crafts dance dancing writing blog hiking camping
        fishing collecting
        """.split()
    ),
    "fashion": frozenset(
        """
        fashion clothes clothing dress dresses shoes sneakers jacket shirt jeans style wear wears wearing
        outfit jewelry jewellery
        """.split()
    ),
    "entertainment": frozenset(
        """
        movie movies film films tv show shows series netflix watch watching anime cinema theater theatre
        comedy podcast podcasts actor actress documentary documentaries
        """.split()
    ),
    "milestones": frozenset(
        """
        graduated graduation wedding engaged engagement anniversary retired retirement milestone
        """.split()
    ),
    "user_preferences": frozenset(
        """
        love loves like likes prefer prefers favorite favourite enjoy enjoys hate hates dislike dislikes
        fan adore adores
        """.split()
    ),
}
# Phrases that need more than one word (matched on the normalised text).
_PHRASES: dict[str, tuple[str, ...]] = {
    "personal_details": ("years old",),
    "travel": ("been to",),
    "milestones": ("had a baby", "got married", "new job", "bought a house"),
}
_PATTERNS: dict[str, re.Pattern[str]] = {
    "milestones": re.compile(r"\bturned \d+"),
    "travel": re.compile(r"\b(?:going|moving|flying|travell?ing|heading) to [A-Z]"),
}
MISC = "misc"

# Words of a custom category's name or description that say nothing about a fact.
_STOPWORDS = frozenset(
    """
    a an and or the of to in on at for with about from by as is are be it its this that these those any all
    other others etc user users user's their them they such like including include includes related
    relating regarding things thing stuff information info details detail data mention mentions mentioned
    """.split()
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))


def _stems(word: str) -> set[str]:
    """The word plus crude base forms (loves→love, studies→study, watches→watch, cooking→cook, moved→move)."""
    forms = {word}
    if word.endswith("ing") and len(word) > 5:
        stem = word[:-3]
        forms |= {stem, stem + "e"}
        if stem[-1] == stem[-2]:
            forms.add(stem[:-1])
    if word.endswith("ed") and len(word) > 4:
        forms |= {word[:-2], word[:-1]}
    if word.endswith("ies") and len(word) > 4:
        forms.add(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        forms.add(word[:-2])
    if word.endswith("s") and len(word) > 2:
        forms.add(word[:-1])
    return forms


def _word_forms(text: str) -> set[str]:
    forms: set[str] = set()
    for word in _words(text):
        forms |= _stems(word)
    return forms


def default_categories(text: str) -> list[str]:
    """Mem0 default categories of a fact, in canonical order; ["misc"] when none applies."""
    forms = _word_forms(text)
    normalized = " ".join(_words(text))
    found = []
    for name, keywords in DEFAULT_CATEGORIES.items():
        if (
            forms & keywords
            or any(phrase in normalized for phrase in _PHRASES.get(name, ()))
            or (name in _PATTERNS and _PATTERNS[name].search(text))
        ):
            found.append(name)
    return found or [MISC]


def custom_category_terms(categories: Mapping[str, str]) -> dict[str, set[str]]:
    """Per custom category, the meaningful words of its name and description (with their base forms)."""
    terms: dict[str, set[str]] = {}
    for name, description in categories.items():
        forms: set[str] = set()
        for word in _words(name.replace("_", " ").replace("-", " ")) + _words(description):
            if word not in _STOPWORDS and len(word) > 2:
                forms |= _stems(word)
        terms[name] = forms
    return terms


def custom_categories(text: str, terms: Mapping[str, set[str]]) -> list[str]:
    """The custom categories (by name, in the caller's order) sharing a word with the fact; maybe none."""
    forms = _word_forms(text)
    return [name for name, words in terms.items() if forms & words]


def matches_any(text: str, categories: Iterable[str], terms: Iterable[str]) -> bool:
    """True when the fact contains one of the terms (case-insensitive) or has one of them as a category."""
    lower = text.lower()
    category_names = {c.lower() for c in categories}
    for term in terms:
        if term.lower() in lower or term.lower().replace(" ", "_") in category_names:
            return True
    return False
