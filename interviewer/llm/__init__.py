"""The LLM side: the OpenAI-compatible client, the LLM engine, its schemas and prompts, and
the local model server."""
