"""The depersonalization check: what is refused, what is warned about, what is rightly allowed;
positions and messages; escaping people's text for mrkdwn."""

from __future__ import annotations

import pytest

from bot.depersonalize import (
    Finding,
    Identity,
    Kind,
    RequestCheck,
    Severity,
    check_request,
    escape_user_text,
    scenes_named,
)

CAST = (
    Identity("U0JANE0001", "Jane Doe", "janie", "jdoe", "jane.doe@example.com", ("Maria Lopez",)),
    Identity("U0ANAN0002", "Ana Núñez", "Ana N (she/her)", "ana.n", "", ("Detective Hale",)),
    Identity("U0MAXO0003", "Max O'Brien", characters=("Tom",)),
    Identity("U0BOBB0004", "Bob Black", "Bobby"),
    Identity("U0WILL0005", "Will Bell"),
    Identity("U0GRAC0006", "Grace Kim", characters=("Rose",)),
    Identity("U0MAYL0007", "May Lin"),
    Identity("U0WCHA0008", "William Chase", "Bill"),
    Identity("U0WANG0009", "王伟"),
    Identity("U0JLUC0010", "Jean-Luc Picard", characters=("Man #2",)),
)

N, F, L, C = Kind.NAME, Kind.FIRST_NAME, Kind.LAST_NAME, Kind.CHARACTER
P, S = Kind.PRONOUN, Kind.SINGULAR_REFERENCE

Case = tuple[str, str, int | None, list[tuple[Kind, str]]]

REFUSED: list[Case] = [
    ("first name", "Robes for Jane in scene 42", 3, [(F, "Jane")]),
    ("full name in lower case", "robes for jane doe please", 3, [(N, "jane doe")]),
    ("full name across a line break", "Robes for Jane\nDoe", 3, [(N, "Jane\nDoe")]),
    ("full name with a double space", "Jane  Doe needs a robe", 3, [(N, "Jane  Doe")]),
    ("full name run together", "ask janedoe", 3, [(N, "janedoe")]),
    ("full name with underscore", "file jane_doe.pdf", 3, [(N, "jane_doe")]),
    ("camelCase name in a URL", "see https://drive.example/JaneDoe-fit.pdf", 3, [(N, "JaneDoe")]),
    ("first name in a URL", "https://drive.example/jane/robes", 3, [(F, "jane")]),
    ("possessive", "Jane's robe", 3, [(F, "Jane")]),
    ("curly possessive", "Jane\u2019s robe", 3, [(F, "Jane")]),
    ("quotes and comma", '"Jane", robe ready?', 3, [(F, "Jane")]),
    ("all caps", "ROBE FOR JANE", 3, [(F, "JANE")]),
    ("last name alone", "Please tell Doe.", 3, [(L, "Doe")]),
    ("last name without accents", "ask nunez about robes", 3, [(L, "nunez")]),
    ("last name with accents", "Núñez, robes please", 3, [(L, "Núñez")]),
    ("decomposed accents", "N\u0075\u0303n\u0303ez asked", 1, [(L, "Nu\u0303n\u0303ez")]),
    ("fullwidth letters", "\uff2a\uff21\uff2e\uff25", 3, [(F, "\uff2a\uff21\uff2e\uff25")]),
    ("zero-width space inside", "for Ja\u200bne", 3, [(F, "Ja\u200bne")]),
    ("short first name", "Ana, robes", 3, [(F, "Ana")]),
    ("Cyrillic look-alike letter", "robes for J\u0430ne", 3, [(F, "J\u0430ne")]),
    ("Greek and Cyrillic look-alikes", "\u0410n\u03b1 asked", 3, [(F, "\u0410n\u03b1")]),
    (
        "mathematical letters",
        "\U0001d409\U0001d41a\U0001d427\U0001d41e",
        3,
        [(F, "\U0001d409\U0001d41a\U0001d427\U0001d41e")],
    ),
    ("letters spaced apart", "robes for J a n e", 3, [(F, "J a n e")]),
    ("letters dotted apart", "J.a.n.e. needs robes", 3, [(F, "J.a.n.e")]),
    ("letters dashed apart in caps", "FOR J-A-N-E", 3, [(F, "J-A-N-E")]),
    ("whole name spaced apart", "ask j a n e d o e", 3, [(N, "j a n e d o e")]),
    ("spaced apart with zero-width", "J a\u200b n e", 3, [(F, "J a\u200b n e")]),
    ("apostrophe name typed without it", "robe for obrien", 3, [(L, "obrien")]),
    ("curly apostrophe in name", "O\u2019Brien\u2019s robe", 3, [(L, "O\u2019Brien")]),
    ("display name", "janie needs robes", 3, [(F, "janie")]),
    ("display name without its pronouns", "for Ana N.", 3, [(N, "Ana N")]),
    ("mention", "robes for <@U0JANE0001>", 3, [(Kind.MENTION, "<@U0JANE0001>")]),
    (
        "mention with a label",
        "<@u0jane0001|someone> robes",
        3,
        [(Kind.MENTION, "<@u0jane0001|someone>")],
    ),
    ("bare user ID", "U0JANE0001 needs robes", 3, [(Kind.USER_ID, "U0JANE0001")]),
    ("user ID in a URL", "app.slack.com/team/U0JANE0001", 3, [(Kind.USER_ID, "U0JANE0001")]),
    ("@handle", "cc @jdoe.", 3, [(Kind.HANDLE, "@jdoe")]),
    ("bare handle", "ask jdoe", 3, [(Kind.HANDLE, "jdoe")]),
    ("handle with a dot", "ping @ana.n", 3, [(Kind.HANDLE, "@ana.n")]),
    ("email", "mail jane.doe@example.com.", 3, [(Kind.EMAIL, "jane.doe@example.com")]),
    ("character, whole", "Maria Lopez needs a robe", 3, [(C, "Maria Lopez")]),
    ("character, first word", "robe for maria", 3, [(C, "maria")]),
    ("character, distinctive word", "Hale's scene", 3, [(C, "Hale")]),
    ("one-word character", "Tom needs a robe", 3, [(C, "Tom")]),
    ("first name that is a word: will", "robes will be ready", 3, [(F, "will")]),
    ("first name that is a word: grace", "with grace", 3, [(F, "grace")]),
    ("first name that is a word: may", "it may rain", 3, [(F, "may")]),
    ("display name that is a word: bill", "the bill is paid", 3, [(F, "bill")]),
    ("character that is a word: rose", "a rose on set", 3, [(C, "rose")]),
    ("ordinary last name with a capital", "Black robes for 42", 3, [(L, "Black")]),
    ("ordinary last name in caps", "BLACK ROBES", 3, [(L, "BLACK")]),
    ("ordinary last name after a title", "ms black's robe", 3, [(L, "black")]),
    ("name in a script without spaces", "请为王伟准备浴袍", 3, [(F, "王伟")]),
    ("name in a scene of one", "Robes for Max", 1, [(F, "Max")]),
    ("name with no scene chosen", "Robes for Max", None, [(F, "Max")]),
    ("hyphenated first name", "Jean-Luc needs a robe", 3, [(F, "Jean-Luc")]),
    ("hyphenated first name typed apart", "for jean luc", 3, [(F, "jean luc")]),
    ("part of a hyphenated name", "Luc asked", 3, [(F, "Luc")]),
    ("numbered character", "Man #2 needs a robe", 3, [(C, "Man #2")]),
    ("two names", "Jane and Ana", 3, [(F, "Jane"), (F, "Ana")]),
    ("name and pronoun", "Jane needs her robe", 3, [(F, "Jane"), (P, "her")]),
]

WARNED: list[Case] = [
    ("her", "Robes for her, please", 3, [(P, "her")]),
    ("He at the start", "He asked for a closed set", 3, [(P, "He")]),
    ("her boundary", "respect her boundary", 3, [(P, "her")]),
    ("his request", "his request is firm", 3, [(P, "his")]),
    ("himself in caps", "HIMSELF", 3, [(P, "HIMSELF")]),
    ("she's", "she's cold", 3, [(P, "she")]),
    ("hers", "the robe is hers", 3, [(P, "hers")]),
    ("pronoun in a scene of two", "a robe for him", 2, [(P, "him")]),
    ("the actress", "the actress needs robes", 3, [(S, "the actress")]),
    ("one of the actors", "one of the actors asked", 3, [(S, "one of the actors")]),
    (
        "one of the two performers",
        "one of the two performers",
        3,
        [(S, "one of the two performers")],
    ),
    ("one of them", "one of them asked", 3, [(S, "one of them")]),
    ("the lead", "the lead would like privacy", 3, [(S, "the lead")]),
    ("our female lead", "our female lead", 3, [(S, "our female lead")]),
    ("the girl", "the girl in 42", 3, [(S, "the girl")]),
    ("the guy", "the guy in 42", 3, [(S, "the guy")]),
    ("an actress", "an actress asked", 3, [(S, "actress")]),
    ("leading lady", "The Leading Lady", 3, [(S, "The Leading Lady")]),
    ("one performer", "one performer asked", 3, [(S, "one performer")]),
    ("the one who", "the one who asked", 3, [(S, "the one who")]),
    (
        "reference and pronoun",
        "the lead actress and her robe",
        3,
        [(S, "the lead actress"), (P, "her")],
    ),
]

ALLOWED: list[Case] = [
    ("plural performers", "Robes for the performers in scene 42", 3, []),
    ("her in a scene of one", "Robes for her", 1, []),
    ("her with no scene", "Robes for her", None, []),
    ("he in a scene of one", "He is cold", 1, []),
    ("'ana' inside words", "banana analysis", 3, []),
    ("'max' inside a word", "maximum privacy", 3, []),
    ("'bob' inside a word", "bobbin and thread", 3, []),
    ("'lin' inside a word", "linen robes", 3, []),
    ("'kim' inside a word", "a kimono for scene 4", 3, []),
    ("'tom' inside a word", "robes tomorrow", 3, []),
    ("'hale' inside a word", "inhale, exhale", 3, []),
    ("'jane' and 'doe' inside words", "Janet doesn't know", 3, []),
    ("'man' inside a word", "the manager arrives", 3, []),
    ("'her' inside words", "Hershey's there, other shepherds", 3, []),
    ("'the' and 'he'", "the theme", 3, []),
    ("ordinary last name in lower case", "black robes", 3, []),
    ("ordinary last name as a word", "ring the bell at lunch", 3, []),
    ("ordinary last name in a phrase", "the chase scene", 3, []),
    ("mention of someone else", "<@U0CREW0099> please prepare robes", 3, []),
    ("user ID of someone else", "U0CREW0099", 3, []),
    ("the actors", "the actors need robes", 3, []),
    ("they", "They need robes", 3, []),
    ("the cast", "the cast needs robes", 3, []),
    ("a performer", "a performer asked", 3, []),
    ("the other performers", "the other performers", 3, []),
    ("a channel ping is no handle", "@channel robes please", 3, []),
    ("role word of a character", "a detective show", 3, []),
    ("another number", "man #23", 3, []),
    ("empty", "", 3, []),
    ("single letters that spell nothing", "plan b, then a b c", 3, []),
    ("a word in another script", "\u041c\u043e\u0441\u043a\u0432\u0430 robes", 3, []),
]


def kinds_and_texts(findings: tuple[Finding, ...]) -> list[tuple[Kind, str]]:
    return [(f.kind, f.text) for f in findings]


@pytest.mark.parametrize(
    ("text", "scene_cast", "expected"),
    [case[1:] for case in REFUSED + WARNED + ALLOWED],
    ids=[
        f"{group}: {case[0]}"
        for group, cases in (("refused", REFUSED), ("warned", WARNED), ("allowed", ALLOWED))
        for case in cases
    ],
)
def test_check(text: str, scene_cast: int | None, expected: list[tuple[Kind, str]]) -> None:
    check = check_request(text, CAST, scene_cast=scene_cast)
    assert kinds_and_texts(check.findings) == expected
    for finding in check.findings:
        assert text[finding.start : finding.end] == finding.text
        warned = finding.kind in (Kind.PRONOUN, Kind.SINGULAR_REFERENCE)
        assert finding.severity is (Severity.WARN if warned else Severity.REFUSE)


def test_position_and_message_of_a_first_name() -> None:
    check = check_request("Robes for Jane's fitting", CAST, scene_cast=3)
    assert check.findings == (
        Finding(
            Kind.FIRST_NAME,
            Severity.REFUSE,
            "Jane",
            10,
            14,
            "'Jane' is the name of a performer (Jane Doe). Requests must not name who asked.",
        ),
    )


def test_messages_say_what_was_found() -> None:
    text = "cc @jdoe, jane.doe@example.com, <@U0JANE0001>, U0ANAN0002, Maria"
    messages = [f.message for f in check_request(text, CAST, scene_cast=1).findings]
    assert messages == [
        "'@jdoe' is the Slack handle of a performer (Jane Doe). Requests must not name who asked.",
        "'jane.doe@example.com' is the email address of a performer (Jane Doe). "
        "Requests must not name who asked.",
        "'<@U0JANE0001>' mentions a performer (Jane Doe). Requests must not name who asked.",
        "'U0ANAN0002' is the Slack ID of a performer (Ana Núñez). "
        "Requests must not name who asked.",
        "'Maria' is a character played by a performer (Jane Doe). "
        "Requests must not name who asked.",
    ]


def test_name_across_lines_is_quoted_on_one_line() -> None:
    (finding,) = check_request("for Jane\n  Doe", CAST, scene_cast=1).findings
    assert (finding.start, finding.end) == (4, 14)
    assert finding.message.startswith("'Jane Doe' is the name of a performer (Jane Doe).")


def test_a_name_shared_by_two_performers_names_both() -> None:
    cast = (Identity("U1", "Jane Doe"), Identity("U2", "Jane Roe"))
    (finding,) = check_request("Jane needs a robe", cast, scene_cast=2).findings
    assert finding.message == (
        "'Jane' is the name of performers (Jane Doe, Jane Roe). Requests must not name who asked."
    )


def test_ordinary_word_first_name_asks_for_a_rewording() -> None:
    (finding,) = check_request("robes will be ready", CAST, scene_cast=1).findings
    assert finding.message == (
        "'will' is the name of a performer (Will Bell). Requests must not name who asked. "
        "It is also an ordinary word, but the set could read it as the name, so it cannot be "
        "used: please reword."
    )


def test_ordinary_word_last_name_says_lower_case_is_fine() -> None:
    (finding,) = check_request("Black robes", CAST, scene_cast=1).findings
    assert finding.message.endswith(
        "In lower case, 'black' is taken as the ordinary word and is fine."
    )
    (titled,) = check_request("ms black", CAST, scene_cast=1).findings
    assert "lower case" not in titled.message


def test_warning_messages_name_nobody() -> None:
    check = check_request("the actress told me her boundary", CAST, scene_cast=3)
    assert [f.message for f in check.findings] == [
        "'the actress' points at one person, and this scene has 3 performers: the set could "
        "work out who asked. Consider 'the performers' instead, or acknowledge and post as it "
        "is.",
        "'her' points at one person, and this scene has 3 performers: the set could work out "
        "who asked. Consider 'they' or 'the performers' instead, or acknowledge and post as it "
        "is.",
    ]
    names = {part for p in CAST for part in p.real_name.split()}
    assert not any(name in f.message for f in check.findings for name in names)


def test_a_whole_name_is_one_finding() -> None:
    text = "Jane Doe (jane.doe@example.com)"
    check = check_request(text, CAST, scene_cast=3)
    assert kinds_and_texts(check.findings) == [
        (Kind.NAME, "Jane Doe"),
        (Kind.EMAIL, "jane.doe@example.com"),
    ]


def test_a_name_inside_a_warned_phrase_is_still_refused() -> None:
    cast = (Identity("U1", "Jane Doe", characters=("Lead",)),)
    check = check_request("the lead needs robes", cast, scene_cast=2)
    assert [(f.kind, f.text, f.severity) for f in check.findings] == [
        (Kind.SINGULAR_REFERENCE, "the lead", Severity.WARN),
        (Kind.CHARACTER, "lead", Severity.REFUSE),
    ]


def test_decomposed_accents_stay_inside_the_span() -> None:
    text = "Nu\u0303n\u0303e\u0301z!"
    (finding,) = check_request(text, CAST, scene_cast=1).findings
    assert (finding.start, finding.end) == (0, len(text) - 1)


def test_empty_identity_finds_nothing() -> None:
    check = check_request("anything at all, even her", (Identity(),), scene_cast=1)
    assert check.findings == ()
    assert Identity().label == "unnamed performer"


def test_label_falls_back_to_handle() -> None:
    (finding,) = check_request("ask @zed", (Identity("U1", handle="@zed"),), scene_cast=1).findings
    assert finding.message.startswith("'@zed' is the Slack handle of a performer (@zed).")


def test_may_post() -> None:
    refused = check_request("Jane and her robe", CAST, scene_cast=3)
    warned = check_request("her robe", CAST, scene_cast=3)
    clean = check_request("robes for the performers", CAST, scene_cast=3)
    assert [len(refused.refusals), len(refused.warnings)] == [1, 1]
    assert not refused.may_post(acknowledged=True)
    assert not warned.may_post(acknowledged=False)
    assert warned.may_post(acknowledged=True)
    assert clean.may_post(acknowledged=False)
    assert RequestCheck(()).may_post(acknowledged=False)


# --- escaping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "allow", "expected"),
    [
        ("a & b < c > d", False, "a &amp; b &lt; c &gt; d"),
        ("&amp; typed", False, "&amp;amp; typed"),
        ("<!channel> now", False, "&lt;!channel&gt; now"),
        ("<!here>", False, "&lt;!here&gt;"),
        ("<!everyone>", True, "&lt;!everyone&gt;"),
        ("@everyone", True, "@everyone"),
        ("<@U123> <@U123|bob>", True, "&lt;@U123&gt; &lt;@U123|bob&gt;"),
        ("<#C123>", True, "&lt;#C123&gt;"),
        ("<http://evil.example|click>", True, "&lt;http://evil.example|click&gt;"),
        ("<!subteam^S123>", True, "&lt;!subteam^S123&gt;"),
        ("@channel robes", False, "@channel robes"),
        ("@channel robes", True, "<!channel> robes"),
        ("@here, robes", True, "<!here>, robes"),
        ("@HERE.", True, "<!here>."),
        ("<!here> and <!channel|channel>", True, "<!here> and <!channel>"),
        ("me@here.com", True, "me@here.com"),
        ("@channels", True, "@channels"),
        ("@here-ish", True, "@here-ish"),
        ("Fish & chips <b>@here</b>", True, "Fish &amp; chips &lt;b&gt;<!here>&lt;/b&gt;"),
    ],
)
def test_escape_user_text(text: str, allow: bool, expected: str) -> None:
    assert escape_user_text(text, allow_channel_ping=allow) == expected


SCENES = {"12": 1, "4A": 3, "7": 2}


@pytest.mark.parametrize(
    ("text", "named", "warned"),
    [
        ("her robe in scene 4a", ("4A",), True),
        ("her robe, Sc. 12", ("12",), False),
        ("scenes 3, 7 and 4A: her robe", ("7", "4A"), True),
        ("scene #7: his robe", ("7",), True),
        ("her scene partner", (), False),
        ("her robe in scene 99", (), False),
        ("her robe for 4A", (), False),
    ],
)
def test_a_typed_scene_counts_as_chosen(text: str, named: tuple[str, ...], warned: bool) -> None:
    check = check_request(text, CAST, scene_cast=None, scenes=SCENES)
    assert check.scenes == named
    assert bool(check.warnings) is warned


def test_the_largest_cast_of_chosen_and_typed_scenes_decides() -> None:
    check = check_request("her robe, scene 4A", CAST, scene_cast=1, scenes=SCENES)
    assert "this scene has 3 performers" in check.warnings[0].message
    assert scenes_named("Scene 12 and sc 7", SCENES) == ("12", "7")
