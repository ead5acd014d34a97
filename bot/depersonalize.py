"""The depersonalization check: a request posted for a performer must not tell the set who asked.

The intimacy coordinator posts requests to department channels on behalf of performers ("the
intimacy coordinator needs closed-set robes ready for scene 42"). `check_request` reads the
coordinator's text before it is posted and returns findings to show in the modal. It knows
nothing of Slack or the database: it is given the production's performers as `Identity`
values and how many performers the chosen scene has.

Refused (cannot be overridden), for every performer of the production:

- the real name or display name, whole ("Jane Doe", also across a line break or a double
  space, hyphenated, or run together as "JaneDoe"/"janedoe"), or any word of it. The first
  word ("Jane") is refused however it is written; later words ("Doe", "Núñez") too, except
  the ordinary-word case below. Initials ("J.") are not words of their own; titles, "Jr." and
  display-name pronouns ("(she/her)") are ignored;
- the Slack handle, with or without "@"; a `<@U…>` or `<@U…|name>` mention, or the bare user
  ID; the email address;
- the name of a character the performer plays, whole, or any distinctive word of it
  ("Detective Hale" -> "Hale"). Role words ("Detective", "Young", "Man", "Nurse" …, see
  `_ROLE_WORDS`) are not refused on their own, but a one-word character name always is.

Warned (the coordinator may acknowledge and post anyway), only when the scene has more than
one performer. With one performer, or no scene chosen, there is no "which one" to give away,
so nothing is warned; names are refused all the same. A scene typed into the text ("scene
12", "Sc. 4A", "scenes 3, 7 and 9"; `scenes_named`) counts as chosen: the largest cast of the
chosen and typed scenes decides, and the typed scenes are returned so the caller applies its
small-cast offer to them too.

- English gendered pronouns: he, him, his, himself, she, her, hers, herself. "Her boundary",
  "his request" are warned through the pronoun.
- Singular references that single one performer out (`_SINGULAR`):
  "the/this/that/our/your" + an optional modifier (female, male, lead, leading, main, other,
  new, young, younger, older, first, second, third) + a person noun (actor, actress,
  performer, artist, lead, co-lead, star, co-star, dancer, model, girl, guy, boy, man, woman,
  lady, gentleman, gent, gal, dude, lad, lass, person, individual): "the actress", "the lead",
  "our female lead", "that guy";
  "one of them/us/you", "one of the [two] actors/performers/cast/girls/…";
  "one actor/actress/performer/artist/dancer/cast member"; "the one who/that";
  "leading lady/man"; "actress" anywhere (it is singular and gendered).
  Plurals ("the actors", "the performers", "the cast") and "a performer" are fine: they do
  not say which one.

Every name a person goes by is checked: the cast list's name and characters, and the Slack
profile's real name, display name and handle (the caller passes them as `Identity` values).

Matching is case- and accent-insensitive like `bot.text.fold` ("nunez" finds "Núñez"; also
fullwidth letters, decomposed accents, invisible zero-width characters and curly
apostrophes; "OBrien" finds "O'Brien"). Look-alike letters of other scripts fold to their
Latin prototype by the Unicode TR39 confusables table (the skeleton of UTS #39 section 4:
decompose, map each character to its prototype, decompose again), so a Cyrillic "а" or
Greek "ο" in "Jаne" finds "Jane"; the table is the `disarm` library's (`normalize_confusables`,
Unicode 17), applied to non-ASCII characters only: ASCII keeps the rules here, so "|" and '"'
stay punctuation and "l", "I" and "1" stay apart (TR39 would join them; that would refuse
"lan" for "Ian" and "ill" for "Ill"). Letters typed apart, two or more single letters with
one kind of separator between them ("J a n e", "J.a.n.e", "J-A-N-E", "j_a_n_e", "J. a. n.
e."), read as the word they spell. Matching is by whole word: a name is not found inside a longer
word ("Ana" is not in "banana" or "analysis", "Max" not in "maximum", "Bob" not in "bobbin"),
but punctuation, digits, "_", a URL's "/" or a camelCase join ("JaneDoe") end a word, so
"Jane's", "jane_doe", ".../jane-doe/..." are found. Names in scripts written without spaces
(Chinese, Japanese, Thai) are found anywhere.

Names that are also ordinary English words ("Will", "May", "Grace", "Rose", "Bill", "Black")
have no reliable tell: people type names in lower case in Slack ("can will have the robe") and
every sentence starts with a capital ("Will you…"). So:

- a first word of a name (and a whole one-word name or character) is refused in every
  spelling, even where it is plainly the word ("the robes will be ready"). A false refusal is
  fixed by rewording ("are going to be ready"); a false pass tells the set who asked. The
  message says the word is refused as a word and asks for a rewording;
- a later word of a name (a last name, a second surname, a name particle like "van" or
  "de"), a bare handle, and a non-first word of a character name that is an ordinary word
  (`_ORDINARY_WORDS`) is refused only when written as a name: with a capital ("Black", "BLACK",
  also at the start of a sentence) or after a title ("ms black"). In lower case it is taken as
  the word ("black robes"). Surnames alone are nearly always written with a capital, while
  colours and sizes ("Black", "White", "Brown", "Long", "Short", "Young", "Little") are the
  daily vocabulary of wardrobe requests. Any other last name ("Doe", "Núñez") is distinctive
  and refused in every spelling. The word list only ever relaxes lower-case last names: a word
  missing from it is refused, never let through.

Known gaps, stated so nobody relies on them: nicknames not in the display name, misspellings,
look-alikes within ASCII ("lan" for "Ian", "0" for "O"), a name split unevenly ("Ja ne"),
and descriptions ("the tall one") are not found.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from disarm import normalize_confusables

from bot.text import fold, mrkdwn_escape


@dataclass(frozen=True)
class Identity:
    """A performer of the production, as far as the check needs. Any field may be empty.

    `handle` may be given with or without its "@". A performer may play several characters.
    """

    user_id: str = ""
    real_name: str = ""
    display_name: str = ""
    handle: str = ""
    email: str = ""
    characters: tuple[str, ...] = ()
    other_names: tuple[str, ...] = ()
    """Further names they go by, checked like `real_name` (the Slack profile's real name
    beside the cast list's)."""

    @property
    def label(self) -> str:
        """How the coordinator's own modal refers to this performer."""
        for name in (self.real_name, self.display_name):
            if name.strip():
                return " ".join(name.split())
        if self.handle.strip("@ "):
            return "@" + self.handle.strip("@ ")
        return self.email.strip() or self.user_id.strip() or "unnamed performer"


class Severity(StrEnum):
    REFUSE = "refuse"
    """Cannot be posted; the coordinator must reword."""
    WARN = "warn"
    """May be posted once the coordinator acknowledges it."""


class Kind(StrEnum):
    """What was found. Earlier kinds win when two findings cover the same text."""

    NAME = "name"  # a performer's whole real or display name
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"  # any later word of a name
    CHARACTER = "character"
    HANDLE = "handle"
    MENTION = "mention"
    USER_ID = "user_id"
    EMAIL = "email"
    PRONOUN = "pronoun"
    SINGULAR_REFERENCE = "singular_reference"


_WARNING_KINDS = frozenset({Kind.PRONOUN, Kind.SINGULAR_REFERENCE})


@dataclass(frozen=True)
class Finding:
    """One thing in the request that could tell the set who asked.

    `text` is `request[start:end]`, as typed. `message` is plain text for the coordinator's
    modal (it quotes what was typed, so escape it before putting it into mrkdwn). It names a
    performer only when the coordinator typed something of theirs.
    """

    kind: Kind
    severity: Severity
    text: str
    start: int
    end: int
    message: str


@dataclass(frozen=True)
class RequestCheck:
    """All findings of one request, in text order."""

    findings: tuple[Finding, ...]
    scenes: tuple[str, ...] = ()
    """Scene numbers of the production typed into the text ("scene 12", "sc. 4A"), in text
    order: each counts as chosen."""

    @property
    def refusals(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.REFUSE)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARN)

    def may_post(self, *, acknowledged: bool) -> bool:
        """Nothing refused, and any warning acknowledged by the coordinator."""
        return not self.refusals and (acknowledged or not self.warnings)


# --- word lists (all folded) ---------------------------------------------------------------


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Ordinary English words that are also names. Only later words of a name written in lower
# case are let through for being on this list; it also explains refusals of first names.
_ORDINARY_WORDS = _word_set(
    """
    will may grace rose bill mark pat art hope faith joy dawn eve chase ray rob bob sue drew
    frank jack grant guy rich sandy holly ivy amber penny summer autumn april june august lily
    daisy iris violet ruby pearl crystal sky river rocky buddy dean don gene kit max nick reed
    rod wade ward win jay robin candy honey heather hazel ginger jewel melody harmony destiny
    liberty charity patience angel star storm glen dale cliff lance miles sterling hunter mason
    carter cash duke earl prince noble ace bud chip chuck hank herb sly

    black white brown green gray grey long short little young small strong best king bell hall
    wood woods price park rice stone lane fox hill cook baker turner walker miller fisher
    porter page law love sharp bond hardy church marsh field fields banks rivers bush lamb swan
    crane fry day knight cross ball glass case chance story snow frost winter spring bloom brook
    wise wells waters ford hale lee gold silver steel head hand hart hay house key lord major
    north south east west rush sparks stern street sweet tanner trout weeks wolf worth

    a an as at be by do go he hi ho if in is it me my no of on or so to up us we ha oh yo

    da das de del della der des di dos du la le van von den ten ter bin ibn al el y
    """
)

# Words in a name field that name nobody: titles, suffixes, and pronouns people put in their
# Slack display name ("Jane Doe she/her").
_NOT_NAME_WORDS = _word_set("mr mrs ms mx miss dr prof sir dame jr sr ii iii iv")
_PRONOUN_WORDS = _word_set(
    "he him his she her hers they them their theirs xe xem xyr ze zir hir it its"
)

# Words of character names that do not single anyone out on their own ("Detective Hale",
# "Young Tom", "Girl in Bar", "Man #2").
_ROLE_WORDS = _word_set(
    """
    the a an of in on at and with from to for by mr mrs ms mx miss dr sir dame
    young old older younger little big man woman girl boy guy lady kid baby teen
    detective det officer sergeant sgt captain capt lieutenant lt doctor nurse agent
    father mother sister brother aunt uncle grandma grandpa king queen prince princess lord
    professor prof judge waiter waitress bartender driver guard soldier priest
    """
)

_TITLE_BEFORE = re.compile(r"(?<![^\W\d_])(?:mr|mrs|ms|mx|miss|dr|sir|dame)\.?\s+$")

_PRONOUNS = re.compile(r"(?<![^\W\d_])(?:he|him|his|himself|she|her|hers|herself)(?![^\W\d_])")

_DETERMINER = r"(?:the|this|that|our|your)"
_MODIFIER = r"(?:female|male|lead|leading|main|other|new|young|younger|older|first|second|third)"
_PERSON = (
    r"(?:actor|actress|performer|artist|artiste|lead|co-?lead|star|co-?star|dancer|model|girl"
    r"|guy|boy|man|woman|lady|gentleman|gent|gal|dude|lad|lass|person|individual)"
)
_PEOPLE = (
    r"(?:actors|actresses|performers|artists|leads|stars|co-?stars|dancers|models|girls|guys"
    r"|boys|men|women|ladies|gentlemen|people|cast\s+members|cast)"
)
_NUMBER = r"(?:two|three|four|five|six|seven|eight|nine|ten|\d+)"
_SINGULAR = re.compile(
    r"(?<![^\W\d_])(?:"
    rf"{_DETERMINER}\s+(?:{_MODIFIER}\s+)?{_PERSON}"
    rf"|one\s+of\s+(?:them|us|you|(?:the|our|your|these|those)\s+(?:{_NUMBER}\s+)?{_PEOPLE})"
    r"|one\s+(?:actor|actress|performer|artist|dancer|cast\s+member)"
    r"|the\s+one\s+(?:who|that)"
    r"|leading\s+(?:lady|man)"
    r"|actress"
    r")(?![^\W\d_])"
)

# "scene 12", "Sc. 4A", "scenes 3, 4 and 5", "scene #7", "scn 2/3". Words after the keyword
# count only when they hold a digit and are scene numbers of the production.
_SCENE_REF = re.compile(
    r"(?<![^\W_])(?:scenes?|scn|sc)\.?\s*(?:no\.?\s*)?#?\s*"
    r"(?P<numbers>\w*\d[\w.\-]*(?:\s*(?:,|&|\+|/|\band\b|\bor\b)\s*#?\s*\w*\d[\w.\-]*)*)",
    re.IGNORECASE,
)
_SCENE_NUMBER = re.compile(r"\w*\d[\w.\-]*")

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>", re.IGNORECASE)

# --- folding with positions ----------------------------------------------------------------

_APOSTROPHES = frozenset("'\u2018\u2019\u02bc\u02b9\u2032\uff07`\u00b4")
_DASHES = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d")
_SPACELESS_SCRIPTS = ("CJK ", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """One character folded as `bot.text.fold` does (without touching spaces): accents
    dropped, case folded. Apostrophes and dashes become ASCII; invisible format characters
    (zero-width space, soft hyphen) vanish, as they do on screen. A look-alike letter of
    another script becomes its Latin prototype (the TR39 skeleton, see the module docstring);
    ASCII is left to the rules above ("|" and '"' stay what they are)."""
    if ch in _APOSTROPHES:
        return "'"
    if ch in _DASHES:
        return "-"
    if unicodedata.category(ch) == "Cf":
        return ""
    decomposed = unicodedata.normalize("NFKD", ch)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    if not stripped.isascii():
        stripped = normalize_confusables(stripped)
    folded = unicodedata.normalize("NFKD", stripped.casefold())
    return "".join(c for c in folded if not unicodedata.combining(c))


@dataclass(frozen=True)
class _Folded:
    """The request folded for matching, with each folded character's index in the request."""

    source: str
    text: str
    origin: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The request's (start, end) for a folded match, with trailing combining accents."""
        first, last = self.origin[start], self.origin[end - 1] + 1
        while last < len(self.source) and unicodedata.combining(self.source[last]):
            last += 1
        return first, last


def _fold_request(source: str, *, split_camel: bool) -> _Folded:
    """Fold `source`; with `split_camel`, a space goes where lower case meets upper case, so
    "JaneDoe" reads as "jane doe" (a name in a file name or URL)."""
    chars: list[str] = []
    origin: list[int] = []
    previous = ""
    for index, ch in enumerate(source):
        folded = _fold_char(ch)
        if not folded:
            continue
        if split_camel and previous.islower() and ch.isupper():
            chars.append(" ")
            origin.append(index)
        chars.extend(folded)
        origin.extend([index] * len(folded))
        previous = ch
    return _Folded(source, "".join(chars), tuple(origin))


# Letters typed apart ("J a n e", "J.a.n.e", "J-A-N-E", "j_a_n_e"): two or more single letters,
# each a word of its own, with the same kind of separator between them.
_SPACED = re.compile(
    r"(?<![^\W\d_])[^\W\d_](?:(?P<sep>[ \t.\-_*·•/+~,]|\.? +)[^\W\d_])"
    r"(?:(?P=sep)[^\W\d_])*(?![^\W\d_])"
)


def _join_spaced(folded: _Folded) -> _Folded | None:
    """`folded` with letters typed apart joined ("j a n e" -> "jane"), or None when there
    are none. Positions still point into the request."""
    chars: list[str] = []
    origin: list[int] = []
    position = 0
    for match in _SPACED.finditer(folded.text):
        chars.extend(folded.text[position : match.start()])
        origin.extend(folded.origin[position : match.start()])
        for index in range(match.start(), match.end()):
            if folded.text[index].isalpha():
                chars.append(folded.text[index])
                origin.append(folded.origin[index])
        position = match.end()
    if not position:
        return None
    chars.extend(folded.text[position:])
    origin.extend(folded.origin[position:])
    return _Folded(folded.source, "".join(chars), tuple(origin))


# --- what to look for ----------------------------------------------------------------------

_LETTER_BEFORE = r"(?<![^\W\d_])"
_LETTER_AFTER = r"(?![^\W\d_])"
_ALNUM_BEFORE = r"(?<![^\W_])"
_ALNUM_AFTER = r"(?![^\W_])"
_TOKEN_AFTER = r"(?![\w\-]|\.\w)"  # a handle or address ends; a full stop may follow
_SEPARATOR = r"[\s\-_.]*"


@dataclass(frozen=True)
class _Term:
    """One thing of one performer to look for."""

    pattern: re.Pattern[str]
    kind: Kind
    label: str
    lenient: bool = False  # an ordinary word: refused only when written as a name
    ordinary: bool = False  # also an ordinary English word (said in the message)


def _spaceless(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith(_SPACELESS_SCRIPTS)


def _guard(ch: str, *, after: bool) -> str:
    """The whole-word condition on one side of a name whose edge character is `ch`."""
    if ch.isdigit():
        return r"(?!\d)" if after else r"(?<!\d)"
    if ch.isalpha() and not _spaceless(ch):
        return _LETTER_AFTER if after else _LETTER_BEFORE
    return ""


def _name_pattern(name: str) -> re.Pattern[str] | None:
    """A name matched whole-word, its words joined by any spaces, dashes, dots, underscores
    or nothing, apostrophes optional ("O'Brien", "obrien")."""
    pieces: list[str] = []
    edges: list[str] = []
    pending = False
    for ch in name:
        for folded in _fold_char(ch):
            if folded.isspace() or folded in "-_.":
                pending = bool(pieces)
                continue
            if pending:
                pieces.append(_SEPARATOR)
                pending = False
            pieces.append("'?" if folded == "'" else re.escape(folded))
            edges.append(folded)
    if not edges:
        return None
    body = "".join(pieces)
    return re.compile(_guard(edges[0], after=False) + body + _guard(edges[-1], after=True))


def _token_pattern(token: str, before: str, after: str) -> re.Pattern[str] | None:
    """A handle, address or ID matched literally (dots are dots)."""
    body = "".join(re.escape(folded) for ch in token for folded in _fold_char(ch))
    return re.compile(before + body + after) if body else None


def _words(name: str) -> list[list[str]]:
    """The words of a name (split on spaces) as runs of letters (split on dashes and dots):
    "Jean-Luc O'Brien" -> [["Jean", "Luc"], ["O'Brien"]]."""
    name = unicodedata.normalize("NFC", name)
    runs = (re.findall(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*", word) for word in name.split())
    return [run for run in runs if run]


def _name_terms(name: str, label: str, *, display: bool) -> list[_Term]:
    """The whole name, its first word strictly, and its later words leniently."""
    if display:  # "Jane Doe (she/her)", "Jane [on set]"
        name = re.sub(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}", " ", name)
    skip = _NOT_NAME_WORDS | (_PRONOUN_WORDS if display else frozenset())
    words = [[run for run in word if fold(run) not in skip] for word in _words(name)]
    words = [word for word in words if word]
    terms: list[_Term | None] = []
    whole = " ".join("-".join(word) for word in words)
    if sum(len(word) for word in words) > 1 and (pattern := _name_pattern(whole)) is not None:
        terms.append(_Term(pattern, Kind.NAME, label))
    for position, word in enumerate(words):
        kind = Kind.FIRST_NAME if position == 0 else Kind.LAST_NAME
        if len(word) > 1:  # "Jean-Luc" as one finding, not "Jean" and "Luc"
            terms.append(_word_term("-".join(word), kind, label, strict=position == 0))
        terms.extend(_word_term(run, kind, label, strict=position == 0) for run in word)
    return [term for term in terms if term is not None]


def _word_term(word: str, kind: Kind, label: str, *, strict: bool) -> _Term | None:
    """One word of a name, or None for an initial. A strict word is refused however it is
    written; any other only when written as a name if it is an ordinary word (see the module
    docstring)."""
    folded = fold(word).replace("\u2019", "'")
    pattern = _name_pattern(word)
    if pattern is None or len(folded.replace("'", "")) < 2:
        return None
    ordinary = folded in _ORDINARY_WORDS
    return _Term(pattern, kind, label, lenient=ordinary and not strict, ordinary=ordinary)


def _character_terms(character: str, label: str) -> list[_Term | None]:
    """The whole character name, and each of its words that is not a role word; the first
    word strictly unless a role word comes before it ("Young Tom": "Tom" leniently)."""
    whole = _name_pattern(character)
    ordinary = fold(character) in _ORDINARY_WORDS
    terms = [_Term(whole, Kind.CHARACTER, label, ordinary=ordinary) if whole else None]
    runs = [run for word in _words(character) for run in word]
    if len(runs) > 1:
        terms.extend(
            _word_term(run, Kind.CHARACTER, label, strict=index == 0)
            for index, run in enumerate(runs)
            if fold(run) not in _ROLE_WORDS
        )
    return terms


@lru_cache(maxsize=2048)
def _performer_terms(performer: Identity) -> tuple[_Term, ...]:
    """Everything to look for of one performer; cached, as a production's cast is checked
    again with every request."""
    label = performer.label
    terms: list[_Term] = []
    names = [(performer.real_name, False), (performer.display_name, True)]
    names += [(name, False) for name in performer.other_names]
    for name, display in names:
        terms.extend(_name_terms(name, label, display=display))
    handle = performer.handle.strip().lstrip("@")
    if handle:
        at = _token_pattern("@" + handle, _ALNUM_BEFORE, _TOKEN_AFTER)
        bare = _token_pattern(handle, _ALNUM_BEFORE, _ALNUM_AFTER)
        ordinary = fold(handle) in _ORDINARY_WORDS
        if at is not None and bare is not None:
            terms.append(_Term(at, Kind.HANDLE, label))
            terms.append(_Term(bare, Kind.HANDLE, label, lenient=ordinary, ordinary=ordinary))
    if email := performer.email.strip():
        pattern = _token_pattern(email, r"(?<![\w.+%\-])", _TOKEN_AFTER)
        if pattern is not None:
            terms.append(_Term(pattern, Kind.EMAIL, label))
    if user_id := performer.user_id.strip():
        pattern = _token_pattern(user_id, _ALNUM_BEFORE, _ALNUM_AFTER)
        if pattern is not None:
            terms.append(_Term(pattern, Kind.USER_ID, label))
    for character in performer.characters:
        terms.extend(term for term in _character_terms(character, label) if term is not None)
    return tuple(terms)


# --- the check -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: Kind
    label: str
    note: str = ""


def scenes_named(text: str, scenes: Iterable[str]) -> tuple[str, ...]:
    """The scene numbers out of `scenes` that `text` names after "scene"/"sc", in text order,
    as the production spells them. Numbers compare folded ("4a" is scene "4A")."""
    by_folded = {fold(number).strip(): number for number in scenes if number.strip()}
    found: dict[str, None] = {}
    plain = fold(text)
    for match in _SCENE_REF.finditer(plain):
        for token in _SCENE_NUMBER.findall(match.group("numbers")):
            number = by_folded.get(token) or by_folded.get(token.rstrip(".-"))
            if number is not None:
                found[number] = None
    return tuple(found)


def check_request(
    text: str,
    performers: Iterable[Identity],
    *,
    scene_cast: int | None,
    scenes: Mapping[str, int] | None = None,
) -> RequestCheck:
    """Check a request before it is posted on a performer's behalf.

    Args:
        text: the request as the coordinator typed it (not mrkdwn-escaped).
        performers: every performer of the production, not only the scene's.
        scene_cast: how many performers the chosen scene has; None when no scene is chosen.
            Pronouns and singular references are warned about only when it is above 1.
        scenes: the production's scene numbers and how many performers each has. A scene
            typed into the text ("scene 12") counts as chosen: its cast counts like
            `scene_cast`, the largest of them deciding.

    Returns:
        The findings, refusals and warnings, in text order; overlapping findings are reduced
        to the widest one ("Jane Doe", not also "Jane" and "Doe"); and the scenes named.
    """
    named = scenes_named(text, scenes) if scenes else ()
    casts = [size for size in [scene_cast, *(scenes[n] for n in named if scenes)] if size]
    scene_cast = max(casts, default=scene_cast)
    plain = _fold_request(text, split_camel=False)
    camel = _fold_request(text, split_camel=True)
    views = [plain, camel]
    if (spaced := _join_spaced(plain)) is not None:
        views.append(spaced)
    hits: list[_Hit] = []
    performers = tuple(performers)
    for performer in performers:
        for term in _performer_terms(performer):
            for folded in views:
                hits.extend(_term_hits(term, folded))
    by_id = {p.user_id.strip().upper(): p.label for p in performers if p.user_id.strip()}
    for match in _MENTION.finditer(text):
        if (label := by_id.get(match.group(1).upper())) is not None:
            hits.append(_Hit(match.start(), match.end(), Kind.MENTION, label))
    if scene_cast is not None and scene_cast > 1:
        for kind, pattern in ((Kind.PRONOUN, _PRONOUNS), (Kind.SINGULAR_REFERENCE, _SINGULAR)):
            for match in pattern.finditer(plain.text):
                start, end = plain.span(match.start(), match.end())
                hits.append(_Hit(start, end, kind, ""))
    return RequestCheck(_findings(text, hits, scene_cast or 0), named)


def _term_hits(term: _Term, folded: _Folded) -> list[_Hit]:
    hits: list[_Hit] = []
    for match in term.pattern.finditer(folded.text):
        start, end = folded.span(match.start(), match.end())
        typed = folded.source[start:end]
        note = ""
        if term.lenient:
            titled = _TITLE_BEFORE.search(folded.text, 0, match.start()) is not None
            if not titled and not typed[:1].isupper():
                continue
            if not titled:
                note = (
                    f" In lower case, '{typed.lower()}' is taken as the ordinary word and is fine."
                )
        elif term.ordinary:
            note = (
                " It is also an ordinary word, but the set could read it as the name, so it "
                "cannot be used: please reword."
            )
        hits.append(_Hit(start, end, term.kind, term.label, note))
    return hits


def _findings(text: str, hits: list[_Hit], scene_cast: int) -> tuple[Finding, ...]:
    """Merge hits on the same text (one finding naming every performer it matches), then drop
    what lies inside a wider finding of the same or higher severity."""
    grouped: dict[tuple[int, int, Kind], list[_Hit]] = {}
    for hit in hits:
        grouped.setdefault((hit.start, hit.end, hit.kind), []).append(hit)
    order = list(Kind)
    keys = sorted(
        grouped,
        key=lambda k: (k[2] in _WARNING_KINDS, k[0], -k[1], order.index(k[2])),
    )
    kept: list[Finding] = []
    for start, end, kind in keys:
        if any(f.start <= start and end <= f.end for f in kept):
            continue  # a refusal is never inside a kept warning: refusals are placed first
        group = grouped[(start, end, kind)]
        typed = text[start:end]
        if kind in _WARNING_KINDS:
            kept.append(
                Finding(kind, Severity.WARN, typed, start, end, _warning(kind, typed, scene_cast))
            )
            continue
        labels = list(dict.fromkeys(hit.label for hit in group))
        note = next((hit.note for hit in group if hit.note), "")
        message = _refusal(kind, typed, labels) + note
        kept.append(Finding(kind, Severity.REFUSE, typed, start, end, message))
    return tuple(sorted(kept, key=lambda f: (f.start, f.end)))


_WHAT = {
    Kind.NAME: "is the name of",
    Kind.FIRST_NAME: "is the name of",
    Kind.LAST_NAME: "is the name of",
    Kind.CHARACTER: "is a character played by",
    Kind.HANDLE: "is the Slack handle of",
    Kind.MENTION: "mentions",
    Kind.USER_ID: "is the Slack ID of",
    Kind.EMAIL: "is the email address of",
}


def _quote(typed: str) -> str:
    return "'" + " ".join(typed.split()) + "'"


def _refusal(kind: Kind, typed: str, labels: list[str]) -> str:
    who = f"a performer ({labels[0]})" if len(labels) == 1 else f"performers ({', '.join(labels)})"
    return f"{_quote(typed)} {_WHAT[kind]} {who}. Requests must not name who asked."


def _warning(kind: Kind, typed: str, scene_cast: int) -> str:
    instead = "'they' or 'the performers'" if kind is Kind.PRONOUN else "'the performers'"
    return (
        f"{_quote(typed)} points at one person, and this scene has {scene_cast} performers: "
        f"the set could work out who asked. Consider {instead} instead, or acknowledge and "
        "post as it is."
    )


# --- showing people's text in mrkdwn -------------------------------------------------------

# People's text is escaped by `bot.text.mrkdwn_escape` (Slack's "Escaping text" rules: every
# link and mention is a "<…>" sequence, so escaping "&", "<" and ">" shows it as typed); a
# coordinator's request may keep its channel ping. Special mentions are "<!here>",
# "<!channel>" and "<!everyone>"
# (https://api.slack.com/reference/surfaces/formatting#special-mentions; the older
# slackhq/slack-api-docs page_formatting.md calls them "<!foo>" special commands). A plain
# "@here" in a bot's text is not a ping: Slack turns it into one only with link_names.
_PING = re.compile(
    r"<!(channel|here)(?:\|[^<>]*)?>|(?<![\w@.+\-])@(channel|here)(?![\w\-]|\.\w)",
    re.IGNORECASE,
)


def escape_user_text(text: str, *, allow_channel_ping: bool) -> str:
    """`text` as literal text in mrkdwn: `&`, `<`, `>` escaped, so typed mentions, links and
    `<!channel>` show as typed and notify nobody.

    With `allow_channel_ping` (the coordinator's own post to a department channel), a typed
    `@channel`/`@here` or `<!channel>`/`<!here>` becomes the real ping. `@everyone` and
    `<!everyone>` never do: they reach the whole workspace, never right for a request.
    """
    if not allow_channel_ping:
        return mrkdwn_escape(text)
    out: list[str] = []
    position = 0
    for match in _PING.finditer(text):
        out.append(mrkdwn_escape(text[position : match.start()]))
        out.append(f"<!{(match.group(1) or match.group(2)).lower()}>")
        position = match.end()
    out.append(mrkdwn_escape(text[position:]))
    return "".join(out)
