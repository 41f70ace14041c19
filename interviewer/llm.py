"""The LLM boundary: LangChain chat models for any OpenAI-compatible endpoint, our error types,
token usage and cost."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel

from interviewer import tokens
from interviewer.config import Settings

# USD per million tokens (input, output) of well-known models; anything else is 0 unless set
# with INTERVIEWER_PRICE_IN / INTERVIEWER_PRICE_OUT.
PRICES = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-nano": (0.10, 0.40),
}


class LLMError(RuntimeError):
    """Base of the errors the LLM boundary raises; messages are safe to show a user."""


class LLMUnavailable(LLMError):
    """The endpoint could not be reached, timed out, or failed on its side."""


class LLMRateLimited(LLMError):
    """The endpoint kept answering 429 after the bounded retries."""


class LLMAuthError(LLMError):
    """The endpoint rejected the API key."""


class LLMBadOutput(LLMError):
    """The model's output did not validate against the expected schema."""


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
        return LLMBadOutput(f"the model's output was malformed ({exc.__class__.__name__})")
    return LLMUnavailable(f"the LLM call failed ({exc.__class__.__name__})")


def structured_method(settings: Settings) -> str:
    """json_schema for OpenAI itself; function_calling for other servers (llama.cpp's server
    answers HTTP 500 to response_format json_schema, and vLLM/Ollama support tools)."""
    if settings.structured_method != "auto":
        return settings.structured_method
    base = settings.openai_base_url or ""
    return "json_schema" if (not base or "api.openai.com" in base) else "function_calling"


def chat_model(settings: Settings, *, model: str | None = None, temperature: float = 0.3):
    """A ChatOpenAI for the configured endpoint, with bounded retries and a deadline."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        model=model or settings.chat_model,
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key or "not-needed",
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
        temperature=temperature,
        stream_usage=True,
    )


class Usage:
    """Token and cost accumulator for one model."""

    def __init__(self, model: str, price_in: float | None = None, price_out: float | None = None):
        default = PRICES.get(model, (0.0, 0.0))
        self.price_in = default[0] if price_in is None else price_in
        self.price_out = default[1] if price_out is None else price_out
        self.tokens_in = self.tokens_out = 0

    def add(self, prompt: list[BaseMessage], reply: AIMessage | str | None) -> None:
        meta = getattr(reply, "usage_metadata", None) or {}
        text = reply if isinstance(reply, str) else getattr(reply, "content", "") or ""
        # Servers that report no usage still get counted, with tiktoken.
        self.tokens_in += meta.get("input_tokens") or sum(count_message(m) for m in prompt)
        self.tokens_out += meta.get("output_tokens") or tokens.count(str(text))

    def take(self) -> dict:
        """The usage so far as a dict, and reset."""
        out = {
            "tokens_in": self.tokens_in,
            "tokens_out": self.tokens_out,
            "cost_usd": round(
                (self.tokens_in * self.price_in + self.tokens_out * self.price_out) / 1e6, 6
            ),
        }
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


def invoke_structured(
    model: BaseChatModel, schema: type[BaseModel], messages, *, method: str, tries: int = 2
) -> tuple[BaseModel, AIMessage | None]:
    """Structured output validated strictly by pydantic; a malformed result is retried once,
    then LLMBadOutput. Transport errors are raised as LLMError at once (the client already
    retried them)."""
    runnable = model.with_structured_output(schema, method=method, include_raw=True)
    last: Exception | None = None
    for _ in range(tries):
        try:
            out = runnable.invoke(messages)
        except Exception as exc:  # noqa: BLE001
            err = translate(exc)
            if not isinstance(err, LLMBadOutput):
                raise err from exc
            last = err
            continue
        parsed, raw = out.get("parsed"), out.get("raw")
        if isinstance(parsed, schema) and out.get("parsing_error") is None:
            return parsed, raw
        last = out.get("parsing_error") or LLMBadOutput("no structured output")
    raise LLMBadOutput(f"the model's output did not validate ({last.__class__.__name__})")


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
    except Exception as exc:  # noqa: BLE001
        err = translate(exc)
        where = settings.openai_base_url or "api.openai.com"
        return f"LLM mode unavailable: {err} ({where}, {time.monotonic() - start:.1f}s)"
    return None


def join_lines(items: Iterable[str]) -> str:
    return "\n".join(f"- {x}" for x in items) or "- (none)"
