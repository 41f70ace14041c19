"""The app's API as a browser uses it: join the queue, then read the server-sent events until
the call completes, timing each call to the moment its last event arrives.

gradio_client is what most scripts use, but it hands each event from its reader thread to the
caller by polling a queue every 50 ms (``gradio_client.utils.get_pred_from_sse_v3``), which adds
25-50 ms to every call, most of a short turn. A browser reads the stream directly. This client
uses gradio_client only to learn the endpoints (their ``fn_index`` and the hidden ``gr.State``
inputs), then speaks the protocol with httpx.
"""

from __future__ import annotations

import json
import time
import uuid

import httpx


class CallFailed(RuntimeError):
    """The server answered a call with an error."""


class SSEClient:
    """One browser tab (one session hash) on one app."""

    def __init__(self, url: str, timeout: float = 120.0):
        from gradio_client import Client

        self.url = url.rstrip("/") + "/"
        self.info = Client(self.url, verbose=False)
        self.session = uuid.uuid4().hex[:11]
        self.http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self.http.close()
        self.info.close()

    def _payload(self, api_name: str, args: tuple, kwargs: dict) -> dict:
        from gradio_client import utils

        index = self.info._infer_fn_index(api_name, None)
        endpoint = self.info.endpoints[index]
        data = utils.construct_args(endpoint.parameters_info, args, kwargs)
        return {
            "data": list(endpoint.insert_empty_state(*data)),
            "fn_index": index,
            "session_hash": self.session,
            "event_data": None,
            "trigger_id": None,
        }

    def predict(self, *args, api_name: str, **kwargs) -> tuple[list, float]:
        """Call an endpoint; its final outputs and the seconds from sending to their arrival."""
        payload = self._payload(api_name, args, kwargs)
        start = time.perf_counter()
        joined = self.http.post(self.url + "gradio_api/queue/join", json=payload)
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        params = {"session_hash": self.session}
        with self.http.stream("GET", self.url + "gradio_api/queue/data", params=params) as r:
            r.raise_for_status()
            for line in r.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") not in (None, event_id):
                    continue
                if msg.get("msg") == "process_completed":
                    elapsed = time.perf_counter() - start
                    out = msg.get("output") or {}
                    if not msg.get("success", True) or "error" in out:
                        raise CallFailed(str(out.get("error") or msg.get("title")))
                    return out.get("data", []), elapsed
                if msg.get("msg") == "close_stream":
                    break
        raise CallFailed(f"{api_name}: the stream closed before the call completed")
