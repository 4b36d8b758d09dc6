"""gzip for JSON answers when the client accepts it: a phone's first pull of a whole school is a few MB
of repetitive JSON that compresses about tenfold, and school networks are slow. HTTP plumbing only; the
domain never sees it (a reverse proxy that compresses itself simply finds the answer already encoded)."""
from __future__ import annotations

import gzip

from flask import Flask, Response, request

# Below this a compressed body saves less than the headers and the CPU cost.
MIN_BYTES = 1024
# Level 6 (zlib's default) gets within a few percent of 9 at half the time on pull pages.
LEVEL = 6


def _worth_compressing(response: Response) -> bool:
    return (not response.direct_passthrough and not response.is_streamed
            and "Content-Encoding" not in response.headers and (response.content_length or 0) >= MIN_BYTES)


def gzip_json(response: Response) -> Response:
    """Compress a buffered JSON answer for a client that sent `Accept-Encoding: gzip`."""
    if response.mimetype != "application/json":
        return response
    response.vary.add("Accept-Encoding")  # caches must not hand the gzip body to a client without gzip
    if request.accept_encodings["gzip"] <= 0 or not _worth_compressing(response):
        return response
    response.set_data(gzip.compress(response.get_data(), compresslevel=LEVEL, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app: Flask) -> None:
    app.after_request(gzip_json)
