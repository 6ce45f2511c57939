"""The policy the site implements, CT HMIS "Granting CT HMIS access" v1.0, as CCEH published it
(granting-hmis-access-policy-v1.0.txt beside this module, the same text as the design's copy),
read into its parts for the policy page: the heading's fields, then each section with its
clauses. The text file is the one source: the page and the plain-text download both read it."""

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

FILE = Path(__file__).with_name("granting-hmis-access-policy-v1.0.txt")
SECTION = re.compile(r"^(?P<number>\d+)\.0\s+(?P<title>.+)$")
CLAUSE = re.compile(r"^(?P<number>\d+\.\d+)\t(?P<text>.*)$")


@dataclass
class Clause:
    number: str
    text: str

    @property
    def anchor(self):
        """The clause's id on the policy page: 1.10 is #clause-1-10."""
        return "clause-" + self.number.replace(".", "-")


@dataclass
class Section:
    number: str
    title: str
    introduction: str = ""
    clauses: list[Clause] = field(default_factory=list)


@dataclass
class Policy:
    title: str
    fields: list[tuple[str, str]]
    sections: list[Section]
    closing: str


def _joined(text, more):
    # The file wraps long clauses onto indented lines; a word split at its hyphen ("de-" then
    # "identified") is one word again.
    return text + more if text.endswith("-") else f"{text} {more}"


def read(text):
    """The policy's parts from its text: a title line, "Name<TAB>value" fields, then sections
    ("1.0 Core Criteria"), each with an optional introduction and its clauses ("1.1<TAB>..."),
    whose continuation lines are indented; a last unindented line closes the document."""
    lines = [line.rstrip() for line in text.splitlines()]
    title, *rest = [line for line in lines if line]
    fields, sections, closing = [], [], ""
    for line in rest:
        section, clause = SECTION.match(line), CLAUSE.match(line)
        if section:
            sections.append(Section(f"{section['number']}.0", section["title"].strip()))
        elif clause and sections:
            sections[-1].clauses.append(Clause(clause["number"], clause["text"].strip()))
        elif line.startswith("\t") and sections and sections[-1].clauses:
            last = sections[-1].clauses[-1]
            last.text = _joined(last.text, line.strip())
        elif not sections:
            name, _, value = line.partition("\t")
            if value.strip():
                fields.append((name.strip(), value.strip()))
        elif not sections[-1].clauses:
            sections[-1].introduction = line.strip()
        else:
            closing = line.strip()
    return Policy(title=title.strip(), fields=fields, sections=sections, closing=closing)


@functools.cache
def policy():
    """The policy as served, read once per process."""
    return read(FILE.read_text(encoding="utf-8"))
