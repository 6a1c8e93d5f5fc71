"""The app's terminal driver: Textual's own, made to survive a terminal that hangs up (an SSH connection dropped).

When the terminal goes away, writes to it fail (EIO). Textual writes from a thread of its own through a
bounded queue; the failing write kills that thread, the queue fills, and the app then blocks forever on
its next write (its exit included), holding its training run with it. Here the writes that fail go
nowhere instead, so the app can restore nothing, exit and leave the run to train on (see
TrainerApp.on_exit_signal).
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
    """Textual's Linux/macOS driver with its output made hang-up proof; any other driver (Windows, the
    browser's, a headless one) as it is."""
    try:
        from textual.drivers.linux_driver import LinuxDriver
    except ImportError:  # Windows
        return driver
    if driver is not LinuxDriver:
        return driver

    class HangUpProofDriver(LinuxDriver):
        """LinuxDriver writing through a HangUpProofFile."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._file = HangUpProofFile(self._file)

    return HangUpProofDriver
