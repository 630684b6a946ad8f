"""Log lines a person can trust: one line per event, control characters escaped (a
parameter cannot forge a line), API keys masked, and a request the HTTP parser refused
named in one line instead of a traceback."""

from __future__ import annotations

import logging
import re

from ..core.protocol import mask_key, printable

__all__ = ["OneLineFormatter"]

_KEY = re.compile(r"(?<![A-Za-z])(key=)([^&\s'\"]+)")
_LONGEST = 300


def _masked(text: str) -> str:
    return _KEY.sub(lambda found: found[1] + mask_key(found[2]), text)


class OneLineFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        message = printable(_masked(record.getMessage()))
        exc_info, record.exc_info, record.exc_text = record.exc_info, None, None
        if exc_info is not None and exc_info[1] is not None:
            error = exc_info[1]
            if record.name.startswith("seeme_mock"):  # a bug of ours: the traceback helps
                return f"{self.formatTime(record)} {message}\n{self.formatException(exc_info)}"
            said = printable(_masked(str(error)))
            if len(said) > _LONGEST:
                said = said[:_LONGEST] + "..."
            message += f": {type(error).__name__}: {said}"
        return f"{self.formatTime(record)} {message}"
