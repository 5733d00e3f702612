"""Splitting a plain CSV text into rows without the csv module: speed only.

The CSV bundle's reader (:mod:`graftkg.readers.csv_bundle`) reads a file with the csv module, unless
its text is plain (:func:`plain_text`: no quotes, no line break but ``\\n`` or ``\\r\\n``): then each
line is one row and its cells are the text between commas, and :func:`split_cells` gives exactly
the rows the csv module gives, several times faster on a large ``observations.csv``, a block of
lines at a time (:func:`blocks`), passing over unread the rows a worker does not own. The
hypothesis tests of ``tests/test_readers.py`` hold it to the csv module's rows and errors.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator

from graftkg.errors import InputError


def plain_text(text: str) -> bool:
    """Whether ``text`` has no quotes and no line break but ``\\n`` or ``\\r\\n``: then each line is one
    row and its cells are the text between commas, exactly as the csv module reads them."""
    return '"' not in text and text.count("\r") == text.count("\r\n")


#: the bytes of a tidy block (see :func:`split_cells`): printable ASCII but the space, and the line break
_TIDY = bytes(range(0x21, 0x7F)) + b"\n"

#: characters of a file's text split into lines at a time (a mebibyte of ASCII)
_CHUNK = 1024 * 1024


def blocks(text: str, chunk: int = _CHUNK) -> Iterator[str]:
    """``text`` in blocks of whole lines, about ``chunk`` characters each, without the line break between
    two blocks: the blocks' lines are the lines of ``text``, so that a large file is never a list of
    millions of lines at once (it may leave out a last empty line, which no reader counts).

    Example:
        >>> list(blocks("a\\nbb\\n\\nc", chunk=1)), list(blocks("a\\nbb\\n\\nc", chunk=3))
        (['a', 'bb', '\\nc'], ['a\\nbb', '\\nc'])
    """
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start + chunk)
        if stop == -1:
            stop = end
        yield text[start:stop]
        start = stop + 1


def split_cells(
    rest: str,
    name: str,
    width: int,
    skip: Callable[[str], bool] | None = None,
    chunk: int = _CHUNK,
    first_line: int = 2,
) -> Iterator[tuple[int, list[str]]]:
    """The rows after the header of a plain text (see :func:`plain_text`): what the csv module gives
    for it (as :mod:`graftkg.readers.csv_bundle` reads it), without the csv module's per-row cost.
    ``rest`` starts on line 2.

    With ``skip``, the rows whose first cell ``skip`` accepts are left out: the rows without ``skip``,
    less those, and the first error of the rows left in. A row whose first cell needs no stripping
    (the text before its first comma) and is accepted is passed over unread, as if it were blank; any
    other row is read and checked as without ``skip`` (see :func:`_skipping`).

    Example:
        >>> list(split_cells("a, b\\r\\n\\n , \\nc,d", "f.csv", 2))
        [(2, ['a', 'b']), (5, ['c', 'd'])]
        >>> list(split_cells("a, b\\r\\n\\n , \\nc,d", "f.csv", 2, skip=lambda first: first == "a"))
        [(5, ['c', 'd'])]
    """
    if skip is not None:
        yield from _skipping(rest, name, width, skip, chunk)
        return
    limit = csv.field_size_limit()
    n = first_line
    for block in blocks(rest, chunk):
        # a block of printable ASCII without spaces (most files): no row of it has a cell to strip
        tidy = block.isascii() and not block.encode("ascii").translate(None, _TIDY)
        for n, row in enumerate(block.split("\n"), n):  # noqa: B020 (n carries on across blocks)
            if row.endswith("\r"):
                row = row[:-1]
            cells = row.split(",")
            if len(cells) != width:
                if not row or all(not c.strip() for c in cells):
                    continue
                if len(row) > limit and any(len(c) > limit for c in cells):
                    raise InputError(f"malformed CSV: field larger than field limit ({limit})", path=name, line=n)
                raise InputError(f"row has {len(cells)} cells, header has {width}", path=name, line=n)
            if len(row) > limit and any(len(c) > limit for c in cells):
                raise InputError(f"malformed CSV: field larger than field limit ({limit})", path=name, line=n)
            if not tidy and (" " in row or not row.isprintable()):  # what str.strip strips: a space or unprintable
                cells = [c.strip() for c in cells]
            if any(cells):
                yield n, cells
        n += 1


def _skipping(
    rest: str, name: str, width: int, skip: Callable[[str], bool], chunk: int
) -> Iterator[tuple[int, list[str]]]:
    """:func:`split_cells` with ``skip``: a run of rows with one first cell (a transplant's rows, one
    after another) is passed over, or split, whole; a row whose first cell needs stripping, or that has
    no comma where it should, is checked on its own, as without ``skip``.

    A row passed over is not checked: the worker that owns it reads it, and raises for it if it must
    (see :func:`graftkg.readers.csv_bundle.read_observations`)."""
    n = 2
    for block in blocks(rest, chunk):
        pos, end = 0, len(block)
        while pos <= end:
            nl = block.find("\n", pos)
            if nl == -1:
                nl = end
            if width > 1:
                comma = block.find(",", pos, nl)
                first = block[pos:comma] if comma != -1 else ""
            else:
                first = block[pos:nl].removesuffix("\r")
            if first and first.strip() == first:  # then it is the row's first cell as read
                stop = nl
                if width > 1:  # the run of rows with this first cell
                    head = first + ","
                    while stop < end and block.startswith(head, stop + 1):
                        stop = block.find("\n", stop + 1)
                        if stop == -1:
                            stop = end
                if not skip(first):
                    yield from split_cells(block[pos:stop], name, width, first_line=n)
                n += block.count("\n", pos, stop) + 1
                pos = stop + 1
                continue
            row, pos, line = block[pos:nl], nl + 1, n
            n += 1
            for _, cells in split_cells(row, name, width, first_line=line):
                if not skip(cells[0]):
                    yield line, cells
