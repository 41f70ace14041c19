"""What the Interview tab runs in the browser: the question timer, Ctrl+Enter, the answer
boxes' over-the-limit note, and the confirmations of Start and Resume (before they leave a
running interview, or Start clears the answer box) and of End and Skip (before unsent text goes
ungraded)."""

import json

from interviewer.models import MAX_ANSWER_CHARS

# Runs in the browser every second (no server round trip). The key is "question id|seconds
# already spent|budget": with a budget (a real interview) it counts down and warns when over.
TIMER_JS = """
(key) => {
  if (!key) { window.__miqTimer = null; return ""; }
  const [id, spent, budget] = key.split("|");
  const t = window.__miqTimer;
  if (!t || t.id !== id) {
    window.__miqTimer = { id: id, start: Date.now() - parseFloat(spent) * 1000 };
  }
  const s = Math.max(0, Math.floor((Date.now() - window.__miqTimer.start) / 1000));
  const fmt = (x) => String(Math.floor(x / 60)).padStart(2, "0") + ":" + String(x % 60).padStart(2, "0");
  if (!budget) { return "Time on this question: **" + fmt(s) + "**"; }
  const left = parseInt(budget, 10) - s;
  if (left >= 0) { return "Time left: **" + fmt(left) + "** of " + fmt(parseInt(budget, 10)); }
  return "⚠ **Over time by " + fmt(-left) + "**: wrap up your answer.";
}
"""
# The same timer twice: beside the scorecard, and above the answer box where a phone shows it
# (the side column stacks far below the answer there; CSS shows one or the other).
TIMERS_JS = f"(key) => {{ const t = ({TIMER_JS.strip()})(key); return [t, t]; }}"
# Page-wide keys: Ctrl+Enter (or Cmd+Enter) sends the answer box; Enter alone makes a new line.
# In a code editor, Enter and Tab indent by 4 spaces, as the starter code does: the editor's own
# unit is 2 (Gradio's Code has no option for it), and a 2-space line in a 4-space body is an
# IndentationError at Run. Enter keeps the line's indent, one level more after a ":" and one
# less after return, pass, break, continue or raise; Tab pads
# to the next multiple of 4; Backspace in a line's leading spaces, and Shift+Tab anywhere in the
# line, go back one level of 4 (the editor's own took 2, leaving a 2-space line under a 4-space
# block).
KEYS_JS = """
() => {
  if (window.__miqKeys) { return; }
  window.__miqKeys = true;
  __LIMIT__
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      const box = e.target.closest && e.target.closest("#answer-box");
      if (box) { e.preventDefault(); document.querySelector("#send-button").click(); }
    }
  });
  document.addEventListener("keydown", (e) => {
    if ((e.key !== "Enter" && e.key !== "Tab" && e.key !== "Backspace") || e.ctrlKey ||
        e.metaKey || e.altKey || (e.shiftKey && e.key !== "Tab") || e.isComposing) { return; }
    const editor = e.target.closest && e.target.closest("#code-editor, #practice-code");
    const sel = window.getSelection();
    if (!editor || !sel || !sel.isCollapsed || !sel.anchorNode) { return; }
    const node = sel.anchorNode.nodeType === 1 ? sel.anchorNode : sel.anchorNode.parentElement;
    const line = node && node.closest(".cm-line");
    if (!line) { return; }
    const range = document.createRange();
    range.setStart(line, 0);
    range.setEnd(sel.anchorNode, sel.anchorOffset);
    const before = range.toString().replace(/\\u200b/g, "");
    // Spaces from k leading spaces back to the level before (a multiple of 4).
    const levelBack = (k) => k % 4 || Math.min(4, k);
    let text;
    if (e.key === "Tab" && e.shiftKey) {  // dedent the line by a level, the caret kept
      const lead = /^ */.exec(line.textContent.replace(/\\u200b/g, ""))[0].length;
      e.preventDefault();
      e.stopPropagation();
      const n = levelBack(lead);
      if (!n) { return; }
      sel.modify("move", "backward", "lineboundary");
      for (let i = 0; i < n; i++) { sel.modify("extend", "forward", "character"); }
      document.execCommand("delete");
      for (let i = 0; i < before.length - n; i++) { sel.modify("move", "forward", "character"); }
      return;
    }
    if (e.key === "Backspace") {
      if (!/^ +$/.test(before)) { return; }  // not in the leading spaces: the editor's own
      const n = levelBack(before.length);
      for (let i = 0; i < n; i++) { sel.modify("extend", "backward", "character"); }
      e.preventDefault();
      e.stopPropagation();
      document.execCommand("delete");
      return;
    }
    if (e.key === "Tab") {
      text = " ".repeat(4 - (before.length % 4));
    } else {
      let indent = /^[ ]*/.exec(before)[0];
      // A line that ends its block (return, pass, ...) leaves the next one a level out.
      if (/^ *(return|pass|break|continue|raise)\\b/.test(before)) { indent = indent.slice(4); }
      text = "\\n" + indent + (/:\\s*(#.*)?$/.test(before) ? "    " : "");
    }
    e.preventDefault();
    e.stopPropagation();
    document.execCommand("insertText", false, text);
  }, true);
}
"""
# The answer boxes say an answer is over the limit while it is typed or pasted (a walk-through
# learnt it only from the refusal after sending). The box keeps every character (a maxlength
# would cut a pasted answer silently); the server refuses it as before. Checked on every input
# and once a second, so a box the server cleared or filled loses or gains its note.
LIMIT_BOXES = ("#answer-box", "#practice-answer")
OVER_LIMIT_CLASS = "miq-over-limit"
_LIMIT_JS = """const limit = LIMIT, boxes = BOXES, cls = "CLASS";
  const checkLimit = () => {
    for (const sel of boxes) {
      const box = document.querySelector(sel), area = box && box.querySelector("textarea");
      if (!area) { continue; }
      let note = box.querySelector("." + cls);
      const n = [...area.value].length;  // characters, as the server counts them
      if (n <= limit) { if (note) { note.remove(); } continue; }
      if (!note) {
        note = document.createElement("div");
        note.className = cls;
        note.setAttribute("role", "status");
        // under the box (its own row holds the textarea beside its buttons)
        area.parentElement.insertAdjacentElement("afterend", note);
      }
      note.textContent = "⚠ " + n.toLocaleString("en") + " characters: an answer is at most " +
        limit.toLocaleString("en") + ". Shorten it to send (nothing is lost until then).";
    }
  };
  document.addEventListener("input", checkLimit, true);
  setInterval(checkLimit, 1000);"""
# What a press of Grade, Send, Run or Submit brings, when it lands below the window, is
# scrolled up into it (walk59: Practice's grade, and the refusal "Type an answer first", sat
# at the bottom edge or under it, as if nothing had happened). Not when it is above the window
# (the candidate scrolled down past it) or already in view; a panel taller than the window
# shows from its top.
# (Not the coding examples' box: it fills as a coding question is asked, under the chat.)
BROUGHT_INTO_VIEW = ("#practice-result", "#interview-status", "#code-status")
_INTO_VIEW_JS = """const shownSel = SHOWN;
  new MutationObserver((records) => {
    for (const r of records) {
      const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      const el = node && node.closest && node.closest(shownSel);
      if (!el) { continue; }
      // once per new text of its own (not the progress timer Gradio draws in it while a
      // request waits: a candidate who scrolled away then was pulled back at every tick)
      const text = (el.querySelector(".prose") || el).innerText.trim();
      if (!text || text === el.__miqShown) { return; }
      el.__miqShown = text;
      const box = el.getBoundingClientRect();
      if (box.height && box.top >= 0 && box.bottom > window.innerHeight) {
        el.scrollIntoView({ block: "nearest" });
      }
      return;
    }
  }).observe(document.body, { childList: true, subtree: true, characterData: true });"""
KEYS_JS = KEYS_JS.replace(
    "__LIMIT__",
    _LIMIT_JS.replace("LIMIT", str(MAX_ANSWER_CHARS), 1)
    .replace("BOXES", json.dumps(LIMIT_BOXES), 1)
    .replace("CLASS", OVER_LIMIT_CLASS, 1)
    + "\n  "
    + _INTO_VIEW_JS.replace("SHOWN", json.dumps(", ".join(BROUGHT_INTO_VIEW)), 1),
)
_UNSENT = "(() => (document.querySelector('#answer-box textarea')?.value || '').trim() !== '')()"
# Start asks before abandoning a running interview (it stays saved and can be resumed, with any
# unsent answer), and before clearing text left in the answer box: the new interview starts
# with an empty box (text left there is no answer to its first question).
# A click within 1 s of a start (a double click) is dropped: it started a second interview, or
# asked to abandon the one just started, leaving an empty session behind. End clears the mark.
START_DEBOUNCE_MS = 1000
CONFIRM_START_JS = f"""
(...args) => {{
  const now = Date.now();
  if (window.__miqStartAt && now - window.__miqStartAt < {START_DEBOUNCE_MS}) {{
    args[args.length - 1] = "cancel";
    return args;
  }}
  const running = args[args.length - 1];
  const ask = running === "1"
    ? "Abandon the running interview? It stays saved (with any unsent answer): you can resume it later."
    : ({_UNSENT} ? "Start a new interview? The text in the answer box is cleared: it is not an answer to the new interview's first question." : null);
  if (ask && !confirm(ask)) {{
    args[args.length - 1] = "cancel";
  }} else {{
    window.__miqStartAt = Date.now();
  }}
  return args;
}}
"""

# Resume asks before leaving a running interview for the one picked (it stays saved, with any
# unsent answer: the box is emptied for the resumed one, which gets its own draft back). Its
# inputs are (the pick, the running state, the box's text): the running state is the second.
CONFIRM_RESUME_JS = """
(...args) => {
  if (args[1] === "1" && !confirm("Leave the running interview for the one you picked? It stays saved (with any unsent answer): you can resume it later.")) {
    args[1] = "cancel";
  }
  return args;
}
"""


# A command or an answer the candidate sends wants its reply in view. Gradio's Chatbot follows
# new messages only when, after the update has been drawn, the chat is within 100 px of its
# bottom (or it was following already): a candidate who scrolled up to reread the feedback,
# or a reply that lands in one piece taller than 100 px, leaves the new question out of view.
# So the chat goes to its bottom as the request leaves and stays there while the reply is
# drawn, until the candidate touches, wheels, keys or scrolls the chat away from its bottom.
_FOLLOW_CHAT = """{
    const chat = document.querySelector("#interview-chat .bubble-wrap, #interview-chat .panel-wrap");
    if (chat) {
      if (!chat.__miqFollow) {
        const st = chat.__miqFollow = { on: false };
        new MutationObserver(() => { if (st.on) chat.scrollTop = chat.scrollHeight; })
          .observe(chat, { childList: true, subtree: true, characterData: true });
        for (const ev of ["wheel", "touchstart", "pointerdown", "keydown"]) {
          chat.addEventListener(ev, () => { st.on = false; }, { passive: true });
        }
        chat.addEventListener("scroll", () => {  // scrolled away from the bottom: theirs
          if (chat.scrollHeight - chat.clientHeight - chat.scrollTop > 20) st.on = false;
        }, { passive: true });
      }
      chat.__miqFollow.on = true;
      chat.scrollTop = chat.scrollHeight;
    }
  }"""
FOLLOW_CHAT_JS = f"""
(...args) => {{
  {_FOLLOW_CHAT}
  return args;
}}
"""


def _confirm_unsent(then: str, ends: bool = False) -> str:
    """A command button's js: when the answer box holds text not sent, or the open coding
    question's editor holds code other than the last the server put there (the starter, the
    submitted code), it asks "<what is held>: <then>", and makes the handler's last input
    "cancel" when the candidate keeps on. The inputs end with (code, code_base, speak).
    ``ends``: going on ends the interview, so the next Start is no double click."""
    ended = 'if (args[last] !== "cancel") window.__miqStartAt = 0;' if ends else ""
    return f"""
(...args) => {{
  const last = args.length - 1;
  const code = args[last - 2] || "", base = args[last - 1] || "";
  const area = document.querySelector("#code-area");
  const held = [];
  if ({_UNSENT}) held.push("your answer box holds text you have not sent");
  const sent = (window.__miqSubmitted || "").trim();  // submitted, its grade on its way
  if (area && area.offsetParent !== null && code.trim() !== base.trim() && code.trim() !== sent) {{
    held.push("the editor holds code you have not submitted");
  }}
  {_ask_held(then)}
  {ended}
  if (args[last] !== "cancel") {{ {_FOLLOW_CHAT} }}
  return args;
}}
"""


# Submit code remembers what it sent: End or Skip clicked before its grade comes back (the
# editor's code then still differs from the last the server put there) must not call it
# "code you have not submitted".
MARK_SUBMITTED_JS = f"""
(...args) => {{
  window.__miqSubmitted = args[0] || "";
  {_FOLLOW_CHAT}
  return args;
}}
"""


def _ask_held(then: str) -> str:
    """The js that asks "<what is held>: <then>" when the list ``held`` names something not
    sent, and tells the handler "cancel" (its last input) when the candidate keeps on."""
    return f"""if (held.length) {{
    const what = held.join(", and ");
    if (!confirm(what.charAt(0).toUpperCase() + what.slice(1) + ": " + {then!r})) {{
      args[last] = "cancel";
    }}
  }}"""


# Practice's New question and Next question ask when the answer box or the editor holds what
# was not graded (a walk-through's typed answer vanished on Next). The inputs end with (code,
# held): ``held`` is the JSON of the answer and code last graded or served (the starter); the
# handler is told "cancel" when the candidate keeps on.
CONFIRM_NEXT_PRACTICE_JS = f"""
(...args) => {{
  const last = args.length - 1;
  let graded = {{}};
  try {{ graded = JSON.parse(args[last] || "{{}}"); }} catch (e) {{ graded = {{}}; }}
  const answer = (document.querySelector("#practice-answer textarea")?.value || "").trim();
  const code = (args[last - 1] || "").trim();
  const held = [];
  if (answer && answer !== (graded.answer || "").trim()) held.push("your answer box holds text you have not graded");
  if (code && code !== (graded.code || "").trim()) held.push("the editor holds code you have not graded");
  {_ask_held("the next question starts with an empty box. Go on?")}
  return args;
}}
"""

# Practice's question picker asks the same, unless the question picked is the one on screen
# (its inputs start with the pick, then round, topic and the current question's id).
CONFIRM_PICK_PRACTICE_JS = (
    f"(...args) => (args[0] && args[0] === args[3]) ? args : ({CONFIRM_NEXT_PRACTICE_JS.strip()})(...args)"
)

# End asks when the answer box holds text not sent, or the editor code not submitted: it would
# not be graded.
CONFIRM_END_JS = _confirm_unsent(
    "it is not graded if you end now. End the interview anyway?", ends=True
)
# Skip too: the skipped question goes unanswered, and the box is emptied for the next one (text
# written for one question is no answer to the next).
CONFIRM_SKIP_JS = _confirm_unsent(
    "skipping leaves this question unanswered, and what you wrote is not graded or kept. "
    "Skip anyway?"  # (not "the next one": a walk-through's last question had none)
)


def guide_upload_js(max_bytes: int, types: list[str], said: str = ".txt, .md or .pdf") -> str:
    """The Guides tab's uploader, checked in the page as a file is chosen or dropped: Gradio
    refuses a file over the size limit or of another type in the browser with a toast that
    fades, and no event reaches the server, so the status line kept the last upload's result
    ("Ingested ...") as if the refused file had been read (a walk-through). The reason now
    replaces that line until the next file; a file taken says it is being read until its result
    comes back (``GUIDE_UPLOAD_DONE_JS``)."""
    return f"""
() => {{
  if (window.__miqGuideUpload) {{ return; }}
  window.__miqGuideUpload = true;
  const MAX = {max_bytes}, TYPES = {list(types)!r};
  const say = (text) => {{
    const status = document.querySelector("#guide-status");
    if (!status) {{ return; }}
    let note = document.querySelector("#guide-check");
    if (!note) {{
      note = document.createElement("div");
      note.id = "guide-check";
      note.setAttribute("role", "status");
      status.insertAdjacentElement("afterend", note);
    }}
    note.textContent = text;
    status.style.display = "none";  // the last upload's result: not this file's
  }};
  const mb = (n) => n < 1048576 ? Math.max(1, Math.round(n / 1024)) + " KB"
    : (n / 1048576).toFixed(1).replace(/\\.0$/, "") + " MB";
  const check = (files) => {{
    if (!files || !files.length) {{ return; }}
    const f = files[0], name = f.name, dot = name.lastIndexOf(".");
    const ext = dot < 0 ? "" : name.slice(dot).toLowerCase();
    if (!TYPES.includes(ext)) {{
      say("⚠ " + name + ": not a guide file; upload a {said} file.");
    }} else if (f.size > MAX) {{
      say("⚠ " + name + ": " + mb(f.size) + ", over the " + mb(MAX) + " limit for a guide; " +
          "split it or trim it, and upload again.");
    }} else {{
      say("Reading " + name + " (" + mb(f.size) + ")…");
    }}
  }};
  const within = (e) => e.target && e.target.closest && e.target.closest("#guide-upload");
  document.addEventListener("change", (e) => {{
    if (within(e) && e.target.files) {{ check(e.target.files); }}
  }}, true);
  document.addEventListener("drop", (e) => {{
    if (within(e) && e.dataTransfer) {{ check(e.dataTransfer.files); }}
  }}, true);
}}
"""


# After an upload's result has come back: the status line shows it again.
GUIDE_UPLOAD_DONE_JS = """
() => {
  const note = document.querySelector("#guide-check");
  if (note) { note.remove(); }
  const status = document.querySelector("#guide-status");
  if (status) { status.style.display = ""; }
}
"""


# The page's server, watched: Gradio keeps a page's live state in the process that served it,
# so when that process is gone (a replica died and nginx sent the page to the other one, or
# the app restarted) every click read Gradio's bare "Error" and nothing said what to do
# (walk37). Every CONNECTION_POLL_S while the tab is shown, and at once when a request to the
# server fails or is refused as not signed in, the page asks the server for its process's id
# (Gradio's `gradio_api/app_id`, a few bytes, no login): another id than the page was served
# with says so, with a Reload button; no answer says the server is not answering (cleared when
# the same process answers again).
CONNECTION_POLL_S = 15
SERVER_LOST_ID = "server-lost"
SERVER_RESTARTED = (
    "This page lost its interview: the server it was talking to stopped or restarted. Every "
    "answer you sent is saved: reload the page (sign in again if asked) and press Resume beside "
    "your session."
)
SERVER_SILENT = (
    "The interview server is not answering. Every answer you sent is saved: when it is back, "
    "reload the page and press Resume beside your session."
)
CONNECTION_JS = (
    """
() => {
  if (window.__miConn) { return; }
  const state = window.__miConn = { checks: 0, boot: null, lost: "" };
  const cfg = window.gradio_config || {};
  // beside the page, so a proxy's host, port and path prefix stay as the browser sees them
  const url = location.origin + location.pathname.replace(/[^/]*$/, "") + "gradio_api/app_id";
  const fetch0 = window.fetch.bind(window);
  const show = (kind) => {
    state.lost = kind;
    let box = document.getElementById("__ID__");
    if (!kind) { if (box) { box.remove(); } return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "__ID__";
      box.setAttribute("role", "alert");
      const text = document.createElement("span");
      const reload = document.createElement("button");
      reload.textContent = "Reload";
      reload.addEventListener("click", () => location.reload());
      box.append(text, reload);
      document.body.prepend(box);
    }
    box.firstChild.textContent = kind === "restarted" ? __RESTARTED__ : __SILENT__;
  };
  let busy = false;
  const check = async () => {
    if (busy || state.lost === "restarted") { return; }
    busy = true;
    try {
      const r = await fetch0(url, { cache: "no-store", credentials: "same-origin" });
      const id = r.ok ? String((await r.json()).app_id) : null;
      if (id === null) { show("silent"); }
      else if (state.boot === null) { state.boot = id; }
      else { show(id === state.boot ? "" : "restarted"); }
    } catch (e) {
      show("silent");
    } finally {
      busy = false;
      state.checks += 1;
    }
  };
  if (cfg.app_id !== undefined) { state.boot = String(cfg.app_id); }
  window.fetch = function (input, init) {
    const target = String((input && input.url) || input);
    const p = fetch0(input, init);
    if (target.includes("gradio_api/") && !target.includes("gradio_api/app_id")) {
      p.then((r) => { if (r.status === 401) { check(); } }, () => { check(); });
    }
    return p;
  };
  check();
  setInterval(() => { if (document.visibilityState === "visible") { check(); } }, __POLL_MS__);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") { check(); }
  });
}
"""
    .replace("__ID__", SERVER_LOST_ID)
    .replace("__RESTARTED__", json.dumps(SERVER_RESTARTED))
    .replace("__SILENT__", json.dumps(SERVER_SILENT))
    .replace("__POLL_MS__", str(CONNECTION_POLL_S * 1000))
)
