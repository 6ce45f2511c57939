"""Named personas shared by every test: who may come near a request."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from requests_app.models import CAN

from .factories import MembershipFactory, OrganizationFactory, UserFactory


def load_catalogue():
    """The CANs and the criteria of policy v1.0, from the project's fixtures."""
    call_command("loaddata", "cans", "criteria", verbosity=0)


@dataclass
class Personas:
    """Everyone who may come near a request. `harbor` is the requesting organization;
    `lee` leads Greater Hartford, the CAN that `named_can` requests name."""

    anonymous: AnonymousUser
    riley: object  # requestor of the requesting organization
    quinn: object  # requestor of another organization
    sam: object  # CCEH staff
    morgan: object  # sub-committee member
    casey: object  # sub-committee chair
    lee: object  # leader of the named CAN
    pat: object  # leader of another CAN
    alex: object  # administrator
    harbor: object
    elsewhere: object
    hartford: CAN
    eastern: CAN

    def by_name(self, name):
        return getattr(self, name)


PERSONA_NAMES = ["anonymous", "riley", "quinn", "sam", "morgan", "casey", "lee", "pat", "alex"]


def make_personas():
    """The personas, for the `personas` fixture and for modules that stage them once."""
    harbor = OrganizationFactory(name="Harbor Health Partners")
    elsewhere = OrganizationFactory(name="Elsewhere Services")
    riley = MembershipFactory(organization=harbor, user__name="Riley Requestor").user
    quinn = MembershipFactory(organization=elsewhere, user__name="Quinn Other").user
    hartford = CAN.objects.get(slug="greater-hartford")
    eastern = CAN.objects.get(slug="eastern")
    lee = UserFactory(name="Lee Leader", led_cans=[hartford])
    pat = UserFactory(name="Pat Leader", led_cans=[eastern])
    return Personas(
        anonymous=AnonymousUser(),
        riley=riley,
        quinn=quinn,
        sam=UserFactory(name="Sam Staff", is_cceh_staff=True),
        morgan=UserFactory(name="Morgan Member", is_committee_member=True),
        casey=UserFactory(name="Casey Chair", is_committee_chair=True),
        lee=lee,
        pat=pat,
        alex=UserFactory(name="Alex Admin", is_staff=True, is_superuser=True),
        harbor=harbor,
        elsewhere=elsewhere,
        hartford=hartford,
        eastern=eastern,
    )
