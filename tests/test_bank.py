"""The question bank: schema validation, coverage of the guide, clear errors for broken files."""

from __future__ import annotations

import pytest
import yaml
from interviewer.knowledge.clean import explicit_questions, parse_sections
from interviewer.knowledge.files import BUILTIN_GUIDE

from interviewer.bank import TOPICS, BankError, builtin_dir, load_bank, load_file

BANK_DIR = builtin_dir()


@pytest.fixture(scope="module")
def bank():
    return load_bank()


def test_bank_is_large_and_covers_every_topic(bank):
    assert len(bank) >= 80
    per_topic = {t: sum(q.topic == t for q in bank.values()) for t in TOPICS}
    assert all(n >= 2 for n in per_topic.values()), per_topic
    assert {q.round for q in bank.values()} == {"L1", "L2"}
    assert {q.difficulty for q in bank.values()} == {1, 2, 3}


def test_every_explicit_guide_question_is_in_the_bank(bank):
    texts = {q.text: q for q in bank.values()}
    guide = explicit_questions(parse_sections(BUILTIN_GUIDE.read_text(encoding="utf-8")))
    assert len(guide) == 22
    for text, section in guide:
        assert text in texts, text
        q = texts[text]
        assert q.from_guide and q.guide_section == section


def test_every_question_is_complete(bank):
    sections = {s.title for s in parse_sections(BUILTIN_GUIDE.read_text(encoding="utf-8"))}
    for q in bank.values():
        assert 4 <= len(q.key_points) <= 8
        assert all(kp.paraphrases for kp in q.key_points), q.id
        assert q.red_flags and len(q.model_answer.split()) >= 80
        assert 1 <= len(q.follow_ups) <= 8
        assert q.guide_section in sections, (q.id, q.guide_section)


def _write(tmp_path, data) -> object:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_no_bank_line_ends_in_a_word_broken_by_its_hyphen():
    # walk52 read "voted (or probability- averaged)" in a model answer: a folded YAML block
    # joins a line ending in "probability-" to the next with a space
    broken = [f"{path.name}:{n}: {line.strip()}"
              for path in sorted(builtin_dir().glob("*.yaml"))
              for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
              if line.rstrip().endswith("-") and line.rstrip()[-2:-1].isalpha()]  # fmt: skip
    assert broken == []


def test_helpers_shown_beside_the_examples_fit_the_panel(bank):
    # walk52 scrolled sideways to read make_blobs's 102-character line under the examples
    long = [(q.id, line) for q in bank.values() if q.coding
            for line in q.coding.helpers.splitlines() if len(line) > 88]  # fmt: skip
    assert long == []


def test_broken_file_names_the_file_question_and_field(tmp_path):
    good = yaml.safe_load((BANK_DIR / "l1-ml-fundamentals.yaml").read_text())["questions"][0]
    bad = {**good, "difficulty": 7}
    with pytest.raises(BankError, match=r"broken\.yaml: question '.+': difficulty"):
        load_file(_write(tmp_path, {"questions": [bad]}))
    bad = {**good, "topic": "astrology"}
    with pytest.raises(BankError, match="unknown topic 'astrology'"):
        load_file(_write(tmp_path, {"questions": [bad]}))
    bad = {**good, "key_points": good["key_points"][:2]}
    with pytest.raises(BankError, match="key_points"):
        load_file(_write(tmp_path, {"questions": [bad]}))
    bad = {**good, "follow_ups": [{"key_point": "nope", "text": "What about the other thing?"}]}
    with pytest.raises(BankError, match="unknown key point 'nope'"):
        load_file(_write(tmp_path, {"questions": [bad]}))
    bad = {**good, "surprise": 1}
    with pytest.raises(BankError, match="surprise"):
        load_file(_write(tmp_path, {"questions": [bad]}))
    (tmp_path / "bad.yaml").write_text("questions: [unclosed")
    with pytest.raises(BankError, match="bad.yaml: not valid YAML"):
        load_file(tmp_path / "bad.yaml")


def test_duplicate_ids_across_files_fail(tmp_path):
    good = yaml.safe_load((BANK_DIR / "l1-ml-fundamentals.yaml").read_text())["questions"][0]
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({"questions": [good]}))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"questions": [good]}))
    with pytest.raises(BankError, match="defined twice"):
        load_bank(tmp_path)


def test_readme_counts_the_bank_as_it_is(bank):
    from collections import Counter

    from tests import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rounds = Counter(q.round for q in bank.values())
    topics = len({q.topic for q in bank.values()})
    said = (
        f"holds {len(bank)} authored questions ({rounds['L1']} L1, {rounds['L2']} L2) "
        f"over {topics} topics"
    )
    assert said in " ".join(readme.split())


def test_the_loaded_bank_is_read_only(bank):
    q = next(iter(bank.values()))
    with pytest.raises(TypeError):
        bank["new"] = q
    with pytest.raises(TypeError):
        del bank[q.id]


def test_a_complexity_follow_up_is_tied_to_the_point_that_states_it(bank):
    """A coding follow-up asking for the complexity is skipped when the explanation already gave
    it: it is tied to the question's key point that states a complexity (an O(...)), where one
    exists (a walk-through heard "What is the complexity?" right after "O(n log n)")."""
    untied = []
    for q in bank.values():
        if q.coding is None:
            continue
        stating = [kp.id for kp in q.key_points if "O(" in kp.point]
        for f in q.coding.follow_ups:
            if "complexity" in f.text.lower() and stating and f.key_point not in stating:
                untied.append((q.id, f.text, f.key_point, stating))
    assert not untied


def test_story_questions_carry_the_shared_judgement_flags_and_others_do_not(bank):
    from interviewer.bank import STORY_RED_FLAGS

    shared = {rf.claim for rf in STORY_RED_FLAGS}
    stories = [q for q in bank.values() if q.asks_for_story]
    assert len(stories) >= 5
    for q in stories:
        r = q.rubric()
        assert shared <= set(r.red_flags) and set(r.red_flags[: len(q.red_flags)]) == {
            rf.claim for rf in q.red_flags}
        for claim in shared:  # named and explained like the question's own
            assert q.red_flag(claim).why and r.corrections[claim] == q.red_flag(claim).why
    for q in bank.values():
        if not q.asks_for_story:
            assert not shared & set(q.rubric().red_flags)
