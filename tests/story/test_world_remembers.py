"""Acts 3-5 of the shipped story read the state (issue 11, section 3).

Each test puts the game in a chosen state at a scene or ending and reads the
line that must change with it: the size of the contingent, whether a
Pakistani died, whether the mandate was accepted, which revision Egypt
objected to, whether there is a hospital, what a lock says, what an ending
says about a meter. The replay plans in tests/plans/story/ walk the same
paths from the start (contributor.yaml, strike.yaml, standby.yaml, ...).
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from game.engine import GameState, choose, new_game, options
from game.engine.core import jump
from game.story import Story, load_story

STORY = Path(__file__).resolve().parents[2] / "story"
HALF = ("a3_", "a4_", "a5_")  # writer B's scenes; events.yaml and endings.yaml too


@pytest.fixture(scope="module")
def story() -> Story:
    return load_story(STORY)


def at(
    story: Story,
    node: str,
    flags: Mapping[str, bool] | None = None,
    meters: Mapping[str, int] | None = None,
    counts: Mapping[str, int] | None = None,
) -> GameState:
    """A state at ``node`` with the given flags, meters and visit/firing counts."""
    state = jump(story, new_game(story, 1), node)
    f = list(state.flags)
    for k, v in (flags or {}).items():
        f[story.flag_index[k]] = v
    m = list(state.meters)
    for k, v in (meters or {}).items():
        m[story.meter_index[k]] = v
    c = list(state.counts)
    for k, v in (counts or {}).items():
        c[story.count_index[k]] = v
    return replace(state, flags=tuple(f), meters=tuple(m), counts=tuple(c))


def scene(story: Story, state: GameState) -> str:
    return " ".join(story.nodes[state.node].text.render(state).split())


def ending(story: Story, ending_id: str, state: GameState) -> str:
    return " ".join(story.endings[ending_id].text.render(state).split())


def said(story: Story, state: GameState) -> dict[str, str]:
    """Who speaks at the state's scene (character id or role) and what they say."""
    node = story.nodes[state.node]
    return {a.who or a.role: a.says for a in node.advisors if a.cond is None or a.cond(state)}


def lock(story: Story, state: GameState, choice_id: str) -> str | None:
    """The reason a choice is shown locked, or None when it is available."""
    (opt,) = [o for o in options(story, state) if o.choice.id == choice_id]
    return None if opt.enabled else opt.reason


# ------------------------------------------------------------ the contingent's size
@pytest.mark.parametrize(
    ("flags", "words"),
    [({"a4_size_small": True}, "some 800"), ({"a4_size_large": True}, "some 3,000"), ({}, "some 2,000")],
)
def test_the_contingent_size_is_the_one_parliament_voted(story: Story, flags: dict[str, bool], words: str) -> None:
    base = {"deployed": True, "role_medical": True, **flags}
    assert words in scene(story, at(story, "a5_entry", base))
    assert words in scene(story, at(story, "a5_renewal", base))


# ------------------------------------------------------------ whether a Pakistani died
def test_the_renewal_debate_names_pakistani_dead_only_when_a_pakistani_died(story: Story) -> None:
    # the barricade (ev_clash): a Palestinian killed, a Pakistani lance naik wounded, no Pakistani dead
    clash = {"deployed": True, "role_security": True, "incident_clash": True}
    text = scene(story, at(story, "a5_renewal", clash, counts={"ev_clash": 1}))
    assert "every one of them Palestinian" in text
    assert "Palestinian and Pakistani" not in text
    assert "No Pakistani has died in Gaza, though a lance naik came home without his left leg." in text
    # the patrol (ev_patrol_clash): Palestinians and a Pakistani soldier killed
    lost = {**clash, "a5_soldier_lost": True}
    text = scene(story, at(story, "a5_renewal", lost, counts={"ev_patrol_clash": 1}))
    assert "Palestinian and Pakistani" in text and "No Pakistani has died" not in text
    # the sapper (ev_sapper): a Pakistani killed, no incident with Palestinian dead
    sapper = {"deployed": True, "role_engineering": True, "a5_soldier_lost": True}
    text = scene(story, at(story, "a5_renewal", sapper, counts={"ev_sapper": 1}))
    assert "the name of the sapper" in text and "no major incident" not in text
    # nobody died
    quiet = scene(story, at(story, "a5_renewal", {"deployed": True, "role_medical": True}))
    assert "No Pakistani has died in Gaza." in quiet and "names of the" not in quiet


def test_the_general_and_the_cleric_remember_whether_anyone_died(story: Story) -> None:
    lost = said(story, at(story, "a5_renewal", {"deployed": True, "a5_soldier_lost": True}))
    quiet = said(story, at(story, "a5_renewal", {"deployed": True}))
    assert "I wrote to a mother" in lost["farrukh"] and "No letters to mothers" in quiet["farrukh"]
    assert "graves" in lost["idrees"] and "No one has died" in quiet["idrees"]


# ------------------------------------------------------------ whether the mandate was accepted
@pytest.mark.parametrize(
    ("flags", "words"),
    [
        ({"mandate_accepted": True}, "accepted the force's mandate as written"),
        ({"mandate_accepted": True, "a4_no_contingent": True}, "sent officers instead of soldiers"),
        ({"revisions_won": True}, "declared its part in the force on revised terms"),
        ({"deferred": True}, "months of waiting"),
        ({"deployed": True}, "the contingent in Gaza"),
        ({"stayed_out": True}, "decision to stay out"),
        ({}, "still undecided"),
    ],
)
def test_the_crisis_ending_knows_what_was_decided(story: Story, flags: dict[str, bool], words: str) -> None:
    text = ending(story, "end_government_crisis", at(story, "a4_entry", flags, {"domestic": 8}))
    assert words in text
    if flags:
        assert "still undecided" not in text


# ------------------------------------------------------------ which revision Egypt objected to
def test_the_half_text_says_whether_pakistan_dropped_egypts_clause(story: Story) -> None:
    dropped = scene(story, at(story, "a3_partial", {"revisions_partial": True, "a3_protection_dropped": True}))
    assert "the clause Egypt objected to in Cairo, and the one Pakistan agreed there to let go" in dropped
    refused = scene(story, at(story, "a3_partial", {"revisions_partial": True}, counts={"a3_cairo": 1}))
    assert "Pakistan refused to drop it there; the drafters dropped it anyway" in refused
    absent = scene(story, at(story, "a3_partial", {"revisions_partial": True}))
    assert "Cairo objected to that clause from the start" in absent
    # Ayesha names the revision in Cairo, and remembers the trade at the half text
    assert "Egypt objects to one revision, the third" in said(story, at(story, "a3_cairo"))["ayesha"]
    traded = said(story, at(story, "a3_partial", {"a3_protection_dropped": True}))["ayesha"]
    assert "We traded the third in Cairo" in traded


def test_the_strike_recalls_the_clause_egypt_objected_to(story: Story) -> None:
    base = {"deployed": True, "a5_israeli_strike": True, "revisions_partial": True}
    text = scene(story, at(story, "a5_strike_aftermath", {**base, "a3_protection_dropped": True}))
    assert "Pakistan agreed to drop the clause that would have forbidden it, the one Egypt objected to" in text
    assert "Egypt objected" not in scene(story, at(story, "a5_strike_aftermath", base))


# ------------------------------------------------------------ whether there is a hospital
def test_the_hospital_is_where_it_was_sent(story: Story) -> None:
    medic = {"deployed": True, "role_medical": True}
    assert "field hospital at El Arish" in scene(story, at(story, "a5_entry", {**medic, "a4_base_el_arish": True}))
    assert "field hospital of tents and prefabricated wards stands in Khan Younis" in scene(story, at(story, "a5_entry", medic))
    assert "field hospital" not in scene(story, at(story, "a5_entry", {"deployed": True, "role_engineering": True}))


def test_a_hospital_can_be_left_behind_only_in_gaza(story: Story) -> None:
    leaving = {"deployed": True, "withdrew": True, "role_medical": True}
    assert lock(story, at(story, "a5_withdrawal", leaving), "leave_hospital") is None
    reason = lock(story, at(story, "a5_withdrawal", {**leaving, "a4_base_el_arish": True}), "leave_hospital")
    assert reason is not None and "El Arish" in reason
    left = ending(story, "end_quiet_withdrawal", at(story, "a5_withdrawal", {**leaving, "a5_hospital_left": True}))
    assert "the field hospital stays open under its Palestinian staff" in left


def test_el_arish_is_not_offered_twice(story: Story) -> None:
    opened = at(story, "a5_out_entry", {"stayed_out": True, "a5_out_hospitals": True}, counts={"a4_out_hospitals": 1})
    assert "hospitals" not in {o.choice.id for o in options(story, opened)}
    assert "has been open for three weeks" in scene(story, opened)
    none = at(story, "a5_out_entry", {"stayed_out": True})
    assert "hospitals" in {o.choice.id for o in options(story, none)}
    assert "No Pakistani doctor is yet at work" in scene(story, none)


def test_the_surgeon_remembers_the_hospital_promise(story: Story) -> None:
    promised = said(story, at(story, "a4_entry", {"a2_hospitals_promised": True}))["amal"]
    assert "You promised me a hospital in December" in promised
    assert "promised" not in said(story, at(story, "a4_entry"))["amal"]
    kept = said(story, at(story, "a5_entry", {"deployed": True, "role_medical": True, "a3_hospital_promised": True}))
    assert "You kept the promise" in kept["amal"]
    # broken: Dr Odeh's letter arrives before the next act's first scene, and costs standing
    (event,) = [e for e in story.events if e.id == "ev_hospital_promise"]
    broken = at(story, "a5_entry", {"deployed": True, "role_engineering": True, "a2_hospitals_promised": True})
    assert event.cond is not None and event.cond(broken)
    assert not event.cond(replace(broken, flags=at(story, "a5_entry", {"deployed": True}).flags))
    assert dict((story.meters[i].id, d) for i, d in event.effects)["standing"] < 0


# ------------------------------------------------------------ lock texts tell the truth
def test_the_reversal_lock_speaks_of_protest_not_cheering(story: Story) -> None:
    restless = at(story, "a3_stay_out", meters={"domestic": 30})
    reason = lock(story, restless, "reconsider")
    assert reason is not None and "protest" in reason and "cheer" not in reason
    assert "not yet calm" in scene(story, restless)
    calm = at(story, "a3_stay_out", meters={"domestic": 65})
    assert lock(story, calm, "reconsider") is None
    assert "calling the decision a victory" in scene(story, calm)


def test_promises_lock_what_would_break_them(story: Story) -> None:
    promised = {"a3_vote_promised": True}
    reason = lock(story, at(story, "a4_vote", promised), "cabinet")
    assert reason == "You promised parliament a vote before any soldier leaves."
    assert lock(story, at(story, "a4_vote"), "cabinet") is None
    reason = lock(story, at(story, "a4_contributor", {"a1_vote_promised": True}), "cabinet")
    assert reason is not None and "staff officers are soldiers" in reason
    reason = lock(story, at(story, "a3_cairo", {"a1_pledged_group": True}), "own_line")
    assert reason is not None and "only with the group" in reason


def test_standing_is_spent_and_can_run_out(story: Story) -> None:
    rich, poor = {"standing": 60}, {"standing": 40}
    for node, choice in [("a3_failed", "call_credit"), ("a5_out_design", "spend_seat")]:
        assert lock(story, at(story, node, meters=rich), choice) is None
        reason = lock(story, at(story, node, meters=poor), choice)
        assert reason is not None and "international standing" in reason
        (spend,) = [c for c in story.nodes[node].choices if c.id == choice]
        assert dict((story.meters[i].id, d) for i, d in spend.effects)["standing"] < 0


# ------------------------------------------------------------ endings agree with the meters
@pytest.mark.parametrize(
    ("ending_id", "node", "flags", "meter", "low_says", "high_says"),
    [
        # "the coalition steadies" only above a warning that protests are in every city
        ("end_quiet_withdrawal", "a5_withdrawal", {"deployed": True, "withdrew": True}, "domestic",
         "too late to steady anything", "The coalition steadies"),
        # "thanked warmly" only by a Washington that still calls
        ("end_clinic_and_cheque", "a5_out_final", {"stayed_out": True, "a5_out_hospitals": True}, "us",
         "consults it not at all", "thanked warmly"),
        ("end_heavy_price", "a5_renewal", {"deployed": True, "incident_clash": True}, "domestic",
         "bitterly divided", "The protests shrink"),
        ("end_principled_abstention", "a3_stay_out", {"stayed_out": True}, "us",
         "stops pretending to be polite", "polite and cooler than before"),
    ],
)  # fmt: skip
def test_endings_say_what_the_meters_say(
    story: Story, ending_id: str, node: str, flags: dict[str, bool], meter: str, low_says: str, high_says: str
) -> None:
    low = ending(story, ending_id, at(story, node, flags, {meter: 12}))
    high = ending(story, ending_id, at(story, node, flags, {meter: 60}))
    assert low_says in low and high_says not in low
    assert high_says in high and low_says not in high


def test_a_pledge_is_kept_only_when_it_was_made(story: Story) -> None:
    out = {"stayed_out": True}
    made = ending(story, "end_clinic_and_cheque", at(story, "a5_out_final", {**out, "a5_out_pledged": True}))
    assert "keeps the pledge" in made
    assert "keeps the pledge" not in ending(story, "end_clinic_and_cheque", at(story, "a5_out_final", out))


# ------------------------------------------------------------ the third revision, tested
def test_an_israeli_strike_tests_the_protection_clause(story: Story) -> None:
    (strike,) = [e for e in story.events if e.id == "ev_israeli_strike"]
    assert strike.goto == "a5_strike_aftermath" and strike.before == frozenset({"a5_washington_ask"})
    assert "act against any threat to its soldiers and citizens" in strike.text.all_text()
    won = at(story, "a5_strike_aftermath", {"deployed": True, "a5_israeli_strike": True, "revisions_won": True})
    assert '"shall not be the object of military action without prior coordination' in scene(story, won)
    assert lock(story, won, "invoke") is None
    assert said(story, won)["Israel's position, as the command relays it"]
    partial = at(story, "a5_strike_aftermath", {"deployed": True, "a5_israeli_strike": True})
    assert lock(story, partial, "invoke") == "The terms of reference have no protection clause to invoke."


# ------------------------------------------------------------ accept without deploying
def test_the_mandate_can_be_accepted_without_a_contingent(story: Story) -> None:
    state = at(story, "a4_entry", {"mandate_accepted": True})
    state = choose(story, state, "contribute")
    assert state.node == "a4_contributor"
    state = choose(story, state, "to_parliament")
    assert state.node == "a5_staff_cell"
    state = choose(story, state, "back_inquiry")
    state = choose(story, state, "keep_seat")
    assert state.ending == "end_seat_without_sector"
    flags = dict(zip((f.id for f in story.flags), state.flags))
    assert flags["mandate_accepted"] and flags["a4_no_contingent"] and not flags["deployed"]
    text = ending(story, "end_seat_without_sector", state)
    assert "never sent a unit into Gaza" in text and "Parliament voted for all of it" in text


# ------------------------------------------------------------ the shape of the half
def test_no_scene_of_acts_3_to_5_leads_one_way_and_sets_nothing(story: Story) -> None:
    flat = []
    for node in story.nodes.values():
        targets = {t for c in node.choices for t in c.targets}
        sets = any(c.sets or any(o.sets for o in c.outcomes) for c in node.choices)
        if len(targets) == 1 and not sets:
            flat.append(node.id)
    assert [n for n in flat if n.startswith(HALF)] == []
    assert len(flat) <= 2, flat  # the whole story (issue 11's target)


def test_no_scene_shows_more_than_five_advisors(story: Story) -> None:
    rng = random.Random(5)
    most: dict[str, int] = {}
    for _ in range(600):
        state = new_game(story, rng.randrange(10**6))
        while state.ending is None:
            node = story.nodes[state.node]
            shown = [a.who or a.role for a in node.advisors if a.cond is None or a.cond(state)]
            assert len(shown) == len(set(shown)), (node.id, shown)  # one line per voice
            most[node.id] = max(most.get(node.id, 0), len(shown))
            enabled = [o.choice.id for o in options(story, state) if o.enabled]
            state = choose(story, state, rng.choice(enabled))
    assert {n: k for n, k in most.items() if k > 5} == {}
    assert all(most[n] >= 2 for n in most if n.startswith(HALF))


def test_every_character_speaks_in_acts_3_to_5(story: Story) -> None:
    speaking = {a.who for n in story.nodes.values() if n.id.startswith(HALF) for a in n.advisors if a.who}
    assert speaking == set(story.characters)


def _texts_of_the_half(story: Story) -> list[tuple[str, str]]:
    out = [(n.id, n.text.source) for n in story.nodes.values() if n.id.startswith(HALF)]
    out += [(e.id, e.text.source) for e in story.events]
    out += [(e.id, e.text.source + e.debrief) for e in story.endings.values() if e.scenario is None]
    return out


def test_no_meter_numbers_or_invented_asides_in_the_prose(story: Story) -> None:
    # the scene's basis label says what is invented; the prose does not repeat it
    meters = "|".join(m.id for m in story.meters)
    for ident, text in _texts_of_the_half(story):
        assert not re.search(rf"\{{({meters})\}}", text), ident
        assert not re.search(r"stands? at \d", text), ident
    scenes = [(n.id, n.text.source) for n in story.nodes.values() if n.id.startswith(HALF)]
    for ident, text in scenes + [(e.id, e.text.source) for e in story.events]:
        assert "invented" not in text, ident


def test_the_eight_are_named_with_pakistan_and_never_with_bahrain(story: Story) -> None:
    for ident, text in _texts_of_the_half(story):
        assert "Bahrain" not in text, ident
        assert "brokered the ceasefire" not in text, ident
    eight = "Egypt, Indonesia, Jordan, Pakistan, Qatar, Saudi Arabia, Türkiye and the UAE"
    assert eight in story.nodes["a3_cairo"].text.source
    assert eight in story.endings["end_eight_nation_anchor"].debrief


# ------------------------------------------------------------ Acts 1-2's promises come back
def test_the_ledger_knows_whether_the_december_date_was_kept(story: Story) -> None:
    missed = said(story, at(story, "a3_entry", {"a1_date_promised": True, "a2_date_missed": True}))["hamza"]
    kept = said(story, at(story, "a3_entry", {"a1_date_promised": True}))["hamza"]
    assert "we sent it a parliamentary debate instead" in missed
    assert "Sent on the fifteenth, on time" in kept


def test_a_broken_pledge_is_in_every_folder_in_cairo(story: Story) -> None:
    broken = at(story, "a3_cairo", {"a1_pledged_group": True, "a2_pledge_broken": True})
    assert "broken on 15 December" in scene(story, broken)
    assert lock(story, broken, "own_line") is None  # nothing left to keep
    assert lock(story, at(story, "a3_cairo", {"a1_pledged_group": True}), "own_line") is not None
    assert (
        "Broken, 15 December"
        in said(story, at(story, "a3_mandate", {"a1_pledged_group": True, "a2_pledge_broken": True}))["hamza"]
    )


def test_the_ankara_hospital_meets_israels_say_over_who_deploys(story: Story) -> None:
    turkish = {"a2_turkish_hospital": True, "role_medical": True}
    assert "has not cleared the Turkish half to enter Gaza" in scene(story, at(story, "a4_rules_humanitarian", turkish))
    inside = scene(story, at(story, "a5_entry", {**turkish, "deployed": True}))
    assert "its Turkish half is still in El Arish" in inside
    outside = scene(story, at(story, "a5_entry", {**turkish, "deployed": True, "a4_base_el_arish": True}))
    assert "Turkish and Pakistani surgeons share the theatres" in outside


def test_egypts_december_objection_is_remembered(story: Story) -> None:
    text = scene(story, at(story, "a3_partial", {"revisions_partial": True, "a2_egypt_objected": True}))
    assert "Cairo objected to that clause at the group's meeting in December" in text
    assert "has not moved" in scene(story, at(story, "a3_cairo", {"a2_egypt_objected": True}))
