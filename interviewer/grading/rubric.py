"""The rubric: four criteria, what an answer is graded against, per-answer grades with
evidence and flags, and the session's hire signal."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal

from pydantic import BaseModel, Field

from interviewer.errors import GradeInputError
from interviewer.grading import text as tu

# The four things the guide says interviewers assess.
CRITERIA: dict[str, str] = {
    "depth": "Technical depth and correctness",
    "problem_solving": "Problem solving and structure",
    "engineering": "Engineering excellence (trade-offs, production concerns)",
    "communication": "Communication (clear, structured, concise)",
}
# The same in a word or two, where space is short (the progress chart's legend).
CRITERIA_SHORT: dict[str, str] = {
    "depth": "Depth",
    "problem_solving": "Problem solving",
    "engineering": "Engineering",
    "communication": "Communication",
}
# The coding criteria behind each of the rubric's four: tests passed is correctness, edge cases
# are how the problem was broken down, vectorisation/complexity is engineering, and readable,
# well-structured code is how code communicates.
CODE_CRITERIA = {
    "depth": "correctness",
    "problem_solving": "edge_cases",
    "engineering": "vectorisation",
    "communication": "readability",
}


def code_criterion_label(name: str, vectorise: bool) -> str:
    """A coding criterion as the candidate reads it: "vectorisation" only where the question
    asks for vectorised code; elsewhere it measures efficiency (a stack-based bracket checker
    was marked under "vectorisation")."""
    if name == "vectorisation" and not vectorise:
        return "efficiency"
    return name.replace("_", " ")


# The basis of a criterion score the grader fitted (its rationale says so first): the fitted
# maps lean mostly on the whole answer's score. A scorecard says it once, under its table
# (``basis_note``), not on every row (a walk-through read it four times over as filler).
WHOLE_BASIS = "scored mostly on how good the answer is as a whole"
# Communication's rationale when the answer's form has no problem the grader reads (walk22 read
# "no list ... found" beside its answer of bullet points: a list of sentences is no list of terms).
NO_FORM_PROBLEM = "no bare list of terms, restating or filler found"
# ... and so at a low score (walk51 read the line above beside "Communication 1/5" as no reason)
LOW_ON_CONTENT = f"low because of what the answer says, not how: {NO_FORM_PROBLEM}"


def _without_basis(why: str) -> str:
    parts = [p for p in why.split("; ") if p != WHOLE_BASIS]
    return "; ".join(parts)


def basis_note(grade: Grade) -> str:
    """The line under a scorecard's criterion rows that says once what they are scored on, or ""
    when no row's rationale gives that basis."""
    if any(WHOLE_BASIS in s.rationale.split("; ") for s in grade.criteria.values()):
        return "Each criterion is scored mostly on how good the answer is as a whole."
    return ""


# Judgement in a story (ownership, candour, how data was used) is what the offline grader
# misses when it is told in other words than a red flag's: of 14 stories showing poor judgement,
# written blind to it, it passed 6 (``evals/data/stories-judgement.jsonl``), and a
# walk-through's story that blamed the client and hid a bias passed at 73. Every offline grade
# of a story says so, under its scorecard and after its chat feedback. (Worded as "can miss": it
# does name poor judgement said in words close to a red flag, and a walk-through read "does not
# read judgement" beside red flags that had read it.)
JUDGEMENT_UNREAD = ("The offline grader can miss poor judgement told in your own words (blaming "
                    "others, hiding a known issue, misusing data): check your story against the "
                    "model answer.")  # fmt: skip
OFFLINE_SOURCES = ("offline", "offline-fallback")


def criterion_rows(grade: Grade) -> dict[str, tuple[str, str]]:
    """Each criterion of a grade as (label, why), for a scorecard's rows. A coding grade's rows
    name the coding criterion ("Engineering: vectorisation") and drop it from the evidence (a
    walk-through read "Communication (clear, structured, concise)" beside "readability: ..." as a
    mislabel); any other grade's rows are the rubric's titles and the rationale without the
    basis every row shares (``basis_note`` says it once)."""
    rows = {}
    for c, s in grade.criteria.items():
        head, sep, why = s.rationale.partition(": ")
        name = CODE_CRITERIA.get(c)
        if not sep or name is None or head not in {code_criterion_label(name, v) for v in (0, 1)}:
            return {c: (CRITERIA.get(c, c), _without_basis(s.rationale))
                    for c, s in grade.criteria.items()}  # fmt: skip
        rows[c] = (f"{CRITERIA_SHORT[c]}: {head}", why)
    return rows


# How much each criterion counts in the overall score of one answer.
CRITERION_WEIGHTS = {
    "depth": 0.45,
    "problem_solving": 0.2,
    "engineering": 0.2,
    "communication": 0.15,
}

PASS_MARK = 60  # an answer (and a round) at or above this overall score passes

# The verdict of one answer from its score in [0, 1], as human graders label short answers
# (Correct / Partially correct / Incorrect).
VERDICT_CUTS = (("correct", 0.84), ("partially_correct", 0.34))


def verdict_of(score: float) -> str:
    """correct (score >= 0.84), partially_correct (>= 0.34) or incorrect."""
    return next((name for name, cut in VERDICT_CUTS if score >= cut), "incorrect")

# Session hire signal from the mean overall score (0-100) of the graded answers. "lean hire"
# starts at the pass mark, so a round that was not passed never reads as a hire. A red flag
# (a confidently wrong central claim) on more than a third of the answers caps the signal at
# "lean no hire": interviewers do not hire through repeated wrong fundamentals.
HIRE_SIGNALS: list[tuple[int, str]] = [
    (80, "strong hire"),
    (70, "hire"),
    (PASS_MARK, "lean hire"),
    (40, "lean no hire"),
    (20, "no hire"),
    (0, "strong no hire"),
]

# "llm-overruled": the LLM judged, but its score was out of range and the coverage grade stands
Source = Literal["offline", "llm", "llm-overruled", "offline-fallback"]

# Flags a grade can carry. Floors (the answer gets the minimum whatever else it says):
FLAG_NO_ANSWER = "no answer"
FLAG_IDK = "no answer (I don't know)"
FLAG_ONLY_INJECTION = "only instructions to the grader"
FLAG_GIBBERISH = "gibberish"
FLAG_NOT_ENGLISH = "not in English"
FLAG_OFF_TOPIC = "off-topic"
FLAG_OTHER_QUESTION = "answers another question: "  # + that bank question's text (neighbours.py)
FLOOR_FLAGS = (FLAG_NO_ANSWER, FLAG_IDK, FLAG_ONLY_INJECTION, FLAG_GIBBERISH, FLAG_OFF_TOPIC)
# Answers with nothing an LLM judge could grade: it never sees them.
UNJUDGEABLE = (FLAG_NO_ANSWER, FLAG_IDK, FLAG_GIBBERISH)
# Notes on what the answer did:
FLAG_INJECTION = "instructions to the grader ignored"
FLAG_KEYWORDS = "keyword list without explanation"
FLAG_RESTATES = "mostly restates the question"
FLAG_REPEATS = "repeats the same sentences"  # + " (N of M said before)"
FLAG_COPIED = "copies the rubric or model answer"  # + " (NN% verbatim, mostly the ...)"
# + " (N words; the model answer has M)": most of the key points made, under the pass mark, in
# under a third of the model answer's words (``grader.brief_flag``; walk52's 53-word answer that
# made 4 of 6 points scored 49 with no word why: the heads read its length, ``len_ratio``)
FLAG_BRIEF = "brief"
# Prefixes of flags that carry a detail after them:
RED_FLAG = "red flag: "  # + the wrong claim the answer states
CORRECTED = "corrected in a follow-up: "  # + a wrong claim the answer stated, put right later
# Overall points a wrong claim put right only at the follow-up costs: what a hint costs
# (interview.HINT_PENALTY), as the probe did a hint's work. A prior, not fitted: a re-walk's
# corrected answer scored 81, as if the wrong claim had never been made.
CORRECTION_COST = 10
STAR_MISSING = "STAR: no "  # + the part of a story it lacks (situation, task, action, result)
# A story with no action of the candidate's own ("I ...": only what "we" or the team did) scores
# at most this, below the pass mark: the question asks what the candidate did. A prior, not
# fitted (the authored dev split has 7 answers to story questions: the three labelled 3-5 all
# say what "I" did, the three without it are labelled 1-2).
OWN_PART_CAP = 0.55
FLAG_OWN_PART = f"tells only what the team did (held at {round(100 * OWN_PART_CAP)})"
# A story question answered with no story (general advice: three or more STAR parts missing,
# ``star.STAR_UNTOLD``) scores at most this, the bar of the other answers that do not do what
# was asked (a keyword list, restating). A prior, not fitted: the authored dev split's six graded
# answers to story questions that tell none are labelled 2-3 of 5 and all score 0.20 or less
# already, so it moves nothing fitted; walk46 and walk47 saw general advice at 33-49 ("partially
# correct", five of seven points ticked). A story told at the follow-up lifts it.
UNTOLD_CAP = 0.20
FLAG_UNTOLD = f"tells no story from your own work (held at {round(100 * UNTOLD_CAP)})"
# A story that labels its parts ("Situation:", "Task:", "Action:") and gives no result (no
# "Result:", no outcome number after its first action) scores at most this: under the correct
# cut, so it is asked how it turned out (``probes.RESULT_PROBE``) and told it lacks the result.
# A prior, not fitted: walk51's labelled story with no outcome scored 100, "correct"; of the
# authored answers two label their parts, and both have a result, so it moves nothing fitted.
NO_RESULT_CAP = 0.83
# A story told only at the follow-up, after an answer that told none, is credited less what a
# correction costs (CORRECTION_COST), as an interviewer marks a candidate who needed asking
# (walk48: advice, then the story when asked, scored 100 like a story told at once). Never below
# the cap it was held at; not added where the follow-up also put a wrong claim right (its work
# is charged once). A prior, as CORRECTION_COST.
FLAG_PROMPTED = "told its story only when asked"
NEEDS_REVIEW = "needs review: "  # + why the LLM judge's score was overruled
OFFLINE_USED = "offline grade used: "  # + why the LLM judge gave no usable judgement


# Poor judgement a story can show whatever the question: wrong claims (claim, why) that every
# bank question asking for the candidate's own story also carries. A prior from how interviewers
# read behavioural answers, not fitted; worded as a candidate would say it, since a red flag is
# read by its similarity to what the answer says. Their evidence caps the score like a
# question's own flags but is not a feature of the heads (``analysis``: ``rf_shared``): fed to
# the story head as red-flag evidence, it lowered its cross-validated dev figures. Seen in a
# walk-through: a "went wrong" story that blamed the client, joined customers' ID numbers in
# "since the data was in the warehouse anyway", left a bias against older applicants out of the
# deck to keep the date and changed nothing afterwards passed at 73: its question's own flags
# were worded too far from what it said.
STORY_RED_FLAGS: tuple[tuple[str, str], ...] = (
    ("It was entirely their fault, not mine: the client or the other team caused it.",
     "Blaming the client or another team shows no ownership; say which of your own decisions "
     "contributed and what you changed because of it."),
    ("I did not tell anyone about the problem, so nobody noticed.",
     "Hiding a problem takes the decision from the people who depend on you; tell them early, "
     "with the impact and the options."),
    ("I kept a known bias of the model out of my report so that sign-off would not be delayed.",
     "A known risk such as a bias against a group must reach the people who sign off; report it "
     "with its size and what you propose to do about it."),
    ("I pulled in customers' personal details without asking compliance, since nobody had told "
     "me not to.",
     "Having personal data at hand does not make every use of it lawful; check its purpose and "
     "consent with compliance or the data protection officer first."),
    ("I did not change anything in how I work afterwards.",
     "The question is also what you learned; name the lasting change you made to how you work."),
)  # fmt: skip
STORY_FLAG_CLAIMS = frozenset(c for c, _ in STORY_RED_FLAGS)


def is_red_flag(flag: str) -> bool:
    """Whether a grade flag reports a stated wrong claim."""
    return flag.startswith(RED_FLAG)


def flagged(flags: list[str] | None, prefix: str) -> list[str]:
    """What the grade flags starting with ``prefix`` say after it, in order."""
    return [f.removeprefix(prefix) for f in flags or () if f.startswith(prefix)]


def red_flag_claims(flags: list[str]) -> list[str]:
    """The wrong claims a grade's flags report, in order."""
    return flagged(flags, RED_FLAG)


class CriterionScore(BaseModel):
    """A 1-5 score for one criterion, with the spans of the answer that justify it."""

    score: int = Field(ge=1, le=5)
    evidence: list[str] = Field(default_factory=list)
    rationale: str = ""


class KeyPointResult(BaseModel):
    """How well one key point was covered, and where."""

    id: str
    point: str
    weight: int
    coverage: float = Field(ge=0, le=1)
    covered: bool
    evidence: str = ""
    # A coding question's point the explanation stated (``evidence``) but a failed hidden test
    # that checks it shows the code does not do: that test's name. Such a point is not covered.
    failed_test: str = ""


class Grade(BaseModel):
    """The grade of one answer."""

    question_id: str
    overall: int = Field(ge=0, le=100)
    criteria: dict[str, CriterionScore]
    key_points: list[KeyPointResult] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    source: Source = "offline"
    feedback: str = ""
    hint_penalty: int = 0
    # Points taken for wrong claims put right only at a follow-up (CORRECTION_COST each, never
    # below the red-flag cap): already off ``overall``, kept so the score can say its sum
    correction_penalty: int = 0
    # A stated red flag's claim -> the answer's words read as stating it (quoted in the
    # feedback, so a candidate sees what was read as the mistake, and can tell a misreading)
    wrong_said: dict[str, str] = Field(default_factory=dict)

    @property
    def score(self) -> float:
        """The overall score in [0, 1]."""
        return self.overall / 100

    @property
    def covered(self) -> list[str]:
        return [kp.point for kp in self.key_points if kp.covered]

    @property
    def missed(self) -> list[str]:
        return [kp.point for kp in self.key_points if not kp.covered]

    def flags_said(self) -> list[str]:
        """The flags as a candidate reads them: a corrected claim in the candidate's own words
        (walk24's scorecard read the rubric's "Polars is just a wrapper around pandas that adds
        multiprocessing" where the chat quoted "Polars is basically a wrapper around pandas")."""
        out = []
        for f in self.flags:
            said = self.wrong_said.get(f[len(CORRECTED):]) if f.startswith(CORRECTED) else None
            out.append(f"{CORRECTED}you said \u201c{said.rstrip('.')}\u201d" if said else f)
        return out

    def penalties_said(self) -> str:
        """What came off the score, as one sum: "46 for what you said, less 20 for 2
        corrections and 10 for the hint" ("" for none). walk22 read the hint's cost in the
        chat's score line, one correction's in a bullet, and neither in the transcript."""
        costs = []
        if self.correction_penalty and FLAG_PROMPTED in self.flags:
            costs.append(f"{self.correction_penalty} for the story told only when asked")
        elif self.correction_penalty:
            n = sum(f.startswith(CORRECTED) for f in self.flags) or 1
            costs.append(f"{self.correction_penalty} for {n} correction{'s' if n > 1 else ''}")
        if self.hint_penalty:
            costs.append(f"{self.hint_penalty} for the hint penalty")
        if not costs:
            return ""
        total = self.overall + self.hint_penalty + self.correction_penalty
        return f"{total} for what you said, less {' and '.join(costs)}"

    @property
    def full_marks(self) -> bool:
        """100 before any hint penalty: an unticked point of such an answer is no gap (it was
        made in words the grader did not match, or the answer did not need it)."""
        return self.overall + self.hint_penalty >= 100

    @property
    def label(self) -> int:
        """The overall score on the 1-5 scale of the labelled eval set."""
        return score_to_label(self.overall)

    @property
    def verdict(self) -> str:
        """correct, partially_correct or incorrect (``VERDICT_CUTS`` on ``score``)."""
        return verdict_of(self.score)

    def to_dict(self) -> dict:
        """JSON-ready form with the derived fields too."""
        data = self.model_dump()
        data.update(
            score=round(self.score, 4),
            verdict=self.verdict,
            covered=self.covered,
            missed=self.missed,
        )
        return data


LABEL_CUTS = (20, 40, 60, 80)  # overall < 20 -> 1, < 40 -> 2, < 60 -> 3, < 80 -> 4, else 5


def score_to_label(overall: float) -> int:
    """0-100 onto the 1-5 label scale."""
    return 1 + sum(overall >= cut for cut in LABEL_CUTS)


def at_most(signal: str, cap: str) -> str:
    """``signal``, or ``cap`` when ``signal`` is the more favourable of the two."""
    order = [name for _, name in HIRE_SIGNALS]
    return cap if signal in order and order.index(signal) < order.index(cap) else signal


def hire_signal(overall: float | None, red_flag_share: float = 0.0) -> str:
    """The session's hire signal from its overall score (0-100, rounded as the report shows
    it; see ``HIRE_SIGNALS``). None (nothing graded): strong no hire."""
    if overall is None:
        return "strong no hire"
    signal = next(name for cut, name in HIRE_SIGNALS if overall >= cut)
    if red_flag_share > 1 / 3:
        return at_most(signal, "lean no hire")
    return signal


@dataclass
class RubricPoint:
    """One key point an answer is graded on, with the paraphrases that count as saying it."""

    id: str
    point: str
    weight: int = 1
    criterion: str = "depth"
    paraphrases: list[str] = field(default_factory=list)


@dataclass
class Rubric:
    """What one answer is graded against; built from a bank question (``Question.rubric()``),
    a dict or a reference answer."""

    question: str
    key_points: list[RubricPoint]
    red_flags: list[str] = field(default_factory=list)
    model_answer: str = ""
    question_id: str = "adhoc"
    # A behavioural question's good answer is the candidate's own story, far from the model
    # answer's story: whole-answer similarity says nothing about its relevance.
    own_story: bool = False
    story: bool = False  # the question asks for a story ("Describe a time ..."): check STAR
    corrections: dict[str, str] = field(default_factory=dict)  # red-flag claim -> why wrong
    # Graded as an interview answer although its key points come from a reference text: a
    # practice question made from an uploaded guide's section (the "guide" head and the bank's
    # caps), not an exam-style reference (`grade`'s reference_answer: the reference head).
    interview: bool = False
    # Given to ``grade`` as a dict (``from_dict``): an exam-style rubric, graded on the reference
    # head with its red flags capping, not on the bank head. The bank head is fitted on the
    # bank's interview answers against long model answers and paraphrased points; walk29's
    # complete mitochondria answer scored 0.96 against key points alone and 0.60 once the
    # rubric also had red flags, which sent it to the bank head (and its interview advice).
    exam: bool = False
    # A coding question's: its words are an explanation beside the code, short by design (no
    # "brief" flag: ``grader.brief_flag``)
    code: bool = False

    @cached_property
    def reference_sentences(self) -> list[str]:
        """The model answer as statement units: lines, bullets, then sentences."""
        if not self.model_answer:
            return []
        return reference_units(self.model_answer, unwrap=False)  # as the bank head was fitted

    def variants(self) -> list[str]:
        """Every key point and paraphrase text: what counts as a correct statement."""
        return [t for kp in self.key_points for t in (kp.point, *kp.paraphrases)]

    def texts(self) -> list[str]:
        """Every rubric text the grader embeds; the same for every answer to this rubric."""
        from interviewer.grading.analysis import prepare_rubric

        return prepare_rubric(self).texts()

    @classmethod
    def from_reference(
        cls,
        question: str,
        reference: str | list[str],
        question_id: str = "adhoc",
        *,
        interview: bool = False,
    ) -> Rubric:
        """Key points from a reference answer: its statement units (lines, bullets, sentences)
        minus headers and notes to graders; a reference given as a list is its key points.
        ``interview``: graded as an interview answer (``Rubric.interview``)."""
        if isinstance(reference, list | tuple):
            texts = [str(x).strip() for x in reference if str(x).strip()]
            if not texts:
                raise GradeInputError("reference_answer needs at least one non-empty point")
            model_answer = "\n".join(texts)
        else:
            model_answer = reference
            texts = reference_points(reference) if reference.strip() else [question]
        points = [RubricPoint(f"kp{i + 1}", t, 1) for i, t in enumerate(texts)]
        return cls(question, points, model_answer=model_answer, question_id=question_id,
                   interview=interview)  # fmt: skip

    @classmethod
    def from_dict(cls, question: str, data, question_id: str = "adhoc") -> Rubric:
        """A rubric given as ``{"key_points": [str | {point, weight?, ...}], "red_flags": [str |
        {claim, why?}]}`` or as a bare list of key points; a red flag's ``why`` is what the
        feedback says is wrong with it."""
        if isinstance(data, list):
            data = {"key_points": data}
        if not isinstance(data, dict) or not data.get("key_points"):
            raise GradeInputError("rubric needs a non-empty 'key_points' list")
        points = []
        for i, kp in enumerate(data["key_points"]):
            if isinstance(kp, str):
                kp = {"point": kp}
            if not isinstance(kp, dict) or not str(kp.get("point", "")).strip():
                raise GradeInputError(f"rubric key point {i + 1} needs a 'point' text")
            points.append(
                RubricPoint(
                    str(kp.get("id", f"kp{i + 1}")),
                    str(kp["point"]),
                    int(kp.get("weight", 1)),
                    str(kp.get("criterion", "depth")),
                    [str(p) for p in kp.get("paraphrases", [])],
                )
            )
        # No model answer: the key points are the reference, as a reference given as a list is
        # (walk28: with none, the whole-answer features met an empty text and a rubric of key
        # points and red flags scored its full, correct answers 0.03-0.25)
        model_answer = str(data.get("model_answer") or "").strip()
        flags = [r if isinstance(r, dict) else {"claim": str(r)} for r in data.get("red_flags", [])]
        return cls(
            question,
            points,
            [str(r["claim"]) for r in flags],
            model_answer or "\n".join(p.point for p in points),
            question_id,
            corrections={str(r["claim"]): str(r["why"]) for r in flags if r.get("why")},
            exam=True,
        )


# -- references given as text -------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[-*•●○◦▪→]+|\(?\d{1,2}\s*[.)]|\(?[ivx]{1,4}\)|\(?[a-h]\))\s*")
# Lines of a reference that instruct the grader rather than state content.
_META = re.compile(
    r"\b(one of the following|should be given|considered (fully )?correct|is also (valid|"
    r"sufficient)|may be rounded|possible (differences|challenges|answers?)|see the following|"
    r"following (justifications|advantages|answers))\b",
    re.I,
)
# A guide's line about the interview itself ("In the L2 round interviewers ask how tokenisation
# affects cost."): a walk-through's uploaded guide had three as key points, each marked missed.
# (No SAF reference and no bank model answer has one.)
_ABOUT_INTERVIEW = re.compile(r"\binterviewers?\b|\bL[12] round\b", re.I)
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "both": 2, "single": 1,
}  # fmt: skip
# "state at least 4 of", "name the 3 service classes", "NAME and DESCRIBE two challenges": the
# question says how many of the listed points a full answer needs.
_NEED = re.compile(
    r"\b(?:name|state|give|list|describe|mention|identify)\s+(?:(?:and|the|describe|explain|"
    r"name|at least|any|up to)\s+)*(\d|one|two|three|four|five|six|seven|eight)\b"
    r"(?!\s*(?:sentences?|words?|-\s*\d|%))",
    re.I,
)


def needed_points(question: str) -> int | None:
    """How many points the question asks for, when it says so ("at least 4", "two")."""
    found = [m.group(1).lower() for m in _NEED.finditer(question)]
    nums = [int(f) if f.isdigit() else NUMBER_WORDS[f] for f in found]
    nums = [n for n in nums if 1 <= n <= 8]
    return max(nums) if nums else None


def _unwrapped(lines: list[str]) -> list[str]:
    """Lines with a hard-wrapped sentence joined again: a line that ends without a full stop, a
    colon or a semicolon runs on into the next when that one is no list item and starts in
    lower case (no statement does). A walk-through's uploaded guide, wrapped at 72 columns, had
    "... for training with" and "point-in-time correct joins." graded as two key points. A
    reference that lists one statement a line (SAF's) keeps its lines. A wrap before a capital
    ("... such as" / "Redis ...") is not seen: joining on a line's last word ("per", "are")
    also joined statements of two SAF references whose lines are cut short."""
    out: list[str] = []
    for line in lines:
        prev = out[-1].rstrip() if out else ""
        nxt = line.strip()
        if (prev and nxt[:1].islower() and not re.search(r"[.!?:;]$", prev)
                and not _BULLET.match(line)):  # fmt: skip
            out[-1] = f"{prev} {nxt}"
        else:
            out.append(line)
    return out


@lru_cache(maxsize=2048)
def _reference_units(reference: str, unwrap: bool) -> tuple[str, ...]:
    out = []
    lines = tu.normalise(reference).replace("\r", "").split("\n")
    for line in _unwrapped(lines) if unwrap else lines:
        line = _BULLET.sub("", line).strip()
        if not line or not re.search(r"[A-Za-z0-9]", line):
            continue
        for s in tu.sentences(line, max_words=40):
            s = _BULLET.sub("", s).strip()
            if s and re.search(r"[A-Za-z0-9]", s):
                out.append(s)
    return tuple(out)


def reference_units(reference: str, *, unwrap: bool = True) -> list[str]:
    """A reference answer split into statement units: lines (a hard-wrapped sentence joined
    again, ``_unwrapped``, unless ``unwrap`` is False), bullets, then sentences."""
    return list(_reference_units(reference, unwrap))


def reference_points(reference: str) -> list[str]:
    """Key points of a reference given as text: its statement units minus list headers ("...:"),
    Markdown headings and instructions to the grader ("one of the following is considered correct")."""
    points = []
    for s in reference_units(reference):
        if not tu.words(s) or s.rstrip().endswith(":") or s.lstrip().startswith("#"):
            continue  # a list header, or a Markdown heading (a section's title, no statement)
        if _META.search(s) and len(tu.content_stems(_META.sub(" ", s))) <= 3:
            continue
        if _ABOUT_INTERVIEW.search(s):
            continue  # what the interview asks, not what an answer states
        points.append(s)
    return points or [tu.normalise(reference)]
