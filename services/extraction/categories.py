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
        dessert wine beer drink snack bake baking keto ramen curry burger salad steak tacos taco burrito
        burritos dumplings falafel noodles rice bread soup sandwich sandwiches pancakes eggs egg bbq barbecue
        kebab hummus tofu sashimi paella lasagna risotto croissant bagel donut donuts cake cookies icecream
        cereal smoothie juice meal meals
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


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))


def stems(word: str) -> set[str]:
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


def word_forms(text: str) -> set[str]:
    forms: set[str] = set()
    for word in words(text):
        forms |= stems(word)
    return forms


def default_categories(text: str) -> list[str]:
    """Mem0 default categories of a fact, in canonical order; ["misc"] when none applies."""
    forms = word_forms(text)
    normalized = " ".join(words(text))
    found = []
    for name, keywords in DEFAULT_CATEGORIES.items():
        if (
            forms & keywords
            or any(phrase in normalized for phrase in _PHRASES.get(name, ()))
            or (name in _PATTERNS and _PATTERNS[name].search(text))
        ):
            found.append(name)
    return found or [MISC]


# Words that name a default category when a request to forget says "all of my food preferences".
CATEGORY_NAME_WORDS: dict[str, str] = {
    "personal": "personal_details",
    "family": "family",
    "professional": "professional_details",
    "work": "professional_details",
    "job": "professional_details",
    "career": "professional_details",
    "sport": "sports",
    "sports": "sports",
    "fitness": "sports",
    "travel": "travel",
    "food": "food",
    "diet": "food",
    "dietary": "food",
    "music": "music",
    "health": "health",
    "medical": "health",
    "technology": "technology",
    "tech": "technology",
    "hobby": "hobbies",
    "hobbies": "hobbies",
    "fashion": "fashion",
    "clothing": "fashion",
    "entertainment": "entertainment",
    "milestones": "milestones",
    "preference": "user_preferences",
    "preferences": "user_preferences",
}
# Words that say nothing about which memories a request to forget targets.
FORGET_NOISE = _STOPWORDS | frozenset(
    """
    my me i im ive mine myself you your everything something anything memory memories fact facts know knew
    remember remembered said told say plans plan stored saved note notes
    is was are were be been am has have had do does did not dont doesnt no
    like likes love loves enjoy enjoys prefer prefers want wants
    """.split()
)


def category_reference(text: str) -> list[str] | None:
    """The default categories a phrase like "food preferences" or "travel plans" names, or None if it names
    something narrower ("sushi", "trip to Japan")."""
    meaningful = [w for w in words(text) if w not in FORGET_NOISE or w in CATEGORY_NAME_WORDS]
    if not meaningful or not all(w in CATEGORY_NAME_WORDS for w in meaningful):
        return None
    found = list(dict.fromkeys(CATEGORY_NAME_WORDS[w] for w in meaningful))
    if len(found) > 1 and "user_preferences" in found:
        found.remove("user_preferences")
    return found


def custom_category_terms(categories: Mapping[str, str]) -> dict[str, set[str]]:
    """Per custom category, the meaningful words of its name and description (with their base forms)."""
    terms: dict[str, set[str]] = {}
    for name, description in categories.items():
        forms: set[str] = set()
        for word in words(name.replace("_", " ").replace("-", " ")) + words(description):
            if word not in _STOPWORDS and len(word) > 2:
                forms |= stems(word)
        terms[name] = forms
    return terms


def custom_categories(text: str, terms: Mapping[str, set[str]]) -> list[str]:
    """The custom categories (by name, in the caller's order) sharing a word with the fact; maybe none."""
    forms = word_forms(text)
    return [name for name, vocabulary in terms.items() if forms & vocabulary]


def matches_any(text: str, categories: Iterable[str], terms: Iterable[str]) -> bool:
    """True when the fact contains one of the terms (case-insensitive) or has one of them as a category."""
    lower = text.lower()
    category_names = {c.lower() for c in categories}
    for term in terms:
        if term.lower() in lower or term.lower().replace(" ", "_") in category_names:
            return True
    return False
