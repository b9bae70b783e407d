"""`rnnviz serve` in a real browser: headless Chromium driven through the system chromedriver.

The test starts the server on a free loopback port, opens the page, waits for the viewer, steps the
cursor and opens the help; then opens and closes 20 tabs and checks that every tab's app process
ended, that the server survived bad requests, and that its memory did not grow. Figures (page
ready, key latency, memory) are printed, never asserted as times.

textual-serve draws with xterm.js on a canvas (WebGL or 2D), so no text reaches the DOM. The test
reads the screen from xterm's own buffer API instead: a script installed before the page's own
catches the `Terminal` object when textual.js stores it (`this.terminal = new Terminal(...)`).

Only loopback addresses are used; Chromium's resolver refuses every other host (the page asks a
font host for Roboto Mono, which it also ships), so the test never touches the network.
Everything is bounded by timeouts and an alarm, so it cannot hang CI.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    pytest.skip(
        "chromium or chromedriver not found, even after .ci/run's install step "
        "(apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )
pytest.importorskip("textual_serve", reason="textual-serve is in the test extra: pip install '.[test]'")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is in the test extra")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

WHOLE_TEST_SECONDS = 150  # the alarm: far above the ~30 s it takes, far below CI's limit
TABS = 20
TAB_BATCH = 5
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
    # Every host name fails to resolve except loopback: the page cannot reach out.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
)
# Runs in every new document before textual.js: keeps each xterm Terminal textual.js creates.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  get() { return undefined; },
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer) { window.__rnnvizTerminal = value; }
  },
});
"""
CONNECTED = "return document.body.classList.contains('-loaded')"  # textual.js: the websocket opened
SCREEN_TEXT = """
const term = window.__rnnvizTerminal;
if (!term) { return null; }
const buffer = term.buffer.active, rows = [];
for (let y = 0; y < term.rows; y++) {
  const line = buffer.getLine(buffer.viewportY + y);
  rows.push(line ? line.translateToString(true) : "");
}
return rows.join("\\n");
"""


class Alarm(Exception):
    pass


@contextlib.contextmanager
def alarm(seconds: int) -> Iterator[None]:
    """Raise in the test's thread after `seconds`, whatever call it is blocked in."""

    def ring(signum: int, frame: object) -> None:
        raise Alarm(f"the browser test took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], object], seconds: float, what: str, step: float = 0.05) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(step)
    raise AssertionError(f"waited {seconds} s for {what}")


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


def app_processes(server_pid: int) -> list[int]:
    """The server's descendants running the viewer (`python -m rnnviz lstm ...`, not `serve`)."""
    found = []
    for pid, cmdline in descendants(server_pid):
        words = cmdline.split()
        # The shell textual-serve starts the command with may stay as the app's parent: count the app.
        if words and not words[0].endswith("sh") and "rnnviz" in words and "serve" not in words:
            found.append(pid)
    return found


def descendants(root: int) -> list[tuple[int, str]]:
    try:
        import psutil
    except ImportError:
        return _descendants_from_proc(root)
    try:
        children = psutil.Process(root).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    out = []
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.ZombieProcess):
            if child.status() != psutil.STATUS_ZOMBIE:
                out.append((child.pid, " ".join(child.cmdline())))
    return out


def _descendants_from_proc(root: int) -> list[tuple[int, str]]:
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if fields[0] == "Z":
                continue
            parents[int(entry.name)] = int(fields[1])
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    found, frontier = [], {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier}
        found.extend((pid, commands[pid]) for pid in frontier)
    return found


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_loopback_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "rnnviz", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the cleanup can end the server's whole group, and only it
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for(lambda: process.poll() is not None or http_status(url) == 200, 30, "the server to listen")
        assert process.poll() is None, (tmp_path / "serve.log").read_text()
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        log.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.set_page_load_timeout(20)
        driver.set_script_timeout(10)
        catch_terminal(driver)
        yield driver
    finally:
        driver.quit()


def catch_terminal(driver: webdriver.Chrome) -> None:
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_TERMINAL})


def screen(driver: webdriver.Chrome) -> str:
    """The terminal's text, the cursor word's brackets left out (the viewer marks it `[word]`)."""
    text = driver.execute_script(SCREEN_TEXT) or ""
    return text.replace("[", "").replace("]", "")


def showing(driver: webdriver.Chrome, *needles: str) -> Callable[[], bool]:
    return lambda: all(needle in screen(driver) for needle in needles)


def press(driver: webdriver.Chrome, key: str) -> None:
    driver.switch_to.active_element.send_keys(key)


def test_the_viewer_in_a_browser(
    server: tuple[str, subprocess.Popen[bytes]], browser: webdriver.Chrome, tmp_path: Path
) -> None:
    url, process = server
    with alarm(WHOLE_TEST_SECONDS):
        started = time.perf_counter()
        browser.get(url)
        sentence = "the cat sat on the mat because it was tired and it meowed ."
        wait_for(showing(browser, sentence, "word 1 of 14"), 30, "the viewer to show the cat sentence")
        page_ready = time.perf_counter() - started
        browser.execute_script("document.querySelector('.xterm-helper-textarea').focus()")

        latencies = []
        for word in (2, 3, 4):
            pressed = time.perf_counter()
            press(browser, Keys.ARROW_RIGHT)
            wait_for(showing(browser, f"word {word} of 14"), 10, f"the cursor to reach word {word}", 0.005)
            latencies.append(time.perf_counter() - pressed)
        moved = screen(browser)
        assert sentence in moved and "word 4 of 14" in moved
        assert "gates at “on”" in moved  # the panels follow the cursor to the 4th word
        shot = tmp_path / "browser.png"
        browser.save_screenshot(str(shot))
        press(browser, "?")
        wait_for(showing(browser, "escape closes"), 10, "the help screen")
        assert "leave rnnviz" in screen(browser)  # the help lists the keys (it covers the sentence)

        browser.save_screenshot(str(tmp_path / "browser-help.png"))
        print(f"\nscreenshots: {shot} (the viewer at the 4th word), {tmp_path / 'browser-help.png'}")
        print(f"page ready (page load to the sentence on screen): {page_ready:.2f} s")
        print("key → screen latency: " + ", ".join(f"{t * 1000:.0f} ms" for t in latencies))

        check_bad_requests_leave_the_server_up(browser, url, process)
        check_tabs_end_their_processes(browser, url, process)


def check_bad_requests_leave_the_server_up(
    browser: webdriver.Chrome, url: str, process: subprocess.Popen[bytes]
) -> None:
    """Garbage over HTTP and over the websocket ends that request or session, never the server."""
    host, port = url.removeprefix("http://").rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"\x00\xff NOT HTTP \r\n\r\n")
        with contextlib.suppress(OSError):
            raw.recv(1024)
    assert http_status(url + "download/no-such-key") == 404
    http_status(url + "ws")  # a websocket URL without the upgrade: textual-serve drops the connection
    for junk in ("not json", '{"a": 1}', '["resize", {}]', '["stdin"]'):
        browser.execute_script(
            "const ws = new WebSocket(arguments[0]); ws.onopen = () => ws.send(arguments[1]);",
            url.replace("http", "ws") + "ws",
            junk,
        )
    time.sleep(1)
    assert process.poll() is None, "a bad request took the server down"
    assert http_status(url) == 200
    # The page's own tab stays open: its process alone remains.
    wait_for(lambda: len(app_processes(process.pid)) == 1, 20, "the bad sessions' processes to end")


def check_tabs_end_their_processes(
    browser: webdriver.Chrome, url: str, process: subprocess.Popen[bytes]
) -> None:
    """Tabs open in batches (their processes start side by side) and close: each takes its process along."""
    first = browser.current_window_handle
    baseline = rss_bytes(process.pid)
    for batch in range(TABS // TAB_BATCH):
        opened = []
        for k in range(TAB_BATCH):
            browser.switch_to.new_window("tab")
            catch_terminal(browser)  # the script is installed per tab
            browser.get(url)
            opened.append(browser.current_window_handle)
            if k == 0:  # one tab a batch waits for the viewer; the others close while their app starts
                wait_for(showing(browser, "word 1 of 14"), 30, f"the viewer in batch {batch}")
            else:
                wait_for(lambda: browser.execute_script(CONNECTED), 10, "the tab's websocket")
        for handle in opened:
            browser.switch_to.window(handle)
            browser.close()
        browser.switch_to.window(first)
    assert process.poll() is None, "the server died while tabs opened and closed"
    assert http_status(url) == 200
    # The first tab is still open: exactly its process remains.
    wait_for(lambda: len(app_processes(process.pid)) == 1, 30, "the closed tabs' processes to end")
    browser.switch_to.new_window("tab")
    browser.switch_to.window(first)
    browser.close()  # the first tab, whose app has the help screen open
    wait_for(lambda: not app_processes(process.pid), 20, "the first tab's process to end")
    after = rss_bytes(process.pid)
    growth = after / baseline - 1
    print(
        f"server memory: {baseline / 2**20:.1f} MiB before {TABS} tabs, {after / 2**20:.1f} MiB after "
        f"({growth:+.1%})"
    )
    assert growth < 0.10, f"the server grew {growth:.1%} over {TABS} tabs"
