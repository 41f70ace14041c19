"""The first probe on code that failed hidden tests asks about a test that ran and failed, also
when another test was stopped for time (a walk-through's K-Means timed out on its large input and
gave NaN on an empty cluster, and was asked only the complexity its explanation had stated); a
test stopped for time is asked about only when no test ran and failed. Real sandbox runs."""

from __future__ import annotations

import pytest

from interviewer.bank import default_bank
from interviewer.config import Settings
from interviewer.store import open_store
from tests.helpers import new_interview

# K-Means with a pure-Python loop over points, centroids and dimensions: it times out on the
# large input; without RESEED an empty cluster's mean is NaN (duplicate_points_no_nan fails).
KMEANS_LOOPS = '''import numpy as np


def _assign(X, centroids):
    n, d = X.shape
    labels = np.zeros(n, dtype=int)
    for i in range(n):
        best = None
        for j in range(len(centroids)):
            dist = 0.0
            for t in range(d):
                diff = X[i, t] - centroids[j, t]
                dist += diff * diff
            if best is None or dist < best:
                best, labels[i] = dist, j
    return labels


def kmeans(X, k, max_iter=100, tol=1e-6, seed=0):
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    if not 1 <= k <= n:
        raise ValueError("k must be in 1..n")
    rng = np.random.default_rng(seed)
    centroids = X[rng.choice(n, size=k, replace=False)].copy()
    for _ in range(max_iter):
        labels = _assign(X, centroids)
        new = np.array([X[labels == j].mean(axis=0) for j in range(k)])
#RESEED
        moved = np.abs(new - centroids).max()
        centroids = new
        if moved <= tol:
            break
    return centroids, _assign(X, centroids)
'''
RESEED = '''        for j in range(k):
            if not (labels == j).any():
                far = ((X - centroids[labels]) ** 2).sum(axis=1).argmax()
                new[j] = X[far]
'''
SAYS_COMPLEXITY = ("Lloyd's algorithm: assign each point to its nearest centroid, then move each "
                   "centroid to the mean of its points, until nothing moves. Complexity is "
                   "O(n k d) per iteration.")  # fmt: skip

# ROC-AUC by counting every (positive, negative) pair: O(n^2), it times out on the large input;
# one class only divides by zero instead of raising ValueError (one_class_raises fails).
ROC_PAIRS = '''def roc_auc(y_true, scores):
    y, s = list(y_true), list(scores)
    if not y or len(y) != len(s) or any(v not in (0, 1) for v in y):
        raise ValueError("bad input")
    pos = [b for a, b in zip(y, s) if a == 1]
    neg = [b for a, b in zip(y, s) if a == 0]
    wins = 0.0
    for p in pos:
        for q in neg:
            wins += 1.0 if p > q else 0.5 if p == q else 0.0
    return wins / (len(pos) * len(neg))
'''


def _at_coding_question(qid: str):
    """An L1 interview (real SQLite store) at its coding question, ``qid``, one probe allowed."""
    bank = default_bank()
    q = bank[qid]
    bank = {k: v for k, v in bank.items() if v.coding is None or k == qid}
    iv = new_interview(round="L1", questions=2, bank=bank, store=open_store(Settings.from_env()),
                       coding=True, follow_ups=1)  # fmt: skip
    iv.start()
    while iv.current.kind != "coding":
        iv.answer(bank[iv.current.question_id].model_answer)
        while iv.phase == "follow_up":
            iv.answer("I am not sure.")
    assert iv.current.question_id == qid
    return iv, q


def _failed(turn) -> dict[str, str]:
    return {f["name"]: f["error"] for f in turn.code_result["failed"]}


def test_a_failed_test_is_asked_about_though_another_timed_out():
    iv, _ = _at_coding_question("l1-code-kmeans")
    turn = iv.current
    reply = iv.submit_code(KMEANS_LOOPS.replace("#RESEED\n", ""), explanation=SAYS_COMPLEXITY)
    failed = _failed(turn)
    assert set(failed) == {"duplicate_points_no_nan", "large_200k"}, failed
    assert failed["large_200k"].startswith("timed out") and turn.code_result["error"]
    assert reply.kind == "follow_up"
    assert "Follow-up: The hidden test “duplicate points no nan” failed: assertion failed: " \
        "assert np.isfinite(centroids).all()" in reply.text, reply.text  # fmt: skip
    assert reply.text.endswith("What does your code do in that case, and what would you change?")
    assert "complexity" not in reply.text
    # stored as asked: the probe is the turn's follow-up in the session's SQLite store
    stored = iv.store.load_session(iv.info.id, user_id=iv.info.user_id)[1]
    assert stored[-1].follow_ups[0].question.startswith("The hidden test “duplicate points no nan”")


def test_pair_counting_roc_auc_is_asked_about_the_input_check_it_failed():
    iv, _ = _at_coding_question("l1-code-roc-auc")
    turn = iv.current
    reply = iv.submit_code(ROC_PAIRS, explanation="I compare every positive with every negative "
                           "and count wins, ties as half.")  # fmt: skip
    failed = _failed(turn)
    assert failed["large_200k_with_ties"].startswith("timed out"), failed
    assert failed["one_class_raises"].startswith("ZeroDivisionError"), failed
    assert reply.kind == "follow_up"
    assert "Follow-up: The hidden test “one class raises” failed: ZeroDivisionError" in reply.text
    assert reply.text.endswith("What does your code do in that case, and what would you change?")


def test_a_test_stopped_for_time_alone_is_asked_about_without_asking_a_stated_complexity():
    from interviewer.probes import failed_test_probe

    iv, _ = _at_coding_question("l1-code-kmeans")
    turn = iv.current
    reply = iv.submit_code(KMEANS_LOOPS.replace("#RESEED\n", RESEED), explanation=SAYS_COMPLEXITY)
    assert list(_failed(turn)) == ["large_200k"], _failed(turn)
    assert reply.kind == "follow_up"
    # the stop, and what to change; the complexity the explanation stated is not asked again
    # (it was: "What is the time and memory complexity of one iteration?")
    assert "Follow-up: The hidden test “large 200k” was stopped: timed out after 4 s of CPU " \
        "time (time limit). Where does your code spend that time, and what would you change " \
        "to make it fast enough?" in reply.text, reply.text  # fmt: skip
    assert "complexity" not in reply.text
    # Not stated: the same run's probe asks for it.
    assert failed_test_probe(turn.code_result, said="I loop over the points.").endswith(
        "What is the complexity of your code, and what would you change to make it fast enough?")


def test_the_probe_reads_how_each_test_failed():
    from interviewer.probes import failed_test_probe

    def test(name: str, error: str) -> dict:
        return {"name": name, "kind": "edge", "error": error, "code": ""}

    slow = test("large_input", "timed out after 2 s of CPU time (time limit)")
    wrong = test("empty_input", "assertion failed: assert f([]) == [] -> None")
    raised = test("one_class", "ZeroDivisionError: division by zero")
    # a test that ran and failed comes first, wherever the stopped one is
    assert "“empty input” failed" in failed_test_probe({"error": "x", "failed": [slow, wrong]})
    assert "“one class” failed" in failed_test_probe({"error": "x", "failed": [slow, raised]})
    # the code's own TimeoutError ran and failed: it is not a stop
    own = test("ties", "TimeoutError: tie-breaking timed out")
    assert "“ties” failed: TimeoutError" in failed_test_probe({"error": None, "failed": [own]})
    memory = test("large_input", "MemoryError: memory limit exceeded")
    assert failed_test_probe({"error": "x", "failed": [memory]}).endswith(
        "was stopped: MemoryError: memory limit exceeded. What does your code hold in memory "
        "there, and what would you change?")  # fmt: skip
    waited = test("large_input", "timed out: still running after 7 s with under 2 s of CPU "
                  "time used (waiting: a sleep or a blocked call?)")  # fmt: skip
    assert failed_test_probe({"error": "x", "failed": [waited]}).endswith(
        "What is your code waiting for there, and what would you change?")
    exited = test("large_input", "stopped: exited with status 3: no output")
    assert failed_test_probe({"error": "x", "failed": [exited]}).endswith(
        "“large input” was stopped: exited with status 3: no output. What in your code ends the "
        "run there, and what would you change?")  # fmt: skip
    # nothing ran (a run refused or killed before any test): no probe, the error is the feedback
    never = test("basic", "not run: the sandbox refused")
    assert failed_test_probe({"error": "the sandbox refused", "failed": [never]}) is None


# A re-walk's K-Means: vectorised and explained well, but an empty cluster's mean is NaN.
NAN_KMEANS = """import numpy as np


def kmeans(X, k, max_iter=100, tol=1e-6, seed=0):
    X = np.asarray(X, dtype=float)
    n, d = X.shape
    if not 1 <= k <= n:
        raise ValueError("k must be between 1 and n")
    rng = np.random.default_rng(seed)
    centroids = X[rng.choice(n, size=k, replace=False)].copy()
    for _ in range(max_iter):
        d2 = (X ** 2).sum(axis=1)[:, None] - 2 * X @ centroids.T + (centroids ** 2).sum(axis=1)
        labels = d2.argmin(axis=1)
        counts = np.bincount(labels, minlength=k)
        sums = np.stack([np.bincount(labels, X[:, j], minlength=k) for j in range(d)], 1)
        new = sums / counts[:, None]
        moved = np.abs(new - centroids).max()
        centroids = new
        if moved <= tol:
            break
    d2 = (X ** 2).sum(axis=1)[:, None] - 2 * X @ centroids.T + (centroids ** 2).sum(axis=1)
    return centroids, d2.argmin(axis=1)
"""
NAN_KMEANS_SAID = (
    "My approach is Lloyd's algorithm: assign every point to its nearest centroid, move "
    'each centroid to the mean of its points, and repeat until no centroid moves more than '
    'tol or max_iter is reached. Distances are vectorised with the |x|^2 - 2x.c + |c|^2 '
    'expansion, an n by k matrix, and the update uses bincount, so there is no Python loop '
    'over points. Initialisation matters because K-Means only finds a local minimum, so I '
    'seed a random choice of distinct points and would use k-means++ with restarts. Each '
    'iteration is O(n k d) time and O(n k) memory; for huge data I would use mini-batch '
    'K-Means. It assumes spherical clusters, so I scale features and pick k with the elbow '
    'or silhouette.')


def test_a_failed_test_is_asked_about_even_when_the_question_scores_85_or_more():
    # It scored 86 and was never asked about the NaN: no probe came at 85 or more.
    iv, q = _at_coding_question("l1-code-kmeans")
    turn = iv.current
    reply = iv.submit_code(NAN_KMEANS, explanation=NAN_KMEANS_SAID)
    assert set(_failed(turn)) == {"duplicate_points_no_nan"}, _failed(turn)
    assert turn.grade.overall >= 85, turn.grade.overall
    assert reply.kind == "follow_up" and "“duplicate points no nan” failed" in reply.text


def test_a_test_stopped_by_the_output_limit_says_so_and_is_asked_about():
    """walk19a: the test the run was in when its printing passed the output limit read "not
    run"; it ran, and was stopped. The tests after it never ran. Real sandbox run."""
    iv, q = _at_coding_question("l1-code-balanced-brackets")
    turn = iv.current
    first, *rest = [t.name for t in q.coding.hidden_tests]
    chatty = ("def is_balanced(s):\n    for _ in range(200_000):\n"
              "        print('checking', s, 'x' * 100)\n    return True\n")  # fmt: skip
    reply = iv.submit_code(chatty, explanation="I use a stack of open brackets.")
    failed = _failed(turn)
    assert failed[first].startswith("stopped: output limit exceeded"), failed
    assert all(failed[n].startswith("not run: output limit exceeded") for n in rest), failed
    assert turn.code_result["error"].startswith("output limit exceeded")
    assert turn.code_result["error"].endswith(f"MiB), in test {first}")
    assert reply.kind == "follow_up"
    assert (f"The hidden test “{first.replace('_', ' ')}” was stopped: output limit exceeded"
            in reply.text), reply.text  # fmt: skip
    assert "stopped: stopped" not in reply.text
    assert reply.text.endswith("What is your code printing there, and what would you change?")


# walk23: s.count per character, O(n^2), times out on the large input of a "linear time" question
COUNT_EACH = '''def first_unique_index(s):
    for i, ch in enumerate(s):
        if s.count(ch) == 1:
            return i
    return -1
'''


def test_the_fix_said_at_the_probe_on_a_timed_out_test_is_credited():
    """walk23 answered the probe on its timed-out test with the diagnosis and the fix, and read
    "Missing: all 4 key points", among them the O(n^2) trap it had just named and "Return -1
    for an empty string" beside code passing every edge-case test. Real sandbox runs."""
    iv, q = _at_coding_question("l1-code-first-unique-char")
    turn = iv.current
    reply = iv.submit_code(COUNT_EACH)
    assert _failed(turn) == {"large_200k": _failed(turn)["large_200k"]}
    assert "“large 200k” was stopped: timed out" in reply.text
    iv.answer("s.count scans the whole string for every character, so it is actually O(n "
              "squared). I would count once with collections.Counter and then scan for the first "
              "index with count one, which is O(n).")  # fmt: skip
    grade = iv.turns[turn.index].grade
    covered = {kp.id for kp in grade.key_points if kp.covered}
    assert {"quadratic-trap", "dictionary", "two-passes"} <= covered, grade.key_points
    assert "not-found" not in {kp.id for kp in grade.key_points}  # shown by the passing tests
    assert grade.overall < 85  # the code is graded as submitted: its timeout still costs
    # The same words sent with the code (no probe yet): the O(n) claim is not what the code
    # does, so it is not credited; naming the O(n^2) trap the code fell into is
    from interviewer.coding_answer import code_grade

    said = ("s.count scans the whole string for every character, so it is actually O(n "
            "squared). I would count once with collections.Counter and then scan for the first "
            "index with count one, which is O(n).")  # fmt: skip
    result = iv.engine.code_runner.grade(q, COUNT_EACH)
    spoken = iv.engine.judge(q, said)[0]
    assert {"quadratic-trap", "dictionary"} <= {kp.id for kp in spoken.key_points if kp.covered}
    got = {kp.id: kp.covered for kp in code_grade(q, result, spoken, said).key_points}
    assert got.get("quadratic-trap") is True and not got.get("dictionary"), got


def test_words_lift_no_code_past_the_share_of_hidden_tests_it_passes():
    """walk23: a bracket checker that never checks the stack is empty at the end failed 3 of 8
    hidden tests, 62 by its tests, and scored 72 with its explanation, where the README says
    code that fails a test scores at most the weighted share it passes. Real sandbox run."""
    from interviewer.coding_answer import code_grade, tests_share

    iv, q = _at_coding_question("l1-code-balanced-brackets")
    code = ('def is_balanced(s):\n    pairs = {")": "(", "]": "[", "}": "{"}\n    stack = []\n'
            '    for ch in s:\n        if ch in "([{":\n            stack.append(ch)\n'
            '        elif ch in pairs:\n            if not stack or stack.pop() != pairs[ch]:\n'
            '                return False\n    return True\n')  # fmt: skip
    said = ("I push each opener on a stack and pop on a closer, checking it matches through a "
            "dictionary from closer to opener; it is O(n) time and O(n) space.")  # fmt: skip
    result = iv.engine.code_runner.grade(q, code)
    assert 0 < result.passed < result.total and result.overall == tests_share(q, result) == 62
    spoken = iv.engine.judge(q, said)[0]
    assert spoken.overall > result.overall  # it would lift the grade
    graded = code_grade(q, result, spoken, said)
    assert graded.overall == 62
    # a wrong claim still costs: the words can lower it
    wrong = iv.engine.judge(q, "A queue is what I use here: first in, first out.")[0]
    assert code_grade(q, result, wrong, "A queue ...").overall <= 62


def test_words_lift_no_code_that_fails_the_central_case_to_the_pass_mark():
    """walk33: the mean of the chunks' means, the chunked-mean question's own bug, passed 5 of 7
    hidden tests and scored 71, a pass, with a "hire" beside it. With the model answer as its
    explanation it still stays at the cap, and the words say why. Real sandbox run."""
    from interviewer.coding.grade import CORE_MISSED_MAX
    from interviewer.coding_answer import code_grade
    from interviewer.export import to_markdown
    from interviewer.grading.rubric import PASS_MARK
    from interviewer.markup import md_escape
    from interviewer.report_render import report_text
    from interviewer.ui.render import tests_md
    from tests.coding.test_interview_coding import MEAN_OF_MEANS

    iv, q = _at_coding_question("l1-code-chunked-mean")
    result = iv.engine.code_runner.grade(q, MEAN_OF_MEANS)
    spoken = iv.engine.judge(q, q.model_answer)[0]
    assert spoken.overall >= PASS_MARK
    graded = code_grade(q, result, spoken, q.model_answer)
    assert graded.overall == CORE_MISSED_MAX < PASS_MARK
    assert graded.feedback.startswith(
        "5 of 7 hidden tests passed (partially correct), but not_mean_of_means is the question's "
        "central case, so the code scores at most 50.")  # fmt: skip
    # through the interview too: the turn is graded at the cap
    iv.answer(q.model_answer)
    turn = iv.current
    reply = iv.submit_code(MEAN_OF_MEANS)
    assert turn.grade.overall == CORE_MISSED_MAX
    # and wherever its tests passed are said (walk36: the report's "5 of 7 hidden tests
    # passed" stood beside 50 with no word why)
    central = "but not_mean_of_means is the question's central case, so the code scores at most 50"
    assert reply.text.startswith(f"Your code ran: 5 of 7 hidden tests passed (partially "
                                 f"correct), {central}.")  # fmt: skip
    assert f"(partially correct), {md_escape(central)}" in tests_md(turn.code_result, q)
    iv.answer("I am not sure.")
    iv.command("end")
    assert f"**Tests:** 5 of 7 hidden tests passed (partially correct), {md_escape(central)}" in (
        to_markdown(iv.info, iv.turns))  # fmt: skip
    said = " ".join(report_text(iv.report()).split())
    assert f"5 of 7 hidden tests passed, {central}" in said


ANAGRAMS_SAID = ("I map each word to a canonical key, its sorted letters, and group with a "
                 "defaultdict(list); dicts keep insertion order, so groups come out in order of "
                 "first appearance with words in input order. Sorting each word makes it "
                 "O(n k log k).")  # fmt: skip
ANAGRAMS_DIAGNOSED = ('My code lower-cases each word before sorting its letters, so "Ab" and "ba" '
                      "get the same key and merge, but anagrams are case-sensitive. The fix is to "
                      'key on the sorted letters of the word as it is, without calling lower(), '
                      'so "Ab" and "bA" group and "ba" stays apart.')  # fmt: skip


@pytest.mark.parametrize("believed", [False, True])
def test_describing_what_the_failed_code_does_is_a_diagnosis_not_a_wrong_claim(believed):
    """walk35: group_anagrams code that lower-cased the words failed case_sensitive; the answer
    to the probe on it, the right diagnosis, read as the red flag on a key that merges "aab"
    and "abb": the explanation was "incorrect", the grade fell from 80 to 65 and the three
    bullets had no room for "Diagnosed". The same claim sent with the code is a belief, and
    still costs. Real sandbox run, words by the offline grader."""
    from interviewer.chat_feedback import feedback_text
    from interviewer.grading.rubric import red_flag_claims

    iv, q = _at_coding_question("l1-code-group-anagrams")
    wrong = ' A set of letters is a fine key too, as it merges "aab" and "abb" the same way.'
    iv.answer(ANAGRAMS_SAID + (wrong if believed else ""))
    turn = iv.current
    reply = iv.submit_code(q.coding.reference.replace("sorted(word)", "sorted(word.lower())"))
    assert reply.kind == "follow_up" and "case sensitive" in reply.text
    submitted = turn.grade.overall
    iv.answer(ANAGRAMS_DIAGNOSED)
    claims = red_flag_claims(turn.grade.flags)
    said = feedback_text(q, turn.grade, turn.code_result)
    if believed:
        assert claims and "• Wrong:" in said
    else:
        assert claims == [] and turn.grade.overall >= submitted == 80, turn.grade.flags
        assert "• Diagnosed: your code failed case_sensitive" in said and "Wrong" not in said


# walk36: ranks from a double argsort, so tied scores get distinct ranks
ORDINAL_RANKS_AUC = """import numpy as np


def roc_auc(y_true, scores):
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    if y.size == 0 or y.shape != s.shape:
        raise ValueError("y_true and scores must be non-empty and of the same length")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 or 1")
    n_pos = int((y == 1).sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC-AUC is undefined with only one class present")
    ranks = np.argsort(np.argsort(s, kind="mergesort"), kind="mergesort") + 1
    rank_sum = ranks[y == 1].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
"""
RANK_SUM_SAID = ("I sort the scores and use the rank-sum (Mann-Whitney U) formula, so I never "
                 "compare every pair; the sort makes it O(n log n). AUC is the probability that "
                 "a random positive scores higher than a random negative.")  # fmt: skip
TIES_DIAGNOSED = ("My code ignores ties: argsort gives tied scores distinct ranks by their "
                  "position in the sort instead of the average of their ranks, so with every "
                  "score tied the positives get whatever ranks their positions give, 0.83 here "
                  "instead of 0.5, and shuffling the input changes the AUC. I would give each "
                  "block of tied scores the mean of its ranks, for example with np.unique and "
                  "return_inverse and the cumulative counts, which keeps it O(n log n).")  # fmt: skip


def test_a_diagnosis_in_the_words_of_a_known_mistake_is_credited_as_a_diagnosis():
    """walk36: the ROC-AUC answer "My code ignores ties ..." lost its red flag, but the follow-up
    graded alone still had it (every point unticked there), so no "Diagnosed"; and the ties
    point, stated only in the follow-up, was ticked as if the code did it, no test named."""
    from interviewer.grading.rubric import red_flag_claims

    iv, q = _at_coding_question("l1-code-roc-auc")
    iv.answer(RANK_SUM_SAID)
    turn = iv.current
    assert "all scores tied" in iv.submit_code(ORDINAL_RANKS_AUC).text
    reply = iv.answer(TIES_DIAGNOSED)
    assert red_flag_claims(turn.grade.flags) == [] and "Wrong" not in reply.text
    assert "• Diagnosed: your code failed all_scores_tied" in reply.text
    ties = next(kp for kp in turn.grade.key_points if kp.id == "ties")
    assert ties.covered and ties.failed_test, ties  # credited as a diagnosis, its test named
    # ... the test the probe asked about, of the two that check the point (walk36 was asked
    # about all_scores_tied and read "Diagnosed: your code failed matches_pairwise_definition")
    assert turn.follow_ups[0].question.startswith("The hidden test “all scores tied” failed")
    assert ties.failed_test == "all_scores_tied"


def test_code_that_prints_to_the_output_limit_is_not_clean_code():
    """walk24: a correct first-unique-character solution whose printing reached the output limit
    only after every hidden test had passed scored 100, "output limit exceeded" beside it. The
    reference solution's real sandbox run, as the harness reports a run stopped after its
    tests."""
    from dataclasses import replace

    from interviewer.bank import default_bank
    from interviewer.coding.grade import score
    from interviewer.coding.harness import run_submission
    from interviewer.coding.review import review

    q = default_bank()["l1-code-first-unique-char"]
    code, spec = q.coding.reference, q.coding
    run = run_submission(spec, code, which="hidden")
    assert all(t.passed for t in run.tests) and run.error is None
    clean = score(q.id, spec, run, review(code, spec))
    flooded = replace(run, error="output limit exceeded (printed more than 8 MiB)")
    got = score(q.id, spec, flooded, review(code, spec))
    read = got.criteria["readability"]
    assert read.score == 2 and read.evidence.startswith("it printed until the output limit")
    assert got.overall < clean.overall == 100 and got.passed == got.total
