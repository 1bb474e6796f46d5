#!/usr/bin/env python3
"""The customer's HTML access report, rendered in headless Chromium.

  report_browser_test.py CUSTOS SOURCE_DIR WORK_DIR

Writes a small real audit log with `custos query ... --audit` (the CRM
example policy on a copy of the Chinook database), renders
`custos audit report LOG --subject 1 --format html` in Debian's Chromium and
asserts, through the DevTools protocol (over a pipe: no port, no extra
package):

- the visible text (Chromium's own innerText, so hidden and collapsed text
  does not count) is exactly the expected plain-words page, grouped by
  purpose, with the details collapsed;
- expanding the details shows each access's rule, policy and log entry;
- the page requested nothing but its own file: no request of any kind
  besides the document, no resource timing entry, and no http(s) URL in
  the DOM. Chromium runs without a network (no proxy reachable, every host
  name unresolvable), so nothing external could load anyway.

A control page with an external image, an external style sheet and hidden
text is checked first: the checks must catch all three, so they can fail.

Chromium missing is a failure, not a skip: scripts/quickstart.sh test
installs it (Debian package `chromium`).
"""
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

FAILURES = []
# A URL that leaves the page's file: a scheme of the network, or a
# protocol-relative reference.
EXTERNAL_URL = re.compile(
    r"\b(?:https?|wss?|ftp):|(?:src|href|action)\s*=\s*[\"']?//|url\(\s*[\"']?//", re.IGNORECASE)


def fail(message):
    FAILURES.append(message)
    print("FAIL " + message)


def check(name, condition, detail=""):
    if condition:
        print("ok   " + name)
    else:
        fail(name + (": " + detail if detail else ""))


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """Headless Chromium driven over --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, chromium, profile, log):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def plumb():
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--user-data-dir=" + profile, "--remote-debugging-pipe",
            # No network: every host name fails to resolve, and any request that
            # would still go out goes to a proxy nobody listens on.
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>", "about:blank",
        ]
        self.process = subprocess.Popen(args, preexec_fn=plumb, pass_fds=(3, 4),
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer = b""
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target,
                                                           "flatten": True})["sessionId"]

    def _read(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.from_chrome], [], [], left)
            if ready:
                chunk = os.read(self.from_chrome, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe (did it start?)")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(method + ": " + json.dumps(reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)

    def page(self, method, params=None):
        return self.call(method, params, session=self.session)

    def evaluate(self, expression):
        result = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(expression + ": " + json.dumps(result["exceptionDetails"]))
        return result["result"].get("value")

    def load(self, url, timeout=30):
        """Navigates and waits for the load event; returns every URL the page requested."""
        self.events.clear()
        self.page("Network.enable")
        self.page("Page.enable")
        self.page("Page.navigate", {"url": url})
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read(deadline))
        # Let late requests (lazy images, fonts) show up too.
        self.page("Runtime.evaluate", {"expression": "new Promise(r => setTimeout(r, 300))",
                                       "awaitPromise": True})
        return [e["params"]["request"]["url"] for e in self.events
                if e.get("method") == "Network.requestWillBeSent"]

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except Exception:  # noqa: BLE001 - closing anyway
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.to_chrome)
        os.close(self.from_chrome)


def external_problems(browser, url):
    """What a page loads or names beyond its own file."""
    problems = []
    requested = browser.load(url)
    others = [u for u in requested if u != url]
    if others:
        problems.append("requested " + ", ".join(sorted(set(others))))
    resources = browser.evaluate(
        "performance.getEntriesByType('resource').map(e => e.name)")
    if resources:
        problems.append("resource timing lists " + ", ".join(resources))
    dom = browser.evaluate("document.documentElement.outerHTML")
    for found in EXTERNAL_URL.finditer(dom):
        problems.append("the DOM names `%s`" % dom[max(0, found.start() - 20):found.end() + 30])
    return problems


def visible_text(browser):
    return browser.evaluate("document.body.innerText")


def make_log(custos, source, work):
    """A real log: four statements through guarded sessions, three of them reading customer 1."""
    policy = os.path.join(source, "examples", "crm", "crm.custos")
    db = os.path.join(work, "chinook.db")
    shutil.copyfile(os.path.join(source, "data", "Chinook_Sqlite.sqlite"), db)
    log = os.path.join(work, "audit.db")
    key = os.path.join(work, "pseudonym.key")
    with open(key, "w") as f:
        f.write("%064x\n" % 0x5EED)
    os.chmod(key, 0o600)
    consent = os.path.join(work, "consent.db")
    steps = [
        ([custos, "consent", "grant", "--store", consent, "--subject", "1", "--purpose",
          "marketing.email", "--at", "2026-01-01T00:00:00Z"], 0),
        ([custos, "query", policy, db, "--actor", "a1", "--role", "support_agent", "--purpose",
          "service.support", "--attr", 'regions=["Brazil"]', "--now", "2026-03-03T09:30:00Z",
          "--audit", log, "SELECT FirstName, Email FROM Customer WHERE CustomerId = 1"], 0),
        ([custos, "query", policy, db, "--actor", "an1", "--role", "analyst", "--purpose",
          "analytics.sales", "--key-file", key, "--now", "2026-03-05T16:00:00Z", "--audit", log,
          "SELECT FirstName, Email, PostalCode, Country FROM Customer WHERE CustomerId <= 2"], 0),
        # Refused before it ran: logged, but it read nobody's data.
        ([custos, "query", policy, db, "--actor", "m1", "--role", "marketer", "--purpose",
          "marketing.email", "--now", "2026-04-01T08:00:00Z", "--audit", log,
          "SELECT Phone FROM Customer"], 3),
        ([custos, "query", policy, db, "--actor", "m1", "--role", "marketer", "--purpose",
          "marketing.email", "--consent-store", consent, "--lenient", "--now",
          "2026-04-04T11:00:00Z", "--audit", log,
          "SELECT FirstName, Email, Phone FROM Customer WHERE CustomerId <= 3"], 0),
        # Another customer's data only.
        ([custos, "query", policy, db, "--actor", "a1", "--role", "support_agent", "--purpose",
          "service.support", "--attr", 'regions=["Germany"]', "--now", "2026-04-05T09:00:00Z",
          "--audit", log, "SELECT Email FROM Customer WHERE CustomerId = 2"], 0),
    ]
    for command, code in steps:
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != code:
            raise SystemExit("set-up failed: %s exited %d (expected %d)\n%s%s" % (
                " ".join(command[1:3]), result.returncode, code, result.stdout, result.stderr))
    verified = subprocess.run([custos, "audit", "verify", log], capture_output=True, text=True)
    check("the log verifies, 5 entries",
          verified.returncode == 0 and ": ok: 5 entries, " in verified.stdout,
          verified.stdout + verified.stderr)
    return log


EXPECTED_TEXT = """Who used your data

This is every use of the data of customer 1 recorded in our access log: 3 uses, grouped by why it happened.

For analytics sales

On 5 March 2026, an analyst read your identity name as a pseudonym; your contact email as a pseudonym; your contact postcode, cut to its first 3 characters and your contact country, for analytics sales.

Details
For marketing email

On 4 April 2026, a marketer read your identity name and your contact email (and was refused your contact phone), for marketing email.

Details
For service support

On 3 March 2026, a support agent read your identity name and your contact email, masked, for service support.

Details"""

EXPECTED_DETAILS = [
    # One table per access, in page order, as innerText shows it expanded.
    "When\t2026-03-05T16:00:00Z\nWho\tan1 (analyst)\nWhat\tread: identity.name allow as hash; "
    "contact.email allow as hash; contact.postcode allow as truncate(3); contact.country allow "
    "as plain\nUnder rules\tanalytics-sales\nPolicy\tacme-crm-demo version 1\nLog entry\t2",
    "When\t2026-04-04T11:00:00Z\nWho\tm1 (marketer)\nWhat\tread: identity.name allow as plain; "
    "contact.email allow as plain; contact.phone deny\nUnder rules\tcrm.custos:65\n"
    "Policy\tacme-crm-demo version 1\nLog entry\t4",
    "When\t2026-03-03T09:30:00Z\nWho\ta1 (support_agent)\nWhat\tread: identity.name allow as "
    "plain; contact.email allow as mask\nUnder rules\tsupport-contact\nPolicy\tacme-crm-demo "
    "version 1\nLog entry\t1",
]

CONTROL_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>control</title>
<link rel="stylesheet" href="https://fonts.example.com/style.css"></head>
<body><p>Shown sentence.</p><p style="display:none">Hidden sentence.</p>
<img src="http://tracker.example.com/pixel.png" alt=""></body></html>
"""


def main():
    if len(sys.argv) != 4:
        raise SystemExit("usage: report_browser_test.py CUSTOS SOURCE_DIR WORK_DIR")
    custos, source, work = sys.argv[1:]
    chromium = find_chromium()
    if not chromium:
        print("FAIL Chromium is not installed: this test renders the report in it. Install the "
              "Debian package `chromium` (scripts/quickstart.sh test does: "
              "scripts/install-deps.sh chromium).")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    log = make_log(custos, source, work)
    report = os.path.join(work, "report.html")
    with open(report, "w") as out:
        result = subprocess.run([custos, "audit", "report", log, "--subject", "1", "--format",
                                 "html"], stdout=out, stderr=subprocess.PIPE, text=True)
    check("custos audit report --format html exits 0", result.returncode == 0, result.stderr)
    control = os.path.join(work, "control.html")
    with open(control, "w") as f:
        f.write(CONTROL_PAGE)

    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=work)
    chromium_log = os.path.join(work, "chromium.log")
    with open(chromium_log, "w") as log_file:
        try:
            browser = Browser(chromium, profile, log_file)
        except Exception as e:  # noqa: BLE001 - reported with Chromium's own words
            print("FAIL Chromium (%s) did not start under DevTools: %s" % (chromium, e))
            print(open(chromium_log).read()[-3000:])
            return 1
    try:
        # The checks catch what they are for.
        problems = external_problems(browser, "file://" + control)
        check("control: the external style sheet is caught",
              any("https://fonts.example.com/style.css" in p and p.startswith("requested")
                  for p in problems), repr(problems))
        check("control: the external image is caught",
              any("http://tracker.example.com/pixel.png" in p and p.startswith("requested")
                  for p in problems), repr(problems))
        check("control: the DOM's external URLs are caught",
              any(p.startswith("the DOM names") for p in problems), repr(problems))
        check("control: hidden text is not visible text",
              visible_text(browser) == "Shown sentence.", repr(visible_text(browser)))

        url = "file://" + report
        problems = external_problems(browser, url)
        check("the report loads nothing but itself and names no external URL", not problems,
              repr(problems))
        check("the page's title", browser.evaluate("document.title") == "Who used your data")
        text = visible_text(browser)
        check("the visible text is the plain-words page, grouped by purpose, details collapsed",
              text == EXPECTED_TEXT, "got:\n" + text + "\n--- expected:\n" + EXPECTED_TEXT)
        for sentence in (
                "On 3 March 2026, a support agent read your identity name and your contact "
                "email, masked, for service support.",
                "On 4 April 2026, a marketer read your identity name and your contact email (and "
                "was refused your contact phone), for marketing email."):
            check("visible: " + sentence[:40] + "...", sentence in text)
        check("nothing of customer 2's or of the refused statement",
              "Germany" not in text and "Phone" not in text and "1 April" not in text)
        browser.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        tables = browser.evaluate(
            "[...document.querySelectorAll('details table')].map(t => t.innerText)")
        check("expanded, the details show each access's rule, policy and log entry",
              [t.strip() for t in (tables or [])] == EXPECTED_DETAILS, repr(tables))
        check("expanded, the details are visible text",
              "Under rules\tsupport-contact" in visible_text(browser))
    except Exception as e:  # noqa: BLE001 - a broken protocol exchange is a failure too
        fail("the browser session broke: %r" % e)
        print(open(chromium_log).read()[-3000:])
    finally:
        browser.close()
    if FAILURES:
        print("%d failure(s)" % len(FAILURES))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
