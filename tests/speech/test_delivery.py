"""Delivery metrics on synthetic timed transcripts: every figure is exact."""

from __future__ import annotations

from interviewer.speech.delivery import analyse, find_fillers
from interviewer.speech.stt import Transcript, Word


def timed(text: str, step: float = 0.4, gaps: dict[int, float] | None = None) -> list[Word]:
    """Words every ``step`` seconds (each lasting 0.3 s); gaps[i] adds silence before word i."""
    out, t = [], 0.0
    for i, w in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append(Word(w, round(t, 6), round(t + 0.3, 6)))
        t += step
    return out


def test_pace_fillers_pause_and_budget_are_exact():
    text = (
        "um so I would start with the data you know and then um check the labels "
        "I mean the model is fine but the features drift over time"
    )
    words = timed(text, gaps={14: 4.1})
    n = len(words)
    assert n == 28
    d = analyse(words, budget_seconds=180)
    span = words[-1].end - words[0].start  # 27 * 0.4 + 0.3 + 4.1 = 15.2 s
    assert abs(span - 15.2) < 1e-9
    assert d.words == 28 and abs(d.wpm - 28 / (15.2 / 60)) < 1e-9
    assert d.fillers == {"um": 2, "you know": 1, "i mean": 1}
    assert d.filler_count == 4
    assert len(d.pauses) == 1
    assert abs(d.pauses[0].seconds - 4.2) < 1e-9  # 4.1 s added to the usual 0.1 s gap
    assert d.summary == (
        "111 wpm (a little slow) over 0:15 of speech.\n"
        '4 fillers ("um" x2, "you know", "i mean").\n'
        "One pause of 4.2 s (at 0:06).\n"
        "0:15 of a 3:00 budget."
    )


def test_good_pace_and_over_budget():
    # 100 words, one every 0.4 s: span 39.9 s -> 150.4 wpm.
    words = timed(" ".join(["model"] * 100))
    d = analyse(words, budget_seconds=30)
    assert d.pace == "a good pace" and round(d.wpm, 1) == 150.4
    assert d.over_budget
    assert d.summary.splitlines() == [
        "150 wpm (a good pace) over 0:40 of speech.",
        "No filler words.",
        "No pauses over 2 s.",
        "0:40: over the 0:30 budget by 0:10.",
    ]


def test_several_pauses_and_no_budget():
    words = timed("first second third fourth", gaps={1: 2.5, 3: 3.0})
    d = analyse(words)
    assert [round(p.seconds, 6) for p in d.pauses] == [2.6, 3.1]
    assert d.summary.splitlines()[2] == "2 pauses over 2 s (longest 3.1 s)."
    assert len(d.summary.splitlines()) == 3
    # exactly at the threshold is not a long pause
    assert analyse(timed("a b", step=2.3)).pauses == ()


def test_like_is_a_filler_only_where_it_is_not_a_verb_or_comparison():
    cases = {
        "I would like to use bagging": 0,
        "a store like Redis keeps features": 0,
        "it looks like overfitting": 0,
        "so like we retrained the model": 1,
        "like the model was overfitting": 1,
        "and um like it failed": 2,  # "um" and "like"
        "it was like like broken": 2,
    }
    for text, n in cases.items():
        assert sum(find_fillers(timed(text)).values()) == n, text
    # a pause next to "like" marks it as a filler
    assert find_fillers(timed("models like trees", gaps={1: 0.6}))["like"] == 1


def test_phrases_that_are_ordinary_speech():
    assert find_fillers(timed("do you know the answer")) == {}
    assert find_fillers(timed("what sort of model")) == {}
    assert find_fillers(timed("it is sort of random")) == {"sort of": 1}
    assert find_fillers(timed("basically it is kind of slow")) == {"basically": 1, "kind of": 1}
    assert find_fillers(timed("Um, you know, it's fine.")) == {"um": 1, "you know": 1}


def test_hesitation_sounds_between_words_count():
    words = timed("we tuned the model and shipped it")
    sounds = (
        Word("[hesitation]", 0.72, 1.1),
        Word("[hesitation]", 1.3, 1.5),
        Word("[hesitation]", -0.5, 0.0),
    )
    tr = Transcript(" ".join(w.text for w in words), tuple(words), 2.0, "test", sounds=sounds)
    d = analyse(tr)
    # counted: the long one between words; not: a short one (more often a breath) and one
    # before the first word
    assert d.fillers == {"hesitation sound": 1}
    assert d.summary.splitlines()[1] == "One filler (hesitation sound)."


def test_no_words():
    d = analyse(Transcript("", (), 3.0, "test"), budget_seconds=120)
    assert d.words == 0 and d.wpm == 0.0
    assert d.summary.splitlines() == [
        "No words were recognised, so there is no delivery feedback.",
        "0:00 of a 2:00 budget.",
    ]


def test_short_answer_has_no_pace_verdict():
    d = analyse(timed("yes it does"))
    assert d.pace == "too short to judge the pace"
