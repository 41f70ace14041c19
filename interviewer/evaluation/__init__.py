"""Measuring the grader, the retrieval and the interviewer (data lives in ``evals/``)."""
