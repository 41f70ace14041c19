"""Grading real submissions end to end: sandboxed hidden tests, ruff, loops, growth, scores."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from interviewer.bank import load_bank
from interviewer.coding.grade import (
    CORE_MISSED_MAX,
    CORRECT_FROM,
    LOOPED_MAX,
    RULED_OUT_MAX,
    grade_submission,
)
from interviewer.coding.review import classify_growth, find_loops, lint
from interviewer.coding.spec import CodingSpec, imports_used, operations_used
from interviewer.grading.rubric import PASS_MARK
from tests.helpers import LOOPED_MOVING_AVERAGE

BANK = {q.id: q for q in load_bank().values() if q.kind == "coding"}


def _grade(qid: str, code: str, **kw):
    return grade_submission(qid, BANK[qid].coding, code, **kw)


KMEANS_GOOD = '''
import numpy as np


def kmeans(X, k, max_iter=100, tol=1e-6, seed=0):
    """Lloyd's algorithm; empty clusters take the farthest point."""
    X = np.asarray(X, dtype=float)
    n = len(X)
    if not 1 <= k <= n:
        raise ValueError("k out of range")
    rng = np.random.default_rng(seed)
    centroids = X[rng.choice(n, size=k, replace=False)].copy()
    for _ in range(max_iter):
        dist = ((X[:, None, :] - centroids[None]) ** 2).sum(axis=2)
        labels = dist.argmin(axis=1)
        closest = dist.min(axis=1)
        new = centroids.copy()
        for j in range(k):
            members = X[labels == j]
            if len(members):
                new[j] = members.mean(axis=0)
            else:
                far = closest.argmax()
                new[j] = X[far]
                closest[far] = -1.0
        moved = np.abs(new - centroids).max()
        centroids = new
        if moved <= tol:
            break
    labels = ((X[:, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1)
    return centroids, labels
'''

# Subtly wrong: no handling of empty clusters (their mean is NaN) and no check on k.
KMEANS_SUBTLE = '''
import numpy as np


def kmeans(X, k, max_iter=100, tol=1e-6, seed=0):
    """Lloyd's algorithm."""
    X = np.asarray(X, dtype=float)
    rng = np.random.default_rng(seed)
    centroids = X[rng.choice(len(X), size=k, replace=False)]
    for _ in range(max_iter):
        labels = ((X[:, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1)
        new = np.array([X[labels == j].mean(axis=0) for j in range(k)])
        if np.allclose(new, centroids, atol=tol):
            break
        centroids = new
    return centroids, labels
'''

MERGE_GOOD = '''
def merge_and_flag_outliers(left, right, key, column):
    """Inner join (many-to-one) and IQR outlier flag."""
    out = left.merge(right, on=key, validate="many_to_one").sort_values(key, kind="stable")
    out = out.reset_index(drop=True)
    q1, q3 = out[column].quantile([0.25, 0.75])
    fence = 1.5 * (q3 - q1)
    out["is_outlier"] = (out[column] < q1 - fence) | (out[column] > q3 + fence)
    return out
'''

# Subtly wrong: a left join that keeps unmatched keys and accepts duplicated lookup keys.
MERGE_SUBTLE = MERGE_GOOD.replace('validate="many_to_one"', 'how="left"')

TRANSFORM_ROW_LOOP = '''
import pandas as pd


def add_order_features(orders):
    """Same columns, computed one row at a time."""
    out = orders.copy()
    totals, discounts = [], []
    for _, row in out.iterrows():
        qty = 0 if pd.isna(row["qty"]) else row["qty"]
        total = row["price"] * qty
        rate = 0.10 if total >= 1000 else 0.05 if total >= 500 else 0.0
        totals.append(total)
        discounts.append(rate * total)
    out["total"] = totals
    out["discount"] = discounts
    out["net"] = out["total"] - out["discount"]
    customer = out.groupby("customer")["net"].transform("sum")
    out["share"] = (out["net"] / customer.where(customer != 0)).fillna(0.0)
    return out
'''

MAX_SUBARRAY_QUADRATIC = '''
def max_subarray_sum(nums):
    """Try every start and end."""
    if not nums:
        raise ValueError("empty")
    best = nums[0]
    for i in range(len(nums)):
        total = 0
        for j in range(i, len(nums)):
            total += nums[j]
            best = max(best, total)
    return best
'''


def test_correct_kmeans_grades_correct():
    result = _grade("l1-code-kmeans", KMEANS_GOOD)
    assert result.error is None, result.error
    assert result.passed == result.total and not result.failed
    assert result.criteria["correctness"].score == 5
    assert result.criteria["edge_cases"].score == 5
    assert result.verdict == "correct" and result.overall >= CORRECT_FROM


def test_subtly_wrong_kmeans_fails_named_tests_and_scores_lower():
    good = _grade("l1-code-kmeans", KMEANS_GOOD)
    bad = _grade("l1-code-kmeans", KMEANS_SUBTLE)
    failed = {f.name for f in bad.failed}
    assert "duplicate_points_no_nan" in failed, failed
    assert "k_equals_n" not in failed  # the bug only shows with empty clusters
    assert bad.overall < good.overall
    assert bad.verdict != "correct"
    assert bad.criteria["edge_cases"].score < 5
    assert "duplicate_points_no_nan" in bad.criteria["correctness"].evidence
    # The failed test carries its inputs (its code) for the feedback.
    shown = next(f for f in bad.failed if f.name == "duplicate_points_no_nan")
    assert "np.zeros((100, 2))" in shown.code and "NaN" in shown.error


def test_merge_outliers_correct_and_subtly_wrong():
    good = _grade("l1-code-merge-flag-outliers", MERGE_GOOD)
    assert good.verdict == "correct", good.criteria
    bad = _grade("l1-code-merge-flag-outliers", MERGE_SUBTLE)
    failed = {f.name for f in bad.failed}
    assert {"inner_join_drops_unmatched", "duplicate_right_keys_rejected"} <= failed, failed
    assert bad.overall < good.overall and bad.verdict != "correct"


def test_row_loop_pandas_loses_vectorisation_points():
    spec_id = "l1-code-pandas-no-loop-transform"
    reference = _grade(spec_id, BANK[spec_id].coding.reference)
    looped = _grade(spec_id, TRANSFORM_ROW_LOOP)
    assert reference.criteria["vectorisation"].score == 5
    assert looped.criteria["vectorisation"].score <= 2
    assert any("iterrows" in finding for finding in looped.loops), looped.loops
    assert looped.overall < reference.overall


def test_quadratic_solution_times_out_on_the_large_test():
    result = _grade("l1-code-max-subarray", MAX_SUBARRAY_QUADRATIC)
    large = next(f for f in result.failed if f.name == "large_200k")
    assert "timed out" in large.error
    assert result.criteria["vectorisation"].score == 1
    # Said as what it is: the code ran, too slowly ("resource limit hit" read as a crash).
    assert result.error.startswith("test large_200k was too slow: timed out after 2 s of CPU time")
    # Everything small still passes: correct logic, wrong complexity.
    assert {f.name for f in result.failed} == {"large_200k"}
    assert result.verdict == "partially_correct"


QUADRATIC_UNIQUE = """
def longest_unique_substring(s):
    best = 0
    for i in range(len(s)):
        seen = set()
        for j in range(i, len(s)):
            if s[j] in seen:
                break
            seen.add(s[j])
            best = max(best, j - i + 1)
    return best
"""


def test_code_too_slow_for_the_pace_the_question_asks_for_scores_at_most_50():
    # walk50: a quadratic answer to "..., in linear time" timed out on large_200k and scored 74,
    # a pass; a question that asks for no speed (max subarray) is not capped so
    from interviewer.chat_feedback import feedback_text
    from interviewer.coding_answer import code_grade

    q = BANK["l1-code-longest-unique-substring"]
    assert q.coding.pace == "linear time" and q.coding.paced() == ["large_200k"]
    result = _grade(q.id, QUADRATIC_UNIQUE)
    assert [f.name for f in result.failed] == ["large_200k"] and result.passed == 7
    assert result.overall == CORE_MISSED_MAX < PASS_MARK
    said = "large_200k checks the linear time the question asks for, so the code scores at most 50"
    assert said in result.criteria["correctness"].evidence
    grade = code_grade(q, result)
    assert grade.overall == CORE_MISSED_MAX and said in grade.feedback
    chat = feedback_text(q, grade, result.model_dump())
    assert "• Your code was stopped: test large_200k was too slow" in chat
    assert f"• Tests: 7 of 8 hidden tests passed (partially correct), but {said}." in chat
    assert chat.count("• Tests:") == 1
    # Practice's Feedback says what the failed test asks for, not "correctness counts most"
    # (walk52)
    from types import SimpleNamespace

    from interviewer.ui.render import practice_result_md
    from tests.helpers import offline_engine

    told, run, _ = offline_engine().judge_code(q, QUADRATIC_UNIQUE, "Two nested loops: for each "
                                               "start I extend the window while characters are "
                                               "unique and stop at the first repeat.")  # fmt: skip
    md = practice_result_md(q, told, SimpleNamespace(text="passage"), run.model_dump())
    assert ("• First make the 1 failed hidden test listed above pass: it checks the linear time "
            "the question asks for, and the code scores at most 50 until it passes.") in md
    slow = _grade("l1-code-max-subarray", MAX_SUBARRAY_QUADRATIC)
    assert not BANK["l1-code-max-subarray"].coding.pace and slow.overall > CORE_MISSED_MAX


def test_a_pace_the_question_text_does_not_ask_for_is_refused():
    q = BANK["l1-code-max-subarray"]
    data = q.model_dump()
    data["coding"]["pace"] = "linear time"
    with pytest.raises(ValidationError, match="does not ask for its pace 'linear time'"):
        type(q).model_validate(data)


def test_syntax_error_and_missing_entry_point():
    broken = _grade("l1-code-max-subarray", "def max_subarray_sum(nums)\n    return 0\n")
    assert broken.verdict == "incorrect" and broken.overall < 34
    assert "syntax error" in broken.criteria["correctness"].evidence
    missing = _grade("l1-code-max-subarray", "def solve(nums):\n    return 0\n")
    assert missing.passed == 0 and missing.verdict == "incorrect"
    assert "max_subarray_sum" in missing.criteria["correctness"].evidence


def test_refused_sandbox_is_a_result_not_an_exception():
    result = _grade(
        "l1-code-max-subarray", BANK["l1-code-max-subarray"].coding.reference, mode="off"
    )
    assert result.error and "turned off" in result.error
    assert result.passed == 0 and result.verdict == "incorrect"


def test_forbidden_import_caps_correctness():
    code = (
        "from sklearn.metrics import roc_auc_score\n\n\n"
        "def roc_auc(y_true, scores):\n"
        '    """Library call."""\n'
        "    return float(roc_auc_score(y_true, scores))\n"
    )
    result = _grade("l1-code-roc-auc", code)
    assert result.passed  # the library passes tests; it is not the task set
    assert result.criteria["correctness"].score <= 2
    assert "uses sklearn on line 1: `from sklearn.metrics import roc_auc_score`, which the " \
        "question rules out" in result.criteria["correctness"].evidence  # fmt: skip
    assert result.overall <= RULED_OUT_MAX < PASS_MARK


def test_division_is_found_in_every_spelling_and_nowhere_else():
    spellings = {
        "a / b": 1, "a // b": 1, "total /= x": 1, "np.divide(a, b)": 1, "operator.truediv(a, b)": 1,
        "a * b ** -1": 1, "pow(b, -1)": 1, "np.reciprocal(b)": 1, "divmod(a, b)": 1,
        "a.__truediv__(b)": 1, "x = a / b\ny = a // b": 2,
        "a * b": 0, "a ** 2": 0, "s = 'a/b'  # a / b": 0, "a % b": 0, "pow(b, 2)": 0,
    }
    for code, lines in spellings.items():
        found = operations_used(code, ["division"])
        assert len(found) == lines, (code, found)
        assert all(f.startswith("division on line ") for f in found)
    assert operations_used("a / b", []) == [] and operations_used("def (", ["division"]) == []
    assert operations_used("x = 1\ny = total // x\n", ["division"]) == [
        "division on line 2: `total // x`"]
    # (a walk-through: Fraction(total, x) scored 100; Fraction of one number divides nothing)
    assert len(operations_used("int(Fraction(total, x))", ["division"])) == 1
    assert operations_used("Fraction(3)", ["division"]) == []


def test_a_ruled_out_import_is_found_however_it_is_written_and_named_by_its_line():
    # A walk-through: importlib.import_module("sklearn.metrics") scored 0.83 with nothing said.
    code = ("import numpy as np\nimport importlib\n\n"
            "m = importlib.import_module('sklearn.metrics')\nimport sklearn\n"
            "s = __import__('scipy.spatial')\n")  # fmt: skip
    assert imports_used(code, ["sklearn", "scipy"]) == [
        "sklearn on line 4: `importlib.import_module('sklearn.metrics')`",
        "scipy on line 6: `__import__('scipy.spatial')`"]
    assert imports_used(code, ["pandas"]) == [] and imports_used("import (", ["sklearn"]) == []
    assert imports_used("name = 'sklearn'\nimportlib.import_module(name)", ["sklearn"]) == []


def test_a_spec_whose_reference_divides_where_division_is_ruled_out_is_rejected():
    spec = BANK["l1-code-product-except-self"].coding.model_dump()
    assert spec["forbidden_operations"] == ["division"]
    spec["reference"] += "\n\ndef helper(a, b):\n    return a / b\n"
    with pytest.raises(ValidationError, match="forbidden operation: division on line"):
        CodingSpec.model_validate(spec)


def test_a_spec_has_at_most_one_central_case_and_it_is_a_hidden_basic_test():
    spec = BANK["l1-code-chunked-mean"].coding.model_dump()
    assert [t["name"] for t in spec["hidden_tests"] if t["core"]] == ["not_mean_of_means"]
    two = json.loads(json.dumps(spec))
    next(t for t in two["hidden_tests"] if t["name"] == "sorted_named_series")["core"] = True
    with pytest.raises(ValidationError, match="one central case at most"):
        CodingSpec.model_validate(two)
    edge = json.loads(json.dumps(spec))
    for t in edge["hidden_tests"]:
        t["core"] = t["name"] == "no_chunks"
    with pytest.raises(ValidationError, match="no_chunks is edge"):
        CodingSpec.model_validate(edge)
    seen = json.loads(json.dumps(spec))
    seen["visible_tests"][0]["core"] = True
    with pytest.raises(ValidationError, match="only a hidden test is the central case"):
        CodingSpec.model_validate(seen)


def test_code_failing_the_central_case_stays_under_the_pass_mark_however_many_tests_pass():
    # walk33: the mean of the chunks' means, the bug the chunked-mean question is about, passed
    # 5 of 7 hidden tests and scored 71, a pass.
    from tests.coding.test_interview_coding import MEAN_OF_MEANS

    q = BANK["l1-code-chunked-mean"]
    result = _grade(q.id, MEAN_OF_MEANS)
    assert "not_mean_of_means" in {f.name for f in result.failed}
    assert result.passed >= 5 and result.overall == CORE_MISSED_MAX < PASS_MARK
    assert "not_mean_of_means is the question's central case, so the code scores at most 50" in (
        result.criteria["correctness"].evidence)  # fmt: skip
    # failing another test only costs the share it passes, as before
    counts_nan = q.coding.reference.replace('"count"', '"size"')  # a missing value counted
    other = _grade(q.id, counts_nan)
    assert [f.name for f in other.failed] == ["nan_ignored_and_all_nan_key"]
    assert other.overall > CORE_MISSED_MAX and "central" not in str(other.criteria)
    # nor is the cap said where it does not bite: code that passes nothing scores 5 by its tests
    nothing = _grade(q.id, "def chunked_mean_by_key(chunks, key, value):\n    return None\n")
    assert nothing.passed == 0 and "central" not in str(nothing.criteria)


def test_one_slip_fails_the_tests_that_check_it_not_every_test_that_reads_a_value():
    """walk38: a per-group z-score with pandas' default std (ddof=1), the one slip from the
    spec's ddof=0, failed 4 of 6 hidden tests and scored 25-33, "incorrect": the tests of the
    index and of missing values compared values the slip changes. Each now checks its own
    behaviour, so the slip fails the definition (the central case: at most 50) and what the
    default's NaN for a one-row group breaks; the global mean and std stay incorrect."""
    q = BANK["l1-code-zscore-by-group"]
    ddof1 = _grade(q.id, q.coding.reference.replace('"std", ddof=0', '"std"'))
    failed = {f.name for f in ddof1.failed}
    assert "matches_definition" in failed and not failed & {"index_preserved", "nan_stays_nan"}
    assert ddof1.overall == CORE_MISSED_MAX
    assert CORE_MISSED_MAX >= 34  # partially correct (rubric.VERDICT_CUTS), under the pass mark
    global_stats = q.coding.reference.replace(
        'mean = grouped.transform("mean")', "mean = df[value_col].mean()"
    ).replace(
        'std = grouped.transform("std", ddof=0)',
        "std = df[value_col] * 0 + df[value_col].std(ddof=0)",
    )
    wrong = _grade(q.id, global_stats)
    assert {"matches_definition", "index_preserved"} <= {f.name for f in wrong.failed}
    assert wrong.overall < 34, wrong.overall


SLIPS = [  # (question, what to replace in its reference, by what, the only tests it may fail)
    ("l1-code-product-except-self", "    return out\n", "    return tuple(out)\n", {"returns_list"}),
    ("l1-code-sessionize", "(gap > pd.Timedelta(", "(gap >= pd.Timedelta(", {"exact_gap_same_session"}),
    ("l1-code-clean-customers", '.str.join(" ").str.title()', '.str.join(" ")',
     {"names_normalised"}),
    ("l1-code-zscore-by-group", "z.mask(std.eq(0) & values.notna(), 0.0)", "z",
     {"single_and_constant_groups"}),
]


@pytest.mark.parametrize("qid, old, new, only", SLIPS, ids=[s[0] for s in SLIPS])
def test_a_slip_fails_the_tests_about_it_and_no_other(qid, old, new, only):
    """An audit of single-slip variants of every reference (a returned tuple, a session split
    at exactly the gap, names left in their case, a constant group divided by 0): tests about
    other behaviour failed them too by comparing with ==, hitting the slip's boundary at random
    in a large input, or writing the names in the expected case (a tuple scored 0, the names
    slip 50; now 83 and 86)."""
    q = BANK[qid]
    assert q.coding.reference.count(old) == 1
    result = _grade(qid, q.coding.reference.replace(old, new))
    failed = {f.name for f in result.failed}
    assert failed and failed <= only, (failed, only)
    assert result.overall >= PASS_MARK or failed & {q.coding.core()}, result.overall


def test_every_central_case_is_one_the_reference_passes_and_most_questions_have_one():
    cores = {q.id: q.coding.core() for q in BANK.values()}
    assert sum(bool(c) for c in cores.values()) >= len(cores) - 3, cores
    for qid, name in cores.items():  # (the reference passing every hidden test is tested apart)
        assert not name or name in {t.name for t in BANK[qid].coding.hidden_tests}


# ------------------------------------------------------------------- static checks, no sandbox


def test_find_loops_kinds():
    code = """
def f(df, values, k):
    for _, row in df.iterrows():
        pass
    df.apply(lambda r: r.a, axis=1)
    for i in range(len(df)):
        pass
    total = [v * 2 for v in values]
    df["a"].map(lambda x: x + 1)
    for _ in range(k):
        pass
    for col in df.columns:
        pass
    return total
"""
    kinds = [(f.kind, f.line) for f in find_loops(code, entry_point="f")]
    assert kinds == [
        ("row-loop", 3),
        ("row-loop", 5),
        ("index-loop", 6),
        ("element-loop", 8),
        ("elementwise-python", 9),
    ]


def test_a_range_over_a_name_holding_an_inputs_length_is_a_loop_over_the_data():
    # A walk-through: a moving average's running-sum loop `for i in range(window, n)`, n being
    # len(x), read "no Python loops over the data found; vectorised" and scored 100.
    code = """
def f(x, X, window, k):
    n = len(x)
    rows, d = X.shape
    m = X.shape[0]
    for i in range(window, n):
        pass
    for r in range(rows):
        pass
    for j in range(m):
        pass
    for c in range(d):
        pass
    for c in range(k):
        pass
"""
    assert [(f.kind, f.line) for f in find_loops(code, entry_point="f")] == [
        ("index-loop", 6), ("index-loop", 8), ("index-loop", 10)]  # not over d columns or k


WHILE_RANKED_ROC_AUC = """
import numpy as np


def roc_auc(y_true, scores):
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=float)
    if len(y) == 0 or y.min() == y.max():
        raise ValueError("both classes are needed")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=float)
    i = 0
    n = len(s)
    while i < n:
        j = i
        while j < n and s[order[j]] == s[order[i]]:
            j += 1
        ranks[order[i:j]] = (i + 1 + j) / 2.0
        i = j
    changed, steps = True, 0
    while changed and steps < 3:
        steps += 1
        changed = False
    n_pos = int((y == 1).sum())
    n_neg = len(y) - n_pos
    return (ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
"""


def test_a_while_loop_up_to_the_inputs_length_is_a_loop_over_the_data():
    # walk55: ties ranked with `while i < n`, n = len(s) and s = np.asarray(scores), read
    # "vectorisation 5/5 · no Python loops over the data found"
    found = find_loops(WHILE_RANKED_ROC_AUC, entry_point="roc_auc")
    assert [(f.kind, f.line) for f in found] == [("index-loop", 14), ("index-loop", 16)]
    result = _grade("l1-code-roc-auc", WHILE_RANKED_ROC_AUC)
    assert result.criteria["vectorisation"].score < 5
    assert result.criteria["vectorisation"].evidence.startswith("Python-level loops: line 14")


def test_a_loop_over_a_sequence_built_from_the_input_is_a_loop_over_the_data():
    # A walk-through's ROC-AUC, asked for without Python loops: `order = sorted(range(len(
    # scores)), key=...)` then `for r, i in enumerate(order, start=1)` read "no Python loops over
    # the data found". A reduction's few values (np.unique) are not the data.
    code = """
def f(labels, scores):
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = np.argsort(np.asarray(scores))
    top = list(ranks.tolist())
    classes = np.unique(labels)
    mean = scores.mean()
    for r, i in enumerate(order, start=1):
        pass
    total = sum(t for t in top)
    for c in classes:
        pass
"""
    found = find_loops(code, entry_point="f")
    assert [(f.kind, f.line) for f in found] == [("element-loop", 8), ("element-loop", 10)]
    assert found[0].message == "Python loop over 'order', one step per element of the input"


def test_a_loop_over_an_option_with_a_default_is_not_a_loop_over_the_data():
    # A walk-through: the confusion matrix's `{lab: i for i, lab in enumerate(labels)}`, labels
    # being the optional `labels=None`, was called "a Python loop over the input 'labels'".
    code = """
def f(y_true, y_pred, labels=None, *, names=None):
    if labels is None:
        labels = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    index = {lab: i for i, lab in enumerate(labels)}
    for i in range(len(labels)):
        pass
    tags = [n for n in names or []]
    return [index[v] for v in y_true]
"""
    found = [(f.kind, f.line) for f in find_loops(code, entry_point="f")]
    assert found == [("element-loop", 9)]  # the data is still walked: y_true, line 9
    # a required parameter of the same name is data
    data = code.replace("labels=None, ", "labels, ")
    found = [(f.kind, f.line) for f in find_loops(data, entry_point="f")]
    assert ("element-loop", 5) in found and ("index-loop", 6) in found


def test_vectorised_code_asked_for_and_looped_over_the_data_is_not_correct():
    q = BANK["l1-code-moving-average"]
    looped = LOOPED_MOVING_AVERAGE
    result = _grade(q.id, looped)
    assert result.passed == result.total  # it works
    assert result.overall <= LOOPED_MAX < CORRECT_FROM and result.verdict == "partially_correct"
    assert result.criteria["vectorisation"].evidence.startswith("Python-level loops: line 14")
    from interviewer.probes import code_ran_said

    assert code_ran_said(result.model_dump()).endswith(
        "(partially correct), but it has Python-level loops: line 14: Python loop over "
        "row/element indices (a range over the input's length).")  # fmt: skip
    assert _grade(q.id, q.coding.reference).verdict == "correct"


def test_nested_loops_over_the_data_are_named_first():
    # Seen in a walk-through: pairwise loops (quadratic) were named after two comprehensions
    # that read the inputs once, as the findings went in line order.
    code = """
def auc(pos, neg):
    a = [p for p in pos]
    b = [n for n in neg]
    wins = 0
    for p in pos:
        for n in neg:
            wins += p > n
    pairs = sum(1 for p in pos for n in neg)
    for p in pos:
        wins += p
    return wins / pairs + len(a) + len(b)
"""
    found = find_loops(code, entry_point="auc")
    assert [(f.kind, f.line) for f in found[:2]] == [("nested-loop", 7), ("nested-loop", 9)]
    assert "inside the loop on line 6" in found[0].message
    assert "two in one comprehension" in found[1].message
    assert not any(f.kind == "nested-loop" and f.line in (3, 4, 6, 10) for f in found)
    # a loop over something small inside a loop over the data is not nested over the data
    once = "def f(xs, k):\n    for x in xs:\n        for _ in range(k):\n            pass\n"
    assert [f.kind for f in find_loops(once, entry_point="f")] == ["element-loop"]


def test_lint_uses_a_fixed_rule_set():
    findings, note = lint("import os\n\ndef f(l):\n    x = 1\n    return l  # noqa\n")
    assert note is None
    codes = {f.code for f in findings}
    assert {"F401", "F841", "E741"} <= codes, codes


def test_lint_evidence_quotes_code_instead_of_backticks():
    # Seen in a walk-through: evidence is shown escaped, so ruff's `if` kept its backticks.
    findings, _ = lint("import os\n\n\ndef f():\n    return 1\n")
    [unused] = [f for f in findings if f.code == "F401"]
    assert "‘os’" in unused.message and "`" not in unused.message


def test_every_bank_reference_solution_is_lint_clean():
    # A nested if (SIM102) took 3 points off the bank's own bracket checker: a taste, ignored.
    from interviewer.coding.review import review

    dirty = {q.id: review(q.coding.reference, q.coding).lint
             for q in BANK.values() if q.coding is not None}  # fmt: skip
    assert not {k: v for k, v in dirty.items() if v}


def test_lint_leaves_out_what_the_starter_itself_shows_and_the_final_newline():
    # Seen in a walk-through: a 6/6 solution lost readability points for the starter's own
    # unused `import numpy as np` and for the editor's missing final newline.
    from interviewer.coding.review import review

    spec = BANK["l1-code-merge-flag-outliers"].coding
    assert "import numpy as np" in spec.starter
    solution = spec.reference.rstrip("\n")
    if "import numpy as np" not in solution:
        solution = "import numpy as np\n" + solution
    assert not solution.endswith("\n")
    got = {(f.code, f.message) for f in review(solution, spec).lint}
    assert not [g for g in got if g[0] == "W292" or "numpy" in g[1]], got
    unused = solution + "\n\nimport os\n"  # the candidate's own unused import still counts
    assert any(f.code == "F401" and "os" in f.message for f in review(unused, spec).lint)


@pytest.mark.parametrize(
    ("t_n", "t_kn", "timed_out", "flagged"),
    [
        (0.02, 0.08, False, False),  # linear
        (0.02, 0.12, False, False),  # n log n with noise
        (0.02, 0.32, False, True),  # quadratic
        (0.001, 0.004, False, False),  # too fast to judge
        (None, None, True, True),  # the larger run timed out
    ],
)
def test_classify_growth(t_n, t_kn, timed_out, flagged):
    assert classify_growth(t_n, t_kn, 4, timed_out=timed_out).flagged is flagged


def test_a_growth_that_looks_quadratic_is_judged_against_the_reference_measured_then(
    monkeypatch,
):
    # Seen in a walk-through on a busy host: a sort and one sweep measured ~n^1.8, "quadratic",
    # and its efficiency went from 5 to 2. The reference, measured on the same machine then,
    # decides: as steep as it, no flag; far steeper, flagged, and the message says both.
    from interviewer.coding import grade as cg
    from interviewer.coding.review import Growth, against_reference

    steep = classify_growth(0.02, 0.02 * 4**1.8, 4)
    assert steep.flagged and "quadratic" in steep.message
    kept = against_reference(steep, Growth(1.5, False, "ref"))
    assert not kept.flagged and kept.exponent == steep.exponent
    assert kept.message.startswith(steep.timing + " (~n^1.8), as the reference solution's did here (~n^1.5)")
    assert "quadratic" not in kept.message
    worse = against_reference(steep, Growth(1.0, False, "ref"))
    assert worse.flagged and worse.message.endswith("the reference solution: ~n^1.0 here")
    assert against_reference(steep, Growth(None, False, "too fast")) is steep  # unmeasured
    linear = classify_growth(0.02, 0.08, 4)
    assert against_reference(linear, Growth(3.0, True, "x")) is linear  # only flags are checked

    # in grading: the reference is measured only when the submission's growth is flagged
    spec = BANK["l1-code-merge-intervals"].coding
    measured = []

    def reference_growth(s, code, **kw):
        measured.append(code)
        return Growth(1.6, False, "ref")

    monkeypatch.setattr(cg, "review_growth", reference_growth)
    monkeypatch.setattr(cg, "classify_growth", lambda *a, **k: steep)  # the host, not the code
    r = grade_submission("q", spec, spec.reference)
    assert measured == [spec.reference] and r.criteria["vectorisation"].score == 5
    assert "no slower than it" in r.growth
    monkeypatch.setattr(cg, "review_growth", lambda s, code, **kw: Growth(1.0, False, "ref"))
    r = grade_submission("q", spec, spec.reference)
    assert r.criteria["vectorisation"].score == 2 and "~n^1.0 here" in r.growth
    monkeypatch.setattr(cg, "review_growth", reference_growth)
    monkeypatch.setattr(cg, "classify_growth", lambda *a, **k: linear)
    measured.clear()
    grade_submission("q", spec, spec.reference)
    assert measured == []  # not flagged: the reference is not run


def test_the_engineering_criterion_says_efficiency_unless_vectorised_code_was_asked_for():
    # Seen in the app: a stack-based bracket checker was marked under "vectorisation".
    from interviewer.coding_answer import code_grade
    from interviewer.engine import CodeRunner

    runner = CodeRunner()
    for qid, label in (("l1-code-balanced-brackets", "efficiency: "),
                       ("l1-code-merge-flag-outliers", "vectorisation: ")):  # fmt: skip
        q = BANK[qid]
        assert q.coding.vectorise is (label == "vectorisation: ")
        grade = code_grade(q, runner.grade(q, q.coding.reference))
        assert grade.criteria["engineering"].rationale.startswith(label), qid


def test_a_failure_shared_by_several_hidden_tests_is_said_once():
    # Seen in practice: a sleeping submission repeated one timeout under each of nine tests.
    from interviewer.markup import AS_ABOVE, failed_tests
    from interviewer.ui.render import tests_md

    wait = "timed out: still running after {} s with under 3 s of CPU time used (waiting: ...)"
    result = {
        "passed": 1, "total": 5, "verdict": "incorrect",
        "error": f"test a was too slow: {wait.format(10)}",
        "failed": [
            {"name": "a", "error": wait.format(10), "code": "f(1)"},
            {"name": "b", "error": wait.format(3), "code": "f(2)"},  # times aside, the same
            {"name": "c", "error": "AssertionError: f(3) == 4", "code": "assert f(3) == 4"},
            {"name": "d", "error": "AssertionError: f(5) == 6", "code": "assert f(5) == 6"},
        ],
    }  # fmt: skip
    said = [(n, e) for n, e, _ in failed_tests(result)]
    assert said == [("a", AS_ABOVE), ("b", AS_ABOVE), ("c", "AssertionError: f(3) == 4"),
                    ("d", "AssertionError: f(5) == 6")]  # fmt: skip
    md = tests_md(result)
    assert md.count("timed out") == 1 and md.count("AssertionError") == 2
    assert all(code in md for code in ("f(1)", "f(2)", "assert f(3) == 4", "assert f(5) == 6"))
    # without the run's own error line, the first test says it
    alone = failed_tests({**result, "error": None})
    assert alone[0][1] == wait.format(10) and alone[1][1] == AS_ABOVE
    # the end-of-interview report names each failed test's error the same way (it named none)
    from interviewer.report import build_report
    from interviewer.report_render import report_markdown
    from tests.test_store import make_turn

    turn = make_turn(0, topic="python-coding", overall=5, kind="coding", code_result=result)
    md = report_markdown(build_report([turn]))
    assert "1 of 5 hidden tests passed; test a was too slow: timed out" in md
    assert f"- failed a: {AS_ABOVE}" in md and "- failed c: AssertionError: f(3) == 4" in md


def test_code_that_fails_hidden_tests_scores_at_most_the_share_it_passes():
    # A walk-through: code failing 3 of 6 hidden tests scored 62, over the pass mark, because
    # readability and efficiency were 5 of 5.
    import re

    q = BANK["l1-code-sessionize"]
    unsorted = q.coding.reference.replace(
        'events.sort_values(["user", "ts"], kind="stable").reset_index(drop=True)',
        "events.reset_index(drop=True)").replace("(gap > pd", "(gap >= pd")  # fmt: skip
    result = _grade(q.id, unsorted)
    assert (result.passed, result.total) == (3, 6)
    share = int(re.search(r"\((\d+)% by weight\)", result.criteria["correctness"].evidence)[1])
    assert result.criteria["readability"].score == result.criteria["vectorisation"].score == 5
    assert result.overall <= share == 50 and result.verdict != "correct"
    assert _grade(q.id, q.coding.reference).overall == 100  # passing code is not capped


def test_code_that_does_too_little_gets_no_marks_for_how_it_reads_or_runs():
    # A re-walk's `return events` (1 of 6 hidden tests) read "vectorisation 5/5 · no Python
    # loops over the data found" and "readability 5/5".
    q = BANK["l1-code-sessionize"]
    stub = q.coding.starter + "    return events\n"
    result = _grade(q.id, stub)
    assert result.passed < result.total / 2
    correctness = result.criteria["correctness"].score
    for name in ("readability", "vectorisation"):
        got = result.criteria[name]
        assert got.score == correctness
        assert got.evidence.startswith(f"held at {correctness}: the code passes only 1 of 6")
        # what was measured is said as such (walk47 read "(efficient; ...)" as a contradiction)
        assert "to judge (measured on the code as it is: " in got.evidence, got.evidence
    # half the tests passed: how the code reads and runs is judged as usual (the test above)
    # no test passed: its 1/5 says why, not "not assessed" (walk48 read that as a score for
    # something not judged)
    none = _grade(q.id, q.coding.starter + "    raise NotImplementedError\n")
    assert none.passed == 0
    assert none.criteria["vectorisation"].evidence == (
        "no hidden test passed: code that does none of the task earns no efficiency credit")

TOP_K_TIES_REVERSED = '''
from collections import Counter


def top_k_words(words, k):
    counts = Counter(words)
    return sorted(counts, key=lambda w: (counts[w], w), reverse=True)[:k]
'''


def test_a_failed_tests_error_says_it_once_in_the_error_and_the_report():
    # A re-walk: 'assertion failed: raise AssertionError("negative k must raise ValueError") ->
    # negative k must raise ValueError', and the report repeated each one-line assertion after
    # its error.
    from interviewer.report import QuestionSummary, Report
    from interviewer.report_render import report_markdown, report_text

    result = _grade("l1-code-top-k-words", TOP_K_TIES_REVERSED)
    failed = {f.name: f for f in result.failed}
    assert failed["negative_k"].error == "assertion failed: negative k must raise ValueError"
    ties = failed["ties_alphabetical"]
    assert ties.error.startswith("assertion failed: assert top_k_words(")
    # and what the code returned, kept as the comparison ran (a walk-through saw "assert
    # roc_auc([0, 1, 0, 1, 1], [0.3] * 5) == 0.5" and not what its code gave)
    assert " == [" in ties.error and ties.error.count(" -> got ['") == 1, ties.error
    q = QuestionSummary(index=0, round="L1", topic="python-coding", question="Top k words",
                        status="answered", overall=40, kind="coding",
                        failed_tests=[f.model_dump() for f in result.failed])  # fmt: skip
    report = Report(overall=40, signal="no hire", passed=False, questions=[q])
    one_line = " ".join(ties.code.split())
    assert report_text(report, width=1000).count(one_line) == 1
    assert report_markdown(report).count("```python") == 1  # the several-line test's only
    # a test of several lines still shows its code after the error, as lines of Python
    several = next(f for f in result.failed if "\n" in f.code.strip())
    assert "\n".join(f"        {line}".rstrip() for line in several.code.strip().splitlines()) \
        in report_text(report, width=1000)  # fmt: skip


def test_a_failed_test_contradicts_the_points_it_checks_only_when_it_ran():
    # A test stopped for time or memory, or never run, says nothing of what the code returns.
    from interviewer.coding.grade import FailedTest, contradicted

    spec = BANK["l1-code-balanced-brackets"].coding

    def failed(name: str, error: str) -> FailedTest:
        return FailedTest(name=name, kind="edge", error=error, code="")

    closer = failed("closer_first", "assertion failed: assert ...")
    assert contradicted(spec, [closer]) == {"early-exit": "closer_first"}
    both = [
        failed("unclosed_opener", "IndexError: pop from empty list"),
        failed("interleaved_is_not_nested", "assertion failed"),
    ]
    assert contradicted(spec, both) == {"stack": "unclosed_opener", "early-exit": "unclosed_opener"}
    for error in (
        "timed out after 2 s of CPU time (time limit)",
        "MemoryError: memory limit exceeded",
        "not run: wall time limit exceeded",
    ):
        assert contradicted(spec, [failed("closer_first", error)]) == {}
    assert contradicted(spec, [failed("large_200k", "assertion failed")]) == {}  # links none


def test_a_failed_comparison_says_what_the_code_gave_and_other_asserts_run_as_written():
    from interviewer.coding._runner import SHOW, SHOWN_CHARS, describe, shown, with_values_shown

    class Bad:
        def __repr__(self):
            raise ValueError("no repr")

    calls = []

    def f(x):
        calls.append(x)
        return Bad() if x == "bad" else x * 3

    def error(code: str) -> str | None:
        try:
            exec(with_values_shown(code, "<test t>"), {"f": f, SHOW: shown})
        except AssertionError as exc:
            return describe(exc, "t", code, 1.0)
        return None

    assert error("assert f(2) == 5\n") == "assertion failed: assert f(2) == 5 -> got 6"
    assert calls == [2]  # the code ran once: its value was kept as the comparison ran
    assert error("assert f(1) == 3\n") is None
    assert error("assert f(2) == 5, 'six'\n") == "assertion failed: assert f(2) == 5, 'six' -> six"
    assert error("assert isinstance(f(1), str)\n") == "assertion failed: assert isinstance(f(1), str)"
    assert error("assert f('bad') == 1\n").endswith("-> got a Bad")
    long = error("assert f([0] * 500) == []\n")
    assert long.endswith("...") and len(long.split(" -> got ")[1]) == SHOWN_CHARS
    with pytest.raises(SyntaxError):  # as compile() would: the harness reports it as before
        with_values_shown("def g(:\n", "<test t>")


# -- code written to cheat the test runner (walk56) ---------------------------------------------
# The tests run in the runner; the submission in a process of its own, whose results come back
# as plain data: what it does to its own process cannot pass a test for it.

FORGES_RESULTS = '''
import json
import os
import sys

import __main__


def invert_mapping(mapping):
    return None


__main__.report = lambda obj: None  # the runner's own reporting, patched
names = []
frame = sys._getframe()
while frame is not None:  # the job, with the hidden tests' names, read from a caller's frame
    for value in list(frame.f_locals.values()):
        if isinstance(value, dict) and isinstance(value.get("tests"), list):
            names = [t["name"] for t in value["tests"]]
    frame = frame.f_back
event = {"event": "test", "passed": True, "error": None, "seconds": 0.0, "cpu_seconds": 0.0}
for fd in range(3, 40):  # every descriptor that might be the results channel
    try:
        for name in names or ["keys_become_values"]:
            os.write(fd, (json.dumps({**event, "name": name}) + "\\n").encode())
        os.write(fd, b'{"event": "done"}\\n')
    except OSError:
        pass
os._exit(0)
'''

ALWAYS_EQUAL = '''
class _Any(dict):
    def __eq__(self, other):
        return True

    __hash__ = None


def invert_mapping(mapping):
    return _Any()
'''

READS_THE_TESTS = '''
import sys


def invert_mapping(mapping):
    seen = []
    frame = sys._getframe()
    while frame is not None:
        seen += [repr(v) for v in list(frame.f_locals.values())]
        frame = frame.f_back
    if any("SECRET-" + "MARKER" in s for s in seen):  # (not this code's own text)
        return {"the hidden test's code": "was in reach"}
    return {v: k for k, v in mapping.items()}
'''


def test_code_that_forges_the_runners_results_passes_nothing():
    # walk56: forged "passed" lines on the results channel, then os._exit(0): 97/100, "correct",
    # for a function returning None
    q = BANK["l1-code-invert-mapping"]
    starter = _grade(q.id, q.coding.starter)
    forged = _grade(q.id, FORGES_RESULTS)
    assert forged.passed == 0 and forged.overall <= starter.overall, forged
    assert forged.verdict == "incorrect"
    # and it is told why (walk57 read "the result is too large to read back")
    assert "the submission wrote on the channel its results come back on" in (
        forged.failed[0].error)  # fmt: skip


def test_an_object_equal_to_everything_passes_nothing():
    # walk56: `class _Any(dict): def __eq__(...): return True` passed 5 of 6 hidden tests (83)
    q = BANK["l1-code-invert-mapping"]
    cheat = _grade(q.id, ALWAYS_EQUAL)
    empty = _grade(q.id, "def invert_mapping(mapping):\n    return {}\n")
    assert cheat.passed == empty.passed < 3 and cheat.overall < PASS_MARK  # (it is an empty dict)
    assert _grade(q.id, q.coding.reference).passed == len(q.coding.hidden_tests)  # as before


def test_the_hidden_tests_code_is_out_of_the_submissions_reach():
    from interviewer.coding.harness import run_submission

    spec = BANK["l1-code-invert-mapping"].coding.model_dump()
    spec["hidden_tests"] = [{"name": f"marked_{n}", "code": "assert invert_mapping({'a': 1}) "
                             "== {1: 'a'}  # SECRET-MARKER", "kind": kind} for n, kind in ((1, "basic"), (2, "edge"))]
    run = run_submission(CodingSpec.model_validate(spec), READS_THE_TESTS)
    assert [(t.name, t.passed) for t in run.tests] == [("marked_1", True), ("marked_2", True)], run


def test_an_input_changed_in_place_is_seen_by_the_test_that_checks_it():
    # The submission runs in its own process: what it does to its arguments there is mirrored
    # on the test's own (the input_untouched tests of four pandas questions)
    q = BANK["l1-code-pandas-no-loop-transform"]
    reference = _grade(q.id, q.coding.reference)
    assert "input_untouched_index_kept" not in {f.name for f in reference.failed}
    mutates = q.coding.reference.replace("def ", "def _reference_", 1) + (
        f"\n\ndef {q.coding.entry_point}(orders, *args, **kwargs):\n"
        "    out = _reference_" + q.coding.entry_point + "(orders, *args, **kwargs)\n"
        "    orders['scratch'] = 0\n"
        "    return out\n")  # fmt: skip
    changed = _grade(q.id, mutates)
    assert "input_untouched_index_kept" in {f.name for f in changed.failed}, changed.failed
    # said beside what failed (a frame's shape), not left to be guessed
    failed = next(f for f in changed.failed if f.name == "input_untouched_index_kept")
    assert failed.error.startswith("assertion failed: pd.testing.assert_frame_equal(orders, ")
    assert failed.error.endswith(" (the function changed an argument it was given, in place)")
    # and a list shown with the runner's marker in it is said in words instead (walk60 read
    # "... -> [[3, 5], [1, 4], '<changed by the submission>']", as if its code had appended it)
    sorts = ("def merge_intervals(intervals):\n    intervals.sort()\n    out = []\n"
             "    for s, e in intervals:\n        if out and s <= out[-1][1]:\n"
             "            out[-1][1] = max(out[-1][1], e)\n        else:\n"
             "            out.append([s, e])\n    return [list(x) for x in out]\n")  # fmt: skip
    listed = _grade("l1-code-merge-intervals", sorts)
    failed = next(f for f in listed.failed if f.name == "input_not_mutated")
    assert failed.error == ("assertion failed: the function changed an argument it was given, "
                            "in place; the test needs its input left as it was (work on a copy)")


def test_an_input_rewritten_to_fit_the_answer_passes_nothing_more():
    # walk58: the change to a dict argument was copied back, and the large test, which computes
    # its expected answer from the dict after the call, passed junk fitted to it (0.50)
    q = BANK["l1-code-invert-mapping"]
    rewrites = (
        "def invert_mapping(mapping):\n"
        "    if len(mapping) > 1000:\n"
        "        first = next(iter(mapping))\n"
        "        mapping.clear()\n"
        "        mapping[first] = 0\n"
        "        mapping['~'] = 1\n"
        "        return {0: [first], 1: ['~'] * 199_999}\n"
        "    return {}\n"
    )
    empty = _grade(q.id, "def invert_mapping(mapping):\n    return {}\n")
    cheat = _grade(q.id, rewrites)
    assert cheat.passed <= empty.passed and cheat.overall <= empty.overall, cheat.failed
