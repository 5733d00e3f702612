"""One HTTP request to a SPARQL server, with a refusal turned into a one-line error."""

from __future__ import annotations

import urllib.error
import urllib.request

from graftkg.errors import GraftkgError


def send(
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    error: type[GraftkgError] = GraftkgError,
    timeout: float = 3600,
) -> bytes:
    """Send one request and return the response body; an HTTP error or no answer raises ``error``.

    Example:
        >>> send("GET", "http://127.0.0.1:9/", None, {})
        Traceback (most recent call last):
        graftkg.errors.GraftkgError: http://127.0.0.1:9/: <urlopen error [Errno 111] Connection refused>
    """
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()  # type: ignore[no-any-return]
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip().splitlines()
        raise error(f"{url}: HTTP {exc.code}: {detail[0][:300] if detail else exc.reason}") from None
    except OSError as exc:
        raise error(f"{url}: {exc}") from None
