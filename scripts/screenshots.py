"""Screenshots of the main pages, light, dark and on a phone, so anyone can look at the
product without setting it up.

Starts the app as `make run` serves it (one Daphne process, the built-in simulator) on a
free port with a fresh SQLite database in a temporary folder, then drives Debian's
Chromium through Playwright as a person would: signs up, asks two questions (one answer
with code), saves the prompt, shares the conversation, runs a three-column temperature
comparison. Every page is then shot at 1440 x 900 in light and dark mode and at 390 x 844
(a phone), into OUT as NAME-light.png, NAME-dark.png and NAME-phone.png.

    .venv/bin/python scripts/screenshots.py [--out screenshots] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

DAPHNE = [sys.executable, "-m", "daphne", "-b", "127.0.0.1"]
ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 90  # seconds: a loaded machine imports Django slowly
USERNAME = "ada"
PASSWORD = "a long screenshot password 42"
# Quick, so the script is too; the simulator's own pace otherwise.
QUICK = "[[sim:tps=400,reasoning=60,words=90]]"
VARIANTS = {
    "light": {"viewport": {"width": 1440, "height": 900}, "color_scheme": "light"},
    "dark": {"viewport": {"width": 1440, "height": 900}, "color_scheme": "dark"},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "color_scheme": "light",
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


@dataclass
class Shot:
    name: str
    path: str  # filled in once the content exists
    signed_in: bool = True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def app(tmp: Path) -> Iterator[str]:
    """The app on a free port, as `make run` serves it; its base URL."""
    env = {
        **os.environ,
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp / 'screenshots.sqlite3'}",
        "MEDIA_ROOT": str(tmp / "media"),
        "PLAYGROUND_API_BASE": "",  # the built-in simulator
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)  # one process needs no Redis
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = free_port()
    log = tmp / "daphne.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*DAPHNE, "-p", str(port), "playground.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_listening(process, port, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_listening(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited at start:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)  # a port that is not listening yet: nothing to await
    raise RuntimeError(f"the app did not listen within {START_TIMEOUT} s")


def chromium() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        raise SystemExit("Chromium is missing: `make chromium` installs Debian's.")
    return path


# -- the content, made as a person makes it ---------------------------------------------


def _answered(page: Page, prompt: str) -> None:
    box = page.get_by_label("Message")
    box.fill(prompt)
    box.press("Control+Enter")
    expect(page.locator("article.message.assistant").last).to_have_attribute(
        "data-status", "complete", timeout=60_000
    )


# Each page's name, and what must be made before it shows something: a page of the
# conversation needs the answered conversation, the prompt page a saved prompt, and so on.
LOGGED_OUT = {"login", "shared"}  # shot in a browser that is not signed in
PAGES = {
    "login": (),
    "playground": (),
    "conversation": ("conversation",),
    "history": ("conversation",),
    "prompts": ("conversation", "prompt"),
    "prompt": ("conversation", "prompt"),
    "compare-new": (),
    "comparisons": ("comparison",),
    "comparison": ("comparison",),
    "shares": ("conversation", "share"),
    "shared": ("conversation", "share"),
    "providers": (),
    "evaluation": ("evaluation",),
    "evaluation-run": ("evaluation",),
}


def make_content(page: Page, base: str, names: list[str]) -> dict[str, str]:
    """Signs up and makes what the named pages show; their paths."""
    needed = {need for name in names for need in PAGES[name]}
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/c/\d+/$"))
    paths = {
        "login": "/accounts/login/",
        "playground": urlpath(page.url),  # used just below, if a page needs the conversation
        "history": "/c/",
        "prompts": "/prompts/",
        "compare-new": "/compare/",
        "comparisons": "/compare/list/",
        "shares": "/shares/",
        "providers": "/providers/",
    }
    if "conversation" in needed:
        expect(page.locator("[data-connection]")).to_have_text("Live")
        _answered(page, f"Why do tides happen twice a day? {QUICK}")
        _answered(page, f"Show me code that predicts the next high tide. {QUICK}")
        paths["conversation"] = conversation = urlpath(page.url)
        # A new, empty playground, as "New conversation" opens one.
        page.get_by_role("button", name="New conversation").first.click()
        expect(page).not_to_have_url(re.compile(re.escape(conversation) + "$"))
        paths["playground"] = urlpath(page.url)
    if "prompt" in needed:
        page.goto(f"{base}{paths['conversation']}save-prompt/")
        page.get_by_label("Name").fill("Tides explainer")
        page.get_by_role("button", name="Save prompt").click()
        expect(page.get_by_role("heading", name="Tides explainer")).to_be_visible()
        paths["prompt"] = urlpath(page.url)
    if "share" in needed:
        page.goto(f"{base}{paths['conversation']}share/")
        page.get_by_role("button", name="Create share link").click()
        paths["shared"] = urlpath(page.locator(".share-url").first.inner_text().strip())
    if "comparison" in needed:
        page.goto(f"{base}/compare/")
        page.get_by_label("Message 1", exact=True).fill(f"Explain why the sky is blue. {QUICK}")
        page.get_by_label("Sweep parameter", exact=True).select_option("temperature")
        page.get_by_label("Values", exact=True).fill("0.2, 0.8, 1.4")
        page.get_by_role("button", name="Generate columns").click()
        page.get_by_role("button", name="Run", exact=True).click()
        expect(page).to_have_url(re.compile(r"/compare/\d+/$"))
        for run in page.locator("article.compare-run").all():
            expect(run).to_have_attribute("data-status", "complete", timeout=60_000)
        paths["comparison"] = urlpath(page.url)
    if "evaluation" in needed:
        page.goto(f"{base}/evals/")
        page.get_by_label("Title").fill("Capitals")
        page.get_by_role("button", name="New evaluation").click()
        page.get_by_label("User message").fill(f"Which country is {{{{city}}}} in? {QUICK}")
        page.get_by_role("button", name="Save prompt").click()
        page.get_by_label("Or paste rows from a spreadsheet (header first)").fill(
            "city\texpected\tnote\nParis\tParis\tthe capital\nLyon\tLyon\t\nTurin\tItaly\tnorth"
        )
        page.get_by_role("button", name="Import").click()
        page.get_by_label("Check", exact=True).select_option(label="Contains")
        page.get_by_role("button", name="Add check").click()
        page.get_by_text("Add a check").click()
        page.get_by_label("Check", exact=True).select_option(label="Length in characters")
        page.get_by_label("Maximum (characters, reasoning tokens or seconds)").fill("300")
        page.get_by_role("button", name="Add check").click()
        page.get_by_label("Sweep 1: parameter").select_option("temperature")
        page.get_by_label("Sweep 1: values").fill("0.2, 1.5")
        page.get_by_role("button", name="Save settings").click()
        paths["evaluation"] = urlpath(page.url).split("#")[0]
        page.get_by_role("button", name="Run evaluation").click()
        expect(page.locator(".run-status")).to_contain_text("Done", timeout=60_000)
        paths["evaluation-run"] = urlpath(page.url)
    return {name: paths[name] for name in names}


def urlpath(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


# -- the shots --------------------------------------------------------------------------


def shoot(browser: Browser, base: str, pages: dict[str, str], out: Path) -> list[Path]:
    written: list[Path] = []
    for variant, options in VARIANTS.items():
        for signed_in in (True, False):
            context = browser.new_context(**options)
            page = context.new_page()
            if signed_in:
                sign_in(page, base)
            for name, path in pages.items():
                if (name in LOGGED_OUT) == signed_in:
                    continue
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                file = out / f"{name}-{variant}.png"
                page.screenshot(path=file, full_page=False)
                written.append(file)
            context.close()
    return written


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def run(out: Path, names: list[str], log: Callable[[str], None] = print) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, app(Path(tmp)) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            maker = browser.new_context(viewport={"width": 1440, "height": 900})
            page = maker.new_page()
            try:
                pages = make_content(page, base, names)
            except Exception:
                page.screenshot(path=out / "failed.png")
                raise
            maker.close()
            written = shoot(browser, base, pages, out)
        finally:
            browser.close()
    for file in written:
        log(str(file))
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument(
        "--only", nargs="+", choices=list(PAGES), default=list(PAGES), help="just these pages"
    )
    args = parser.parse_args()
    written = run(args.out, list(dict.fromkeys(args.only)))
    print(f"{len(written)} screenshots in {args.out}")


if __name__ == "__main__":
    main()
