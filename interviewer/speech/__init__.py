"""Speech for the interview: spoken questions (text to speech) and spoken answers (speech to text),
offline by default, and delivery feedback from a timed transcript."""

import os

# onnxruntime (under the bundled voice) sends usage events to Microsoft from its first session on
# unless this is set before it loads (its disable_telemetry_events() does not stop them). The app
# makes no outbound request but to a configured endpoint, whoever imports speech.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
