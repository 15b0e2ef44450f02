"""Request URLs must be UTF-8 once percent-decoded.

ASGI servers decode the path and query leniently, an invalid byte (`%FF`, or `%ED%A0%80`, a lone surrogate as
UTF-8 cannot encode it) becoming U+FFFD: a malformed identifier would then be looked up as another one and answered
"not found". A pure ASGI middleware, like `RequestLog`, refusing such a URL before any route sees it.
"""

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.errors import ApiError, error_response


def _utf8(encoded: bytes) -> bool:
    try:
        unquote_to_bytes(encoded.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class Utf8Urls:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for part, encoded in (("path", scope.get("raw_path") or b""), ("query", scope.get("query_string", b""))):
                if not _utf8(encoded):
                    error = ApiError(400, "validation_error", f"the URL's {part} is not valid UTF-8 once "
                                                              "percent-decoded (e.g. %FF, or a lone surrogate)")
                    await error_response(error)(scope, receive, send)
                    return
        await self.app(scope, receive, send)
