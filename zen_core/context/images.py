"""Images for vision models: paths (under the same rules as every file) or ``data:`` URLs, checked by content.

One path for every tool. An image must be a PNG, JPEG, GIF or WebP **by its bytes** (the extension is not
trusted: ``models.yaml`` renamed ``.png`` is refused), no larger than ``files.max_image_bytes``, and a path
must pass every file rule (allowed roots, never-readable paths, secrets). Blocking: call from a thread.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zen_core.context.files import RefusedPath, resolve_paths
from zen_core.context.policy import FilePolicy
from zen_core.errors import ToolError

#: MIME type by leading bytes (WebP: ``RIFF....WEBP``).
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_DATA_URL = re.compile(r"^data:(image/[a-z+.-]+);base64,([A-Za-z0-9+/=\s]+)$", re.DOTALL)
SUPPORTED = "PNG, JPEG, GIF or WebP"


@dataclass(frozen=True)
class Image:
    """One checked image, ready to send: where it came from, its type and its ``data:`` URL."""

    #: The path as given, or ``data URL #n`` for inline images.
    source: str
    mime: str
    size_bytes: int
    data_url: str
    #: True for a path (remembered in the conversation), False for an inline ``data:`` URL.
    is_path: bool

    def part(self) -> dict[str, Any]:
        """The chat-message content part for this image."""
        return {"type": "image_url", "image_url": {"url": self.data_url}}


def sniff_image(head: bytes) -> str | None:
    """The MIME type of image bytes by their signature (``None``: not a supported image)."""
    for signature, mime in _SIGNATURES:
        if head.startswith(signature):
            return mime
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def load_images(items: Sequence[str], policy: FilePolicy) -> list[Image]:
    """Check and encode ``items`` (paths or data URLs), in order. Raises :class:`ToolError` (code
    ``bad_image``, or ``path_refused`` naming each refused path) when any item is refused."""
    if len(items) > policy.max_images:
        raise ToolError(
            f"{len(items)} images given; at most {policy.max_images} are sent (files.max_images).", code="bad_image"
        )
    problems: list[str] = []
    refused: list[RefusedPath] = []
    found: dict[int, Image] = {}
    paths = [(i, item) for i, item in enumerate(items) if not item.startswith("data:")]
    for i, item in enumerate(items):
        if item.startswith("data:"):
            image, problem = _from_data_url(item, i + 1, policy.max_image_bytes)
            if image is not None:
                found[i] = image
            else:
                problems.append(f"- image {i + 1} (data URL): {problem}")
    if paths and not policy.enabled:
        raise ToolError(f"Images cannot be read: {policy.off_reason}.", code="file_access_off")
    for i, item in paths:  # one at a time: at most max_images, and each result maps to its request
        accepted, rejected = resolve_paths(
            [item],
            allowed_roots=policy.roots,
            denied=policy.denied,
            expand_dirs=False,
            skip_binary=False,
            max_file_bytes=policy.max_image_bytes,
        )
        refused += rejected
        if accepted:
            image, problem = _from_file(item, accepted[0])
            if image is not None:
                found[i] = image
            else:
                problems.append(f"- {item}: {problem}")
    problems += [f"- {r.path}: {r.reason}" for r in refused]
    if problems:
        raise ToolError(
            "Refused images (nothing was sent to the model):\n" + "\n".join(problems),
            code="path_refused" if refused else "bad_image",
            details={"refused": [r.as_dict() for r in refused], "problems": problems},
        )
    return [found[i] for i in sorted(found)]


def _from_file(shown: str, real: Path) -> tuple[Image | None, str]:
    data = real.read_bytes()
    mime = sniff_image(data[:16])
    if mime is None:
        return None, f"not an image ({SUPPORTED} by content; the file name does not count)"
    return Image(shown, mime, len(data), _encode(mime, data), is_path=True), ""


def _from_data_url(url: str, number: int, max_bytes: int) -> tuple[Image | None, str]:
    match = _DATA_URL.match(url)
    if match is None:
        return None, f"not a base64 image data URL (data:image/png;base64,...; {SUPPORTED})"
    try:
        data = base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        return None, "the base64 data is malformed"
    if len(data) > max_bytes:
        return None, f"too large ({len(data):,} bytes; the limit is {max_bytes:,}, files.max_image_bytes)"
    mime = sniff_image(data[:16])
    if mime is None:
        return None, f"the data is not an image ({SUPPORTED})"
    return Image(f"data URL #{number}", mime, len(data), _encode(mime, data), is_path=False), ""


def _encode(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
