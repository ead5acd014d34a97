"""Planning deliveries for one scene: pure, with an injected `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.delivery.plan import Existing, Plan, SceneFacts, Timing, key, plan_scene
from storage.models import DeliveryKind as K
from storage.models import DeliveryStatus as S

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TIMING = Timing(lead=timedelta(hours=48), nudge=timedelta(hours=24), escalation=timedelta(hours=12))
START = NOW + timedelta(days=5)
FACTS = SceneFacts(
    scene_id=7,
    revision=1,
    start_at=START,
    intimate=True,
    removed=False,
    performers=("UA", "UB"),
    coordinators=("UC",),
)


def kinds(plan: Plan) -> list[tuple[K, str, datetime]]:
    return sorted((n.kind, n.recipient, n.due_at) for n in plan.add)


def existing_from(plan: Plan, status: S = S.PLANNED, **by_key: S) -> list[Existing]:
    return [
        Existing(n.key, n.kind, n.revision, n.recipient, by_key.get(n.key, status), n.due_at)
        for n in plan.add
    ]


def test_a_scene_far_ahead_gets_prompt_nudge_and_escalation_at_their_times() -> None:
    plan = plan_scene(FACTS, TIMING, [], NOW)
    assert kinds(plan) == sorted(
        [
            (K.PROMPT, "UA", START - timedelta(hours=48)),
            (K.PROMPT, "UB", START - timedelta(hours=48)),
            (K.NUDGE, "UA", START - timedelta(hours=24)),
            (K.NUDGE, "UB", START - timedelta(hours=24)),
            (K.ESCALATION, "UC", START - timedelta(hours=12)),
        ]
    )
    assert all(n.expires_at == START for n in plan.add)
    assert not plan.move and not plan.cancel


def test_planning_twice_changes_nothing() -> None:
    first = plan_scene(FACTS, TIMING, [], NOW)
    assert not plan_scene(FACTS, TIMING, existing_from(first), NOW)


def test_inside_the_lead_the_prompt_goes_at_once_and_the_coordinator_hears_of_short_notice() -> (
    None
):
    facts = replace(FACTS, start_at=NOW + timedelta(hours=30))
    plan = plan_scene(facts, TIMING, [], NOW)
    assert kinds(plan) == sorted(
        [
            (K.PROMPT, "UA", NOW - timedelta(hours=18)),
            (K.PROMPT, "UB", NOW - timedelta(hours=18)),
            (K.NUDGE, "UA", NOW + timedelta(hours=6)),
            (K.NUDGE, "UB", NOW + timedelta(hours=6)),
            (K.ESCALATION, "UC", NOW + timedelta(hours=18)),
            (K.SHORT_NOTICE, "UC", NOW),
        ]
    )
    # Once sent, the short notice is not planned again on later passes.
    sent = existing_from(plan, S.SENT)
    assert not plan_scene(facts, TIMING, sent, NOW + timedelta(minutes=5))


def test_reminders_whose_time_passed_are_not_created_late() -> None:
    facts = replace(FACTS, start_at=NOW + timedelta(hours=3))
    plan = plan_scene(facts, TIMING, [], NOW)
    assert [(n.kind, n.recipient) for n in plan.add] == [
        (K.PROMPT, "UA"),
        (K.PROMPT, "UB"),
        (K.SHORT_NOTICE, "UC"),
    ]


def test_a_moved_scene_moves_what_waits_and_keeps_what_was_sent() -> None:
    first = plan_scene(FACTS, TIMING, [], NOW)
    prompt_a = key(K.PROMPT, 7, 1, "UA")
    rows = existing_from(first, **{prompt_a: S.SENT})
    later = replace(FACTS, start_at=START + timedelta(minutes=30))
    plan = plan_scene(later, TIMING, rows, NOW)
    assert not plan.add and not plan.cancel
    assert plan.move == {
        key(K.PROMPT, 7, 1, "UB"): later.start_at - timedelta(hours=48),
        key(K.NUDGE, 7, 1, "UA"): later.start_at - timedelta(hours=24),
        key(K.NUDGE, 7, 1, "UB"): later.start_at - timedelta(hours=24),
        key(K.ESCALATION, 7, 1, "UC"): later.start_at - timedelta(hours=12),
    }


def test_a_waiting_prompt_moved_inside_the_lead_is_short_notice() -> None:
    rows = existing_from(plan_scene(FACTS, TIMING, [], NOW))
    earlier = replace(FACTS, start_at=NOW + timedelta(hours=20))
    plan = plan_scene(earlier, TIMING, rows, NOW)
    assert [(n.kind, n.recipient, n.due_at) for n in plan.add] == [(K.SHORT_NOTICE, "UC", NOW)]
    assert plan.move[key(K.PROMPT, 7, 1, "UA")] == earlier.start_at - timedelta(hours=48)
    # The nudge time (24 h before) has passed too: it stays planned and goes with the prompt.
    assert key(K.NUDGE, 7, 1, "UA") in plan.move


def test_an_answer_cancels_that_performers_nudge_only() -> None:
    rows = existing_from(plan_scene(FACTS, TIMING, [], NOW))
    plan = plan_scene(replace(FACTS, answered=frozenset({"UA"})), TIMING, rows, NOW)
    assert plan.cancel == [key(K.NUDGE, 7, 1, "UA")]
    assert not plan.add and not plan.move


def test_a_new_revision_lapses_answers_and_asks_again() -> None:
    first = plan_scene(FACTS, TIMING, [], NOW)
    later = NOW + timedelta(days=3, hours=1)  # after the prompts went out
    rows = existing_from(
        first, **{key(K.PROMPT, 7, 1, "UA"): S.SENT, key(K.PROMPT, 7, 1, "UB"): S.SENT}
    )
    revised = replace(FACTS, revision=2, changed=frozenset({"content"}))
    plan = plan_scene(revised, TIMING, rows, later)
    # Revision 1's waiting nudges and escalation are cancelled, the sent prompts are kept.
    assert sorted(plan.cancel) == sorted(
        [key(K.NUDGE, 7, 1, "UA"), key(K.NUDGE, 7, 1, "UB"), key(K.ESCALATION, 7, 1, "UC")]
    )
    prompts = [n for n in plan.add if n.kind is K.PROMPT]
    # Inside the lead: asked again at once, saying what changed; the coordinator hears it.
    assert {p.recipient for p in prompts} == {"UA", "UB"}
    assert all(p.detail == {"again": True, "changed": ["content"]} for p in prompts)
    assert all(p.revision == 2 and p.due_at <= later for p in prompts)
    assert [n.kind for n in plan.add if n.recipient == "UC"].count(K.SHORT_NOTICE) == 1
    assert not [n for n in plan.add if n.kind is K.LAPSED]


def test_a_revision_outside_the_lead_says_at_once_that_the_answer_lapsed() -> None:
    first = plan_scene(FACTS, TIMING, [], NOW)
    rows = existing_from(first, **{key(K.PROMPT, 7, 1, "UA"): S.SENT})
    revised = replace(
        FACTS, revision=2, start_at=START + timedelta(days=3), changed=frozenset({"time"})
    )
    plan = plan_scene(revised, TIMING, rows, NOW + timedelta(hours=1))
    lapsed = [n for n in plan.add if n.kind is K.LAPSED]
    assert [(n.recipient, n.detail) for n in lapsed] == [("UA", {"changed": ["time"]})]
    # UB was never asked for revision 1: just the new prompt, no lapse notice.
    prompt_b = next(n for n in plan.add if n.kind is K.PROMPT and n.recipient == "UB")
    assert prompt_b.detail == {"again": False, "changed": []}
    assert key(K.PROMPT, 7, 1, "UB") in plan.cancel
    assert not [n for n in plan.add if n.kind is K.SHORT_NOTICE]
    # And the next pass keeps the lapse notice (it is not planned away).
    again = plan_scene(revised, TIMING, existing_from(plan) + rows, NOW + timedelta(hours=1))
    assert key(K.LAPSED, 7, 2, "UA") not in again.cancel


def test_a_removed_scene_cancels_what_waits_and_tells_who_was_asked() -> None:
    first = plan_scene(FACTS, TIMING, [], NOW)
    rows = existing_from(first, **{key(K.PROMPT, 7, 1, "UA"): S.SENT})
    plan = plan_scene(replace(FACTS, removed=True), TIMING, rows, NOW + timedelta(days=3, hours=1))
    assert [(n.kind, n.recipient, n.detail) for n in plan.add] == [
        (K.REMOVED, "UA", {"why": "removed"})
    ]
    assert len(plan.cancel) == 4  # UB's prompt, both nudges, the escalation
    assert key(K.PROMPT, 7, 1, "UA") not in plan.cancel


def test_a_scene_no_longer_intimate_is_like_a_removed_one() -> None:
    rows = existing_from(plan_scene(FACTS, TIMING, [], NOW))
    plan = plan_scene(replace(FACTS, intimate=False), TIMING, rows, NOW)
    assert not plan.add  # nobody had been asked yet
    assert len(plan.cancel) == 5


def test_a_started_scene_cancels_what_still_waits_and_tells_nobody() -> None:
    first = plan_scene(FACTS, TIMING, [], NOW)
    rows = existing_from(first, **{key(K.PROMPT, 7, 1, "UA"): S.SENT})
    plan = plan_scene(FACTS, TIMING, rows, START + timedelta(minutes=1))
    assert not plan.add
    assert key(K.PROMPT, 7, 1, "UB") in plan.cancel


def test_a_performer_taken_off_the_scene_loses_their_waiting_rows() -> None:
    rows = existing_from(plan_scene(FACTS, TIMING, [], NOW))
    plan = plan_scene(replace(FACTS, performers=("UA",)), TIMING, rows, NOW)
    assert sorted(plan.cancel) == sorted([key(K.PROMPT, 7, 1, "UB"), key(K.NUDGE, 7, 1, "UB")])


def test_a_new_coordinator_gets_the_escalation_too() -> None:
    rows = existing_from(plan_scene(FACTS, TIMING, [], NOW))
    plan = plan_scene(replace(FACTS, coordinators=("UC", "UD")), TIMING, rows, NOW)
    assert [(n.kind, n.recipient) for n in plan.add] == [(K.ESCALATION, "UD")]


def test_lead_times_are_exact_durations_across_a_daylight_saving_change() -> None:
    # Europe/London springs forward on 29 March 2026 at 01:00 UTC: a scene at 10:00 BST on
    # the 30th is asked 48 real hours earlier, which is 09:00 GMT on the 28th (local clocks
    # differ by the hour the change took).
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    start = datetime(2026, 3, 30, 10, 0, tzinfo=london)
    facts = replace(FACTS, start_at=start.astimezone(UTC))
    plan = plan_scene(facts, TIMING, [], datetime(2026, 3, 20, tzinfo=UTC))
    prompt = next(n for n in plan.add if n.kind is K.PROMPT)
    assert prompt.due_at == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)
    assert prompt.due_at.astimezone(london).hour == 9
    assert start.astimezone(UTC) - prompt.due_at == timedelta(hours=48)
    # (the local wall clocks, 09:00 and 10:00, are 49 hours apart)
