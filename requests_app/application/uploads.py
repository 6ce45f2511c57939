"""What an attached file is, told by its content, and whether we accept it. Over 450 lines on
purpose: the four formats' checks are one decision (accept or refuse), read together.

A file is accepted only as one of four formats (PDF, PNG, JPEG, Word .docx), and only when it
is plainly that format and nothing more. The rules, one function per format, each returning
the sentence that refuses the file or None:

- Every file is checked before anything decodes it: an image's pixel count is read from its
  header, a Word document's sizes from its zip's central directory, never by unpacking it.
- PDF: pypdf reads the document, and every object it lists (those inside compressed object
  streams too) is walked for JavaScript (/JS, /JavaScript), launch actions (/Launch), and
  additional actions (/AA), which run by themselves when the file is opened. /OpenAction is
  refused only when it is one of those actions; opening at a page is harmless. A PDF pypdf
  cannot read, or with more objects than MAX_PDF_OBJECTS, is refused.
- Two formats at once (polyglots): a PDF or image whose bytes also hold a web page (<html,
  <script, <!doctype html), a Windows program (an MZ header whose PE offset points at
  "PE\\0\\0", the DOS stub's "This program cannot be run", or more MZ than
  MAX_MZ_CANDIDATES) or a zip record (a local header with a plausible version, or an end of
  central directory) anywhere after its own signature is refused. The signatures are long
  enough that compressed data matches them by chance about once in many thousands of 10 MB
  files. A PNG must end at IEND and a JPEG at its end marker (FFD9, found by walking its
  segments and entropy-coded data, not by searching for the bytes): only NUL padding may
  follow, or, for JPEG, further JPEG images (the multi-picture format phones write for depth
  maps and previews).
- Word: a zip holding vbaProject.bin (anywhere) or declaring a macroEnabled content type has
  macros; a part named with an absolute path, a drive letter or a ".." step, more than
  MAX_ZIP_ENTRIES parts, more than MAX_ZIP_UNPACKED_BYTES unpacked, or a part that would grow
  more than MAX_ZIP_RATIO times is refused.
"""

import io
import re
import struct
import zipfile

from django.template.defaultfilters import filesizeformat
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
PDF, PNG, JPEG, DOCX = (
    "application/pdf",
    "image/png",
    "image/jpeg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
ACCEPTED = "PDF, PNG, JPEG or Word (.docx)"

# A scan of a letter-size page at 600 dpi is about 34 million pixels; Pillow's own warning
# starts at 89 million, and 50 million RGB pixels already take 150 MB once decoded.
MAX_IMAGE_PIXELS = 50_000_000
# Ordinary documents have hundreds or a few thousand objects; this bounds the time one file
# can take to check.
MAX_PDF_OBJECTS = 50_000
# How deep a PDF object's dictionaries and arrays are walked; real documents nest a handful.
MAX_PDF_NESTING = 64
# A Word document has tens of parts, a few hundred with many pictures.
MAX_ZIP_ENTRIES = 1_000
MAX_ZIP_UNPACKED_BYTES = 100 * 1024 * 1024
# Word's XML packs 5 to 20 times; a part growing more than this was made to blow up. Only
# parts over ZIP_RATIO_FROM_BYTES unpacked are judged: a small part of repeated markup can
# pack 100 times without harm.
MAX_ZIP_RATIO = 100
ZIP_RATIO_FROM_BYTES = 1024 * 1024
MAX_CONTENT_TYPES_BYTES = 1024 * 1024

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"

KEEP = "Your answers are kept; "
NOT_ACCEPTED = (
    "{name} is not a {accepted} file, whatever its name says. " + KEEP + "choose the file again "
    "in one of those formats."
)
PDF_ACTIVE = (
    "{name} contains JavaScript or an action that runs by itself when the PDF is opened, "
    "which we cannot accept. " + KEEP + "save it again without scripts (for example print it "
    "to PDF) and attach that."
)
PDF_UNREADABLE = (
    "{name} starts like a PDF but we cannot read it as one. " + KEEP + "save it again as a "
    "PDF (for example print it to PDF) and attach that."
)
PDF_TOO_COMPLEX = (
    "{name} has more parts than we can check in a PDF. " + KEEP + "save it again as a "
    "simpler PDF (for example print it to PDF) and attach that."
)
TWO_FORMATS = (
    "{name} is a {kind} with {what} hidden inside it, which we cannot accept. " + KEEP + "open "
    "it, save it again as a new {kind} and attach that."
)
TRAILING_DATA = (
    "{name} has extra data after the end of the {kind}, where another file can hide, which we "
    "cannot accept. " + KEEP + "open it, save it again as a new {kind} and attach that."
)
TOO_MANY_PIXELS = (
    "{name} is {width:,} by {height:,} pixels, more than the 50 million pixels we accept. "
    + KEEP
    + "save it at a smaller size (300 dpi is plenty for a scan) and attach that."
)
MACROS = (
    "{name} contains macros, which we cannot accept. " + KEEP + "save it in Word as an "
    "ordinary Word Document (.docx) and attach that."
)
UNSAFE_PATHS = (
    "{name} has parts named outside the document (with a drive letter, a leading slash or "
    "../), which a Word document never has. " + KEEP + "save it again in Word and attach that."
)
TOO_MANY_PARTS = (
    "{name} holds more than {limit:,} parts, far more than a Word document has. " + KEEP + "save "
    "it again in Word and attach that."
)
TOO_LARGE_UNPACKED = (
    "{name} would unpack to {size}, more than the {limit} we accept. " + KEEP + "save it again "
    "in Word with smaller pictures and attach that."
)
PACKED_TOO_TIGHTLY = (
    "{name} is packed far more tightly than a real document: a part of it would grow more "
    "than {ratio} times when unpacked. " + KEEP + "save it again in Word and attach that."
)

KIND = {PDF: "PDF", PNG: "PNG image", JPEG: "JPEG image"}


# Telling the format.


def sniff(upload):
    """The file's real type from its content, or None when it is none of those accepted.
    An image declaring more than MAX_IMAGE_PIXELS is never decoded: it is None here, and
    image_size_refusal says why."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            upload.seek(max(upload.size - 1024, 0))
            tail = upload.read()
            return PDF if b"%%EOF" in tail else None
        if head.startswith(PNG_SIGNATURE) or head.startswith(JPEG_SIGNATURE):
            if image_size_refusal(upload) is not None:
                return None
            # Pillow reads the whole structure: a renamed or truncated file fails here.
            with Image.open(upload) as image:
                # Pillow's header reading, should it find a size that ours did not.
                if image.width * image.height > MAX_IMAGE_PIXELS:
                    return None
                image.verify()
                return {"PNG": PNG, "JPEG": JPEG}.get(image.format)
        if head.startswith(b"PK\x03\x04"):
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
                if {"[Content_Types].xml", "word/document.xml"} <= names:
                    return DOCX
        return None
    except (
        UnidentifiedImageError,
        # Pillow's own pixel bounds, above ours: the warning is an exception where warnings
        # are made errors (as in the tests).
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        zipfile.BadZipFile,
        OSError,
        SyntaxError,
        ValueError,
    ):
        return None
    finally:
        upload.seek(0)


def examine(upload):
    """(content type, None) for a file we accept; (content type or None, the sentence that
    refuses it) otherwise. The caller has checked its size, so reading it whole is bounded."""
    name = upload.name
    refusal = image_size_refusal(upload)
    if refusal is not None:
        return None, refusal
    content_type = sniff(upload)
    if content_type is None:
        return None, NOT_ACCEPTED.format(name=name, accepted=ACCEPTED)
    if content_type == DOCX:
        return content_type, docx_refusal(upload)
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    check = {PDF: pdf_refusal, PNG: png_refusal, JPEG: jpeg_refusal}[content_type]
    # Two formats first: the sentence names what is hidden, and a polyglot never reaches pypdf.
    return content_type, two_formats_refusal(name, data, content_type) or check(name, data)


# Images.


def image_size(data):
    """(width, height) as the PNG's or JPEG's header declares it, or None when it has none."""
    if data.startswith(PNG_SIGNATURE):
        # IHDR is the first chunk, always: width and height follow its type.
        if len(data) >= 24 and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        return None
    if data.startswith(JPEG_SIGNATURE):
        return _jpeg_walk(data, 0)[1]
    return None


def image_size_refusal(upload):
    """Too many pixels, from the header alone, before anything decodes the image."""
    upload.seek(0)
    # Whole: a JPEG's frame header comes after its metadata (EXIF, ICC profile, XMP), of any
    # length. The caller has bounded the file's size.
    data = upload.read()
    upload.seek(0)
    size = image_size(data)
    if size is None or size[0] * size[1] <= MAX_IMAGE_PIXELS:
        return None
    return TOO_MANY_PIXELS.format(name=upload.name, width=size[0], height=size[1])


def png_refusal(name, data):
    end = _png_end(data)
    if end is None:
        return NOT_ACCEPTED.format(name=name, accepted=ACCEPTED)
    if data[end:].strip(b"\x00"):
        return TRAILING_DATA.format(name=name, kind=KIND[PNG])
    return None


def jpeg_refusal(name, data):
    end, _size = _jpeg_walk(data, 0)
    if end is None:
        return NOT_ACCEPTED.format(name=name, accepted=ACCEPTED)
    # Further whole images may follow the first (multi-picture format); nothing else may.
    for _ in range(16):
        rest = data[end:].lstrip(b"\x00")
        if not rest:
            return None
        end = _jpeg_walk(data, len(data) - len(rest))[0] if rest.startswith(b"\xff\xd8") else None
        if end is None:
            return TRAILING_DATA.format(name=name, kind=KIND[JPEG])
    return TRAILING_DATA.format(name=name, kind=KIND[JPEG])


def _png_end(data):
    """The offset just past the IEND chunk, walking the chunks; None if it is not reached."""
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        position += 12 + length
        if kind == b"IEND":
            return position if position <= len(data) else None
    return None


# Markers without a length: TEM and the restart markers.
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}
# Start of frame: every C0 to CF but DHT (C4), JPG (C8) and DAC (CC).
_JPEG_FRAME = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_walk(data, start):
    """(offset just past the end-of-image marker or None, (width, height) or None), walking a
    JPEG's segments from its start-of-image marker at `start`."""
    size = None
    if data[start : start + 2] != b"\xff\xd8":
        return None, None
    position = start + 2
    while position < len(data):
        if data[position] != 0xFF:
            return None, size
        while position < len(data) and data[position] == 0xFF:
            position += 1  # fill bytes before a marker
        if position >= len(data):
            return None, size
        marker = data[position]
        position += 1
        if marker == 0xD9:
            return position, size
        if marker in _JPEG_STANDALONE:
            continue
        if position + 2 > len(data):
            return None, size
        (length,) = struct.unpack(">H", data[position : position + 2])
        if length < 2:
            return None, size
        if marker in _JPEG_FRAME and size is None and position + 7 <= len(data):
            height, width = struct.unpack(">HH", data[position + 3 : position + 7])
            size = (width, height)
        position += length
        if marker == 0xDA:
            position = _jpeg_scan_end(data, position)
            if position is None:
                return None, size
    return None, size


# In entropy-coded data an FF is followed by 00 (a stuffed byte), a restart marker (D0 to D7)
# or another FF (fill before a marker); any other byte after FF makes a marker, which ends it.
_JPEG_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg_scan_end(data, position):
    """The offset of the marker that ends the entropy-coded data starting at `position`."""
    found = _JPEG_SCAN_END.search(data, position)
    return found.start() if found else None


# Two formats in one file.

_HTML = re.compile(rb"<(?:html|script|!doctype\s+html)\b", re.IGNORECASE)
_DOS_STUB = b"This program cannot be run"


def two_formats_refusal(name, data, content_type):
    """A web page, a Windows program or a zip archive anywhere after the file's signature."""
    body = data[4:]
    what = None
    if _HTML.search(body):
        what = "a web page"
    elif _DOS_STUB in body or _windows_program(body):
        what = "a Windows program"
    elif _zip_record(body):
        what = "a zip archive"
    if what is None:
        return None
    return TWO_FORMATS.format(name=name, kind=KIND[content_type], what=what)


# "MZ" occurs about 160 times by chance in 10 MB of compressed data; a file with many times
# more is made to slow the check down, and is taken for a program rather than walked.
MAX_MZ_CANDIDATES = 10_000


def _windows_program(data):
    """An MZ header whose e_lfanew (at 0x3C) points at a PE signature."""
    if data.count(b"MZ") > MAX_MZ_CANDIDATES:
        return True
    for found in re.finditer(rb"MZ", data):
        start = found.start()
        pointer = data[start + 0x3C : start + 0x40]
        if len(pointer) < 4:
            break
        offset = start + struct.unpack("<I", pointer)[0]
        if data[offset : offset + 4] == b"PE\x00\x00":
            return True
    return False


# A local file header with a version-needed of at most 6.3 (the newest), or an end of central
# directory on disk 0: four signature bytes alone would match compressed data too often.
_ZIP_RECORD = re.compile(rb"PK\x03\x04[\x00-\x3f]\x00|PK\x05\x06\x00\x00\x00\x00", re.DOTALL)


def _zip_record(data):
    return _ZIP_RECORD.search(data) is not None


# PDF.

_ACTIVE_KEYS = {"/JS", "/JavaScript", "/AA", "/Launch"}
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch"}


def _active(root, budget):
    """Whether `root`, or a dictionary or array it holds directly, has an active key or action;
    None when it nests too deep or the budget of nodes is spent. References are not followed:
    each object they reach is walked as an object of its own."""
    pending = [(root, 0)]
    while pending:
        node, depth = pending.pop()
        budget[0] -= 1
        if depth > MAX_PDF_NESTING or budget[0] < 0:
            return None
        if isinstance(node, DictionaryObject):
            action = node.get("/S")
            if isinstance(action, IndirectObject):
                action = action.get_object()
            if _ACTIVE_KEYS & set(node) or action in _ACTIVE_ACTIONS:
                return True
            pending.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, ArrayObject):
            pending.extend((value, depth + 1) for value in node)
    return False


def pdf_refusal(name, data):
    try:
        # Not strict: pypdf repairs what viewers repair (a wrong xref offset, say), so the
        # objects walked are those a viewer would find. It logs each repair.
        reader = PdfReader(io.BytesIO(data), strict=False)
        numbers = {(n, g) for g, ids in reader.xref.items() for n in ids}
        numbers |= {(n, 0) for n in reader.xref_objStm}
        if len(numbers) > MAX_PDF_OBJECTS:
            return PDF_TOO_COMPLEX.format(name=name)
        # Every node of every object counts against one budget, so the walk is bounded.
        budget = [MAX_PDF_OBJECTS * 20]
        roots = [reader.trailer]
        for number, generation in sorted(numbers):
            roots.append(reader.get_object(IndirectObject(number, generation, reader)))
        for root in roots:
            found = _active(root, budget)
            if found is None:
                return PDF_TOO_COMPLEX.format(name=name)
            if found:
                return PDF_ACTIVE.format(name=name)
    except Exception:
        # pypdf raises many kinds of exception on a damaged or hostile file: each means the
        # same here, that we cannot read it.
        return PDF_UNREADABLE.format(name=name)
    return None


# Word.


def docx_refusal(upload):
    """From the zip's central directory only, except [Content_Types].xml, read to a bound."""
    name = upload.name
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                return TOO_MANY_PARTS.format(name=name, limit=MAX_ZIP_ENTRIES)
            if any(_unsafe_path(entry.filename) for entry in entries):
                return UNSAFE_PATHS.format(name=name)
            unpacked = sum(entry.file_size for entry in entries)
            if unpacked > MAX_ZIP_UNPACKED_BYTES:
                return TOO_LARGE_UNPACKED.format(
                    name=name,
                    size=filesizeformat(unpacked),
                    limit=filesizeformat(MAX_ZIP_UNPACKED_BYTES),
                )
            if any(
                entry.file_size > ZIP_RATIO_FROM_BYTES
                and entry.file_size > MAX_ZIP_RATIO * max(entry.compress_size, 1)
                for entry in entries
            ):
                return PACKED_TOO_TIGHTLY.format(name=name, ratio=MAX_ZIP_RATIO)
            if any(
                entry.filename.replace("\\", "/").rsplit("/", 1)[-1].lower() == "vbaproject.bin"
                for entry in entries
            ):
                return MACROS.format(name=name)
            with archive.open("[Content_Types].xml") as types:
                # A few kB in any real document; read no more than the bound, whatever the zip
                # declares.
                declared = types.read(MAX_CONTENT_TYPES_BYTES + 1)
            if len(declared) > MAX_CONTENT_TYPES_BYTES:
                return NOT_ACCEPTED.format(name=name, accepted=ACCEPTED)
            if b"macroenabled" in declared.lower():
                return MACROS.format(name=name)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, NotImplementedError):
        return NOT_ACCEPTED.format(name=name, accepted=ACCEPTED)
    finally:
        upload.seek(0)
    return None


def _unsafe_path(filename):
    path = filename.replace("\\", "/")
    return (
        path.startswith("/") or re.match(r"[A-Za-z]:", path) is not None or ".." in path.split("/")
    )
