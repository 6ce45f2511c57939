"""PDFs in tests: reading a rendered MOU back as text, counting renders, and the cheap stand-in
for WeasyPrint's render that every test not marked `pdf` gets (tests/conftest.py)."""

import functools
import hashlib
import io
import xml.etree.ElementTree as ET

import pypdf
import weasyprint

# Where the stand-in writes the digest of the HTML it was given, in the PDF's metadata: the
# same length as a SHA-256 in hex, so the PDF's cross-reference offsets stay right.
_STAMP = b"0" * 64

# WeasyPrint's own render, which the tests marked `pdf` get back.
weasyprint_write_pdf = weasyprint.HTML.write_pdf


def text_of(pdf):
    """The PDF's text, every page, with its line breaks and spacing folded; and its page count."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # A line broken after a hyphen ("de-" / "identified") reads as one word.
    text = " ".join(page.extract_text() for page in reader.pages).replace("-\n", "-")
    return " ".join(text.split()), len(reader.pages)


def stored_bytes(mou):
    """The bytes of a stored MOU version's file."""
    with mou.file.open("rb") as f:
        return f.read()


def count_renders(monkeypatch):
    """A list that gets the HTML of every WeasyPrint render from now on (the stand-in's or the
    real one), for a test to count them."""
    renders = []
    write_pdf = weasyprint.HTML.write_pdf

    def counted(html, *args, **kwargs):
        renders.append(html)
        return write_pdf(html, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", counted)
    return renders


@functools.cache
def blank_pdf():
    """A valid one-page PDF with nothing on its page, built once."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Subject": _STAMP.decode()})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def cheap_write_pdf(html, target=None, **options):
    """Stands in for `weasyprint.HTML.write_pdf`: the blank page, stamped with the digest of
    the HTML, so different documents still give different bytes (and hashes), the same
    document the same bytes. Writes to `target` when given, as WeasyPrint does."""
    digest = hashlib.sha256(ET.tostring(html.etree_element)).hexdigest().encode()
    pdf = blank_pdf().replace(_STAMP, digest, 1)
    if target is None:
        return pdf
    if hasattr(target, "write"):
        target.write(pdf)
    else:
        with open(target, "wb") as f:
            f.write(pdf)
    return None
