"""Credentials never reach a log line: a logging filter that redacts them (issue 11).

uvicorn logs each websocket handshake with its full query string, and a worker's
bearer token travels there (`?token=eyJ...`, valid for hours); an exception's text can
quote a URL with a password. The filter rewrites every record that passes a handler,
whatever logger it came from, so no module has to remember to be careful.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
_PATTERNS = [
    # query parameters and form fields named like a credential
    re.compile(
        r"(?i)(\b(?:token|access_token|auth_?token|password|secret|secret_key|signature)=)"
        r"[^&\s\"']+"
    ),
    # Authorization headers
    re.compile(r"(?i)(\bauthorization['\"]?\s*[:=]\s*['\"]?(?:basic|bearer)\s+)[^\s'\"]+"),
    # JSON / repr style: "auth_token": "..."
    re.compile(
        r"(?i)(['\"](?:token|access_token|auth_?token|password|secret|secret_key)['\"]\s*:\s*['\"])"
        r"[^'\"]+"
    ),
    # the password of a URL: scheme://user:password@host
    re.compile(r"(\b[a-z][\w+.-]*://[^:/@\s]+:)[^@\s/]+(?=@)"),
]
_JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]+")


def redact(text: str) -> str:
    """`text` with every credential it quotes replaced by a marker."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda found: found.group(1) + REDACTED, text)
    return _JWT.sub(REDACTED, text)


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactingFilter(logging.Filter):
    """Rewrites the message, its arguments and any traceback text; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, Mapping):
            record.args = {key: _redact_value(arg) for key, arg in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


APP_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def logging_config(level: str) -> dict[str, Any]:
    """uvicorn's logging configuration with the redacting filter on every handler, and the
    application's loggers (the root) logging through the same filtered stream."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": RedactingFilter}}
    config["formatters"]["app"] = {"format": APP_FORMAT}
    config["handlers"]["app"] = {
        "formatter": "app",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["root"] = {"handlers": ["app"], "level": level.upper()}
    return config


def install(level: str) -> None:
    """Configure logging now (for commands that run before or without uvicorn)."""
    import logging.config

    logging.config.dictConfig(logging_config(level))
