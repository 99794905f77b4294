"""Load an HTML report in headless Chromium and report what a reader would see.

Chromium is driven through its DevTools protocol over a pipe (``--remote-debugging-pipe``:
JSON messages separated by NUL bytes on file descriptors 3 and 4), so no driver library and
no network port are needed: the standard library and Debian's ``chromium`` package suffice.

:func:`inspect_report` opens a file, waits for the page and its figures, and returns the
console errors, uncaught exceptions, requests for anything but local files, how many
figures drew marks, and a full-page PNG screenshot.

Also a command: ``python tests/chromium.py report.html screenshot.png [width]``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--remote-debugging-pipe")
INSTALL_HINT = ("the browser test needs Chromium: on Debian/Ubuntu run "
                "'sudo apt-get install -y chromium' (or set DCFLEX_CHROMIUM to its path); "
                ".ci/run installs it")

# Per figure: marks plotly drew (paths with a shape, bars, points, heatmap images), and its size.
_FIGURES_JS = """
(() => Array.from(document.querySelectorAll('div.figure')).map(div => {
  const marks = Array.from(div.querySelectorAll(
      'g.trace path, g.trace rect, g.points path, g.scatterlayer path, g.barlayer path, ' +
      'g.hm image'))
    .filter(p => (p.getAttribute('d') || '').length > 10 || p.tagName !== 'path').length;
  const box = div.getBoundingClientRect();
  return {id: div.id, svgs: div.querySelectorAll('svg.main-svg').length, marks: marks,
          width: box.width, height: box.height,
          title: (div.querySelector('.gtitle') || {}).textContent || ''};
}))()
"""


def find_chromium() -> str | None:
    """Path of a Chromium binary: ``$DCFLEX_CHROMIUM``, else chromium on the PATH."""
    env = os.environ.get("DCFLEX_CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    """What loading a report showed."""

    console_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    figures: list[dict] = field(default_factory=list)
    tables: int = 0
    screenshot_png: bytes = b""


class _Pipe:
    """DevTools protocol over Chromium's debugging pipe."""

    def __init__(self, binary: str, profile: str, width: int, height: int) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._res_r, res_w = os.pipe()
        hi_cmd = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
        hi_res = fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)

        def child_fds() -> None:  # runs in the child before exec: fds 3 and 4 for the pipe
            os.dup2(hi_cmd, 3)
            os.dup2(hi_res, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=child_fds, close_fds=False)
        for fd in (cmd_r, res_w, hi_cmd, hi_res):
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout_s: float = 30.0) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._cmd_w, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(timeout_s)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout_s: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout_s
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(deadline - time.monotonic()))

    def pump(self, seconds: float) -> None:
        """Collect events for a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                self.events.append(self._read(deadline - time.monotonic()))

    def _read(self, timeout_s: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._res_r], [], [], max(timeout_s, 0.0))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._res_r, 1 << 20)
            if not chunk:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"Chromium closed the pipe: {err[-2000:]}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.send("Browser.close", timeout_s=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_w)
        os.close(self._res_r)


def inspect_report(html: str | Path, width: int = 1280, height: int = 900,
                   settle_s: float = 1.0) -> PageReport:
    """Open ``html`` in headless Chromium, wait for its figures and take a screenshot.

    Raises
    ------
    RuntimeError
        If no Chromium is found (with how to install it) or the page never loads.
    """
    binary = find_chromium()
    if binary is None:
        raise RuntimeError(INSTALL_HINT)
    url = Path(html).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="dcflex-chromium-") as profile:
        pipe = _Pipe(binary, profile, width, height)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget",
                                {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Log", "Page", "Network"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1,
                       "mobile": False}, session=session)
            pipe.send("Page.navigate", {"url": url}, session=session)
            pipe.wait_event("Page.loadEventFired", timeout_s=60)
            figures = _wait_for_figures(pipe, session, timeout_s=30)
            pipe.pump(settle_s)  # late console messages
            tables = pipe.send("Runtime.evaluate", {
                "expression": "document.querySelectorAll('table').length",
                "returnByValue": True}, session=session)["result"]["value"]
            size = pipe.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
            shot = pipe.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                         "scale": 1}}, session=session, timeout_s=60)
        finally:
            pipe.close()
    report = PageReport(figures=figures, tables=int(tables),
                        screenshot_png=base64.b64decode(shot["data"]))
    for ev in pipe.events:
        method, params = ev.get("method"), ev.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in
                            params.get("args", []))
            report.console_errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            report.console_errors.append(
                f"exception: {details.get('exception', {}).get('description') or details}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            report.console_errors.append(f"log: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.requestWillBeSent":
            request_url = params.get("request", {}).get("url", "")
            if not request_url.startswith(("file:", "data:", "about:", "blob:")):
                report.external_requests.append(request_url)
    return report


def _wait_for_figures(pipe: _Pipe, session: str, timeout_s: float) -> list[dict]:
    """Poll until every figure has an SVG with marks (or the time is up); return them."""
    deadline = time.monotonic() + timeout_s
    while True:
        figures = pipe.send("Runtime.evaluate", {"expression": _FIGURES_JS,
                                                 "returnByValue": True},
                            session=session)["result"]["value"]
        if all(f["svgs"] > 0 and f["marks"] > 0 for f in figures) or (
                time.monotonic() > deadline):
            return figures
        time.sleep(0.2)


if __name__ == "__main__":
    page = inspect_report(sys.argv[1], width=int(sys.argv[3]) if len(sys.argv) > 3 else 1280)
    Path(sys.argv[2]).write_bytes(page.screenshot_png)
    print(json.dumps({"console_errors": page.console_errors,
                      "external_requests": page.external_requests,
                      "figures": page.figures, "tables": page.tables}, indent=1))
