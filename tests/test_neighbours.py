"""An answer to another question of the bank is graded as one (``interviewer.neighbours``): a
strong answer to a neighbouring question of the same topic had every point of this one ticked
and scored 60, the pass mark."""

from __future__ import annotations

from collections import Counter

from interviewer import neighbours
from interviewer.bank import default_bank
from interviewer.chat_feedback import feedback_text
from interviewer.evaluation import datasets as ds
from interviewer.grading.fit import candidate_story
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import FLAG_OTHER_QUESTION
from interviewer.probes import form_probe
from tests.helpers import new_interview, offline_engine

TWO_SUM = "l1-two-sum-hashmap"
ANAGRAMS = "l1-group-anagrams"


def other(grade) -> str | None:
    return next((f for f in grade.flags if f.startswith(FLAG_OTHER_QUESTION)), None)


def test_an_answer_to_the_neighbouring_question_scores_nothing_and_says_which_it_answers():
    bank = default_bank()
    q = bank[TWO_SUM]
    engine = offline_engine()
    plain = engine.grader.grade_many([(q.rubric(), bank[ANAGRAMS].model_answer)])[0]
    assert plain.overall >= 60 and all(kp.covered for kp in plain.key_points)  # what it was
    grade, _ = engine.judge(q, bank[ANAGRAMS].model_answer)
    assert grade.overall == 0 and not any(kp.covered or kp.evidence for kp in grade.key_points)
    assert other(grade) == FLAG_OTHER_QUESTION + bank[ANAGRAMS].text
    assert grade.feedback.startswith(f"Incorrect. This answers another question, “{bank[ANAGRAMS].text}”")
    assert all(c.score == 1 for c in grade.criteria.values())
    text = feedback_text(q, grade)
    assert f"• Another question: your answer is about “{bank[ANAGRAMS].text}”" in text
    # the interviewer asks the question again
    assert form_probe(q, grade.flags) == ("That sounds like an answer to a different question. "
                                          f"What I asked was: {q.text}")  # fmt: skip


def test_answering_the_question_at_the_follow_up_lifts_the_grade(store):
    bank = default_bank()
    q = bank[TWO_SUM]
    iv = new_interview(round="L1", questions=1, store=store, bank={q.id: q}, follow_ups=1)
    iv.start()
    reply = iv.answer(bank[ANAGRAMS].model_answer)
    assert reply.kind == "follow_up" and reply.text.endswith(f"What I asked was: {q.text}")
    iv.answer(q.model_answer)
    grade = iv.turns[0].grade
    assert grade.overall >= 80 and other(grade) is None
    _, turns = store.load_session(iv.info.id, user_id=iv.info.user_id)
    assert turns[0].grade.overall == grade.overall


def test_no_answer_to_its_own_question_is_taken_for_another():
    # every spoken model answer, and every answer of the authored dev split (all ten styles)
    bank = default_bank()
    engine = offline_engine()
    for q in bank.values():
        if q.coding is None:
            assert other(engine.judge(q, q.model_answer)[0]) is None, q.id
    fired = [r["_where"] for r in ds.load_authored("dev", bank)
             if bank[r["question_id"]].coding is None
             and other(engine.judge(bank[r["question_id"]], r["answer"])[0])]  # fmt: skip
    assert not fired


def test_strong_answers_to_a_neighbouring_question_are_caught_partial_ones_are_left():
    # the authored dev split's answers graded against the other questions of their topic: the
    # expert ones answer their own question, not this one; partial ones score low here anyway
    bank = default_bank()
    engine = offline_engine()
    seen: Counter = Counter()
    caught: Counter = Counter()
    for r in ds.load_authored("dev", bank):
        own = bank[r["question_id"]]
        if r["style"] not in ("expert", "partial") or own.coding is not None:
            continue
        for q in bank.values():
            if q.id != own.id and q.topic == own.topic and q.coding is None:
                grade, _ = engine.judge(q, r["answer"])
                seen[r["style"]] += 1
                caught[r["style"]] += other(grade) is not None
                if other(grade) is None and r["style"] == "expert" and not q.asks_for_story:
                    # (a story question's head grades a strong story well on most story
                    # questions, whose rubrics share half their points: README, known limits)
                    assert grade.overall < 85, (q.id, r["_where"], grade.overall)
    assert caught["expert"] >= 0.8 * seen["expert"], (caught, seen)
    assert caught["partial"] == 0, (caught, seen)


def test_questions_outside_the_built_in_bank_are_not_checked():
    bank = default_bank()
    q = bank[TWO_SUM].model_copy(update={"id": "my-own-two-sum"})
    grade, _ = offline_engine().judge(q, bank[ANAGRAMS].model_answer)
    assert other(grade) is None and grade.overall >= 60


def test_on_a_guide_no_section_answer_is_taken_for_another_and_strong_neighbours_are():
    # As an uploaded guide is graded: each dev question's model answer as a section, the other
    # questions of its topic as the guide's other sections (the README's figures).
    from interviewer.practice import SectionQuestion

    bank = default_bank()
    grader = offline_engine().grader
    spoken = [q for q in bank.values() if q.coding is None]
    section = {q.id: SectionQuestion(id=f"{q.id}#guide", round=q.round, topic=q.topic,
                                     difficulty=q.difficulty, text=q.text, guide_section=q.id,
                                     model_answer=q.model_answer, guide="dev")
               for q in spoken}  # fmt: skip

    def judged(qid: str, answer: str):
        s = section[qid]
        others = [section[o.id] for o in spoken if o.topic == bank[qid].topic]
        grade = grader.grade_many([(s.rubric(), answer)])[0]
        return neighbours.checked(grader, s, answer, grade, among=others)

    # the ten styles, as the guide path is fitted and measured (calibrate.guide_items: the
    # candidate stories were labelled against the bank's story rubrics)
    rows = [r for r in ds.load_authored("dev", bank) if r["question_id"] in section
            and not candidate_story(r)]  # fmt: skip
    assert len(rows) == 189
    assert not [r["_where"] for r in rows if other(judged(r["question_id"], r["answer"]))]
    cross = [(q.id, r["answer"]) for r in rows if r["style"] == "expert" for q in spoken
             if q.id != r["question_id"] and q.topic == bank[r["question_id"]].topic]  # fmt: skip
    caught = sum(other(judged(qid, said)) is not None for qid, said in cross)
    assert len(cross) == 64 and caught >= 0.9 * len(cross), caught



# A re-walk's push-back story (told with "I"), given to "explain a model's failure": 46 there and
# not caught, 83 on the push-back question (it was not among the 3 questions nearest by text).
PUSH_BACK = (
    'I was building a churn model for a telecom client, and the product manager wanted to '
    "feed customers' call transcripts and their location history into it to boost accuracy, "
    'and launch in three weeks. My task was to deliver a useful model without breaking '
    "privacy rules or the client's trust. I was uneasy, because customers had never consented "
    'to their call content being used for marketing, and the location data would need a legal '
    "review we couldn't finish in three weeks. I set up a meeting with the PM and the "
    "client's data protection officer, and I showed that a model on billing, usage and "
    'support-ticket counts already reached most of the lift: 0.78 AUC against 0.81 with the '
    'sensitive data in an early test. I proposed to launch on the consented data first and to '
    'run a consent-based pilot for the extra features later. In the end the PM agreed, the '
    'model launched on time, retention campaigns cut churn by about 6 percent in the first '
    'quarter, and the DPO asked me to use the same review process on other projects. I think '
    'the key was bringing numbers instead of only saying no.'
)


def test_a_story_for_another_behavioural_question_is_caught():
    from interviewer.neighbours import as_other_question, other_question

    bank = default_bank()
    q = bank["l2-explain-model-failure-stakeholder"]
    engine = offline_engine()
    grade, _ = engine.judge(q, PUSH_BACK)
    # Under the pass mark here (58 since walk49's refit of the story head; 60, a pass, before:
    # a story that passes the question asked is not checked, README "Another question"), it is
    # taken for the question it answers; as it is at 46, as a re-walk saw it
    assert grade.overall == 0 and other(grade).startswith(FLAG_OTHER_QUESTION + "When you refine")
    under = OfflineGrader().grade(q, PUSH_BACK).model_copy(update={"overall": 46})
    found = other_question(engine.grader, q, PUSH_BACK, under)
    assert found is not None and found[0].id == "l2-pushed-back-on-requirement"
    caught = as_other_question(q, under, found[0])
    assert caught.overall == 0
    assert other(caught).startswith(FLAG_OTHER_QUESTION + "When you refine requirements")


def test_a_second_answer_to_the_other_question_at_the_probe_earns_nothing(store):
    # A re-walk answered the probe ("What I asked was: ...") with anagrams again: 43, graded
    # with the first anagram answer. The follow-up answer is graded alone.
    bank = default_bank()
    q = bank[TWO_SUM]
    iv = new_interview(round="L1", questions=1, store=store, bank={q.id: q}, follow_ups=1)
    iv.start()
    iv.answer(bank[ANAGRAMS].model_answer)
    assert other(iv.turns[0].grade)
    iv.answer("Two words are anagrams if they have the same letters with the same counts, so I "
              "build a canonical key per word and group by it in a dictionary. The simplest key "
              "is the sorted letters, so eat, tea and ate all map to aet; I append each word to "
              "the list for its key and return the lists. That's O(n k log k).")
    grade = iv.turns[0].grade
    assert grade.overall <= 20 and not grade.covered, (grade.overall, grade.covered)
