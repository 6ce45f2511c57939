"""Hostile attachments, refused by what they hold (requests_app/uploads.py), each with a
sentence beside the field while the answers typed stay on the page; ordinary documents still
accepted; and a request body too large refused from its Content-Length before it is read.

Every file is built here, small: a zip that declares 1 GiB is a few hundred bytes whose
central directory says so."""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from requests_app.application import uploads
from requests_app.application.forms import AttachmentForm
from requests_app.application.uploads import sniff
from requests_app.models import AccessRequest, Attachment
from tests.support.pages import parsed

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
KEEP = "Your answers are kept; "

# Building files.


def pdf(*objects, trailer=b"/Root 1 0 R", between=b""):
    """A PDF of these object bodies (numbered from 1) with a correct cross-reference table.
    `between` goes after the header, as a polyglot hides its second format."""
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + between
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\n" % (len(objects) + 1, trailer)
    return out + b"startxref\n%d\n%%%%EOF\n" % table


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"


def plain_pdf(between=b""):
    return pdf(CATALOG, PAGES, PAGE, between=between)


def pdf_with_hidden_action(action):
    """A PDF (1.5) whose catalog opens with object 4, an `action` kept in a compressed object
    stream, listed by a cross-reference stream: no byte of the file spells the action."""
    header = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    packed_body = b"4 0 " + action
    packed = zlib.compress(packed_body)
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        PAGES,
        PAGE,
        b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
        + packed
        + b"\nendstream",
    ]
    out = header
    offsets = {}
    # Object 4 lives in the stream; the stream itself is object 5, the xref stream 6.
    for number, body in zip([1, 2, 3, 5], bodies, strict=True):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[6] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 0xFFFF)]
    for number in range(1, 7):
        if number == 4:
            rows.append(struct.pack(">BIH", 2, 5, 0))
        else:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
    table = b"".join(rows)
    out += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\n"
    )
    return out + b"startxref\n%d\n%%%%EOF\n" % offsets[6]


def image(kind, size=(8, 8)):
    buffer = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buffer, kind)
    return buffer.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width, height):
    """A PNG of a few dozen bytes whose header declares width x height pixels."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(b"\x00"))
        + png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width, height):
    """A small real JPEG whose frame header is changed to declare width x height pixels."""
    data = bytearray(image("JPEG"))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def zip_of(parts, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in parts.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def docx(**more):
    """A Word document: its two required parts, and the parts `more` names."""
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "word/document.xml": '<?xml version="1.0"?><w:document/>',
    }
    parts.update(more)
    return zip_of(parts)


def declaring_unpacked_size(content, name, size):
    """`content` (a zip) with the part `name` declaring `size` bytes unpacked, in its local
    header and in the central directory: what a bomb looks like to a reader that does not
    unpack it."""
    data = bytearray(content)
    encoded = name.encode()
    local = data.index(b"PK\x03\x04")
    while data[local + 30 : local + 30 + len(encoded)] != encoded:
        local = data.index(b"PK\x03\x04", local + 4)
    data[local + 22 : local + 26] = struct.pack("<I", size)
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(encoded)] != encoded:
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 24 : central + 28] = struct.pack("<I", size)
    return bytes(data)


WINDOWS_PROGRAM = b"MZ" + b"\x00" * 0x3A + struct.pack("<I", 0x40) + b"PE\x00\x00" + b"\x00" * 20
HTML = b"<html><body><script>document.location='https://evil.example'</script></body></html>"


# The sentences.


def active_pdf(name):
    return (
        f"{name} contains JavaScript or an action that runs by itself when the PDF is opened, "
        f"which we cannot accept. {KEEP}save it again without scripts (for example print it "
        "to PDF) and attach that."
    )


def two_formats(name, kind, what):
    return (
        f"{name} is a {kind} with {what} hidden inside it, which we cannot accept. {KEEP}open "
        f"it, save it again as a new {kind} and attach that."
    )


def trailing(name, kind):
    return (
        f"{name} has extra data after the end of the {kind}, where another file can hide, "
        f"which we cannot accept. {KEEP}open it, save it again as a new {kind} and attach that."
    )


def macros(name):
    return (
        f"{name} contains macros, which we cannot accept. {KEEP}save it in Word as an ordinary "
        "Word Document (.docx) and attach that."
    )


def unsafe_paths(name):
    return (
        f"{name} has parts named outside the document (with a drive letter, a leading slash or "
        f"../), which a Word document never has. {KEEP}save it again in Word and attach that."
    )


def too_many_pixels(name, width, height):
    return (
        f"{name} is {width} by {height} pixels, more than the 50 million pixels we accept. "
        f"{KEEP}save it at a smaller size (300 dpi is plenty for a scan) and attach that."
    )


def unreadable_pdf(name):
    return (
        f"{name} starts like a PDF but we cannot read it as one. {KEEP}save it again as a PDF "
        "(for example print it to PDF) and attach that."
    )


def too_complex_pdf(name):
    return (
        f"{name} has more parts than we can check in a PDF. {KEEP}save it again as a simpler "
        "PDF (for example print it to PDF) and attach that."
    )


def not_accepted(name):
    return (
        f"{name} is not a PDF, PNG, JPEG or Word (.docx) file, whatever its name says. Your "
        "answers are kept; choose the file again in one of those formats."
    )


def refusal(name, content):
    """The sentence the attachment form shows for this file, or None when it accepts it."""
    form = AttachmentForm({}, {"file": SimpleUploadedFile(name, content)})
    if form.is_valid():
        return None
    return form.errors["file"][0]


# PDF: scripts and actions.

REFUSED_PDFS = [
    (
        "open-javascript.pdf",
        pdf(
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            PAGES,
            PAGE,
            b"<< /S /JavaScript /JS (app.alert('hi')) >>",
        ),
    ),
    (
        "named-javascript.pdf",
        pdf(
            b"<< /Type /Catalog /Pages 2 0 R /Names << /JavaScript 4 0 R >> >>",
            PAGES,
            PAGE,
            b"<< /Names [(x) 5 0 R] >>",
            b"<< /S /JavaScript /JS 6 0 R >>",
            b"<< /Length 12 >>\nstream\napp.alert(1)\nendstream",
        ),
    ),
    (
        # A name may spell its letters in hex: /J#61vaScript is /JavaScript.
        "hex-name.pdf",
        pdf(
            b"<< /Type /Catalog /Pages 2 0 R /Names << /J#61vaScript 4 0 R >> >>",
            PAGES,
            PAGE,
            b"<< >>",
        ),
    ),
    (
        "launch.pdf",
        pdf(
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /Launch /F (cmd.exe) >> >>",
            PAGES,
            PAGE,
        ),
    ),
    (
        # Additional actions run on events (a page opened): refused whatever they do.
        "page-opened.pdf",
        pdf(
            CATALOG,
            PAGES,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/AA << /O << /S /URI /URI (https://evil.example) >> >> >>",
        ),
    ),
    (
        # The action's type through a reference.
        "indirect-type.pdf",
        pdf(
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S 4 0 R /F (calc.exe) >> >>",
            PAGES,
            PAGE,
            b"/Launch",
        ),
    ),
    ("in-object-stream.pdf", pdf_with_hidden_action(b"<< /S /JavaScript /JS (app.alert(1)) >>")),
    ("launch-in-object-stream.pdf", pdf_with_hidden_action(b"<< /S /Launch /F (cmd.exe) >>")),
]


@pytest.mark.parametrize(("name", "content"), REFUSED_PDFS, ids=[r[0] for r in REFUSED_PDFS])
def test_a_pdf_with_javascript_or_an_action_that_runs_by_itself_is_refused(name, content):
    assert refusal(name, content) == active_pdf(name)


def test_an_action_in_a_compressed_object_stream_is_found_though_no_byte_spells_it():
    content = pdf_with_hidden_action(b"<< /S /JavaScript /JS (app.alert(1)) >>")
    assert b"JavaScript" not in content
    assert b"/JS" not in content
    assert refusal("hidden.pdf", content) == active_pdf("hidden.pdf")


def test_a_pdf_that_opens_at_its_first_page_is_accepted():
    # /OpenAction is ordinary when it is a destination, not a script.
    content = pdf(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>",
        PAGES,
        PAGE,
    )
    assert refusal("fit.pdf", content) is None
    assert refusal("harmless.pdf", pdf_with_hidden_action(b"[3 0 R /Fit]")) is None


def test_a_pdf_that_cannot_be_read_is_refused():
    content = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    assert refusal("unreadable.pdf", content) == unreadable_pdf("unreadable.pdf")


def test_a_pdf_with_more_objects_than_the_bound_is_refused_without_walking_them(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PDF_OBJECTS", 2)
    assert refusal("many.pdf", plain_pdf()) == too_complex_pdf("many.pdf")


def test_a_pdf_nested_deeper_than_the_bound_is_refused():
    deep = b"[" * (uploads.MAX_PDF_NESTING + 2) + b"]" * (uploads.MAX_PDF_NESTING + 2)
    content = pdf(CATALOG, PAGES, PAGE, b"<< /Deep " + deep + b" >>")
    assert refusal("deep.pdf", content) == too_complex_pdf("deep.pdf")


# Two formats at once.

JPEG_BYTES, PNG_BYTES = image("JPEG"), image("PNG")
ZIP_BYTES = zip_of({"payload.html": "<p>hidden</p>"})

POLYGLOTS = [
    ("pdf-html.pdf", plain_pdf(between=b"%" + HTML + b"\n"), "PDF", "a web page"),
    ("pdf-after-eof.pdf", plain_pdf() + b"<!DOCTYPE html><p>x</p>", "PDF", "a web page"),
    ("pdf-exe.pdf", plain_pdf(between=b"%" + WINDOWS_PROGRAM + b"\n"), "PDF", "a Windows program"),
    (
        "pdf-dos-stub.pdf",
        plain_pdf(between=b"%This program cannot be run in DOS mode.\n"),
        "PDF",
        "a Windows program",
    ),
    ("pdf-zip.pdf", plain_pdf(between=b"%" + ZIP_BYTES[:40] + b"\n"), "PDF", "a zip archive"),
    (
        # More MZ than are worth walking one by one: taken for a program.
        "pdf-many-mz.pdf",
        plain_pdf(between=b"%" + b"MZ" * (uploads.MAX_MZ_CANDIDATES + 1) + b"\n"),
        "PDF",
        "a Windows program",
    ),
    ("photo-zip.jpg", JPEG_BYTES + ZIP_BYTES, "JPEG image", "a zip archive"),
    ("photo-html.jpg", JPEG_BYTES + HTML, "JPEG image", "a web page"),
    ("scan-zip.png", PNG_BYTES + ZIP_BYTES, "PNG image", "a zip archive"),
    # Only the end of central directory, as a zip reader looks for it first.
    ("scan-eocd.png", PNG_BYTES + b"PK\x05\x06" + b"\x00" * 18, "PNG image", "a zip archive"),
    ("scan-exe.png", PNG_BYTES + WINDOWS_PROGRAM, "PNG image", "a Windows program"),
    (
        # Inside the image, in a text chunk, not after it.
        "scan-text.png",
        PNG_BYTES[:33] + png_chunk(b"tEXt", b"Comment\x00" + HTML) + PNG_BYTES[33:],
        "PNG image",
        "a web page",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "kind", "what"), POLYGLOTS, ids=[row[0] for row in POLYGLOTS]
)
def test_a_file_that_is_two_formats_at_once_is_refused(name, content, kind, what):
    assert refusal(name, content) == two_formats(name, kind, what)


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("scan.png", PNG_BYTES + b"anything at all", "PNG image"),
        ("photo.jpg", JPEG_BYTES + b"anything at all", "JPEG image"),
        # A second image that does not end is not a second image.
        ("photo2.jpg", JPEG_BYTES + JPEG_BYTES[:-20], "JPEG image"),
    ],
    ids=["png", "jpeg", "jpeg-then-cut-jpeg"],
)
def test_data_after_the_end_of_an_image_is_refused(name, content, kind):
    assert refusal(name, content) == trailing(name, kind)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("padded.png", PNG_BYTES + b"\x00" * 16),
        ("padded.jpg", JPEG_BYTES + b"\x00" * 16),
        # Phones write a preview or depth map as a second JPEG after the first.
        ("multi.jpg", JPEG_BYTES + image("JPEG", (4, 4))),
    ],
    ids=["png-nul-padding", "jpeg-nul-padding", "jpeg-multi-picture"],
)
def test_padding_or_a_further_jpeg_after_an_image_is_accepted(name, content):
    assert refusal(name, content) is None


def test_a_jpeg_end_marker_inside_its_compressed_data_does_not_end_it():
    # Large noise puts FF bytes in the entropy-coded data (stuffed as FF 00); the walk finds
    # the real end, so nothing is counted as trailing and the image is accepted.
    content = image("JPEG", (256, 256))
    assert b"\xff\x00" in content
    assert refusal("noise.jpg", content) is None


# Word documents.


def test_a_word_document_with_macros_is_refused():
    for name, content in [
        ("macros.docx", docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"})),
        ("elsewhere.docx", docx(**{"customXml/VBAPROJECT.BIN": b"\xd0\xcf\x11\xe0"})),
        (
            "declared.docx",
            docx(
                **{
                    "[Content_Types].xml": CONTENT_TYPES.replace(
                        "wordprocessingml.document.main+xml",
                        "ms-word.document.macroEnabled.main+xml",
                    )
                }
            ),
        ),
    ]:
        assert refusal(name, content) == macros(name), name


@pytest.mark.parametrize(
    "part",
    ["../../evil.bat", "/etc/cron.d/evil", "C:/Windows/evil.dll", "word/..\\..\\evil.bat"],
)
def test_a_word_document_with_a_part_named_outside_it_is_refused(part):
    assert refusal("paths.docx", docx(**{part: "x"})) == unsafe_paths("paths.docx")


def test_a_word_document_of_too_many_parts_is_refused():
    content = docx(**{f"word/media/{n}.xml": "" for n in range(uploads.MAX_ZIP_ENTRIES)})
    assert refusal("parts.docx", content) == (
        "parts.docx holds more than 1,000 parts, far more than a Word document has. "
        f"{KEEP}save it again in Word and attach that."
    )


def test_a_word_document_declaring_1_gib_unpacked_is_refused_without_unpacking_it(monkeypatch):
    content = declaring_unpacked_size(
        docx(**{"word/media/big.bin": b"\x00" * 1024}), "word/media/big.bin", 2**30
    )
    assert len(content) < 2000
    opened = []
    real_open = zipfile.ZipFile.open

    def spy(archive, name, *args, **kwargs):
        opened.append(getattr(name, "filename", name))
        return real_open(archive, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)

    assert refusal("bomb.docx", content) == (
        "bomb.docx would unpack to 1.0\xa0GB, more than the 100.0\xa0MB we accept. "
        f"{KEEP}save it again in Word with smaller pictures and attach that."
    )
    assert opened == []


def test_a_word_document_packed_far_more_tightly_than_a_real_one_is_refused():
    # 5 MB of zeros pack to about 5 kB: under the size bound, a thousand times over the ratio.
    content = docx(**{"word/media/zeros.bin": b"\x00" * (5 * 1024 * 1024)})
    assert len(content) < 20_000
    assert refusal("tight.docx", content) == (
        "tight.docx is packed far more tightly than a real document: a part of it would grow "
        f"more than 100 times when unpacked. {KEEP}save it again in Word and attach that."
    )


# Images that would take gigabytes to decode.


def test_a_png_declaring_20000_by_20000_pixels_is_refused_from_its_header():
    content = png_declaring(20000, 20000)
    assert len(content) < 80
    assert refusal("bomb.png", content) == too_many_pixels("bomb.png", "20,000", "20,000")
    # Asked directly, the check answers rather than raising Pillow's error.
    assert sniff(SimpleUploadedFile("bomb.png", content)) is None


def test_a_jpeg_declaring_too_many_pixels_is_refused_from_its_header():
    content = jpeg_declaring(65000, 65000)
    assert refusal("bomb.jpg", content) == too_many_pixels("bomb.jpg", "65,000", "65,000")


def test_the_pixel_bound_is_50_million_below_pillows_own():
    assert uploads.MAX_IMAGE_PIXELS == 50_000_000
    assert uploads.MAX_IMAGE_PIXELS < Image.MAX_IMAGE_PIXELS
    # Just over: refused though Pillow would not even warn.
    assert refusal("over.png", png_declaring(10000, 5001)) == too_many_pixels(
        "over.png", "10,000", "5,001"
    )
    # Exactly at the bound: not refused for its size.
    assert (
        uploads.image_size_refusal(SimpleUploadedFile("at.png", png_declaring(10000, 5000))) is None
    )


# Ordinary documents.

ACCEPTED = [
    ("letter.pdf", plain_pdf(), "application/pdf"),
    ("scan.png", image("PNG", (64, 64)), "image/png"),
    ("photo.jpg", image("JPEG", (64, 64)), "image/jpeg"),
    ("letter.docx", docx(**{"word/media/image1.png": image("PNG")}), DOCX_TYPE),
]


@pytest.mark.parametrize(
    ("name", "content", "content_type"), ACCEPTED, ids=[r[0] for r in ACCEPTED]
)
def test_an_ordinary_document_is_accepted_as_what_it_is(name, content, content_type):
    form = AttachmentForm({}, {"file": SimpleUploadedFile(name, content)})
    assert form.is_valid(), form.errors
    assert form.content_type == content_type


def test_a_file_too_large_is_refused_before_its_content_is_read(monkeypatch):
    def unread(*args):
        raise AssertionError("the content was examined")

    monkeypatch.setattr("requests_app.application.forms.examine", unread)
    content = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    assert refusal("big.pdf", content) == (
        "big.pdf is 10.0\xa0MB; files can be at most 10.0\xa0MB. Your answers are kept; choose "
        "a smaller file."
    )


# Through the research step's page.


@pytest.fixture
def private_files(settings, tmp_path):
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
    return tmp_path / "private"


@pytest.fixture
def riley_client(client, personas):
    client.force_login(personas.riley)
    return client


TYPED = {
    "is_researcher": "True",
    "aggregated_data_sufficient": "False",
    "identified_data_justification": "Matching HMIS records to hospital admissions.",
    "description": "IRB approval, 2026",
}


def research_url(draft):
    return reverse("application_step", args=[draft.reference, "research"])


def post_research(client, draft, name, content):
    page = client.get(research_url(draft))
    edit_seen = parsed(page).find("input", name="edit_seen").attrs["value"]
    data = {**TYPED, "edit_seen": edit_seen, "go": "next"}
    return client.post(research_url(draft), {**data, "file": SimpleUploadedFile(name, content)})


def shown(response):
    """The research step's answers as the page shows them again."""
    page = parsed(response)
    checked = {
        box.attrs["name"]: box.attrs["value"]
        for box in page.find_all("input", type="radio")
        if "checked" in box.attrs
    }
    textarea = page.find("textarea", name="identified_data_justification")
    return {
        **checked,
        "identified_data_justification": "".join(
            c for c in textarea.children if isinstance(c, str)
        ).strip(),
        "description": page.find("input", name="description").attrs["value"],
    }


THROUGH_THE_PAGE = [
    ("script.pdf", REFUSED_PDFS[0][1], active_pdf("script.pdf")),
    (
        "hidden.pdf",
        pdf_with_hidden_action(b"<< /S /Launch /F (cmd.exe) >>"),
        active_pdf("hidden.pdf"),
    ),
    ("scan.png", PNG_BYTES + ZIP_BYTES, two_formats("scan.png", "PNG image", "a zip archive")),
    (
        "letter.pdf",
        plain_pdf(between=b"%" + HTML + b"\n"),
        two_formats("letter.pdf", "PDF", "a web page"),
    ),
    ("macros.docx", docx(**{"word/vbaProject.bin": b"x"}), macros("macros.docx")),
    ("bomb.png", png_declaring(20000, 20000), too_many_pixels("bomb.png", "20,000", "20,000")),
]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    THROUGH_THE_PAGE,
    ids=["javascript", "launch-hidden", "png-zip", "pdf-html", "macros", "pixels"],
)
def test_a_hostile_file_posted_on_the_research_step_is_refused_and_the_answers_are_kept(
    riley_client, journey, private_files, name, content, message
):
    draft = journey.draft()
    before = (draft.is_researcher, draft.identified_data_justification)

    response = post_research(riley_client, draft, name, content)

    assert response.status_code == 400
    summary = parsed(response).find("div", cls="error-summary")
    assert [li.text for li in summary.find_all("li")] == [
        f"Add a supporting document (optional): {message}"
    ]
    assert parsed(response).find("div", id="id_file_error").text == message
    assert shown(response) == TYPED
    # Nothing saved: neither the answers nor the file.
    draft.refresh_from_db()
    assert (draft.is_researcher, draft.identified_data_justification) == before
    assert Attachment.objects.count() == 0
    assert not private_files.exists() or list(private_files.rglob("*.*")) == []


@pytest.mark.parametrize(
    ("name", "content", "content_type"), ACCEPTED, ids=[r[0] for r in ACCEPTED]
)
def test_an_ordinary_document_posted_on_the_research_step_is_stored(
    riley_client, journey, private_files, name, content, content_type
):
    draft = journey.draft()

    response = post_research(riley_client, draft, name, content)

    assert response.status_code == 302
    attached = Attachment.objects.get(request=draft)
    assert (attached.original_name, attached.content_type, attached.size) == (
        name,
        content_type,
        len(content),
    )
    assert Path(attached.file.path).read_bytes() == content


# The request's size, from its Content-Length alone.

TOO_LARGE = (
    "This upload is too large for HMIS Access: a file can be at most 10.0\xa0MB. Go back, "
    "choose a smaller file and save again.\n"
)


def test_a_body_declared_larger_than_the_limit_is_answered_413_before_any_view_runs(
    riley_client, journey, private_files, monkeypatch
):
    draft = journey.draft()
    before = AccessRequest.objects.get(pk=draft.pk).updated_at

    def never(*args, **kwargs):
        raise AssertionError("the view ran")

    monkeypatch.setattr("requests_app.application.views._save_step", never)

    response = riley_client.post(
        research_url(draft),
        {"identified_data_justification": "Lost."},
        CONTENT_LENGTH=str(django_settings.MAX_REQUEST_BYTES + 1),
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == TOO_LARGE
    assert AccessRequest.objects.get(pk=draft.pk).updated_at == before
    assert Attachment.objects.count() == 0


def test_the_limit_is_checked_before_signing_in_too(client):
    # An anonymous post would be sent to sign in; the 413 comes first.
    response = client.post(
        reverse("my_requests"), {}, CONTENT_LENGTH=str(django_settings.MAX_REQUEST_BYTES + 1)
    )
    assert (response.status_code, response.content.decode()) == (413, TOO_LARGE)


def test_a_body_of_exactly_the_limit_goes_through(client):
    response = client.get(
        reverse("my_requests"), CONTENT_LENGTH=str(django_settings.MAX_REQUEST_BYTES)
    )
    assert response.status_code == 302


def test_a_content_length_that_is_not_a_number_is_left_to_django(client):
    response = client.get(reverse("my_requests"), CONTENT_LENGTH="lots")
    assert response.status_code == 302


# Settings.


def test_the_request_size_settings_and_their_documented_defaults():
    assert (
        django_settings.MAX_REQUEST_BYTES,
        django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
    ) == (21 * 1024 * 1024, 1024 * 1024, 1000, 2621440)
    # Room for one file at twice the limit and the page's fields.
    assert django_settings.MAX_REQUEST_BYTES == (
        2 * uploads.MAX_ATTACHMENT_BYTES + django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )
    # Before the sessions, CSRF and sign-in, which would otherwise read or act first.
    middleware = django_settings.MIDDLEWARE
    assert middleware.index("hmis_access.middleware.RequestSizeLimitMiddleware") < min(
        middleware.index("django.contrib.sessions.middleware.SessionMiddleware"),
        middleware.index("django.middleware.csrf.CsrfViewMiddleware"),
    )
    example = (Path(django_settings.BASE_DIR) / ".env.example").read_text().splitlines()
    assert {
        line.split("=", 1)[0]: line.split("=", 1)[1]
        for line in example
        if line.split("=", 1)[0]
        in {
            "MAX_REQUEST_BYTES",
            "DATA_UPLOAD_MAX_MEMORY_SIZE",
            "DATA_UPLOAD_MAX_NUMBER_FIELDS",
            "FILE_UPLOAD_MAX_MEMORY_SIZE",
        }
    } == {
        "MAX_REQUEST_BYTES": "22020096",
        "DATA_UPLOAD_MAX_MEMORY_SIZE": "1048576",
        "DATA_UPLOAD_MAX_NUMBER_FIELDS": "1000",
        "FILE_UPLOAD_MAX_MEMORY_SIZE": "2621440",
    }
