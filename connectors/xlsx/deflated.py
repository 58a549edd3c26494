"""A zip member compressed while it is written, so a rewritten sheet is never whole in memory as text.

A worksheet is rewritten in one pass, but its head (the ``dimension`` element, before the
rows) is only known once every row went by. So the text comes in three pieces: the head,
the rows (compressed as they stream), and the tail. Each piece is raw deflate ending on a
byte boundary, and the deflate format lets such streams follow one another; their CRC-32s
combine into the member's (as zlib's ``crc32_combine``, which Python does not expose). The
package writes the pieces into the zip as they are (see :meth:`.package.Package.save`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

#: Text gathered before it is compressed: large enough that compressing costs what it would in one go.
_FLUSH_AT = 1 << 20


class Deflater:
    """Text compressed as it is written, with the CRC-32 and length of what was written."""

    def __init__(self) -> None:
        self._z = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
        self._pending: list[str] = []
        self._pending_chars = 0
        self.chunks: list[bytes] = []
        self.crc = 0
        self.size = 0

    def write(self, text: str) -> None:
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._pending_chars >= _FLUSH_AT:
            self._compress()

    def finish(self, last: bool) -> Deflater:
        """End the piece: on a byte boundary so another can follow, or as the member's last."""
        self._compress()
        self.chunks.append(self._z.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH))
        return self

    def _compress(self) -> None:
        if not self._pending:
            return
        data = "".join(self._pending).encode("utf-8")
        self._pending, self._pending_chars = [], 0
        self.crc = zlib.crc32(data, self.crc)
        self.size += len(data)
        out = self._z.compress(data)
        if out:
            self.chunks.append(out)


@dataclass(frozen=True)
class DeflatedPart:
    """A member's raw deflate data, with the CRC-32 and length of its content."""

    chunks: tuple[bytes, ...]
    crc: int
    size: int

    @classmethod
    def join(cls, pieces: list[Deflater]) -> DeflatedPart:
        """The member whose content is the pieces' contents one after another (the last finished as last)."""
        crc, size = 0, 0
        for piece in pieces:
            crc = crc32_combine(crc, piece.crc, piece.size)
            size += piece.size
        return cls(tuple(c for piece in pieces for c in piece.chunks), crc, size)

    @property
    def compress_size(self) -> int:
        return sum(len(c) for c in self.chunks)

    def content(self) -> bytes:
        """The member's content, inflated (for the few readers of a part after it was rewritten)."""
        inflate = zlib.decompressobj(-15)
        return b"".join(inflate.decompress(c) for c in self.chunks) + inflate.flush()


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``A + B`` from ``crc32(A)``, ``crc32(B)`` and ``len(B)`` (zlib's ``crc32_combine``)."""
    if len2 == 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _square(odd)  # two zero bits
    odd = _square(even)  # four zero bits
    while True:  # apply len2 zero bytes to crc1, a bit of len2 at a time
        even = _square(odd)
        if len2 & 1:
            crc1 = _times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _square(even)
        if len2 & 1:
            crc1 = _times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def _times(matrix: list[int], vector: int) -> int:
    out, i = 0, 0
    while vector:
        if vector & 1:
            out ^= matrix[i]
        vector >>= 1
        i += 1
    return out


def _square(matrix: list[int]) -> list[int]:
    return [_times(matrix, matrix[n]) for n in range(32)]
