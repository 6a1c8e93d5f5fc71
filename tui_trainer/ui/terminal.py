"""The app's terminal driver: Textual's own, made to survive a terminal that hangs up (an SSH connection dropped).

When the terminal goes away, writes to it fail (EIO). Textual writes from a thread of its own through a
bounded queue; the failing write kills that thread, the queue fills, and the app then blocks forever on
its next write (its exit included), holding its training run with it. Here the writes that fail go
nowhere instead, so the app can restore nothing, exit and leave the run to train on (see
TrainerApp.on_exit_signal). The SIGCONT that follows a hang-up no longer restarts application mode.
"""

from __future__ import annotations

from typing import IO, Any

from textual.driver import Driver


class HangUpProofFile:
    """A text file whose write and flush do nothing once one failed (the terminal hung up)."""

    def __init__(self, file: IO[str]) -> None:
        self._file = file
        self.hung_up = False
        """True once a write or flush failed: nothing more is written."""

    def write(self, text: str) -> int:
        """Write text, unless the terminal is gone."""
        if not self.hung_up:
            try:
                return self._file.write(text)
            except OSError:
                self.hung_up = True
        return len(text)

    def flush(self) -> None:
        """Flush, unless the terminal is gone."""
        if not self.hung_up:
            try:
                self._file.flush()
            except OSError:
                self.hung_up = True

    def fileno(self) -> int:
        """The terminal's file descriptor (for termios and the terminal size)."""
        return self._file.fileno()

    def isatty(self) -> bool:
        """Whether the file is a terminal."""
        return self._file.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def hang_up_proof(driver: type[Driver]) -> type[Driver]:
    """Textual's Linux/macOS driver with its output made hang-up proof, the browser's (textual-serve) made to
    quit when its server goes away; any other driver (Windows, a headless one) as it is."""
    from textual.drivers.web_driver import WebDriver

    if driver is WebDriver:
        return server_gone_proof_web_driver()
    try:
        from textual.drivers.linux_driver import LinuxDriver
    except ImportError:  # Windows
        return driver
    if driver is not LinuxDriver:
        return driver

    class HangUpProofDriver(LinuxDriver):
        """LinuxDriver writing through a HangUpProofFile, resuming only from its own suspension."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._file = HangUpProofFile(self._file)
            self.stopped_by_sigtstp = False
            """True from ctrl+z (SIGTSTP) to the SIGCONT that resumes the app (`fg`)."""

        def _sigtstp_application(self, *args: Any) -> None:
            self.stopped_by_sigtstp = True
            super()._sigtstp_application(*args)

        def _sigcont_application(self, *args: Any) -> None:
            """SIGCONT after ctrl+z: resume application mode. Any other SIGCONT does nothing. The kernel sends one
            after every hang-up: when it came after `q` had left application mode, Textual's handler started it
            again, and the new input thread, spinning on the dead terminal, kept the exiting app alive for good."""
            if self.stopped_by_sigtstp:
                self.stopped_by_sigtstp = False
                super()._sigcont_application(*args)

    return HangUpProofDriver


def server_gone_proof_web_driver() -> type[Driver]:
    """Textual's web driver (the app in a browser tab, `tui-trainer serve`), quitting the app when its server
    goes away.

    A closed tab is textual-serve's "quit" message (the app exits as on q: its run stops, resumable). But when
    the server itself dies (killed), the app's stdin ends and its stdout is a broken pipe: Textual's driver would
    leave the app running with no input, and raise at its next write. Here the end of input, or a write that
    fails, quits the app the same way, and later writes do nothing."""
    from textual import messages
    from textual.drivers.web_driver import WebDriver

    class ServerGoneProofWebDriver(WebDriver):
        """WebDriver that quits the app once its server is gone."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.server_gone = False
            """True once the server went away (input ended, or a write failed): nothing more is written."""
            write = self._write

            def write_unless_gone(data: bytes) -> None:
                if self.server_gone:
                    return
                try:
                    write(data)
                except OSError:
                    self._server_went_away()

            self._write = write_unless_gone

        def run_input_thread(self) -> None:
            super().run_input_thread()
            if not self.exit_event.is_set():  # the input ended while the app was running: the server is gone
                self._server_went_away()

        def _server_went_away(self) -> None:
            if not self.server_gone:
                self.server_gone = True
                self._app.post_message(messages.ExitApp())

    return ServerGoneProofWebDriver
