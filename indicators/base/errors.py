"""Error types of the project; the CLI turns each into an exit code and a bilingual message."""

from __future__ import annotations

EXIT_DATA = 1  # data problems: a rejected file, a failed catalogue check
EXIT_USAGE = 2  # usage or configuration error
EXIT_INTERNAL = 70  # EX_SOFTWARE: an unexpected internal error (a bug); the traceback is in the log, not on screen
EXIT_IO = 74  # EX_IOERR: a file or folder could not be read or written (permissions, disk full)
EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the lock; try again later


class DemError(Exception):
    """Base class: carries a Chinese and an English message and the exit code the CLI should use."""

    exit_code = EXIT_DATA

    def __init__(self, message_zh: str, message_en: str | None = None):
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        super().__init__(f"{message_zh} | {self.message_en}" if message_en else message_zh)


class ConfigError(DemError):
    """The configuration in config/ is broken (unknown article, formula cycle, …)."""

    exit_code = EXIT_USAGE

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        text = "\n".join(self.problems)
        super().__init__(f"配置错误：\n{text}", f"configuration error:\n{text}")


class UsageError(DemError):
    exit_code = EXIT_USAGE


class DataError(DemError):
    exit_code = EXIT_DATA


class BusyError(DemError):
    exit_code = EXIT_BUSY


class StorageError(DemError):
    """A file or folder the system needs could not be read or written (permissions, disk full, read-only)."""

    exit_code = EXIT_IO
