"""Retrieval: the rank of each question's guide section among the knowledge store's results."""

from __future__ import annotations

from interviewer.bank import Bank, Question
from interviewer.config import Settings
from interviewer.evaluation.metrics import mrr, recall_at


def retrieval(settings: Settings, bank: Bank) -> dict:
    """Rank of each question's source section among search results."""
    from interviewer import knowledge
    from interviewer.knowledge.clean import explicit_questions, parse_sections
    from interviewer.knowledge.files import BUILTIN_GUIDE

    knowledge.ensure_builtin(settings=settings)

    def rank(query: str, section: str) -> int | None:
        hits = knowledge.search(query, k=10, guide=knowledge.BUILTIN_GUIDE_ID, settings=settings)
        sections = list(dict.fromkeys(h.section for h in hits))  # distinct, best first
        return sections.index(section) + 1 if section in sections else None

    def section_rank(q: Question) -> int | None:
        found = knowledge.search_sections(
            [q.text, *(kp.point for kp in q.key_points)],
            k=10,
            round=q.round,
            guide=knowledge.BUILTIN_GUIDE_ID,
            settings=settings,
        )
        names = [name for name, _ in found]
        return names.index(q.guide_section) + 1 if q.guide_section in names else None

    bank_ranks = {q.id: section_rank(q) for q in bank.values()}
    text_ranks = [rank(q.text, q.guide_section) for q in bank.values()]
    guide_qs = explicit_questions(parse_sections(BUILTIN_GUIDE.read_text(encoding="utf-8")))
    guide_ranks = [rank(q, s) for q, s in guide_qs]
    misses = sorted(qid for qid, r in bank_ranks.items() if r is None or r > 3)
    return {
        "bank": {
            "n": len(bank_ranks),
            "recall@1": recall_at(list(bank_ranks.values()), 1),
            "recall@3": recall_at(list(bank_ranks.values()), 3),
            "mrr": round(mrr(list(bank_ranks.values())), 4),
            "misses@3": misses,
        },
        "bank_text_only": {
            "n": len(text_ranks),
            "recall@1": recall_at(text_ranks, 1),
            "recall@3": recall_at(text_ranks, 3),
            "mrr": round(mrr(text_ranks), 4),
        },
        "guide_questions": {
            "n": len(guide_ranks),
            "recall@1": recall_at(guide_ranks, 1),
            "recall@3": recall_at(guide_ranks, 3),
            "mrr": round(mrr(guide_ranks), 4),
        },
    }
