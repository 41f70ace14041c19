"""Practice on an uploaded guide grades its answers as interview answers: the guide head and the
interview caps (``Rubric.interview``), not the head fitted on SAF's exam answers. On that head a
re-walk's answer about the neighbouring section of an uploaded guide scored 55, and here a
restatement of the section's title scored 65 and an answer about another section 55-60."""

from __future__ import annotations

import pytest

from interviewer import knowledge, practice
from interviewer.grading import analysis as an
from interviewer.grading.grader import OfflineGrader
from interviewer.grading.rubric import FLAG_OTHER_QUESTION, PASS_MARK, Rubric, verdict_of

GUIDE = """# MLOps notes

## Data validation

Every batch of training data is validated against a schema before it is used. The schema fixes
column types, allowed ranges and the share of missing values. A batch that fails validation
stops the pipeline and alerts the owning team, so a bad upstream change never reaches training.

## Model registry

Every trained model is stored in the model registry with its version, the data snapshot and
code commit it came from, and its evaluation metrics. Promotion from staging to production needs
the metrics to beat the current model and a reviewer's approval. Rolling back means pointing
production at the previous registered version.

## Feature store

The feature store keeps one definition of each feature for training and serving. The offline
store holds the full history for training with point-in-time correct joins, the online store
serves the latest values at low latency. This prevents training-serving skew.

## Monitoring

In production we monitor input drift with the population stability index, prediction drift,
and the business metric once labels arrive. Alerts fire when drift passes a threshold, and a
retraining job is triggered after a human review.
"""

# A good answer to each section, in the candidate's own words.
ANSWERS = {
    "Data validation": "The pipeline checks each data batch against a schema with column types "
    "and value ranges, and if the batch fails, the pipeline stops and the data owners are "
    "alerted so bad data never reaches training.",
    "Model registry": "Models go into a registry with a version, the data snapshot and the "
    "commit, plus metrics. To promote to production the new model must beat the current one and "
    "someone approves it; rollback is just pointing at the previous version.",
    "Feature store": "A feature store defines each feature once for both training and serving; "
    "offline history with point in time joins for training, an online store for low latency "
    "serving, which avoids training serving skew.",
    "Monitoring": "We track drift of inputs with PSI, drift of predictions and the business KPI "
    "when labels come in; an alert fires over a threshold and retraining starts after a person "
    "reviews it.",
}


@pytest.fixture(scope="module")
def grader():
    return OfflineGrader()


@pytest.fixture
def questions(kb_settings, tmp_path):
    path = tmp_path / "mlops-notes.md"
    path.write_text(GUIDE, encoding="utf-8")
    [result] = knowledge.ingest([path], settings=kb_settings, owner="ana")
    qs = practice.section_questions(result.guide, "L2", settings=kb_settings)
    by_title = {q.guide_section.split(" > ")[-1]: q for q in qs}
    assert set(by_title) == set(ANSWERS)
    return by_title


def test_a_guide_sections_rubric_is_graded_as_an_interview_answer(questions):
    for q in questions.values():
        rubric = q.rubric()
        assert rubric.interview and an.rubric_kind(rubric) == "guide"
        # the same text given to `grade` as a reference answer stays on the exam-style path
        exam = Rubric.from_reference(q.text, q.model_answer, question_id=q.id)
        assert an.rubric_kind(exam) == "reference"


def test_own_words_pass_and_an_answer_about_another_section_does_not(questions, grader):
    for title, q in questions.items():
        rubric = q.rubric()
        grades = grader.grade_many([(rubric, a) for a in ANSWERS.values()])
        for (about, _), g in zip(ANSWERS.items(), grades, strict=True):
            if about == title:
                assert g.overall >= PASS_MARK, (title, g.overall)
            else:
                # it shares words with this section (pipeline, training, production) and used
                # to score 55-60 here: it states none of its points
                assert verdict_of(g.score) == "incorrect", (title, about, g.overall)


def test_a_guide_answer_graded_correct_is_said_to_cover_the_section_not_to_be_right(
    questions, grader
):
    # walk32: an answer denying what its section says read "Correct." at 100 (a guide rubric
    # has no wrong claims to catch); the exam path and bank questions keep "Correct."
    from interviewer.grading.feedback import GUIDE_CORRECT

    q = questions["Model registry"]
    section = grader.grade(q, q.model_answer)
    assert section.verdict == "correct" and section.feedback.startswith(GUIDE_CORRECT)
    assert "Correct." not in section.feedback
    exam = grader.grade(q.text, q.model_answer, reference_answer=q.model_answer)
    assert exam.verdict == "correct" and exam.feedback.startswith("Correct.")


def test_restating_the_sections_title_earns_nothing(questions, grader):
    q = questions["Model registry"]
    rubric = q.rubric()
    for said in ("The model registry.", "It is about the model registry and what it does."):
        g = grader.grade_many([(rubric, said)])[0]
        assert g.overall <= 20, (said, g.overall)
        assert not g.covered


def test_the_exam_path_and_the_guide_path_are_cached_apart(questions, grader):
    # the rubric cache keys on every field the grading reads: the same question and text as a
    # guide section and as a `grade` reference must not share one prepared rubric
    q = questions["Model registry"]
    exam = Rubric.from_reference(q.text, q.model_answer, question_id=q.id)
    said = "The model registry."
    guide_first = grader.grade_many([(q.rubric(), said)])[0]
    exam_after = grader.grade_many([(exam, said)])[0]
    fresh = OfflineGrader().grade_many([(exam, said)])[0]
    assert exam_after.overall == fresh.overall
    assert guide_first.overall != exam_after.overall


def test_a_guides_lines_about_the_interview_are_no_key_points():
    # a re-walk's uploaded guide: "✗ In the L2 round interviewers ask how tokenisation affects
    # cost." was a key point the candidate was marked down for
    section = ("Tokenisers split text into subword units, so cost follows tokens, not characters. "
               "In the L2 round interviewers ask how tokenisation affects cost. A long system "
               "prompt is paid on every call. Interviewers will also ask about caching.")
    rubric = practice_rubric(section)
    assert [kp.point for kp in rubric.key_points] == [
        "Tokenisers split text into subword units, so cost follows tokens, not characters.",
        "A long system prompt is paid on every call.",
    ]


def practice_rubric(section: str) -> Rubric:
    return Rubric.from_reference("What does the guide say about tokenisation?", section,
                                 interview=True)  # fmt: skip


def test_a_sections_title_is_shown_as_written():
    # a re-walk's Practice header read "L1 · Cross validation" for the section "Cross-validation"
    from interviewer.bank import topic_label

    assert topic_label("Cross-validation") == "Cross-validation"
    assert topic_label("Point-in-time joins") == "Point-in-time joins"
    assert topic_label("imbalanced-data") == "imbalanced data"  # a bank topic's slug, as before


def test_an_answer_about_another_section_of_the_guide_is_said_to_be_so(questions, grader, kb_settings):
    # A re-walk's early-stopping answer to an uploaded guide's cross-validation section scored 25,
    # two k-fold points ticked. Practice grades it against the guide's other sections too.
    for title, q in questions.items():
        assert q.guide  # the guide it came from: its other sections are read
        for about, said in ANSWERS.items():
            plain = grader.grade_many([(q.rubric(), said)])[0]
            grade = practice.judged_section(grader, q, said, plain, settings=kb_settings)
            flag = [f for f in grade.flags if f.startswith(FLAG_OTHER_QUESTION)]
            if about == title:
                assert grade is plain or grade == plain, (title, grade.flags)
            elif flag:
                assert flag == [FLAG_OTHER_QUESTION + about] and grade.overall == 0
                assert not grade.covered
                assert grade.feedback == (f"Incorrect. This is about another section of the "
                                          f"guide, “{about}”, not the one asked, “{title}”.")
    # at least the answer on monitoring given to the data validation section is caught
    q = questions["Data validation"]
    said = ANSWERS["Monitoring"]
    grade = practice.judged_section(grader, q, said, grader.grade_many([(q.rubric(), said)])[0],
                                    settings=kb_settings)  # fmt: skip
    assert FLAG_OTHER_QUESTION + "Monitoring" in grade.flags
