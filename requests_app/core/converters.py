"""Path converters that match only what the app ever puts in its addresses. Anything else is
a 404 at the URL resolver, before a view runs: a NUL byte in a path value would otherwise
reach PostgreSQL, which refuses it with an error (a 500), not an empty result."""


class ReferenceConverter:
    """A request's reference, as AccessRequest.save() makes it: HMIS-<year>-<pk, at least four
    digits>. The column holds 20 characters, so the number has at most ten digits."""

    regex = r"HMIS-[0-9]{4}-[0-9]{4,10}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
