"""The queue's search, staged the same way on PostgreSQL (in the test's own database) and on
SQLite (in a process of its own: `python -m tests.support.searches`, with DATABASE_URL naming
an SQLite file), so both databases are asked the same questions."""

import json
import sys

# Terms and the requests they find, on either database: a part of a reference, of an
# organization's name, of a named person's name or e-mail, whatever the case. A request
# matched twice is listed once.
SEARCHES = {
    "r-elm": ["elm"],
    "ELM STREET": ["elm"],
    "reyes": ["harbor"],
    "Kim Park": ["elm"],
    "ALOPEZ@COUNTY": ["county"],
    "health": ["harbor"],
    "nobody at all": [],
}


def stage():
    """Three submitted requests, and a function that answers a search with their names."""
    from requests_app.core.states import Status
    from requests_app.models import AccessRequest
    from requests_app.screening.filters import QueueFilter
    from tests.support.factories import (
        AccessRequestFactory,
        NamedPersonFactory,
        OrganizationFactory,
        UserFactory,
    )

    made = {
        "elm": AccessRequestFactory(
            reference="R-ELM-1", organization=OrganizationFactory(name="Elm Street Clinic")
        ),
        "harbor": AccessRequestFactory(
            reference="R-HBR-2", organization=OrganizationFactory(name="Harbor Health")
        ),
        "county": AccessRequestFactory(
            reference="R-CTY-3", organization=OrganizationFactory(name="County Services")
        ),
    }
    NamedPersonFactory(request=made["elm"], name="Kim Park", email="kim@elm.example")
    NamedPersonFactory(request=made["harbor"], name="Dana Reyes", email="dana@harbor.example")
    NamedPersonFactory(request=made["harbor"], name="Luis Reyes", email="luis@harbor.example")
    NamedPersonFactory(request=made["county"], name="Ana Lopez", email="alopez@county.example")
    AccessRequest.objects.filter(pk__in=[r.pk for r in made.values()]).update(
        status=Status.SUBMITTED
    )
    names = {request.pk: name for name, request in made.items()}
    staff = UserFactory(is_cceh_staff=True)

    def found(term):
        listed = QueueFilter({"q": term}, queryset=AccessRequest.objects.all(), user=staff).qs
        return sorted(names[pk] for pk in listed.values_list("pk", flat=True))

    return found


if __name__ == "__main__":
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    answer = stage()
    print(json.dumps({term: answer(term) for term in json.loads(sys.argv[1])}))
