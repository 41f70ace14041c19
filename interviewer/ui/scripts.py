"""What the Interview tab runs in the browser: the question timer, Ctrl+Enter, and Start's
confirmation before it abandons a running interview."""

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
# Ctrl+Enter (or Cmd+Enter) in the answer box sends it; Enter alone makes a new line.
KEYS_JS = """
() => {
  if (window.__miqKeys) { return; }
  window.__miqKeys = true;
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      const box = e.target.closest && e.target.closest("#answer-box");
      if (box) { e.preventDefault(); document.querySelector("#send-button").click(); }
    }
  });
}
"""
# Start asks before abandoning a running interview (it stays saved and can be resumed).
CONFIRM_START_JS = """
(...args) => {
  const running = args[args.length - 1];
  if (running === "1" && !confirm("Abandon the running interview? It stays saved: you can resume it later.")) {
    args[args.length - 1] = "cancel";
  }
  return args;
}
"""
