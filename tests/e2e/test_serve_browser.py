"""`tui-trainer serve` in a real browser: headless Chromium, driven over its DevTools protocol, loads the page,
gets the app's first frame, types a key the app obeys, and quits the app (its run stopped, resumable) by
closing the tab. Every wait is for a condition, with limits that only guard against a hang."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.helpers import wait_for
from tui_trainer.core.runs import open_resumable
from tui_trainer.core.runs.lock import is_locked
from tui_trainer.core.spec.experiment import with_setting
from tui_trainer.core.spec.presets import load_preset, save_user_preset

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytest.importorskip("textual_serve", reason="the serve extra (textual-serve) is not installed")
aiohttp = pytest.importorskip("aiohttp", reason="textual-serve's aiohttp is not installed")
pytestmark = [
    pytest.mark.process,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (apt-get install chromium)"),
    pytest.mark.skipif(os.name != "posix", reason="serve's signals and process handling are tested on POSIX"),
]

ANSI = re.compile(r"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
SCREENSHOT = Path(__file__).resolve().parents[2] / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """`tui-trainer serve` on a free loopback port, its output kept in a file."""

    def __init__(self, tmp_path: Path, *options: str) -> None:
        self.port = free_port()
        self.runs = tmp_path / "runs"
        self.log = tmp_path / "serve.log"
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TEXTUAL_DRIVER")}
        env["PYTHONPATH"] = os.pathsep.join(sys.path)
        command = [sys.executable, "-m", "tui_trainer", "serve", "--port", str(self.port), "--runs-dir", str(self.runs)]
        self.proc = subprocess.Popen(
            [*command, *options],
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            env=env,
            start_new_session=True,
        )
        wait_for(self.listening, timeout=60, what="serve listening")

    def listening(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def run_dir(self) -> Path | None:
        dirs = [d for d in self.runs.glob("*") if d.is_dir()] if self.runs.is_dir() else []
        return dirs[0] if dirs else None

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class Page:
    """One Chromium tab over the DevTools protocol; keeps the text of every websocket frame it received."""

    def __init__(self, ws, http) -> None:
        self.ws, self.http = ws, http
        self.frames: list[str] = []
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            doc = json.loads(message.data)
            if "id" in doc:
                self._pending.pop(doc["id"]).set_result(doc)
            elif doc.get("method") == "Network.webSocketFrameReceived":
                response = doc["params"]["response"]
                data = response["payloadData"]
                if response["opcode"] != 1:  # binary frames arrive base64-encoded
                    data = base64.b64decode(data).decode("utf-8", "replace")
                self.frames.append(data)

    async def send(self, method: str, **params) -> dict:
        i = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[i] = future
        await self.ws.send_json({"id": i, "method": method, "params": params})
        doc = await asyncio.wait_for(future, 60)
        assert "error" not in doc, doc
        return doc.get("result", {})

    def screen_text(self, since: int = 0) -> str:
        """What the app wrote to the terminal since frame `since`, escape sequences removed."""
        return ANSI.sub("", "".join(self.frames[since:]))

    async def until(self, condition, timeout: float = 90.0, what: str = "condition") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"{what} not reached within {timeout:.0f} s"
            await asyncio.sleep(0.05)

    async def press(self, key: str) -> None:
        """A key typed into the page's terminal (xterm.js's text area has the focus)."""
        await self.send("Runtime.evaluate", expression="document.querySelector('.xterm-helper-textarea').focus()")
        code = f"Digit{key}" if key.isdigit() else f"Key{key.upper()}"
        await self.send("Input.dispatchKeyEvent", type="keyDown", key=key, text=key, code=code)
        await self.send("Input.dispatchKeyEvent", type="keyUp", key=key, code=code)

    async def press_until(self, key: str, condition, what: str) -> None:
        """Type key until condition holds (a key typed while the app still starts up may be dropped)."""
        for _ in range(60):
            await self.press(key)
            try:
                await self.until(condition, timeout=2, what=what)
                return
            except AssertionError:
                continue
        raise AssertionError(f"{what}: not reached after typing {key!r} 60 times")

    async def screenshot(self, path: Path) -> None:
        shot = await self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))

    async def close(self) -> None:
        """Close the tab, as a user does."""
        await self.send("Page.close")
        self._reader.cancel()


class Chromium:
    """Headless Chromium with the DevTools protocol on a port it picks (DevToolsActivePort)."""

    def __init__(self, width: int = 1240, height: int = 800) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="chromium-"))
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        active = self.profile / "DevToolsActivePort"
        wait_for(lambda: active.exists() and active.read_text().count("\n") >= 1, timeout=60, what="chromium")
        self.port = int(active.read_text().split()[0])

    async def open(self, http, url: str) -> Page:
        async with http.put(f"http://127.0.0.1:{self.port}/json/new?about:blank") as response:
            target = await response.json()
        ws = await http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0)
        page = Page(ws, http)
        await page.send("Network.enable")
        await page.send("Page.enable")
        await page.send("Page.navigate", url=url)
        return page

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture
def chromium():
    browser = Chromium()
    yield browser
    browser.close()


@pytest.fixture
def long_preset(tmp_path, monkeypatch):
    """A preset "long" (the mlp for 10,000 epochs) in $TUI_TRAINER_PRESETS, which serve's apps inherit."""
    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(tmp_path / "presets"))
    save_user_preset(with_setting(load_preset("mlp"), "epochs=10000"), "long")


def summary_status(run_dir: Path) -> str:
    return json.loads((run_dir / "summary.json").read_text())["status"]


def epochs_logged(run_dir: Path) -> int:
    path = run_dir / "events.jsonl"
    return sum('"type":"EpochEnd"' in line for line in path.read_text().splitlines()) if path.exists() else 0


def test_the_app_in_a_browser_tab(tmp_path, chromium, long_preset):
    """The page loads, the first frame arrives with the Data tab, a key reaches the app, a screenshot is saved;
    closing the tab quits the app and its run ends "stopped", resumable; the server goes on serving."""
    serve = Serve(tmp_path, "--dataset", "digits28", "--preset", "long")
    try:
        asyncio.run(_drive(serve, chromium, tmp_path))
        assert serve.proc.poll() is None  # one tab closed: the server still serves
        log = serve.log.read_text()
        assert f"ssh -L {serve.port}:localhost:{serve.port}" in log
    finally:
        serve.close()
    assert serve.proc.returncode is not None


async def _drive(serve: Serve, chromium: Chromium, tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as http:
        page = await chromium.open(http, serve.url)
        await page.until(lambda: "Datasets: enter picks one" in page.screen_text(), what="the Data tab's first frame")
        body = await page.send("Runtime.evaluate", expression="document.body.className")
        assert "-first-byte" in body["result"]["value"]  # textual-serve's page saw the first byte
        text = page.screen_text()
        assert "1 Data" in text and "2 Model" in text and "digits28" in text

        seen = len(page.frames)
        await page.press_until("2", lambda: "Layers of long on digits28" in page.screen_text(seen), "the Model tab")
        await page.press("1")
        await page.until(lambda: "validation samples" in page.screen_text(seen), what="the Data tab's preview")
        shot = tmp_path / "browser.png"
        await page.screenshot(shot)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
        if os.environ.get("TUI_TRAINER_SCREENSHOTS"):  # `make screenshots`: the README's picture
            shutil.copy(shot, SCREENSHOT / "browser.png")

        await page.press_until("s", lambda: serve.run_dir() is not None, "a run started from the browser")
        run_dir = serve.run_dir()
        await page.until(lambda: epochs_logged(run_dir) >= 1, what="an epoch trained")
        await page.close()
    wait_for(lambda: not is_locked(run_dir), timeout=90, what="the run's trainer let go of it")
    assert summary_status(run_dir) == "stopped"
    resumable = open_resumable(run_dir)  # whole, resumable files
    assert resumable.state.epoch >= 1


def test_an_app_whose_server_dies_quits_and_stops_its_run(tmp_path, chromium, long_preset):
    """The server killed (no quit message): the app's input ends; it quits as on q, its run "stopped", resumable."""
    serve = Serve(tmp_path, "--dataset", "digits28", "--preset", "long")
    try:
        run_dir = asyncio.run(_start_a_run(serve, chromium))
        serve.proc.kill()  # the server alone: its app processes live on, their stdin at its end
        serve.proc.wait()
        wait_for(lambda: not is_locked(run_dir), timeout=90, what="the run's trainer let go of it")
        assert summary_status(run_dir) == "stopped"
        assert open_resumable(run_dir).state.epoch >= 1
    finally:
        serve.close()


async def _start_a_run(serve: Serve, chromium: Chromium) -> Path:
    async with aiohttp.ClientSession() as http:
        page = await chromium.open(http, serve.url)
        await page.until(lambda: "Datasets: enter picks one" in page.screen_text(), what="the Data tab's first frame")
        await page.press_until("s", lambda: serve.run_dir() is not None, "a run started from the browser")
        run_dir = serve.run_dir()
        await page.until(lambda: epochs_logged(run_dir) >= 1, what="an epoch trained")
        page._reader.cancel()
        return run_dir
