"""The exception tree. The CLI maps these to exit codes in one place (``cli.py``)."""

from __future__ import annotations


class GraftkgError(Exception):
    """Base of every error graftkg reports to a user (exit code 2).

    Example:
        >>> str(GraftkgError("no input"))
        'no input'
    """


class InputError(GraftkgError):
    """Unusable input, located to the file, line or row and field.

    Example:
        >>> str(InputError("not a number", path="t.csv", line=3, field="day"))
        "t.csv:3: field 'day': not a number"
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
        rule: str | None = None,
    ) -> None:
        #: the validation shape the problem breaks, when one states it (a value no record can hold)
        self.rule = rule
        message = _one_line(message)
        path = None if path is None else _one_line(path)
        field = None if field is None else _one_line(field)
        self.message = message
        self.path = path
        self.line = line
        self.field = field
        where = path or "<input>"
        if line is not None:
            where += f":{line}"
        if field is not None:
            where += f": field '{field}'"
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickle with the location (an error crosses from a worker process to its parent whole).

        Example:
            >>> import pickle
            >>> e = pickle.loads(pickle.dumps(InputError("bad", path="t.csv", line=3, field="day", rule="R")))
            >>> str(e), e.rule
            ("t.csv:3: field 'day': bad", 'R')
        """
        return _input_error, (self.message, self.path, self.line, self.field, self.rule)


def _input_error(message: str, path: str | None, line: int | None, field: str | None, rule: str | None) -> InputError:
    return InputError(message, path=path, line=line, field=field, rule=rule)


def excerpt(text: str, limit: int = 40) -> str:
    """A short, escaped excerpt of ``text`` for an error message: control characters escaped, and
    at most ``limit`` characters of it (then its length), so that a message never echoes a whole file
    or a terminal escape sequence.

    Example:
        >>> print(excerpt("P1" + chr(27) + "[31m"), excerpt("9" * 100))
        P1\\x1b[31m 9999999999999999999999999999999999999999... (100 characters)
    """
    shown = _one_line(text[:limit])
    return shown if len(text) <= limit else f"{shown}... ({len(text)} characters)"


def _one_line(text: str) -> str:
    """Escape line breaks and other control characters, so that an error stays on one line.

    Example:
        >>> _one_line("a" + chr(10) + "b") == "a" + chr(92) + "nb"
        True
    """
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def spill_folder(path: str | None) -> str | None:
    """``path``, when it is an existing folder (or None: none was chosen); else a :class:`GraftkgError`.
    The folder the SQL backend spills into (``--temp-directory``) is checked once, up front.

    Example:
        >>> spill_folder("no/such/folder")
        Traceback (most recent call last):
        ...
        graftkg.errors.GraftkgError: temporary folder 'no/such/folder': not a folder
    """
    import os

    if path is not None and not os.path.isdir(path):
        raise GraftkgError(f"temporary folder '{path}': not a folder")
    return path


def read_input_bytes(path: str) -> bytes:
    """The bytes of the input file ``path``, or an :class:`InputError` saying why it cannot be read
    (missing, a folder or other non-regular file such as a FIFO, which would block, or refused by the
    system). A symbolic link is followed; a loop of them is "not found".

    Example:
        >>> read_input_bytes("no/such/file.csv")
        Traceback (most recent call last):
        ...
        graftkg.errors.InputError: no/such/file.csv: file not found
    """
    import errno
    import os
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError("file not found (a loop of symbolic links)", path=path) from None
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise InputError("file not found", path=path) from None
        raise InputError(f"cannot be read: {exc.strerror or exc}", path=path) from None
    if not stat.S_ISREG(mode):
        raise InputError("not a regular file", path=path)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}", path=path) from None


class InputNote(UserWarning):
    """Something an input holds that graftkg does not read (a FHIR resource of another type, an
    observation of another code), counted: a warning, which the command line prints as a note.

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warnings.warn(InputNote("left out 2 Encounter resource(s)"))
        >>> str(caught[0].message)
        'left out 2 Encounter resource(s)'
    """


class OntologyError(GraftkgError):
    """The ontology or a definition profile is missing, malformed or uses an unsupported construct."""


class ReasonerError(GraftkgError):
    """The OWL reasoner could not run, or reported the ontology and data inconsistent."""
