"""What an identifier may be: the rule ingest applies to the ids it stores and the Profile API to the ids it looks
up, so that a lookup of an id no profile can have is told why, rather than answered "not found"."""

import re

# Ids become index keys and parts of derived ids: long or control-character ids are mistakes, never people.
MAX_ID_LENGTH = 512
# Also refused in definition names, which are shown and referred to like ids.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def id_problem(value: str) -> str | None:
    """Why `value` cannot be an identifier (a userId, anonymousId, email, messageId, ...), as the end of a sentence
    that starts with its name; None when it can."""
    if len(value) > MAX_ID_LENGTH:
        return f"may be at most {MAX_ID_LENGTH} characters, not {len(value)}"
    if CONTROL_CHARACTERS.search(value):
        return "must not hold control characters"
    return None
