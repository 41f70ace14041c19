"""Copy detection: an answer pasted from its own rubric or model answer is recognised as such."""

from __future__ import annotations

import json

import pytest

from interviewer.bank import default_bank
from interviewer.grading.copying import (
    FLAG_AT,
    FLAG_COPIED,
    containment,
    copy_share,
    penalise,
    words,
)
from tests import ROOT


@pytest.fixture(scope="module")
def rubric():
    return default_bank()["l1-bagging-vs-boosting"].rubric()


def test_pasted_key_points_are_a_copy(rubric):
    answer = " ".join(kp.point for kp in rubric.key_points)
    c = copy_share(answer, rubric)
    assert c.share >= 0.95 and c.copied and c.source == "key points"


def test_pasted_paraphrases_are_a_copy(rubric):
    answer = ". ".join(p for kp in rubric.key_points for p in kp.paraphrases)
    assert answer and copy_share(answer, rubric).share >= 0.95


def test_pasted_model_answer_is_a_copy(rubric):
    c = copy_share(rubric.model_answer, rubric)
    assert c.share >= 0.95 and c.copied and c.source == "model answer"


def test_case_punctuation_and_zero_width_characters_do_not_hide_a_paste(rubric):
    hidden = " ".join(w[:1] + "\u200b" + w[1:] for w in rubric.model_answer.split(" "))
    disguised = hidden.upper().replace(",", " ;")
    assert copy_share(disguised, rubric).share >= 0.9


def test_half_pasted_half_own_words_counts_about_half(rubric):
    own = (
        "Honestly I would first look at the data and ask the team what kind of errors they "
        "see in production before deciding anything about which method to choose here"
    )
    paste = " ".join(kp.point for kp in rubric.key_points)
    share = copy_share(f"{own}. {paste}", rubric).share
    assert 0.3 < share < 0.9


def test_short_and_empty_answers_are_not_copies(rubric):
    assert copy_share("", rubric).share == 0 and copy_share("", rubric).words == 0
    assert not copy_share("Bagging reduces variance.", rubric).copied
    assert containment("and it is in the", ["so it is in the end"]) == 0  # stop words only
    # a few words said the only way they can be said are no copy, however verbatim (walk28:
    # "The tilt of Earth's axis." was flagged "copies the rubric or model answer (100% ...)")
    from interviewer.grading.rubric import Rubric

    seasons = Rubric.from_dict("What causes the seasons on Earth?", [
        "Seasons are caused by the tilt of Earth's axis (about 23.5 degrees)",
        "The hemisphere tilted toward the Sun gets more direct sunlight and longer days"])
    short = copy_share("The tilt of Earth's axis.", seasons)
    assert short.share == 1.0 and not short.copied
    pasted = "Seasons are caused by the tilt of Earth's axis (about 23.5 degrees)."
    assert copy_share(pasted, seasons).copied  # eleven words: a paste is still one


def test_no_labelled_answer_written_by_hand_is_flagged():
    bank = default_bank()
    shares = []
    for path in sorted((ROOT / "evals" / "data").glob("answers-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["question_id"] in bank:
                shares.append(copy_share(row["answer"], bank[row["question_id"]].rubric()).share)
    assert len(shares) > 300 and max(shares) < FLAG_AT


def test_the_suggested_penalty_keeps_only_what_is_not_copied(rubric):
    pasted = copy_share(rubric.model_answer, rubric)
    overall, flag = penalise(100, pasted)
    assert overall <= 5 and flag.startswith(FLAG_COPIED) and "model answer" in flag
    own = copy_share("Boosting fits models one after another on the errors left so far.", rubric)
    assert penalise(80, own) == (80, None)


def test_words_are_normalised():
    assert words("ＡＢＣ  Déjà-vu\u200b!") == ["abc", "déjà", "vu"]


def test_a_copy_of_a_model_answer_seen_before_scores_its_own_words_only(rubric):
    # Seen in a walk-through: the model answer shown with a practice grade, pasted and graded
    # again, scored 100. The grader alone still grades it as the best answer there is.
    from interviewer.grading.copying import FLAG_SEEN, seen_copy_grade
    from interviewer.grading.grader import OfflineGrader

    grader = OfflineGrader()
    pasted = rubric.model_answer
    full = grader.grade_many([(rubric, pasted)])[0]
    assert full.overall >= 80 and FLAG_SEEN not in full.flags
    assert seen_copy_grade(full, pasted, rubric, lambda: False) == full  # never shown: stands
    seen = seen_copy_grade(full, pasted, rubric, lambda: True)
    share = copy_share(pasted, rubric).share
    assert seen.overall == max(0, round(full.overall * (1 - share))) <= 5
    assert {c.score for c in seen.criteria.values()} == {1}  # what 5/100 means, on every one
    assert FLAG_SEEN in seen.flags and sum(f.startswith(FLAG_COPIED) for f in seen.flags) == 1
    assert seen.feedback.startswith("You were shown this question's model answer before")
    assert full.feedback.startswith("Correct") and "Correct" not in seen.feedback  # on the copy
    assert full.covered and not seen.covered  # every point's evidence is a copied sentence
    own = (
        "Bagging trains many trees at once, each on its own bootstrap resample of the rows, and "
        "averages their votes, which mainly lowers variance. Boosting builds trees one after "
        "another, every new tree fitted to what the previous ones still get wrong, which mainly "
        "lowers bias but can chase noisy labels."
    )
    assert copy_share(own, rubric).share < FLAG_AT
    graded = grader.grade_many([(rubric, own)])[0]
    def never_asked() -> bool:
        raise AssertionError("the store is asked only about a copy")

    assert seen_copy_grade(graded, own, rubric, never_asked) == graded  # own words: as any
    # A follow-up answer added to a copy: the words around it cannot dilute it under the bar.
    padded = pasted + " " + " ".join([own] * 4)
    assert copy_share(padded, rubric).share < FLAG_AT
    again = seen_copy_grade(full, padded, rubric, never_asked, copied_before=True)
    share = copy_share(padded, rubric).share
    assert again.overall == round(full.overall * (1 - share)) < full.overall


def test_code_and_formulas_are_no_evidence_of_a_copy():
    # Anyone who writes the formula correctly writes it the same way: a terse answer made of it
    # was flagged as 65% verbatim ("left = max(left, last[c] + 1)", "O(n) time").
    bank = default_bank()
    rubric = bank["l1-longest-substring-no-repeat"].rubric()
    terse = "Track positions; left = max(left, last[c] + 1). O(n) time, O(min(n, alphabet size)) space."
    assert copy_share(terse, rubric).share == 0 and words(terse)  # (its words are still words)
    # a paste of a key point that holds the formula is still a copy, by the prose around it
    point = next(v for v in rubric.variants() if "max(left" in v)
    assert copy_share(point, rubric).copied
    # and a code token never joins the words on either side into a copied run
    assert copy_share("I keep a window = of unique characters", rubric).share < copy_share(
        "I keep a window of unique characters", rubric).share  # fmt: skip


def test_an_own_words_answer_made_of_the_fields_phrases_is_not_a_copy():
    # A walk-through: after the model answer was shown, this answer in the candidate's own words
    # was 70% "verbatim" in 4-word runs ("the ROC curve plots true positive rate against", "the
    # precision recall curve", "when the positive class is rare") and scored 15 as a copy.
    from interviewer.grading.copying import SHINGLE, seen_copy_grade
    from interviewer.grading.grader import OfflineGrader

    rubric = default_bank()["l1-roc-auc-vs-pr-auc"].rubric()
    own = ("The ROC curve plots true positive rate against false positive rate over all "
           "thresholds, and the AUC is the area under it; 0.5 is random and 1.0 is perfect. I'd "
           "use the precision-recall curve instead when the positive class is rare, like fraud.")
    assert copy_share(own, rubric, n=4).copied  # what it was
    assert SHINGLE == 5 and not copy_share(own, rubric).copied
    graded = OfflineGrader().grade_many([(rubric, own)])[0]
    assert seen_copy_grade(graded, own, rubric, lambda: True) == graded
    # a paste of the model answer with every sixth word changed is still a copy
    changed = " ".join("xx" if i % 6 == 5 else w for i, w in enumerate(rubric.model_answer.split()))
    assert copy_share(changed, rubric).copied
