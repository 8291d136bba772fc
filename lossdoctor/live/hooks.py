"""`--on-alert CMD`: run a command for each firing alert (a webhook, `scancel`, a chat message).

The command runs through the shell on a worker thread, so a slow webhook never delays
the next alert; the alert reaches it as one JSON object on stdin and as environment
variables (`LOSSDOCTOR_RULE`, `LOSSDOCTOR_STEP`, … and the whole object in
`LOSSDOCTOR_ALERT`), whichever is easier to use from a shell one-liner. Each run has a
timeout; a command that fails, cannot start or times out is reported as a `hook-failed`
event and the watch goes on: the alert itself was already announced.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import threading
from typing import Any

from lossdoctor.document import to_jsonable
from lossdoctor.live.alerts import Event


def alert_environment(alert: dict[str, Any]) -> dict[str, str]:
    """The alert as `LOSSDOCTOR_*` variables (empty string for a missing tag)."""
    env = {
        f"LOSSDOCTOR_{key.upper()}": "" if value is None else str(value)
        for key, value in alert.items()
        if not isinstance(value, dict)
    }
    env["LOSSDOCTOR_ALERT"] = json.dumps(alert, ensure_ascii=False, allow_nan=False)
    return env


class AlertHook:
    """Runs `command` once per firing event, in order, on one worker thread."""

    def __init__(self, command: str, timeout: float, file: str) -> None:
        self.command = command
        self.timeout = timeout
        self.file = file
        self.jobs: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.reports: queue.Queue[Event] = queue.Queue()
        self.worker = threading.Thread(target=self._work, name="lossdoctor-on-alert", daemon=True)
        self.worker.start()

    def __call__(self, event: Event) -> None:
        """Queue the command for a firing alert (returns at once)."""
        alert = to_jsonable(event.as_dict())
        alert["file"] = self.file
        self.jobs.put(alert)

    def _work(self) -> None:
        while True:
            alert = self.jobs.get()
            try:
                if alert is None:
                    return
                try:
                    problem = self._run(alert)
                except Exception as exc:  # the worker must outlive any one alert, or later ones never run
                    problem = f"failed: {exc}"
                if problem is not None:
                    name = alert["rule"] + (f"[{alert['tag']}]" if alert.get("tag") else "")
                    self.reports.put(
                        Event("hook-failed", message=f"--on-alert for {name}: {problem}", file=self.file)
                    )
            finally:
                self.jobs.task_done()

    def _run(self, alert: dict[str, Any]) -> str | None:
        """Run the command for one alert; a description of what went wrong, or None."""
        payload = json.dumps(alert, ensure_ascii=False, allow_nan=False) + "\n"
        env = {**os.environ, **alert_environment(alert)}
        try:  # its own process group, so a timeout kills what the shell started too
            proc = subprocess.Popen(
                self.command,
                shell=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except (OSError, ValueError) as exc:  # ValueError: a NUL in the command or in a value of the alert
            return f"could not start: {exc}"
        try:
            _, stderr = proc.communicate(payload.encode(), timeout=self.timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return f"timed out after {self.timeout:g} s (killed)"
        if proc.returncode != 0:
            said = stderr.decode("utf-8", errors="replace").strip().splitlines()
            detail = f": {said[-1]}" if said else ""
            return f"exited with status {proc.returncode}{detail}"
        return None

    def drain(self) -> list[Event]:
        """The failures reported since the last call."""
        found: list[Event] = []
        while True:
            try:
                found.append(self.reports.get_nowait())
            except queue.Empty:
                return found

    def finish(self) -> list[Event]:
        """Wait for the queued commands (each bounded by its timeout), then report their failures."""
        self.jobs.put(None)
        self.worker.join()
        return self.drain()
