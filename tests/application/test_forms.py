"""The application's forms on their own: what a file is by its content, the named people, the
scope's rules, and the length limits, which must match the database's."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from requests_app.application.forms import (
    AttachmentForm,
    EligibilityStepForm,
    OrganizationStepForm,
    PeopleFormSet,
    PersonForm,
    ProgramStepForm,
    ResearchStepForm,
    ResubmitForm,
    ScopeStepForm,
    WithdrawForm,
)
from requests_app.application.uploads import DOCX, JPEG, PDF, PNG, sniff
from requests_app.models import CAN, AccessRequest, Attachment, NamedPerson, Organization

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def image(kind, size=(8, 8)):
    buffer = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buffer, kind)
    return buffer.getvalue()


def archive(*names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        for name in names:
            zipped.writestr(name, "<?xml version='1.0'?><x/>")
    return buffer.getvalue()


PNG_BYTES, JPEG_BYTES = image("PNG", (64, 64)), image("JPEG")


SNIFFED = [
    ("approval.pdf", PDF_BYTES, PDF),
    ("scan.png", PNG_BYTES, PNG),
    ("photo.jpg", JPEG_BYTES, JPEG),
    ("letter.docx", archive("[Content_Types].xml", "word/document.xml"), DOCX),
    # What it is, not what it is called.
    ("photo.pdf", JPEG_BYTES, JPEG),
    ("scan.docx", PNG_BYTES, PNG),
    ("notes.pdf", b"Plain text renamed to .pdf\n", None),
    ("cut.pdf", PDF_BYTES[:-6], None),
    ("cut.png", PNG_BYTES[: len(PNG_BYTES) // 2], None),
    ("garbage.png", b"\x89PNG\r\n\x1a\n" + b"not an image" * 20, None),
    ("garbage.jpg", b"\xff\xd8\xff" + b"not an image" * 20, None),
    ("sheet.docx", archive("[Content_Types].xml", "xl/workbook.xml"), None),
    ("bare.docx", archive("word/document.xml"), None),
    ("broken.docx", b"PK\x03\x04" + b"not a zip" * 20, None),
    ("image.gif", b"GIF89a" + b"\x00" * 40, None),
    ("empty.pdf", b"", None),
]


@pytest.mark.parametrize(("name", "content", "found"), SNIFFED, ids=[row[0] for row in SNIFFED])
def test_sniff_tells_a_file_by_its_content(name, content, found):
    upload = SimpleUploadedFile(name, content)

    assert sniff(upload) == found
    # The file can still be read whole afterwards, to be stored.
    assert upload.read() == content


def test_sniff_finds_the_pdf_end_marker_only_near_the_end():
    # %%EOF early in a large file, with 2 kB after it: not a complete PDF.
    content = b"%PDF-1.4\n%%EOF\n" + b"0" * 2048
    assert sniff(SimpleUploadedFile("odd.pdf", content)) is None


# Named people.


def people_data(*rows, initial=0):
    data = {
        "people-TOTAL_FORMS": str(len(rows)),
        "people-INITIAL_FORMS": str(initial),
        "people-MIN_NUM_FORMS": "0",
        "people-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        data.update({f"people-{i}-{key}": value for key, value in row.items()})
    return data


def person(name, email, level="view", **more):
    return {"name": name, "email": email, "requested_level": level, **more}


def errors_of(formset):
    return [dict(form.errors) for form in formset.forms]


def test_two_people_with_the_same_e_mail_whatever_the_case_are_refused_on_the_second():
    formset = PeopleFormSet(
        people_data(person("Ada", "ada@x.org"), person("Ada Again", "ADA@X.org")),
        prefix="people",
    )

    assert formset.is_valid() is False
    assert errors_of(formset) == [
        {},
        {"email": ["Ada is already named with ada@x.org. Name each person once."]},
    ]


def test_a_person_already_saved_and_a_new_row_with_their_e_mail_are_refused():
    initial = [
        {"id": 7, "name": "Ada", "title": "", "email": "ada@x.org", "requested_level": "view"}
    ]
    data = people_data(
        person("Ada", "ada@x.org", id="7", title=""),
        person("Ada Again", "Ada@X.org", "full"),
        initial=1,
    )
    formset = PeopleFormSet(data, initial=initial, prefix="people")

    assert formset.is_valid() is False
    assert errors_of(formset) == [
        {},
        {"email": ["Ada is already named with ada@x.org. Name each person once."]},
    ]


def test_a_person_removed_and_named_again_in_one_save_is_no_duplicate():
    initial = [
        {"id": 7, "name": "Ada", "title": "", "email": "ada@x.org", "requested_level": "view"}
    ]
    data = people_data(
        person("Ada", "ada@x.org", id="7", DELETE="on"),
        person("Ada Lovelace", "ada@x.org", "full"),
        initial=1,
    )
    formset = PeopleFormSet(data, initial=initial, prefix="people")

    assert formset.is_valid() is True
    assert formset.people() == [
        {
            "id": 7,
            "name": "Ada",
            "title": "",
            "email": "ada@x.org",
            "requested_level": "view",
            "DELETE": True,
            "delete": True,
        },
        {
            "id": None,
            "name": "Ada Lovelace",
            "title": "",
            "email": "ada@x.org",
            "requested_level": "full",
            "DELETE": False,
            "delete": False,
        },
    ]


def test_people_with_different_e_mails_are_all_kept_and_an_empty_row_is_ignored():
    formset = PeopleFormSet(
        people_data(person("Ada", "ada@x.org"), person("Bo", "bo@x.org", "reporting"), {}),
        prefix="people",
    )

    assert formset.is_valid() is True
    assert [(row["name"], row["email"], row["requested_level"]) for row in formset.people()] == [
        ("Ada", "ada@x.org", "view"),
        ("Bo", "bo@x.org", "reporting"),
    ]


def test_more_than_50_people_are_refused():
    rows = [person(f"P{i}", f"p{i}@x.org") for i in range(51)]
    formset = PeopleFormSet(people_data(*rows), prefix="people")

    assert formset.is_valid() is False
    assert formset.non_form_errors() == ["Please submit at most 50 forms."]


# The scope's rules.


@pytest.fixture
def cans(catalogue):
    return {can.slug: can for can in CAN.objects.all()}


@pytest.mark.parametrize(
    ("scope", "ticked", "errors", "answers"),
    [
        ("statewide", [], {}, {"statewide": True, "cans": []}),
        ("cans", ["greater-hartford"], {}, {"statewide": False, "cans": ["greater-hartford"]}),
        (
            "cans",
            ["greater-hartford", "eastern"],
            {},
            {"statewide": False, "cans": ["eastern", "greater-hartford"]},
        ),
        # Not answered yet: a draft may leave it.
        ("", [], {}, {"statewide": False, "cans": []}),
        (
            "cans",
            [],
            {"cans": ["Choose at least one CAN, or choose statewide above."]},
            None,
        ),
        (
            "statewide",
            ["eastern"],
            {
                "scope": [
                    "You ticked CANs: choose \u201cIn one or more CANs\u201d, or untick them for "
                    "statewide."
                ]
            },
            None,
        ),
        (
            "",
            ["eastern"],
            {
                "scope": [
                    "You ticked CANs: choose \u201cIn one or more CANs\u201d, or untick them for "
                    "statewide."
                ]
            },
            None,
        ),
    ],
)
def test_the_scope_is_statewide_or_some_cans_never_both_nor_cans_without_any(
    cans, scope, ticked, errors, answers
):
    form = ScopeStepForm(
        {"scope": scope, "cans": [cans[slug].pk for slug in ticked], "purpose": "P"}
    )

    assert (form.is_valid(), dict(form.errors)) == (not errors, errors)
    if answers is not None:
        given = form.answers()
        assert {
            "statewide": given["statewide"],
            "cans": sorted(can.slug for can in given["cans"]),
        } == answers


# Length limits: each form refuses what its database column could not hold.

LIMITS = [
    (ProgramStepForm, "program", AccessRequest, "program"),
    (ProgramStepForm, "contact_name", AccessRequest, "contact_name"),
    (ProgramStepForm, "contact_email", AccessRequest, "contact_email"),
    (ProgramStepForm, "contact_phone", AccessRequest, "contact_phone"),
    (ScopeStepForm, "purpose", AccessRequest, "purpose"),
    (ScopeStepForm, "contribution", AccessRequest, "contribution"),
    (ScopeStepForm, "existing_reporting_gap", AccessRequest, "existing_reporting_gap"),
    (EligibilityStepForm, "usage_frequency", AccessRequest, "usage_frequency"),
    (EligibilityStepForm, "funding_relation", AccessRequest, "funding_relation"),
    (EligibilityStepForm, "homeless_relationship", AccessRequest, "homeless_relationship"),
    (EligibilityStepForm, "prior_access_details", AccessRequest, "prior_access_details"),
    (
        ResearchStepForm,
        "identified_data_justification",
        AccessRequest,
        "identified_data_justification",
    ),
    (PersonForm, "name", NamedPerson, "name"),
    (PersonForm, "title", NamedPerson, "title"),
    (PersonForm, "email", NamedPerson, "email"),
    (OrganizationStepForm, "website", Organization, "website"),
    (OrganizationStepForm, "address", Organization, "address"),
    (AttachmentForm, "description", Attachment, "description"),
]


@pytest.mark.parametrize(
    ("form_class", "field", "model", "column"),
    LIMITS,
    ids=[f"{form_class.__name__}.{field}" for form_class, field, _model, _column in LIMITS],
)
def test_each_answer_is_limited_to_what_its_column_holds(form_class, field, model, column):
    assert form_class.base_fields[field].max_length == model._meta.get_field(column).max_length


TEXT_LIMITS = [
    (ProgramStepForm, "program", 200),
    (ProgramStepForm, "contact_name", 150),
    (ScopeStepForm, "purpose", 4000),
    (ScopeStepForm, "contribution", 4000),
    (ScopeStepForm, "existing_reporting_gap", 4000),
    (EligibilityStepForm, "usage_frequency", 200),
    (EligibilityStepForm, "funding_relation", 4000),
    (EligibilityStepForm, "homeless_relationship", 4000),
    (EligibilityStepForm, "prior_access_details", 2000),
    (ResearchStepForm, "identified_data_justification", 4000),
    (ResubmitForm, "response", 10000),
    (WithdrawForm, "reason", 4000),
]


@pytest.mark.parametrize(("form_class", "field", "limit"), TEXT_LIMITS)
def test_a_text_at_its_limit_is_accepted_and_one_character_more_is_refused(
    form_class, field, limit
):
    at_limit = form_class({field: "a" * limit})
    over = form_class({field: "a" * (limit + 1)})

    assert field not in at_limit.errors
    assert over.errors[field] == [
        f"Ensure this value has at most {limit} characters (it has {limit + 1})."
    ]
