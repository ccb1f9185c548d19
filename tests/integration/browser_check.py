#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Opens one HTML file in headless Chromium and reports what it did.

The tests cannot trust a report page by reading its source: only a browser
shows whether it asked the network for anything, logged an error, threw, or
finished drawing. This drives Debian's chromium over --remote-debugging-pipe
(no port, so nothing else on the machine can talk to it) and prints one JSON
object: requests, console_errors, exceptions, value (the --eval result),
screenshot, load_ms (navigation start until TP.ready), ready, eval_error.

Exit 0 when the page was driven, whatever it did; 2 on a usage error; 1 when
Chromium could not be driven (one line on stderr says why).
"""
import argparse
import base64
import json
import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

READY = "window.TP && TP.ready === true"
WIDTH = 1400
MAX_HEIGHT = 6000
GRACE = 30  # seconds for the eval and the screenshot once readiness is settled

# Everything here stops a traffic source of Chromium's own, so the only
# requests left to see are the page's.
QUIET_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--no-default-browser-check", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions", "--disable-client-side-phishing-detection",
    "--disable-domain-reliability", "--disable-breakpad", "--no-pings",
    "--disable-dev-shm-usage", "--metrics-recording-only", "--mute-audio",
    "--password-store=basic", "--use-mock-keychain", "--hide-scrollbars",
    "--safebrowsing-disable-auto-update", "--media-router=0",
    "--disable-features=Translate,OptimizationHints,MediaRouter,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater,"
    "InterestFeedContentSuggestions,DialMediaRouteProvider",
]


class Failed(Exception):
    """Chromium could not be driven; the message is the one line to print."""


def find_chromium():
    # The real binary, not Debian's wrapper: the wrapper adds extensions
    # and API keys that only make traffic.
    for path in ("/usr/lib/chromium/chromium", "/usr/bin/chromium", shutil.which("chromium")):
        if path and os.access(path, os.X_OK):
            return path
    raise Failed("chromium not found (apt-get install chromium)")


class Cdp:
    """One Chromium over a pipe pair: commands out, replies and events in."""

    def __init__(self, binary, profile, deadline):
        self.deadline = deadline
        self.next_id = 0
        self.buf = b""
        self.events = []
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def child_fds():
            # Chromium reads commands on fd 3 and writes on fd 4; move both
            # out of the way first so neither overwrites the other.
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        # TMPDIR too: Chromium leaves its singleton socket directory there
        env = dict(os.environ, HOME=profile, TMPDIR=profile)
        self.proc = subprocess.Popen(
            [binary, *QUIET_FLAGS, "--remote-debugging-pipe",
             "--user-data-dir=" + os.path.join(profile, "data"), "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=env, pass_fds=(3, 4),
            preexec_fn=child_fds, start_new_session=True)
        os.close(to_r)
        os.close(from_w)

    def kill(self):
        # Its own session holds the zygote, renderer and GPU processes too.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=3)
                break
            except subprocess.TimeoutExpired:
                continue
        for fd in (self.to_w, self.from_r):
            os.close(fd)

    def _read_one(self):
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self.from_r], [], [], left)
            if ready:
                chunk = os.read(self.from_r, 1 << 20)
                if not chunk:
                    raise Failed("chromium closed the debugging pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        while data:
            data = data[os.write(self.to_w, data):]
        while True:
            reply = self._read_one()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise Failed(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method):
        while True:
            for i, ev in enumerate(self.events):
                if ev["method"] == method:
                    return self.events.pop(i)
            self.events.append(self._read_one())


def evaluate(cdp, sid, expr):
    res = cdp.call("Runtime.evaluate", sid, expression=expr,
                   returnByValue=True, awaitPromise=True)
    if "exceptionDetails" in res:
        det = res["exceptionDetails"]
        return None, det.get("exception", {}).get("description") or det.get("text")
    return res.get("result", {}).get("value"), None


def collect(events, page_url):
    out = {"requests": [], "console_errors": [], "exceptions": []}
    for ev in events:
        m, p = ev["method"], ev.get("params", {})
        if m == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if url != page_url and not url.startswith("data:"):
                out["requests"].append(url)
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            args = [str(a.get("value", a.get("description", ""))) for a in p.get("args", [])]
            out["console_errors"].append(" ".join(args))
        elif m == "Runtime.exceptionThrown":
            det = p.get("exceptionDetails", {})
            out["exceptions"].append(
                det.get("exception", {}).get("description") or det.get("text", ""))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            entry = p["entry"]
            out["console_errors"].append(f"{entry.get('text', '')} {entry.get('url', '')}".strip())
    return out


def drive(cdp, page_url, expr, shot):
    target = cdp.call("Target.createTarget", url="about:blank")["targetId"]
    sid = cdp.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Network", "Runtime", "Log", "Page"):
        cdp.call(domain + ".enable", sid)
    cdp.call("Emulation.setDeviceMetricsOverride", sid, width=WIDTH, height=900,
             deviceScaleFactor=1, mobile=False)
    # Only the navigation's own load event counts, not about:blank's.
    cdp.events = [e for e in cdp.events if e["method"] != "Page.loadEventFired"]
    start = time.monotonic()
    cdp.call("Page.navigate", sid, url=page_url)
    cdp.wait_event("Page.loadEventFired")
    ready = False
    while not ready:
        ready = evaluate(cdp, sid, READY)[0] is True
        thrown = any(e["method"] == "Runtime.exceptionThrown" for e in cdp.events)
        if ready or thrown or time.monotonic() + 0.5 > cdp.deadline:
            break
        time.sleep(0.05)
    load_ms = round((time.monotonic() - start) * 1000)
    # A page that never got ready is still reported, with what it did.
    cdp.deadline = time.monotonic() + GRACE
    value, eval_error = evaluate(cdp, sid, expr) if expr else (None, None)

    height = evaluate(cdp, sid, "document.documentElement.scrollHeight")[0] or 900
    height = max(1, min(int(height), MAX_HEIGHT))
    cdp.call("Emulation.setDeviceMetricsOverride", sid, width=WIDTH, height=height,
             deviceScaleFactor=1, mobile=False)
    # Two frames, so a page that redraws on resize has drawn.
    evaluate(cdp, sid, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    png = cdp.call("Page.captureScreenshot", sid, format="png", captureBeyondViewport=True,
                   clip={"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1})
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png["data"]))

    out = collect(cdp.events, page_url)
    out.update(value=value, screenshot=shot, load_ms=load_ms, ready=ready,
               eval_error=eval_error)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("page")
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--eval", default="")
    ap.add_argument("--timeout", type=float, default=60)
    try:
        args = ap.parse_args()
    except SystemExit as e:
        return 0 if e.code == 0 else 2
    if not os.path.isfile(args.page):
        print(f"browser_check: no such file: {args.page}", file=sys.stderr)
        return 2
    page_url = pathlib.Path(os.path.abspath(args.page)).as_uri()
    profile = tempfile.mkdtemp(prefix="browser_check.")
    cdp = None
    try:
        cdp = Cdp(find_chromium(), profile, time.monotonic() + args.timeout)
        out = drive(cdp, page_url, args.eval, os.path.abspath(args.screenshot))
    except TimeoutError:
        print(f"browser_check: chromium did not answer within {args.timeout:g} s",
              file=sys.stderr)
        return 1
    except (Failed, OSError) as e:
        print(f"browser_check: {e}", file=sys.stderr)
        return 1
    finally:
        if cdp:
            cdp.kill()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
