"""Multipart uploads streamed to disk, with separate limits for the photo and the text.

Werkzeug's default parser applies ``MAX_FORM_MEMORY_SIZE`` to its read buffer while it
reads a *file* part, so any photo bigger than a few read chunks was refused with 413
(issue 11). This parser walks the same sans-IO :class:`MultipartDecoder`, but:

- each file part goes straight into an :class:`IncomingFile`, a temporary file inside the
  evidence store (``incoming/``) that hashes and counts the bytes as they arrive and
  stops the upload as soon as it passes ``max_image_bytes`` (``image_too_large``); the
  photo is never held in memory twice, and the store adopts the file by renaming it;
- each text part is limited to ``max_field_bytes`` (``field_too_large``), and the form
  to ``max_parts`` parts;
- the whole body stays limited by ``MAX_CONTENT_LENGTH`` (Flask), checked by Werkzeug
  before parsing when the client sends ``Content-Length``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from flask import Request, current_app
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from idtool.errors import FieldTooLarge, ImageTooLarge
from idtool.evidence.originals import open_incoming

CHUNK_BYTES = 64 * 1024
MAX_FIELD_BYTES = 16 * 1024  # notes are at most 2,000 characters (8,000 UTF-8 bytes)
MAX_FORM_PARTS = 32
UPLOAD_PREFIX = ".upload-"


class IncomingFile:
    """A temporary file that hashes, counts and limits what is written to it.

    Lives in the evidence store's ``incoming/`` folder (the same file system as
    ``originals/``), so the store can adopt it with one rename, and is locked while open
    (see :func:`~idtool.evidence.originals.open_incoming`). One owner deletes it: this
    object until :meth:`hand_over`, the evidence store after (its ``adopt_original``
    renames it into ``originals/`` or deletes it). Closing it deletes the file unless it
    was handed over.
    """

    def __init__(self, directory: Path, max_bytes: int) -> None:
        fd, self.path = open_incoming(directory, UPLOAD_PREFIX)
        self.max_bytes = max_bytes
        self.byte_count = 0
        self._file: IO[bytes] = os.fdopen(fd, "w+b")
        self._hash = hashlib.sha256()
        self._handed_over = False

    @property
    def sha256(self) -> str:
        """SHA-256 of every byte written so far."""
        return self._hash.hexdigest()

    def write(self, data: bytes) -> int:
        """Append ``data``. Raises: ImageTooLarge: past ``max_bytes``."""
        self.byte_count += len(data)
        if self.byte_count > self.max_bytes:
            raise ImageTooLarge(
                f"the photo is larger than this server's limit of {self.max_bytes:,} bytes "
                "(max_image_bytes)"
            )
        self._hash.update(data)
        return self._file.write(data)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def read_all(self) -> bytes:
        """The whole content (the one in-memory copy, for decoding)."""
        self._file.flush()
        self._file.seek(0)
        data = self._file.read()
        self._file.seek(0)
        return data

    def hand_over(self) -> Path:
        """Flush to disk and give up ownership of the file: pass the path straight to
        ``EvidenceStore.adopt_original``, which renames or deletes it. The file stays
        open (and locked) until :meth:`close`."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._handed_over = True
        return self.path

    def close(self) -> None:
        """Delete the file unless it was handed over, then close it (releasing the lock)."""
        if not self._handed_over:
            self.path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self._file.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)


def _receive(decoder: MultipartDecoder, data: bytes) -> None:
    """Feed one read to the decoder (an empty read ends the body)."""
    try:
        decoder.receive_data(data or None)
    except RequestEntityTooLarge:
        raise FieldTooLarge("a form part's headers are too long") from None


def _field_data(part: Field, event: Data, chunks: list[bytes], size: int, max_bytes: int) -> int:
    """Keep one chunk of a text field; returns the field's size so far.

    Raises:
        FieldTooLarge: the field is over ``max_bytes``.
    """
    size += len(event.data)
    if size > max_bytes:
        raise FieldTooLarge(f"the form field {part.name!r} is longer than {max_bytes:,} bytes")
    chunks.append(event.data)
    return size


def parse_multipart(
    stream: IO[bytes],
    boundary: bytes,
    new_file: Callable[[File], IncomingFile],
    *,
    max_field_bytes: int = MAX_FIELD_BYTES,
    max_parts: int = MAX_FORM_PARTS,
) -> tuple[list[tuple[str, str]], list[tuple[str, FileStorage]]]:
    """Parse a ``multipart/form-data`` body: text fields in memory, files on disk.

    Raises:
        FieldTooLarge: a text part over ``max_field_bytes``, part headers too long, or
            more than ``max_parts`` parts.
        ImageTooLarge: a file part over its :class:`IncomingFile` limit.
        ValueError: not valid multipart data (Werkzeug then treats the form as empty).
    """
    # The decoder's own limit is on its buffer: one read chunk plus a partial boundary,
    # so only part headers or a preamble can ever reach it.
    decoder = MultipartDecoder(boundary, max_form_memory_size=CHUNK_BYTES + max_field_bytes)
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, FileStorage]] = []
    part: Field | File | None = None
    chunks: list[bytes] = []
    field_bytes = 0
    sink: IncomingFile | None = None
    parts = 0
    try:
        while True:
            data = stream.read(CHUNK_BYTES)
            _receive(decoder, data)
            event = decoder.next_event()
            while not isinstance(event, (Epilogue, NeedData)):
                if isinstance(event, (Field, File)):
                    parts += 1
                    if parts > max_parts:
                        raise FieldTooLarge(f"the form has more than {max_parts} parts")
                    part, chunks, field_bytes = event, [], 0
                    if isinstance(event, File):
                        sink = new_file(event)
                elif isinstance(event, Data) and isinstance(part, Field):
                    field_bytes = _field_data(part, event, chunks, field_bytes, max_field_bytes)
                    if not event.more_data:
                        fields.append((part.name, b"".join(chunks).decode("utf-8", "replace")))
                elif isinstance(event, Data) and isinstance(part, File) and sink is not None:
                    sink.write(event.data)
                    if not event.more_data:
                        sink.seek(0)
                        storage = FileStorage(
                            sink,  # type: ignore[arg-type]
                            part.filename,
                            part.name,
                            headers=part.headers,
                        )
                        files.append((part.name, storage))
                        sink = None
                event = decoder.next_event()
            if not data:
                break
    except BaseException:
        if sink is not None:
            sink.close()
        for _, storage in files:
            storage.close()
        raise
    return fields, files


class UploadFormParser(FormDataParser):
    """Werkzeug's form parser with :func:`parse_multipart` for multipart bodies."""

    def __init__(
        self, incoming_dir: Path, max_file_bytes: int, max_field_bytes: int, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.incoming_dir = incoming_dir
        self.max_file_bytes = max_file_bytes
        self.max_field_bytes = max_field_bytes

    def _parse_multipart(
        self,
        stream: IO[bytes],
        mimetype: str,
        content_length: int | None,
        options: dict[str, str],
    ) -> tuple[IO[bytes], MultiDict[str, Any], MultiDict[str, Any]]:
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        fields, files = parse_multipart(
            stream,
            boundary,
            lambda _part: IncomingFile(self.incoming_dir, self.max_file_bytes),
            max_field_bytes=self.max_field_bytes,
            max_parts=MAX_FORM_PARTS,
        )
        return stream, self.cls(fields), self.cls(files)


class UploadRequest(Request):
    """The app's request class: multipart bodies through :class:`UploadFormParser`.

    Reads ``IDTOOL_INCOMING_DIR``, ``IDTOOL_MAX_IMAGE_BYTES`` and
    ``IDTOOL_MAX_FIELD_BYTES`` from the app config. Flask closes the request (and so
    deletes every temporary file not adopted by the evidence store) when it ends.
    """

    def make_form_data_parser(self) -> FormDataParser:
        config = current_app.config
        return UploadFormParser(
            Path(config["IDTOOL_INCOMING_DIR"]),
            int(config["IDTOOL_MAX_IMAGE_BYTES"]),
            int(config.get("IDTOOL_MAX_FIELD_BYTES", MAX_FIELD_BYTES)),
            stream_factory=self._get_file_stream,
            max_form_memory_size=self.max_form_memory_size,
            max_content_length=self.max_content_length,
            max_form_parts=self.max_form_parts,
            cls=self.parameter_storage_class,
        )


def incoming_file(upload: FileStorage) -> IncomingFile:
    """The :class:`IncomingFile` behind an uploaded file part."""
    stream = upload.stream
    if not isinstance(stream, IncomingFile):
        raise TypeError("uploads must be parsed by UploadRequest (set app.request_class)")
    return stream
