"""Read a request's body within bounds: a size limit checked while the body streams in (a chunked body has no
Content-Length to check first) and a deadline for the whole body, so neither a large nor a slow sender can make the
receiver hold more than `limit` bytes or wait without end."""

from __future__ import annotations

import asyncio

from starlette.requests import Request


class BodyTooLarge(Exception):
    """The body is (or says it will be) larger than the limit; the rest of it is never read."""


class BodyTooSlow(Exception):
    """The body did not arrive whole within the deadline."""


async def read_bounded(request: Request, *, limit: int, timeout: float) -> bytes:
    """The request's body, read chunk by chunk; raises BodyTooLarge as soon as it passes `limit` bytes and
    BodyTooSlow when it has not arrived whole within `timeout` seconds."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    body = bytearray()
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise BodyTooLarge
    except TimeoutError:
        raise BodyTooSlow from None
    return bytes(body)
