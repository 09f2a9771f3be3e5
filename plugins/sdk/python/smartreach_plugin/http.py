"""A small blocking HTTP client over `wasi:http`, which the host restricts to the manifest's
`allowed_outbound_hosts`; and `delivery_outcome`, the usual outcome of one HTTP delivery (the
Rust SDK's `http` module, by the same rules)."""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ._outcome import Outcome

#: How many characters of an error response's body go into the outcome's reason.
SNIPPET_CHARS = 200
#: Bytes written to an output stream per call (the `blocking-write-and-flush` limit).
_WRITE_CHUNK = 4096
#: Bytes asked for per read.
_READ_CHUNK = 64 * 1024


@dataclass
class Response:
    """An HTTP response; an error status (4xx, 5xx) is a response, not an `HttpError`."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        """The first header named `name` (any case)."""
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)

    def text(self) -> str:
        """The body as UTF-8 (invalid bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return _json.loads(self.body)

    def retry_after_ms(self) -> int | None:
        """The `Retry-After` delay in milliseconds, when the header holds a number of seconds."""
        value = (self.header("retry-after") or "").strip()
        return int(value) * 1000 if value.isdigit() else None


class HttpError(Exception):
    """Why a request got no response. `kind` is `invalid` (the URL or request), `denied` (not in
    the manifest's `allowed_outbound_hosts`), `timeout`, `too_large` or `transport`."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed: timeouts and transport errors."""
        return self.kind in ("timeout", "transport")


_DENIED = {"HttpRequestDenied", "DestinationIpProhibited"}
_TIMEOUT = {"DnsTimeout", "ConnectionTimeout", "ConnectionReadTimeout", "ConnectionWriteTimeout", "HttpResponseTimeout"}
_TOO_LARGE = {
    "HttpResponseBodySize", "HttpResponseHeaderSectionSize", "HttpResponseHeaderSize",
    "HttpResponseTrailerSectionSize", "HttpResponseTrailerSize",
}
_INVALID = {
    "HttpRequestMethodInvalid", "HttpRequestUriInvalid", "HttpRequestUriTooLong",
    "HttpRequestHeaderSectionSize", "HttpRequestHeaderSize", "HttpRequestBodySize",
    "HttpRequestLengthRequired",
}


def _error_from_code(code: object) -> HttpError:
    name = type(code).__name__.removeprefix("ErrorCode_")
    if name in _DENIED:
        return HttpError(
            "denied",
            "the host denied the request: its destination is not in the plugin manifest's allowed_outbound_hosts",
        )
    if name in _TIMEOUT:
        return HttpError("timeout", f"the request timed out ({name})")
    if name in _TOO_LARGE:
        return HttpError("too_large", f"the response is larger than the host allows ({name})")
    if name in _INVALID:
        return HttpError("invalid", f"invalid request: {name}")
    return HttpError("transport", f"HTTP transport error: {name}")


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    json: Any = None,
) -> Response:
    """Sends one request and reads the whole response; raises `HttpError` when there is none.
    `json=` serialises the value and sets `content-type: application/json`."""
    from wit_world.imports import outgoing_handler, streams
    from wit_world.imports import wasi_http_types as wasi

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HttpError("invalid", f"invalid URL `{url}`: not an absolute http:// or https:// URL")
    headers = dict(headers or {})
    if json is not None:
        body = _json.dumps(json, separators=(",", ":"))
        if not any(key.lower() == "content-type" for key in headers):
            headers["content-type"] = "application/json"
    data = body.encode() if isinstance(body, str) else (body or b"")
    if data and not any(key.lower() == "content-length" for key in headers):
        # A length, not chunked transfer: what most APIs expect of a small JSON body.
        headers["content-length"] = str(len(data))
    try:
        fields = wasi.Fields.from_list([(key.lower(), value.encode()) for key, value in headers.items()])
    except Exception as err:  # the host refuses forbidden or malformed headers
        raise HttpError("invalid", f"invalid request: header refused ({err})") from None
    outgoing = wasi.OutgoingRequest(fields)
    outgoing.set_method(_method(method.upper()))
    outgoing.set_scheme(wasi.Scheme_Https() if parts.scheme == "https" else wasi.Scheme_Http())
    outgoing.set_authority(parts.netloc)
    outgoing.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    outgoing_body = outgoing.body()
    with outgoing_body.write() as stream:
        for start in range(0, len(data), _WRITE_CHUNK):
            stream.blocking_write_and_flush(data[start : start + _WRITE_CHUNK])
    wasi.OutgoingBody.finish(outgoing_body, None)
    try:
        future = outgoing_handler.handle(outgoing, None)
    except Exception as err:
        raise _error_from_code(getattr(err, "value", err)) from None
    with future:
        with future.subscribe() as pollable:
            pollable.block()
        answer = future.get()
    if answer is None or not hasattr(answer, "value") or type(answer).__name__ == "Err":
        raise HttpError("transport", "HTTP transport error: the response was already taken")
    inner = answer.value
    if type(inner).__name__ == "Err":
        raise _error_from_code(inner.value)
    with inner.value as response:
        status = response.status()
        with response.headers() as response_headers:
            pairs = [(key, value.decode("latin-1")) for key, value in response_headers.entries()]
        incoming_body = response.consume()
        chunks = []
        with incoming_body.stream() as input_stream:
            while True:
                try:
                    chunks.append(input_stream.blocking_read(_READ_CHUNK))
                except Exception as err:
                    if type(getattr(err, "value", None)).__name__ == "StreamError_Closed":
                        break
                    raise HttpError("transport", f"HTTP transport error: reading the body failed ({err})") from None
        incoming_body.__exit__(None, None, None)
    return Response(status, pairs, b"".join(chunks))


def _method(name: str) -> object:
    from wit_world.imports import wasi_http_types as wasi

    known = {
        "GET": wasi.Method_Get, "HEAD": wasi.Method_Head, "POST": wasi.Method_Post,
        "PUT": wasi.Method_Put, "DELETE": wasi.Method_Delete, "PATCH": wasi.Method_Patch,
        "OPTIONS": wasi.Method_Options,
    }
    return known[name]() if name in known else wasi.Method_Other(name)


def delivery_outcome(result: Response | HttpError) -> Outcome:
    """The outcome of one HTTP delivery: 2xx done; 408, 429 and 5xx retry (after `Retry-After`
    when sent); other statuses failed with the status and the start of the body; timeouts and
    transport errors retry; a denied or invalid request, or a response too large, fails."""
    if isinstance(result, HttpError):
        return Outcome.retry(str(result)) if result.transient else Outcome.failed(str(result))
    if result.ok:
        return Outcome.DONE
    text = result.text().strip()
    snippet = text[:SNIPPET_CHARS] + "…" if len(text) > SNIPPET_CHARS else text
    reason = f"HTTP {result.status}: {snippet}"
    if result.status in (408, 429) or result.status >= 500:
        delay_ms = result.retry_after_ms()
        return Outcome.retry(reason) if delay_ms is None else Outcome.retry_after(reason, delay_ms)
    return Outcome.failed(reason)


def deliver(method: str, url: str, **kwargs: Any) -> Outcome:
    """`request(method, url, **kwargs)` and its `delivery_outcome`."""
    try:
        return delivery_outcome(request(method, url, **kwargs))
    except HttpError as err:
        return delivery_outcome(err)
