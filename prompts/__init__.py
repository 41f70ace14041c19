"""Every prompt the LLM sees: one versioned template file per task (``NAME.md``), read by
``interviewer.llm.prompts`` as package data."""
