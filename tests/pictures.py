"""Small real files for the attachment stories, made here (no image library needed)."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 48, height: int = 32, seed: int = 0) -> bytes:
    """A real RGB PNG (a reddish gradient: a swollen ankle, as far as tests care)."""
    rows = b"".join(b"\x00" + bytes(
        channel for x in range(width) for channel in (200, (x * 5 + seed) % 256, (y * 7) % 256))
        for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def jpeg_head(size: int = 2048) -> bytes:
    """Bytes that start as a JPEG (JFIF) does: what content sniffing reads."""
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return head + bytes(range(256)) * (size // 256) + b"\xff\xd9"


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!doctype html><html><script>alert('hi')</script></html>"
