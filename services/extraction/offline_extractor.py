"""The offline fact extractor: deterministic rules that turn first-person statements into memories.

Used when no LLM is configured. What it does, in order, for every message that counts:

0. Requests to forget. A user sentence such as "Forget that I like sushi" or "Please delete all of my food
   preferences" becomes a forget fact (rules.py) whose text is the target phrased like a memory ("Likes
   sushi", "Food preferences") instead of a fact; the reconciler deletes the memories it matches. The
   sentence must start with forget / delete / remove / erase / wipe / clear (after "please", "can you",
   "I want you to", greetings) and name something personal (I / my / me, "preferences", "memories", …,
   or the verb "forget" itself); "forget everything" and targets like "it" are too vague and are ignored.
1. Which messages count. With a user_id in the scope (or no agent_id at all) user messages, attributed to
   the user; with an agent_id, assistant messages, attributed to the assistant (both when both ids are
   set). System and tool messages never become facts.
2. Split into sentences (., !, ?, new lines; common abbreviations kept), then into clauses at ";" and at
   "and" / "but" / "because" / "so" / "," when the next clause starts a new first-person statement
   ("I'm a vegetarian and I'm allergic to nuts" → two clauses). In a question ("…?") the last clause is
   the question and is dropped; a sentence that starts with a question word is dropped whole.
3. Drop what is not a durable first-person statement: greetings and fillers at the start of a clause are
   removed ("Hi, I'm Alex" → "I'm Alex"), hedges too ("I think I'm allergic…", "Remember that I…");
   clauses without a first-person subject ("I …" or "My …"), small talk ("I'm fine", "I see", "I'd be
   happy to help", "I love it") and anything addressed to the other party ("I can help you…") are dropped.
4. Rewrite as a third-person memory without the subject, keeping the rest of the clause verbatim:
   "I'm X" → "Is X", "I'm Alex" / "My name is Alex" → "Name is Alex", "I don't like X" → "Does not
   like X", "I can't X" → "Cannot X", "I love X" → "Loves X", "I went to X" → "Went to X",
   "My wife is Sarah" → "Wife is Sarah", "My wife and I live in X" → "Lives in X with their wife".
   First-person pronouns left inside the clause become singular "they": my→their, me→them,
   mine→theirs, myself→themselves, I→they ("I love my dog" → "Loves their dog"), so a memory reads the
   same whoever it belongs to. Trailing punctuation is removed and the first letter capitalised.
5. Categorise (Mem0's defaults by keyword, or only the caller's custom categories), then apply
   `excludes` / `includes`, and drop duplicates (same text and attribution) keeping the first.

`custom_instructions` cannot be honoured without an LLM and is ignored here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from libs.domain import Fact, Message, Role, Scope
from services.extraction.categories import (
    custom_categories,
    custom_category_terms,
    default_categories,
    matches_any,
)
from services.extraction.grammar import (
    capitalize_first,
    first_to_third_person,
    is_adverb,
    is_past_tense,
    normalize_text,
    third_person,
)
from services.extraction.ports import ExtractionOptions
from services.extraction.rules import forget_fact, speaking_roles

# --- splitting ----------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset({"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "jr.", "sr.", "e.g.", "i.e.", "etc.", "vs."})
_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+")
_BULLET_RE = re.compile(r"^\s*(?:[-*•>]+|\d+[.)])\s+")
# Clause boundaries; a boundary is only used when the text after it starts a first-person statement.
_CLAUSE_SEP_RE = re.compile(
    r"(\s*;\s*|\s*,?\s+(?:and|but|because|so|plus|though|although|while|whereas)\s+(?:also\s+|then\s+)?"
    r"|\s*,\s*|\s+[-\u2013\u2014]\s+)",
    re.IGNORECASE,
)

# --- clause starts ------------------------------------------------------------------------------

_GREETING_WORDS = (
    r"hi|hello|hey|hiya|heya|yo|howdy|greetings|good\s+(?:morning|afternoon|evening|night|day)|"
    r"thanks|thank\s+you|thx|ty|cheers|ok|okay|oh|ah|well|yes|yeah|yep|yup|no|nope|nah|sure|great|cool|"
    r"nice|awesome|alright|right|so|um|uh|hmm|btw|by\s+the\s+way|fyi|anyway|anyways|actually|honestly|"
    r"also|and|but|plus|then|oh\s+and|haha|lol|wow|sorry|please|just\s+so\s+you\s+know|for\s+the\s+record"
)
_LEADING_FILLER_RE = re.compile(
    rf"^(?:(?:{_GREETING_WORDS})(?:\s+(?:there|again|so\s+much|a\s+lot|everyone|all|guys|folks))?"
    r"(?![\w'])[\s,!.:;-]*)+",
    re.IGNORECASE,
)
# Hedges before a first-person statement: "I think I'm allergic…", "Remember that my…".
_HEDGE_RE = re.compile(
    r"^(?:i\s+(?:think|guess|believe|suppose|feel\s+like|told\s+you|should\s+mention|forgot\s+to\s+mention|"
    r"want\s+you\s+to\s+know|just\s+wanted\s+to\s+say)|as\s+i\s+said|like\s+i\s+said|"
    r"(?:please\s+)?(?:remember|note|keep\s+in\s+mind)|you\s+should\s+know)(?:\s+that)?[\s,:]+"
    r"(?=(?:i|i'm|i've|i'd|i'll|my)(?![\w']))",
    re.IGNORECASE,
)
_TIME_ADVERB_RE = re.compile(r"^(recently|currently|lately|nowadays|these\s+days|now)\b[\s,]*", re.IGNORECASE)
_FIRST_PERSON_RE = re.compile(r"^(?:i(?=['\s])|my\s|me\s+and\s+my\s)", re.IGNORECASE)
_QUESTION_WORDS = frozenset(
    """
    who whom whose what what's whats when where where's why how how's which can could would will should
    shall do does did is are am was were have has had may might isn't aren't don't doesn't didn't won't
    wouldn't can't couldn't shouldn't
    """.split()
)
_CONTRACTIONS = {
    "im": "I'm",
    "ive": "I've",
    "dont": "don't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "cant": "can't",
    "wont": "won't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "wouldnt": "wouldn't",
    "couldnt": "couldn't",
    "shouldnt": "shouldn't",
}
_CONTRACTION_RE = re.compile(r"\b(" + "|".join(_CONTRACTIONS) + r")\b", re.IGNORECASE)

# --- "I …" rewrites: (pattern after the subject and adverbs, replacement, kind) -------------------

_COPULA = "copula"
_AUX = "aux"
_I_FORMS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), replacement, kind)
    for pattern, replacement, kind in (
        (r"^i\s+ain'?t\b", "is not", _COPULA),
        (r"^i(?:'m|m|\s+am|\s+are)\b", "is", _COPULA),
        (r"^i\s+(?:wasn't|was\s+not|weren't|were\s+not)\b", "was not", _COPULA),
        (r"^i\s+(?:was|were)\b", "was", _COPULA),
        (r"^i(?:'ve|\s+have)\s+not\b|^i\s+haven't\b", "has not", _AUX),
        (r"^i(?:'ve|\s+have)\b", "has", _AUX),
        (r"^i\s+(?:hadn't|had\s+not)\b", "had not", _AUX),
        (r"^i\s+had\b|^i'd(?=\s+been\b)", "had", _AUX),
        (r"^i'd\b", "would", _AUX),
        (r"^i(?:'ll|\s+will)\s+not\b|^i\s+won't\b", "will not", _AUX),
        (r"^i(?:'ll|\s+will)\b", "will", _AUX),
        (r"^i\s+(?:can't|cannot|can\s+not)\b", "cannot", _AUX),
        (r"^i\s+(could|would|should|must|might|may|shall)(?:n't|\s+not)\b", r"\1 not", _AUX),
        (r"^i\s+(can|could|would|should|must|might|may|shall)\b", r"\1", _AUX),
        (r"^i\s+(?:don't|do\s+not)\b", "does not", _AUX),
        (r"^i\s+(?:didn't|did\s+not)\b", "did not", _AUX),
        (r"^i\s+do\b", "does", _AUX),
        (r"^i\s+did\b", "did", _AUX),
    )
)
_NATIONALITIES = frozenset(
    """
    american british english german french spanish italian chinese japanese korean indian canadian australian
    mexican brazilian russian dutch swedish norwegian danish finnish polish irish scottish welsh greek turkish
    portuguese swiss austrian belgian israeli egyptian nigerian kenyan vietnamese thai filipino indonesian
    pakistani argentinian colombian chilean peruvian ukrainian czech hungarian romanian jewish muslim
    christian catholic buddhist hindu atheist european african asian latino latina
    """.split()
)
_NOT_NAMES = frozenset(
    """
    a an the not no so very really also just here back sorry fine good ok okay in at from going
    """.split()
)
_NAME_RE = re.compile(
    r"^(?P<name>[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?(?:\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?){0,2})"
    r"(?:\s*$|\s*,.*$|\s+from\s+(?P<origin>.+)$)"
)
# Verbs that never start a durable fact ("I think", "I wonder", "I mean").
_NON_FACT_VERBS = frozenset("think guess suppose wonder mean bet apologize apologise assume".split())
# Predicates made only of these words are too vague to remember ("I love it", "I hope so").
_TRIVIAL_WORDS = frozenset("it that this so too them one those these again out you right then now".split())
# Words that mark a clause as talk about the conversation itself ("I can help you with that").
_ADDRESSED_RE = re.compile(r"\b(?:you|your|yours|yourself|you're|you've|you'll|you'd)(?![\w'])", re.IGNORECASE)
# A clause that is only a subject ("My wife" in "My wife and I live in Berlin") is never split off.
_BARE_SUBJECT_RE = re.compile(r"^(?:my\s+[\w-]+(?:\s+[\w-]+)?|me)$", re.IGNORECASE)
_BARE_SUBJECT_MAX_CHARS = 80
# Small talk after the rewrite ("Is fine", "Would be happy to help").
_SMALL_TALK_RE = re.compile(
    r"^(?:(?:is|was)(?:\s+(?:just|so|really|very|all|doing|not))*\s+(?:sorry|fine|good|ok|okay|great|well|here|"
    r"back|ready|sure|glad|curious|wondering|asking|kidding|joking|confused|lost|done|set|excited|happy|"
    r"thrilled|listening|serious|afraid|checking|thinking)(?:\s+(?:thanks|thank\s+you|too|then|now|so))?$"
    r"|(?:is|was)(?:\s+(?:just|so|really|very))*\s+(?:happy|glad|pleased|delighted|here|excited)\s+to\s+"
    r"(?:help|assist|hear|see|chat|talk)\b"
    r"|(?:is|was)(?:\s+just)?\s+(?:wondering|curious|asking|checking)\b"
    r"|(?:is|was)\s+(?:sorry|afraid)\b"
    r"|(?:is|was)\s+not\s+sure\b"
    r"|would\s+(?:be\s+)?(?:happy|glad|delighted|pleased|love)\s+to\s+(?:help|assist)\b"
    r"|(?:would\s+like|wants?|needs?)\s+to\s+(?:know|ask|find\s+out|check)\b"
    r"|has\s+(?:a|another|one|some|a\s+few)\s+(?:quick\s+|small\s+)?(?:question|questions|request)\b"
    r"|(?:does|did)\s+not\s+(?:know|understand|get\s+it|remember|care|mind|think\s+so)$"
    r"|will\s+(?:try|do|check|see|look|think\s+about|consider)(?:\s+(?:it|that|this|so|them|again|later|now))*$)",
    re.IGNORECASE,
)
_MY_NON_FACTS = frozenset(
    """
    question questions bad pleasure apologies goodness god gosh point guess thought thoughts understanding
    answer request suggestion bet turn mistake
    """.split()
)
_MY_AND_I_RE = re.compile(
    r"^(?:my\s+(?P<who>[\w-]+(?:\s+[\w-]+)?)\s+and\s+i|me\s+and\s+my\s+(?P<who2>[\w-]+(?:\s+[\w-]+)?))"
    r"\s+(?P<rest>\S.*)$",
    re.IGNORECASE,
)
_PREDICATE_HEAD_RE = re.compile(r"^\s*(?:to\s+)?([\w']+)")
_TRAILING_RE = re.compile(
    r"(?:[\s.!?,;:…]+|\s+[:;]-?[()DPp]+|[\s,]+(?:lol|lmao|haha+|hehe|btw|tbh|fyi|thanks|thank\s+you|thx|please|"
    r"though|anyway|xd))+$",
    re.IGNORECASE,
)
_WRAPPING_CHARS = ' \t"\u201c\u201d\u2018`()[]*_~'

# Requests to forget (rule 0).
_FORGET_RE = re.compile(
    r"^(?:(?:please|pls|kindly)\s+)?(?:(?:can|could|would|will)\s+you\s+(?:please\s+)?)?"
    r"(?:i\s+(?:want|need|would\s+like|'d\s+like)\s+you\s+to\s+)?(?:please\s+)?"
    r"(?P<verb>forget|delete|remove|erase|wipe|clear)\s+(?P<rest>.+)$",
    re.IGNORECASE,
)
_FORGET_LEAD_RE = re.compile(
    r"^(?:(?:all|any|every)\s+(?:of\s+)?)?(?:(?:about|that|the\s+fact\s+that|what\s+i\s+said\s+about)\s+)*"
    r"(?:(?:all|any)\s+(?:of\s+)?)?(?:the\s+)?(?:(?:memory|memories|things?|stuff|info|information)\s+"
    r"(?:about|that|of|on)\s+)?",
    re.IGNORECASE,
)
_FORGET_VAGUE_RE = re.compile(
    r"^(?:it|that|this|them|those|everything|anything|all|me|about\s+me|everything\s+about\s+me|"
    r"all\s+(?:of\s+)?(?:it|that|them|my\s+(?:data|memories|information|info))|(?:my\s+)?(?:data|memories|history))"
    r"(?:\s+(?:please|now|too|as\s+well))?$",
    re.IGNORECASE,
)
_FORGET_PERSONAL_RE = re.compile(
    r"\b(?:i|i'm|i've|my|me|mine|preferences?|memor(?:y|ies)|info|information|details)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class _Statement:
    text: str
    role: Role


class OfflineFactExtractor:
    """Rule-based FactExtractor; see the module docstring for the rules."""

    async def extract(self, messages: list[Message], scope: Scope, options: ExtractionOptions) -> list[Fact]:
        return extract_facts(messages, scope, options)


def extract_facts(messages: Iterable[Message], scope: Scope, options: ExtractionOptions) -> list[Fact]:
    roles = speaking_roles(scope)
    terms = custom_category_terms(options.custom_categories) if options.custom_categories else None
    excludes = _terms(options.excludes)
    includes = _terms(options.includes)
    facts: list[Fact] = []
    seen: set[tuple[str, Role, bool]] = set()
    for message in messages:
        if message.role not in roles:
            continue
        for text, forget in _statements(message):
            if forget:
                if (normalize_text(text), message.role, True) not in seen:
                    seen.add((normalize_text(text), message.role, True))
                    facts.append(forget_fact(text, default_categories(text), message.role))
                continue
            categories = custom_categories(text, terms) if terms is not None else default_categories(text)
            if excludes and matches_any(text, categories, excludes):
                continue
            if includes and not matches_any(text, categories, includes):
                continue
            key = (normalize_text(text), message.role, False)
            if key in seen:
                continue
            seen.add(key)
            facts.append(Fact(text=text, attributed_to=message.role, categories=categories))
    return facts


def _statements(message: Message) -> list[tuple[str, bool]]:
    """(text, is it a request to forget) for each memory or forget request in one message, in order."""
    found: list[tuple[str, bool]] = []
    for sentence in split_sentences(message.content):
        if message.role is Role.USER and (target := forget_target(sentence)) is not None:
            found.append((target, True))
            continue
        for clause in split_clauses(sentence):
            found.extend((text, False) for text in rewrite_clause(clause))
    return found


def forget_target(sentence: str) -> str | None:
    """What a request to forget targets, phrased like a memory ("Forget that I like sushi" → "Likes sushi")."""
    clause, _ = _strip_start(sentence.strip())
    match = _FORGET_RE.match(clause)
    if not match:
        return None
    verb = match.group("verb").lower()
    rest = _TRAILING_RE.sub("", match.group("rest")).strip(_WRAPPING_CHARS)
    rest = _FORGET_LEAD_RE.sub("", rest).strip()
    if not rest or _FORGET_VAGUE_RE.match(rest):
        return None
    if verb != "forget" and not _FORGET_PERSONAL_RE.search(rest):
        return None
    rewritten = rewrite_clause(rest) if _FIRST_PERSON_RE.match(rest) else []
    if rewritten:
        return rewritten[0]
    target = re.sub(r"^(?:my|me|mine)\s+", "", rest, flags=re.IGNORECASE)
    target = first_to_third_person(target).strip()
    return capitalize_first(target) if re.search(r"\w", target) else None


def facts_from_text(content: str) -> list[str]:
    """The memories stated in one message, in order."""
    facts: list[str] = []
    for sentence in split_sentences(content):
        for clause in split_clauses(sentence):
            facts.extend(rewrite_clause(clause))
    return facts


def split_sentences(content: str) -> list[str]:
    sentences: list[str] = []
    for line in content.replace("\u2019", "'").replace("\u2018", "'").splitlines():
        line = _BULLET_RE.sub("", line).strip()
        if not line:
            continue
        pending = ""
        for piece in _SENTENCE_END_RE.split(line):
            pending = f"{pending} {piece}" if pending else piece
            if pending.split()[-1].lower() not in _ABBREVIATIONS:
                sentences.append(pending)
                pending = ""
        if pending:
            sentences.append(pending)
    return sentences


def split_clauses(sentence: str) -> list[str]:
    """Clauses of one sentence that may state a fact; questions are left out."""
    sentence = sentence.strip()
    is_question = sentence.endswith("?")
    pieces = _CLAUSE_SEP_RE.split(sentence)
    clauses = [pieces[0]]
    for separator, piece in zip(pieces[1::2], pieces[2::2], strict=True):
        if len(clauses[-1]) <= _BARE_SUBJECT_MAX_CHARS and ";" not in separator and _is_bare_subject(clauses[-1]):
            clauses[-1] += separator + piece
        elif ";" in separator or _starts_statement(piece) or (is_question and "," in separator):
            clauses.append(piece)
        else:
            clauses[-1] += separator + piece
    if is_question:
        if _starts_with_question_word(clauses[0]):
            return []
        clauses = clauses[:-1]
    return [clause for clause in clauses if not _starts_with_question_word(clause)]


def rewrite_clause(clause: str) -> list[str]:
    """The third-person memories of one clause ([] when it is not a durable first-person statement)."""
    clause = _CONTRACTION_RE.sub(lambda m: _CONTRACTIONS[m.group(1).lower()], clause)
    clause, time_adverb = _strip_start(clause)
    clause = _TRAILING_RE.sub("", clause).strip(_WRAPPING_CHARS)
    if not clause:
        return []
    if match := _MY_AND_I_RE.match(clause):
        who = match.group("who") or match.group("who2")
        return [f"{fact} with their {who}" for fact in _rewrite_i(f"I {match.group('rest')}", time_adverb)]
    if clause[:3].lower() == "my ":
        return _rewrite_my(clause[3:].lstrip(), time_adverb)
    if _FIRST_PERSON_RE.match(clause):
        return _rewrite_i(clause, time_adverb)
    return []


# --- helpers ------------------------------------------------------------------------------------


def _strip_start(clause: str) -> tuple[str, str]:
    """Remove greetings, fillers and hedges at the start; return the clause and a leading time adverb."""
    clause = clause.strip(_WRAPPING_CHARS)
    time_adverb = ""
    while True:
        before = clause
        clause = _LEADING_FILLER_RE.sub("", clause).lstrip(_WRAPPING_CHARS + ",")
        clause = _HEDGE_RE.sub("", clause)
        if match := _TIME_ADVERB_RE.match(clause):
            time_adverb = match.group(1).lower()
            clause = clause[match.end() :]
        if clause == before:
            return clause, time_adverb


def _starts_statement(piece: str) -> bool:
    clause, _ = _strip_start(_CONTRACTION_RE.sub(lambda m: _CONTRACTIONS[m.group(1).lower()], piece))
    return bool(_FIRST_PERSON_RE.match(clause))


def _is_bare_subject(clause: str) -> bool:
    return bool(_BARE_SUBJECT_RE.match(_strip_start(clause)[0]))


def _starts_with_question_word(clause: str) -> bool:
    clause, _ = _strip_start(clause)
    first = clause.split(maxsplit=1)[0].lower() if clause.strip() else ""
    return first.rstrip(",?") in _QUESTION_WORDS


def _rewrite_i(clause: str, time_adverb: str) -> list[str]:
    # "I really love…": adverbs between the subject and the verb lead the memory.
    words = clause.split()
    adverbs: list[str] = []
    index = 1
    if words and words[0].lower() == "i":
        while index < len(words) - 1 and (
            is_adverb(words[index]) or (words[index].lower() == "no" and words[index + 1].lower() == "longer")
        ):
            if words[index].lower() == "no":
                adverbs.extend(words[index : index + 2])
                index += 2
            else:
                adverbs.append(words[index])
                index += 1
        clause = " ".join(["I", *words[index:]])
    for pattern, replacement, kind in _I_FORMS:
        if match := pattern.match(clause):
            head = match.expand(replacement).lower()
            rest = clause[match.end() :].strip()
            if kind == _COPULA and head == "is" and (names := _name_facts(rest)) is not None:
                return names
            return _finish(head, rest, adverbs, time_adverb, copula=kind == _COPULA)
    # A main verb: "I love sushi" → "Loves sushi", "I moved to Berlin" → "Moved to Berlin".
    parts = clause.split(maxsplit=2)
    if len(parts) < 2 or parts[0].lower() != "i" or not parts[1].isalpha():
        return []
    verb = parts[1]
    if verb.lower() in _NON_FACT_VERBS:
        return []
    head = verb.lower() if is_past_tense(verb) else third_person(verb.lower())
    return _finish(head, parts[2] if len(parts) > 2 else "", adverbs, time_adverb, copula=False)


def _name_facts(rest: str) -> list[str] | None:
    """ "I'm Alex" → ["Name is Alex"]; "I'm Alex from Berlin" adds "Is from Berlin"; None if no name."""
    match = _NAME_RE.match(rest)
    if not match:
        return None
    first = match.group("name").split()[0].lower()
    if first in _NATIONALITIES or first in _NOT_NAMES:
        return None
    facts = [f"Name is {match.group('name')}"]
    if origin := match.group("origin"):
        facts.append(f"Is from {first_to_third_person(origin.strip())}")
    return facts


def _finish(head: str, rest: str, adverbs: list[str], time_adverb: str, *, copula: bool) -> list[str]:
    """Assemble "<adverbs> <head> <rest>", dropping small talk and vague or addressed predicates."""
    rest = rest.strip(" ,")
    predicate_head = _PREDICATE_HEAD_RE.match(rest)
    first_word = predicate_head.group(1).lower() if predicate_head else ""
    if first_word in ("you", "your", "yours", "yourself"):
        return []
    if not copula and (not rest or _only_trivial(rest)):
        return []
    if copula and not rest:
        return []
    words = [*(w.lower() for w in adverbs)]
    if time_adverb:
        if head in ("is", "was", "is not", "was not"):
            head = f"{head.split()[0]} {time_adverb}" + (" not" if head.endswith("not") else "")
        else:
            words.insert(0, time_adverb)
    text = " ".join([*words, head, first_to_third_person(rest)])
    if _SMALL_TALK_RE.match(text) or _ADDRESSED_RE.search(text):
        return []
    return [capitalize_first(text)]


def _only_trivial(rest: str) -> bool:
    words = re.findall(r"[\w']+", rest.lower())
    return bool(words) and all(word in _TRIVIAL_WORDS for word in words)


def _rewrite_my(rest: str, time_adverb: str) -> list[str]:
    """ "My favourite color is blue" → "Favourite color is blue"; "My name's Alex" → "Name is Alex"."""
    rest = re.sub(r"^name's\b", "name is", rest, flags=re.IGNORECASE)
    words = rest.split()
    if len(words) < 3 or words[0].lower() in _MY_NON_FACTS:
        return []
    if _ADDRESSED_RE.search(rest):
        return []
    text = first_to_third_person(rest)
    if time_adverb and time_adverb != "now":
        text = f"{time_adverb} {text}"
    return [capitalize_first(text)]


def _terms(value: str) -> list[str]:
    return [term.strip() for term in value.split(",") if term.strip()]
