"""The transcript store on real SQLite files: migrations, per-turn commits, isolation, queries."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from interviewer.config import Settings
from interviewer.errors import SessionNotFound
from interviewer.grading.rubric import CRITERIA, CriterionScore, Grade, KeyPointResult
from interviewer.models import MAX_ANSWER_CHARS, FollowUpExchange, SessionInfo, Turn
from interviewer.store import Store
from interviewer.store.tables import Base, alembic_config

UNICODE_ANSWER = (
    "Gradient ∇θ L — naïve Bayes; 日本語の説明; Ελληνικά; עברית; emoji 🚀🤖 👩‍💻 🇮🇳\n"
    "  indented line\twith a tab, trailing spaces   \n\n<b>not html</b> *not bold* # not a heading"
)


def ts(day: str, hour: int = 12) -> float:
    """A local timestamp on ``day`` (YYYY-MM-DD)."""
    return datetime.strptime(day, "%Y-%m-%d").replace(hour=hour).timestamp()


def make_grade(question_id: str, overall: int, scores=(3, 3, 3, 3), **kw) -> Grade:
    """A grade with every criterion scored, one covered and one missed key point."""
    criteria = {
        c: CriterionScore(score=s, evidence=[f"{c} span"], rationale=f"{c} why")
        for c, s in zip(CRITERIA, scores, strict=True)
    }
    key_points = [
        KeyPointResult(
            id="kp1",
            point="bias-variance trade-off",
            weight=2,
            coverage=0.9,
            covered=True,
            evidence="variance goes up",
        ),
        KeyPointResult(id="kp2", point="use regularisation", weight=1, coverage=0.1, covered=False),
    ]
    kw.setdefault("key_points", key_points)
    return Grade(question_id=question_id, overall=overall, criteria=criteria, **kw)


def make_turn(
    index: int,
    *,
    topic="ml-basics",
    round="L1",
    overall=None,
    scores=(3, 3, 3, 3),
    answer="An answer.",
    question_id=None,
    **kw,
) -> Turn:
    """A turn; answered and graded when ``overall`` is given."""
    qid = question_id or f"{topic}-{index}"
    grade = None if overall is None else make_grade(qid, overall, scores)
    status = kw.pop("status", "answered" if answer is not None else "pending")
    return Turn(
        index=index,
        question_id=qid,
        round=round,
        topic=topic,
        difficulty=2,
        question=f"Question {index} about {topic}?",
        guide_section="2.1 Bias and variance",
        sources=["chunk-1", "chunk-2"],
        model_answer="The model answer.",
        answer=answer,
        status=status,
        grade=grade,
        asked_at=1000.0 + index,
        answered_at=1010.0 + index if answer is not None else None,
        **kw,
    )


def count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.fixture
def store():
    s = Store(settings=Settings.from_env())
    yield s
    s.close()


def db_path() -> Path:
    return Path(Settings.from_env().db_url.removeprefix("sqlite:///"))


# -- migrations -------------------------------------------------------------------------------


def test_migrations_create_every_table_at_head(data_dir):
    assert not data_dir.exists()
    s = Store(settings=Settings.from_env())
    assert db_path().is_file() and db_path().parent == data_dir.resolve()
    tables = set(inspect(s.engine).get_table_names())
    assert {"users", "sessions", "turns", "grades", "alembic_version"} <= tables
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with s.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
    info = s.create_session(SessionInfo(round="L1"))
    s.close()

    # A second open finds the database at head: nothing re-runs, nothing is lost.
    s2 = Store(settings=Settings.from_env())
    with s2.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1
    assert s2.load_session(info.id, user_id="local")[0] == info
    s2.close()


def test_models_match_the_migrations(store):
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_sqlite_uses_wal_busy_timeout_and_foreign_keys(store):
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1


def test_database_url_setting_picks_the_database(tmp_path, monkeypatch):
    target = tmp_path / "elsewhere" / "store.db"
    monkeypatch.setenv("INTERVIEWER_DATABASE_URL", f"sqlite:///{target}")
    s = Store(settings=Settings.from_env())
    s.create_session(SessionInfo(round="L2"))
    s.close()
    assert target.is_file()
    assert not db_path().exists() or db_path() == target
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT round FROM sessions").fetchall() == [("L2",)]


# -- writes -----------------------------------------------------------------------------------


def test_every_turn_is_committed_and_visible_to_a_second_store(store):
    info = store.create_session(SessionInfo(round="L1", user_id="alice"))
    reader = Store(settings=Settings.from_env())  # its own engine on the same file
    try:
        answers = [UNICODE_ANSWER, "plain", "x" * MAX_ANSWER_CHARS]
        for i, answer in enumerate(answers):
            store.save_turn(info.id, make_turn(i, answer=answer, overall=50 + i))
            _, turns = reader.load_session(info.id, user_id="alice")
            assert len(turns) == i + 1
            assert turns[i].answer == answer
            assert turns[i].grade.overall == 50 + i
    finally:
        reader.close()
    # Byte-exact in the file itself, seen by the plain sqlite3 module.
    with sqlite3.connect(db_path()) as conn:
        stored = conn.execute("SELECT answer FROM turns WHERE idx = 0").fetchone()[0]
    assert stored == UNICODE_ANSWER


def test_save_turn_upserts_by_index_and_drops_a_removed_grade(store):
    info = store.create_session(SessionInfo(round="L1"))
    store.save_turn(info.id, make_turn(0, answer=None))
    assert count(store, "turns") == 1 and count(store, "grades") == 0

    turn = make_turn(0, answer="now answered", overall=70)
    turn.follow_ups = [FollowUpExchange(key_point="kp2", question="And L2?", answer="Ridge.")]
    turn.commands, turn.hints = ["hint"], ["Think about penalties."]
    store.save_turn(info.id, turn)
    assert count(store, "turns") == 1 and count(store, "grades") == 1
    _, [loaded] = store.load_session(info.id, user_id="local")
    assert loaded == turn

    store.save_turn(info.id, turn.model_copy(update={"grade": None}))
    assert count(store, "turns") == 1 and count(store, "grades") == 0


def test_save_turn_bumps_session_updated_at(store):
    info = store.create_session(SessionInfo(round="L1", created_at=100.0, updated_at=100.0))
    store.save_turn(info.id, make_turn(0))
    assert store.load_session(info.id, user_id="local")[0].updated_at > 100.0


def test_overlong_answer_is_refused_before_anything_is_written(store):
    info = store.create_session(SessionInfo(round="L1", updated_at=100.0))
    with pytest.raises(ValueError, match=str(MAX_ANSWER_CHARS)):
        store.save_turn(info.id, make_turn(0, answer="x" * (MAX_ANSWER_CHARS + 1), overall=50))
    long_follow_up = make_turn(0)
    long_follow_up.follow_ups = [
        FollowUpExchange(key_point="k", question="q", answer="y" * (MAX_ANSWER_CHARS + 1))
    ]
    with pytest.raises(ValueError):
        store.save_turn(info.id, long_follow_up)
    assert count(store, "turns") == 0 and count(store, "grades") == 0
    assert store.load_session(info.id, user_id="local")[0].updated_at == 100.0


def test_save_turn_to_an_unknown_session_fails(store):
    with pytest.raises(SessionNotFound):
        store.save_turn("nope", make_turn(0))
    assert count(store, "turns") == 0


def test_grades_round_trip_to_the_pydantic_model(store):
    info = store.create_session(SessionInfo(round="L2"))
    grade = make_grade(
        "q-7",
        42,
        scores=(2, 3, 4, 5),
        flags=["needs review"],
        source="offline-fallback",
        feedback="Mention the 🚀 trade-offs.",
        hint_penalty=10,
    )
    turn = make_turn(0, round="L2", question_id="q-7")
    turn.grade = grade
    store.save_turn(info.id, turn)
    _, [loaded] = Store(settings=Settings.from_env()).load_session(info.id, user_id="local")
    assert isinstance(loaded.grade, Grade)
    assert loaded.grade == grade
    assert loaded.grade.missed == ["use regularisation"]
    assert loaded.grade.criteria["communication"].evidence == ["communication span"]


def test_create_session_creates_the_user_once(store):
    store.create_session(SessionInfo(round="L1", user_id="bob"))
    store.create_session(SessionInfo(round="L2", user_id="bob"))
    assert count(store, "users") == 1
    with pytest.raises(ValueError, match="already exists"):
        info = store.list_sessions(user_id="bob")[0]
        store.create_session(SessionInfo(id=info["id"], round="L1", user_id="bob"))


def test_update_session_persists_status_and_summary(store):
    info = store.create_session(SessionInfo(round="L1"))
    info.status = "finished"
    info.summary = {"overall": 71, "signal": "hire"}
    info.settings = {"questions": 5}  # validated into SessionSettings on assignment
    store.update_session(info)
    loaded, _ = store.load_session(info.id, user_id="local")
    assert (loaded.status, loaded.summary, loaded.settings.questions) == (
        "finished",
        {"overall": 71, "signal": "hire"},
        5,
    )
    assert store.list_sessions(user_id="local")[0]["signal"] == "hire"


# -- isolation and deletion -------------------------------------------------------------------


def test_users_cannot_see_each_others_sessions(store):
    a = store.create_session(SessionInfo(round="L1", user_id="alice"))
    store.save_turn(a.id, make_turn(0, overall=60))
    assert store.list_sessions(user_id="bob") == []
    assert store.unfinished_sessions(user_id="bob") == []
    assert store.progress(user_id="bob")["sessions"] == []
    assert store.recent_question_ids(user_id="bob") == set()
    with pytest.raises(SessionNotFound) as err:
        store.load_session(a.id, user_id="bob")
    # Same message as for an id that does not exist: nothing about alice.
    assert "alice" not in str(err.value)
    assert str(err.value) == str(SessionNotFound(a.id, "bob"))
    with pytest.raises(SessionNotFound):
        store.delete_session(a.id, user_id="bob")
    with pytest.raises(SessionNotFound):
        store.update_session(a.model_copy(update={"user_id": "bob", "status": "finished"}))
    assert count(store, "turns") == 1
    assert store.load_session(a.id, user_id="alice")[0].status == "active"


def test_delete_removes_the_session_its_turns_and_grades(store):
    keep = store.create_session(SessionInfo(round="L1"))
    store.save_turn(keep.id, make_turn(0, overall=80))
    gone = store.create_session(SessionInfo(round="L2"))
    for i in range(3):
        store.save_turn(gone.id, make_turn(i, round="L2", overall=40))
    assert (count(store, "turns"), count(store, "grades")) == (4, 4)

    store.delete_session(gone.id, user_id="local")
    assert (count(store, "sessions"), count(store, "turns"), count(store, "grades")) == (1, 1, 1)
    with pytest.raises(SessionNotFound):
        store.load_session(gone.id, user_id="local")
    with pytest.raises(SessionNotFound):
        store.delete_session(gone.id, user_id="local")
    assert store.load_session(keep.id, user_id="local")[1][0].grade.overall == 80


# -- queries ----------------------------------------------------------------------------------


@pytest.fixture
def history(store):
    """Three sessions of 'local' on three days, and one of another user."""
    s1 = store.create_session(
        SessionInfo(round="L1", created_at=ts("2025-03-01"), updated_at=ts("2025-03-01"))
    )
    store.save_turn(s1.id, make_turn(0, topic="ml-basics", overall=40, scores=(2, 2, 3, 3)))
    store.save_turn(s1.id, make_turn(1, topic="statistics", overall=60, scores=(4, 3, 3, 4)))
    store.save_turn(s1.id, make_turn(2, topic="statistics", answer=None))  # asked, unanswered

    s2 = store.create_session(
        SessionInfo(round="L2", created_at=ts("2025-03-10"), updated_at=ts("2025-03-10"))
    )
    store.save_turn(s2.id, make_turn(0, round="L2", topic="mlops", overall=90, scores=(5, 5, 4, 4)))
    s2.status, s2.summary = "finished", {"overall": 90, "signal": "strong hire"}
    store.update_session(s2)

    s3 = store.create_session(
        SessionInfo(round="full", created_at=ts("2025-03-20"), updated_at=ts("2025-03-20"))
    )
    store.save_turn(s3.id, make_turn(0, topic="ml-basics", overall=50, scores=(3, 3, 3, 3)))
    store.save_turn(s3.id, make_turn(1, round="L2", topic="mlops", overall=70, scores=(4, 4, 4, 4)))

    other = store.create_session(
        SessionInfo(round="L1", user_id="eve", created_at=ts("2025-03-05"))
    )
    store.save_turn(other.id, make_turn(0, topic="ml-basics", overall=0, scores=(1, 1, 1, 1)))
    return s1, s2, s3


def test_list_sessions_counts_scores_and_filters(store, history):
    s1, s2, s3 = history
    rows = store.list_sessions(user_id="local")
    assert [r["id"] for r in rows] == [s3.id, s2.id, s1.id]
    by_id = {r["id"]: r for r in rows}
    assert (by_id[s1.id]["questions"], by_id[s1.id]["score"], by_id[s1.id]["signal"]) == (
        2,
        50.0,
        None,
    )
    assert by_id[s2.id]["signal"] == "strong hire" and by_id[s2.id]["status"] == "finished"
    assert by_id[s3.id]["score"] == 60.0

    def ids(**kw):
        return [r["id"] for r in store.list_sessions(user_id="local", **kw)]

    assert ids(round="L2") == [s2.id]
    assert ids(round="full") == [s3.id]
    assert ids(since=ts("2025-03-05", 0)) == [s3.id, s2.id]
    assert ids(until=ts("2025-03-10", 0)) == [s1.id]
    assert ids(since=ts("2025-03-05", 0), until=ts("2025-03-15", 0)) == [s2.id]
    assert ids(min_score=60) == [s3.id, s2.id]
    assert ids(max_score=55) == [s1.id]
    assert ids(min_score=55, max_score=65) == [s3.id]
    assert ids(status="finished") == [s2.id]


def test_unfinished_sessions_and_recent_question_ids(store, history):
    s1, s2, s3 = history
    assert [r["id"] for r in store.unfinished_sessions(user_id="local")] == [s3.id, s1.id]
    assert store.recent_question_ids(user_id="local", sessions=1) == {"ml-basics-0", "mlops-1"}
    assert store.recent_question_ids(user_id="local") == {
        "ml-basics-0",
        "statistics-1",
        "statistics-2",
        "mlops-0",
        "mlops-1",
    }


def test_progress_numbers(store, history):
    s1, s2, s3 = history
    p = store.progress(user_id="local")
    assert [s["id"] for s in p["sessions"]] == [s1.id, s2.id, s3.id]
    first = p["sessions"][0]
    assert first["overall"] == 50.0  # the unanswered turn has no grade and does not count
    assert first["criteria"] == {
        "depth": 3.0,
        "problem_solving": 2.5,
        "engineering": 3.0,
        "communication": 3.5,
    }
    assert p["by_round"]["L1"] == [[ts("2025-03-01"), 50.0], [ts("2025-03-20"), 50.0]]
    assert p["by_round"]["L2"] == [[ts("2025-03-10"), 90.0], [ts("2025-03-20"), 70.0]]
    assert p["by_topic"] == {
        "ml-basics": {"mean": 45.0, "n": 2},
        "mlops": {"mean": 80.0, "n": 2},
        "statistics": {"mean": 60.0, "n": 1},
    }
    assert p["weakest_topics"] == ["ml-basics", "statistics", "mlops"]
    assert p["criteria_over_time"]["depth"] == [
        [ts("2025-03-01"), 3.0],
        [ts("2025-03-10"), 5.0],
        [ts("2025-03-20"), 3.5],
    ]
    assert set(p["criteria_over_time"]) == set(CRITERIA)


def test_two_engines_on_one_file_do_not_lock_each_other_out(store):
    info = store.create_session(SessionInfo(round="L1"))
    engine = create_engine(f"sqlite:///{db_path()}")
    try:
        with engine.connect() as conn:
            # An open read transaction in another connection (WAL) does not block a writer.
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("SELECT count(*) FROM turns").scalar_one()
            store.save_turn(info.id, make_turn(0, overall=10))
            conn.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()
    assert count(store, "grades") == 1
