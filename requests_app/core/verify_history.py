#!/usr/bin/env python3
"""Verify an HMIS Access history bundle offline, with nothing but Python's standard library.

    python verify_history.py bundle.json [--files DIR]

A bundle (written by `python manage.py export_history`) holds chains: a request's events, the
reads of its pages and files, the site's CSV exports. Each entry carries the SHA-256 of the
entry before it in its chain (`prev`) and its own digest: the SHA-256 of `prev` followed by the
SHA-256 of its canonical content. Changing any byte of an entry's content, removing an entry or
swapping two breaks the chain at that entry, and this script names the first broken one.

The documents a request rests on are listed with their SHA-256: an application version carries
its frozen text, which is hashed again here; an MOU version's PDF is checked when --files names
the directory holding the bundle's files. A document whose hash the history itself names (the
event that submitted or issued it) is checked against that event too.

This file is also the site's own definition of the digests (requests_app/core/chain.py imports
it), so the site and the verifier cannot drift apart. It must keep depending only on the
standard library: it is shipped for people who do not run the site. See docs/security.md.
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

FORMAT = "hmis-access-history/1"
# The `prev` of a chain's first entry.
GENESIS = "0" * 64


def canonical(content):
    """The one byte form of an entry's content: sorted keys, no spaces, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_digest(content):
    return hashlib.sha256(canonical(content)).hexdigest()


def link(prev, content_sha256):
    """An entry's digest: the SHA-256 of the digest before it followed by its content's."""
    return hashlib.sha256((prev + content_sha256).encode("ascii")).hexdigest()


class Broken(Exception):
    """The first place where the bundle is not what its history says."""


def verify_chain(chain):
    """Walk one chain from its anchor; raise Broken at the first entry that does not hold."""
    name = chain["name"]
    prev = chain["anchor"]
    for position, entry in enumerate(chain["entries"], start=1):
        where = f"{name}, entry {position}"
        if entry.get("position", position) != position:
            raise Broken(f"{where}: it says it is entry {entry['position']} (moved or removed)")
        if entry["prev"] != prev:
            raise Broken(
                f"{where}: it follows {entry['prev'][:12]}…, but the entry before it ends "
                f"{prev[:12]}… (an entry was removed, added or moved)"
            )
        if link(prev, content_digest(entry["content"])) != entry["digest"]:
            raise Broken(f"{where}: its content is not what its digest sealed (it was changed)")
        prev = entry["digest"]
    if chain["head"] != prev:
        raise Broken(f"{name}: it ends {prev[:12]}…, not at its head {chain['head'][:12]}…")
    return len(chain["entries"])


def named_hashes(chains):
    """Every SHA-256 the verified history names in an entry's data."""
    names = set()
    for chain in chains:
        for entry in chain["entries"]:
            data = entry["content"].get("data") or {}
            if isinstance(data, dict) and isinstance(data.get("sha256"), str):
                names.add(data["sha256"])
    return names


def verify_documents(documents, named, files=None):
    for number, document in enumerate(documents, start=1):
        where = f"document {number} ({document['request']} {document['kind']} {document['number']})"
        if "content" in document:
            actual = hashlib.sha256(document["content"].encode()).hexdigest()
            if actual != document["sha256"]:
                raise Broken(f"{where}: its text does not match its SHA-256 (it was changed)")
        if files is not None and document.get("file"):
            path = Path(files) / document["file"]
            if not path.is_file():
                raise Broken(f"{where}: {path} is missing")
            if hashlib.sha256(path.read_bytes()).hexdigest() != document["sha256"]:
                raise Broken(f"{where}: {path} does not match its SHA-256")
        if document.get("named_by_history") and document["sha256"] not in named:
            raise Broken(f"{where}: the history names another SHA-256 for it")
    return len(documents)


def verify(bundle, files=None):
    """A line saying what was verified; Broken naming the first broken link otherwise."""
    if bundle.get("format") != FORMAT:
        raise Broken(f"not a {FORMAT} bundle")
    entries = sum(verify_chain(chain) for chain in bundle["chains"])
    documents = verify_documents(bundle["documents"], named_hashes(bundle["chains"]), files)
    return (
        f"verified: {len(bundle['chains'])} chains, {entries} entries, {documents} documents "
        "unbroken"
    )


def verify_file(path, files=None):
    try:
        bundle = json.loads(Path(path).read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Broken(f"{path} is not a readable bundle: {error}") from None
    try:
        return verify(bundle, files)
    except (KeyError, TypeError, AttributeError) as error:
        raise Broken(f"{path} is not a complete bundle: missing or malformed {error}") from None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle")
    parser.add_argument("--files", help="the directory holding the bundle's MOU files")
    arguments = parser.parse_args(argv)
    try:
        print(verify_file(arguments.bundle, arguments.files))
    except Broken as broken:
        print(f"BROKEN: {broken}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
