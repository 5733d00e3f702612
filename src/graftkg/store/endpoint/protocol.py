"""The frames a server and its query workers exchange over the worker's standard input and output.

A frame is a JSON header (4-byte big-endian length, then UTF-8 JSON) and a body (8-byte length,
then bytes). A request's header names the operation and its arguments; a reply's header carries the
HTTP status, the content type and, on a refusal, a one-line message.
"""

from __future__ import annotations

import json
import struct
from typing import IO, Any

_HEAD = struct.Struct(">I")
_BODY = struct.Struct(">Q")
MAX_HEADER = 1 << 24


class Closed(Exception):
    """The other side closed the pipe (or died) before a whole frame arrived."""


def write_frame(stream: IO[bytes], header: dict[str, Any], body: bytes = b"") -> None:
    """Write one frame and flush it.

    Example:
        >>> import io
        >>> buffer = io.BytesIO()
        >>> write_frame(buffer, {"op": "ping"}, b"x")
        >>> _ = buffer.seek(0)
        >>> read_frame(buffer)
        ({'op': 'ping'}, b'x')
    """
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    stream.write(_HEAD.pack(len(encoded)) + encoded + _BODY.pack(len(body)))
    if body:
        stream.write(body)
    stream.flush()


def _exactly(stream: IO[bytes], size: int) -> bytes:
    parts: list[bytes] = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise Closed("the pipe closed mid-frame")
        parts.append(chunk)
        size -= len(chunk)
    return b"".join(parts)


def read_frame(stream: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    """Read one frame; :class:`Closed` if the stream ends first.

    Example:
        >>> import io
        >>> read_frame(io.BytesIO(b""))
        Traceback (most recent call last):
        graftkg.store.endpoint.protocol.Closed: the pipe closed mid-frame
    """
    (size,) = _HEAD.unpack(_exactly(stream, _HEAD.size))
    if size > MAX_HEADER:
        raise Closed(f"a frame header of {size} bytes")
    header = json.loads(_exactly(stream, size))
    if not isinstance(header, dict):
        raise Closed("a frame header that is not an object")
    (length,) = _BODY.unpack(_exactly(stream, _BODY.size))
    return header, _exactly(stream, length) if length else b""


__all__ = ["Closed", "read_frame", "write_frame"]
