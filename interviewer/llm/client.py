"""The LLM boundary: LangChain chat models for any OpenAI-compatible endpoint, their errors
translated into ours, token usage and cost."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel, ValidationError

from interviewer import tokens
from interviewer.config import Settings
from interviewer.engine import Usage
from interviewer.errors import (
    LLMAuthError,
    LLMBadOutput,
    LLMError,
    LLMRateLimited,
    LLMUnavailable,
)

log = logging.getLogger(__name__)

# USD per million tokens (input, output) of well-known models; anything else counts as free.
PRICES = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-nano": (0.10, 0.40),
}


def translate(exc: BaseException) -> LLMError:
    """Map openai/httpx exceptions onto our small hierarchy."""
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMAuthError("the endpoint rejected the API key (check OPENAI_API_KEY)")
    if isinstance(exc, openai.RateLimitError):
        return LLMRateLimited("the endpoint is rate limiting requests; try again shortly")
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException | TimeoutError):
        return LLMUnavailable("the LLM endpoint timed out")
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError | ConnectionError):
        return LLMUnavailable("the LLM endpoint cannot be reached")
    if isinstance(exc, openai.APIStatusError):
        return LLMUnavailable(f"the LLM endpoint failed (HTTP {exc.status_code})")
    if isinstance(exc, ValueError | KeyError | TypeError):
        log.warning("malformed model output: %r", exc)
        return LLMBadOutput("the model's reply was not in the expected form")
    log.warning("LLM call failed: %r", exc)
    return LLMUnavailable("the LLM call failed unexpectedly (details in the log)")


def is_openai(settings: Settings) -> bool:
    """Whether the endpoint is OpenAI itself (no base URL, or api.openai.com)."""
    base = settings.openai_base_url or ""
    return not base or "api.openai.com" in base


def structured_method(settings: Settings) -> str:
    """json_schema for OpenAI itself; function_calling for other servers (llama.cpp's server
    answers HTTP 500 to response_format json_schema, and vLLM/Ollama support tools)."""
    if settings.structured_method != "auto":
        return settings.structured_method
    return "json_schema" if is_openai(settings) else "function_calling"


def chat_model(settings: Settings, *, model: str | None = None, temperature: float = 0.3):
    """A ChatOpenAI for the endpoint, with bounded retries, a deadline and a reply length cap."""
    from langchain_openai import ChatOpenAI

    # LangChain sends the cap as max_completion_tokens, which only OpenAI knows; llama.cpp's
    # server ignores it and writes until its context is full, so other servers get max_tokens.
    cap = (
        {"max_tokens": settings.llm_max_tokens}
        if is_openai(settings)
        else {"extra_body": {"max_tokens": settings.llm_max_tokens}}
    )
    return ChatOpenAI(
        model=model or settings.chat_model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key or "not-needed",
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
        temperature=temperature,
        stream_usage=True,
        **cap,
    )


class UsageMeter:
    """Counts the tokens one model reads and writes, and prices them."""

    def __init__(self, model: str):
        self.price_in, self.price_out = PRICES.get(model, (0.0, 0.0))
        self.tokens_in = self.tokens_out = 0

    def add(self, prompt: list[BaseMessage], reply: AIMessage | str | None) -> None:
        meta = getattr(reply, "usage_metadata", None) or {}
        text = reply if isinstance(reply, str) else getattr(reply, "content", "") or ""
        # Servers that report no usage still get counted, with tiktoken.
        self.tokens_in += meta.get("input_tokens") or sum(count_message(m) for m in prompt)
        self.tokens_out += meta.get("output_tokens") or tokens.count(str(text))

    def take(self) -> Usage:
        """The usage since the last take, and reset."""
        cost = (self.tokens_in * self.price_in + self.tokens_out * self.price_out) / 1e6
        out = Usage(self.tokens_in, self.tokens_out, round(cost, 6))
        self.tokens_in = self.tokens_out = 0
        return out


def count_message(m: BaseMessage) -> int:
    """Tokens of one chat message (content plus a small per-message overhead)."""
    return tokens.count(str(m.content)) + 4


def stream_text(
    model: BaseChatModel, messages: list[BaseMessage], on_token: Callable[[str], None] | None
) -> tuple[str, AIMessage | None, LLMError | None]:
    """Stream a reply, feeding ``on_token``; a stream cut midway keeps what arrived.

    Returns (text, final message with usage or None, error or None).
    """
    parts: list[str] = []
    final = None
    try:
        for chunk in model.stream(messages):
            piece = chunk.content if isinstance(chunk.content, str) else ""
            if piece:
                parts.append(piece)
                if on_token is not None:
                    on_token(piece)
            final = chunk if final is None else final + chunk
    except Exception as exc:  # noqa: BLE001 - every failure becomes one of ours
        return "".join(parts), final, translate(exc)
    return "".join(parts), final, None


def wire_schema(schema: type[BaseModel]) -> dict:
    """The JSON schema sent as a function's parameters: no string bounds, small ranges as enums."""
    # Servers such as llama.cpp's compile it into a sampling grammar: string length bounds blow
    # the grammar up (llama-cpp-python's server process dies on the judge's 600-character
    # rationale) and integer bounds are ignored. The reply is still validated strictly against
    # the pydantic model.

    def walk(node):
        if isinstance(node, list):
            return [walk(x) for x in node]
        if not isinstance(node, dict):
            return node
        out = {k: walk(v) for k, v in node.items()}
        if out.get("type") == "string":
            out.pop("maxLength", None)
            out.pop("minLength", None)
        lo, hi = out.get("minimum"), out.get("maximum")
        if out.get("type") == "integer" and lo is not None and hi is not None and hi - lo <= 100:
            del out["minimum"], out["maximum"]
            out["enum"] = list(range(int(lo), int(hi) + 1))
        return out

    return walk(schema.model_json_schema())


def invoke_structured(
    model: BaseChatModel,
    schema: type[BaseModel],
    messages,
    *,
    method: str,
    tries: int = 2,
    usage: UsageMeter | None = None,
) -> tuple[BaseModel, AIMessage | None]:
    """Structured output validated strictly by pydantic; a malformed result is retried once,
    then LLMBadOutput. Transport errors are raised as LLMError at once (the client already
    retried them)."""
    # Every attempt goes into ``usage``, failed ones too: they were billed all the same.
    wire = wire_schema(schema) if method == "function_calling" else schema
    runnable = model.with_structured_output(wire, method=method, include_raw=True)
    last: Exception | None = None
    for _ in range(tries):
        try:
            out = runnable.invoke(messages)
        except Exception as exc:  # noqa: BLE001
            if usage is not None:
                usage.add(messages, None)
            err = translate(exc)
            if not isinstance(err, LLMBadOutput):
                raise err from exc
            last = err
            continue
        parsed, raw = out.get("parsed"), out.get("raw")
        if usage is not None:
            usage.add(messages, raw)
        last = out.get("parsing_error")
        if last is None and parsed is not None:
            try:
                return schema.model_validate(parsed), raw
            except ValidationError as exc:
                last = exc
        last = last or LLMBadOutput("no structured output")
    log.warning("model output did not validate after %d tries: %r", tries, last)
    raise LLMBadOutput(f"the model's reply lacked the expected fields, {tries} times out of {tries}")


def check_endpoint(settings: Settings, *, timeout: float = 5.0) -> str | None:
    """None when the endpoint answers; else one line saying what is wrong."""
    client = openai.OpenAI(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key or "not-needed",
        timeout=timeout,
        max_retries=0,
    )
    start = time.monotonic()
    try:
        client.models.list()
    except openai.NotFoundError:
        return None  # it answered and took the key; it just does not list its models
    except Exception as exc:  # noqa: BLE001
        err = translate(exc)
        where = settings.openai_base_url or "api.openai.com"
        return f"LLM mode unavailable: {err} ({where}, {time.monotonic() - start:.1f}s)"
    return None


def join_lines(items: Iterable[str]) -> str:
    """Items as a Markdown list for a prompt (``- (none)`` when empty)."""
    return "\n".join(f"- {x}" for x in items) or "- (none)"
