"""The demo's applications (the demo command loads them): nine organizations, each with the one
request it made, whose answers read like a real application and fit where the workflow takes
it. Each question's clause is the policy's ("Granting CT HMIS access" v1.0, docs/design.md
section 3); `story` names what the workflow does with the request after it is written
(requests_app/management/commands/demo.py), and `screening` the criteria whose assessment
differs from what the answers make plain, with staff's note."""

from requests_app.core.states import AccessLevel

ONGOING, ONE_TIME = "ongoing", "one_time"
FULL, VIEW, REPORTING = AccessLevel.FULL, AccessLevel.VIEW, AccessLevel.REPORTING
MET, NOT_MET, NOT_APPLICABLE, UNCLEAR = "met", "not_met", "not_applicable", "unclear"

NOT_A_RESEARCHER = {
    "is_researcher": False,
    "aggregated_data_sufficient": None,
    "identified_data_justification": "",
}
NO_PRIOR_ACCESS = {
    "had_prior_access": False,
    "prior_access_details": "",
    "prior_access_revoked": None,
}

APPLICATIONS = [
    {
        "story": "draft",
        "organization": {
            "name": "Harbor Health Partners",
            "kind": "health_care",
            "address": "100 Harbor Street, Hartford, CT 06103",
            "website": "https://harbor-health.example.org",
        },
        # The demo's requestor: their draft is theirs to finish and submit.
        "applicant": ("requestor@demo.test", "Riley Requestor", "Director of Care Coordination"),
        "program": "Care Transitions Program",
        "contact_phone": "860-555-0142",
        "cans": ["greater-hartford"],
        "purpose": "Our care transitions nurses plan the discharge of patients from Harbor's two "
        "Hartford hospitals. We ask to see whether a patient leaving without a home is already "
        "enrolled with a shelter, a housing program or Coordinated Access, so the discharge is "
        "planned with the program that knows them.",
        "contribution": "Patients leave with a shelter bed or a housing appointment instead of "
        "to the street, fewer come back to the emergency department, and people who have no "
        "CAN assessment yet are referred for one before they leave.",
        "existing_reporting_gap": "CTCANDATA.org reports are monthly counts. A discharge "
        "planner needs one patient's enrollment on the day the patient leaves, which no report "
        "gives.",
        "need_type": ONGOING,
        "usage_frequency": "Daily: about 15 look-ups a week by the two people named",
        "funding_relation": "Our Medicaid care coordination contract requires a housing plan at "
        "discharge for every member without a stable address.",
        "homeless_relationship": "About 1,200 emergency visits a year are by people without "
        "housing; our nurses already refer patients to the Greater Hartford CAN by phone.",
        **NOT_A_RESEARCHER,
        **NO_PRIOR_ACCESS,
        "people": [
            (
                "Jordan Price",
                "Care Transitions Nurse",
                "jordan.price@harbor-health.example.org",
                VIEW,
            ),
            (
                "Avery Chen",
                "Care Transitions Manager",
                "avery.chen@harbor-health.example.org",
                REPORTING,
            ),
        ],
        # Still being written: the attestations are the last step, not given yet.
        "attests": False,
    },
    {
        "story": "submitted",
        "organization": {
            "name": "Shoreline Legal Aid",
            "kind": "nonprofit",
            "address": "55 Church Street, New Haven, CT 06510",
            "website": "https://shoreline-legal.example.org",
        },
        "applicant": ("dana.ortiz@shoreline-legal.example.org", "Dana Ortiz", "Managing Attorney"),
        "program": "Housing Stability Project",
        "contact_phone": "203-555-0178",
        "cans": ["greater-new-haven"],
        "purpose": "Our attorneys defend tenants facing eviction. With a client's consent, we ask "
        "to see whether they are already enrolled in a prevention or rapid rehousing program, so "
        "we work with their case manager instead of starting over.",
        "contribution": "An eviction prevented keeps a household out of shelter; knowing the "
        "client's case manager lets a settlement use the prevention funds already set aside "
        "for them.",
        "existing_reporting_gap": "The reports count households by program. We need to know, "
        "for one consenting client, which program is working with them this week.",
        "need_type": ONGOING,
        "usage_frequency": "Weekly, at intake, by the two people named",
        "funding_relation": "Our City of New Haven eviction prevention grant requires us to "
        "coordinate with the Greater New Haven CAN's prevention providers.",
        "homeless_relationship": "Four in ten of our clients have stayed in shelter or are at "
        "imminent risk of it; we hold a weekly legal clinic at a New Haven shelter.",
        **NOT_A_RESEARCHER,
        **NO_PRIOR_ACCESS,
        "people": [
            ("Dana Ortiz", "Managing Attorney", "dana.ortiz@shoreline-legal.example.org", VIEW),
            ("Marcus Bell", "Paralegal", "marcus.bell@shoreline-legal.example.org", VIEW),
        ],
        "attests": True,
    },
    {
        "story": "screening",
        "organization": {
            "name": "Connecticut Department of Correction, Reentry Services",
            "kind": "government",
            "address": "24 Wolcott Hill Road, Wethersfield, CT 06109",
            "website": "https://doc-reentry.example.gov",
        },
        "applicant": ("renee.walsh@doc-reentry.example.gov", "Renee Walsh", "Director of Reentry"),
        "program": "Reentry Housing Planning",
        "contact_phone": "860-555-0110",
        # Its facilities release people to every part of the state.
        "statewide": True,
        "purpose": "Reentry counselors in every facility plan each release. We ask to see "
        "whether a person leaving custody was homeless before and which CAN holds their "
        "assessment, so the release is planned with housing in place.",
        "contribution": "A release to the street or a shelter is one of the commonest ways into "
        "homelessness; planning with the CAN before the release date means fewer people leave "
        "with nowhere to go.",
        "existing_reporting_gap": "The quarterly matching reports CCEH runs for us are counts, "
        "months old; a counselor needs one person's status before their release date.",
        "need_type": ONGOING,
        "usage_frequency": "Weekly, for each person within 90 days of release",
        "funding_relation": "Our federal Second Chance Act reentry grant requires a housing "
        "plan for every person released under it.",
        "homeless_relationship": "Our counselors refer about 600 people a year to Coordinated "
        "Access at release and work with each CAN's reentry navigator.",
        **NOT_A_RESEARCHER,
        **NO_PRIOR_ACCESS,
        "people": [
            (
                "Renee Walsh",
                "Director of Reentry",
                "renee.walsh@doc-reentry.example.gov",
                REPORTING,
            ),
            ("Tomas Rivera", "Reentry Counselor", "tomas.rivera@doc-reentry.example.gov", VIEW),
            ("Keisha Grant", "Reentry Counselor", "keisha.grant@doc-reentry.example.gov", VIEW),
        ],
        "attests": True,
        "screening": {
            "2.2": (
                UNCLEAR,
                "A corrections agency seeing client records: confirm the MOU can bar any use "
                "for supervision or enforcement before deciding.",
            ),
        },
    },
    {
        "story": "returned",
        "organization": {
            "name": "Thames Valley Workforce Board",
            "kind": "other",
            "address": "1 Union Plaza, New London, CT 06320",
            "website": "https://thames-workforce.example.org",
        },
        "applicant": (
            "hannah.brooks@thames-workforce.example.org",
            "Hannah Brooks",
            "Program Manager",
        ),
        "program": "Pathways to Work",
        "contact_phone": "860-555-0193",
        "cans": ["eastern"],
        "purpose": "Career coaches at our job centers serve people staying in shelters. We ask "
        "to see which shelter or housing program a job seeker is enrolled in, to plan their "
        "training with their case manager.",
        "contribution": "Income is the quickest way out of shelter: coaches who know a job "
        "seeker's housing plan can time training and placement to it.",
        "existing_reporting_gap": "The reports say how many people are in shelter, not which of "
        "our job seekers are or who their case manager is.",
        "need_type": ONGOING,
        # Vague on purpose: staff return the request to ask who and how often (1.2).
        "usage_frequency": "As needed",
        "funding_relation": "Our federal workforce grant asks us to coordinate with homeless "
        "service providers for job seekers without housing.",
        "homeless_relationship": "A coach works at the New London shelter two days a week.",
        **NOT_A_RESEARCHER,
        **NO_PRIOR_ACCESS,
        "people": [
            (
                "Hannah Brooks",
                "Program Manager",
                "hannah.brooks@thames-workforce.example.org",
                VIEW,
            ),
        ],
        "attests": True,
        "screening": {
            "1.2": (UNCLEAR, '"As needed": ongoing, or now and then? Asked the requestor.'),
        },
        "returned_with": 'You wrote "as needed" for how often the data will be used (1.2). '
        "Which of your coaches will use HMIS, and how often each week? Name each of them on the "
        "people step.",
    },
    {
        "story": "vetting",
        "organization": {
            "name": "Nutmeg State University, Center for Housing and Health Research",
            "kind": "research",
            "address": "200 College Street, New Haven, CT 06511",
            "website": "https://housing-health.nutmeg-state.example.edu",
        },
        "applicant": (
            "priya.natarajan@nutmeg-state.example.edu",
            "Priya Natarajan",
            "Principal Investigator",
        ),
        "program": "Housing and Emergency Care Study",
        "contact_phone": "203-555-0127",
        # The study's supportive housing partners are in both regions.
        "cans": ["greater-hartford", "greater-new-haven"],
        "purpose": "A three-year study of whether permanent supportive housing reduces "
        "emergency department use. We ask to link the HMIS enrollments of adults housed in "
        "Greater Hartford and Greater New Haven to their Medicaid claims.",
        "contribution": "Evidence of what supportive housing saves the health-care system, for "
        "the case to fund more units.",
        "existing_reporting_gap": "The published reports and CCEH's custom pulls are aggregate: "
        "they carry no identifiers, so they cannot be linked to claims.",
        "need_type": ONGOING,
        "usage_frequency": "Monthly, to refresh the matched cohort, for three years",
        "funding_relation": "Our research grant funds the study with two supportive housing "
        "providers of the named CANs as partners.",
        "homeless_relationship": "We do not serve clients; our partners do, and our community "
        "advisory board includes people who have been homeless.",
        "is_researcher": True,
        "aggregated_data_sufficient": False,
        "identified_data_justification": "Linking to Medicaid claims needs names and dates of "
        "birth. Our IRB approved the linkage (protocol 2026-114) on condition that identifiers "
        "are destroyed once matched. We would accept CCEH running the match if it can.",
        **NO_PRIOR_ACCESS,
        "people": [
            (
                "Priya Natarajan",
                "Principal Investigator",
                "priya.natarajan@nutmeg-state.example.edu",
                REPORTING,
            ),
            ("Owen Fitzgerald", "Data Analyst", "owen.fitzgerald@nutmeg-state.example.edu", VIEW),
        ],
        "attests": True,
        "screening": {
            "1.4": (
                MET,
                "Through partners: two supportive housing providers and an advisory board of "
                "people who have been homeless.",
            ),
            "1.9": (
                UNCLEAR,
                "A researcher asking for identified data, to link to Medicaid claims. The IRB "
                "approved it; could a match run by CCEH, returning de-identified data, serve?",
            ),
        },
        "escalated_with": "A researcher asks for identified data to link HMIS enrollments to "
        "Medicaid claims (1.9). The IRB approved the linkage, but 1.9 asks for aggregated, "
        "de-identified data whenever possible: would a match run by CCEH that returns "
        "de-identified data serve the study? Both named CANs are asked to weigh in (4.2).",
    },
    {
        "story": "approved",
        "organization": {
            "name": "St. Brendan's Hospital",
            "kind": "health_care",
            "address": "560 Farmington Avenue, Hartford, CT 06105",
            "website": "https://stbrendans.example.org",
        },
        "applicant": (
            "marisol.vega@stbrendans.example.org",
            "Marisol Vega",
            "Manager, ED Social Work",
        ),
        "program": "Emergency Department Social Work",
        "contact_phone": "860-555-0166",
        "cans": ["greater-hartford"],
        "purpose": "Our emergency department social workers see people who sleep outside or in "
        "shelter. We ask to see a patient's shelter and housing enrollments, to reach their "
        "case manager before the patient leaves.",
        "contribution": "A patient's case manager hears the same day, so a housing placement in "
        "progress is not lost to a hospital stay.",
        "existing_reporting_gap": "No report names a patient's case manager; we phone shelters "
        "one by one today.",
        "need_type": ONGOING,
        "usage_frequency": "Daily, on every shift",
        "funding_relation": "Our hospital's community benefit plan, filed with the state, "
        "commits us to coordinate with the Greater Hartford CAN.",
        "homeless_relationship": "Our social workers attend the CAN's weekly case conferencing "
        "and see about 900 patients a year who have no home.",
        **NOT_A_RESEARCHER,
        **NO_PRIOR_ACCESS,
        "people": [
            (
                "Marisol Vega",
                "Manager, ED Social Work",
                "marisol.vega@stbrendans.example.org",
                VIEW,
            ),
            ("Ethan Park", "ED Social Worker", "ethan.park@stbrendans.example.org", VIEW),
        ],
        "attests": True,
        "recommendation": "St. Brendan's social workers already take part in our case "
        "conferencing; view access lets them do it without phoning around.",
    },
    {
        "story": "active",
        "organization": {
            "name": "Hearth & Home Family Services",
            "kind": "nonprofit",
            "address": "38 Main Street, New Britain, CT 06051",
            "website": "https://hearth-home.example.org",
        },
        "applicant": ("gwen.alvarez@hearth-home.example.org", "Gwen Alvarez", "Executive Director"),
        "program": "Family Shelter Diversion",
        "contact_phone": "860-555-0135",
        # New Britain families are served by both CANs.
        "cans": ["greater-hartford", "central"],
        "purpose": "Our diversion specialists help families calling for shelter stay with "
        "relatives or keep their home. We ask to see whether a family is already enrolled with a "
        "shelter or a diversion program, and to report our diversion outcomes.",
        "contribution": "Each family diverted is one fewer in shelter; our outcome reports show "
        "the CANs which diversion works.",
        "existing_reporting_gap": "CTCANDATA.org does not report diversion by provider, and a "
        "specialist needs to know today whether a family is already enrolled elsewhere.",
        "need_type": ONGOING,
        "usage_frequency": "Daily by the specialist; a monthly outcome report",
        "funding_relation": "Our foundation diversion grant requires monthly outcome reports "
        "from HMIS and coordination with both CANs.",
        "homeless_relationship": "Our specialists take about 80 calls a month from families "
        "with nowhere to stay, referred by 2-1-1.",
        **NOT_A_RESEARCHER,
        "had_prior_access": True,
        "prior_access_details": "A view-only account in 2021 and 2022 under a grant that ended; "
        "closed at the end of the grant.",
        "prior_access_revoked": False,
        "people": [
            (
                "Gwen Alvarez",
                "Executive Director",
                "gwen.alvarez@hearth-home.example.org",
                REPORTING,
            ),
            ("Nina Patel", "Diversion Specialist", "nina.patel@hearth-home.example.org", VIEW),
            # The life of access after activation (the demo's `_keep_current`): each of these
            # people ends in one state of docs/design.md's "Keeping access current".
            ("Luis Moreno", "Housing Navigator", "luis.moreno@hearth-home.example.org", VIEW),
            ("Tara Quinn", "Diversion Specialist", "tara.quinn@hearth-home.example.org", VIEW),
            ("Ben Ortiz", "Case Manager", "ben.ortiz@hearth-home.example.org", VIEW),
            ("Rosa Lind", "Intake Coordinator", "rosa.lind@hearth-home.example.org", VIEW),
            ("Victor Hale", "Outreach Worker", "victor.hale@hearth-home.example.org", VIEW),
        ],
        "attests": True,
        # The MOU became active this many days before the demo runs, each person's training
        # this many days before that (default: that day): Rosa's falls due within the reminder
        # window, Victor's is past due beyond ACCESS_GRACE_DAYS, so the daily settle suspends
        # him.
        "active_days_ago": 40,
        "trained_days_before": {
            "rosa.lind@hearth-home.example.org": 305,
            "victor.hale@hearth-home.example.org": 360,
        },
        "life": {
            "lowered": ("luis.moreno@hearth-home.example.org", REPORTING, "Now runs reports only."),
            "departed": "tara.quinn@hearth-home.example.org",
            "closed": "ben.ortiz@hearth-home.example.org",
            "addition": (
                "Amara Osei",
                "Family Advocate",
                "amara.osei@hearth-home.example.org",
                VIEW,
                "Joins the diversion team next month.",
            ),
        },
        "screening": {
            "1.10": (MET, "Earlier access ended with its grant in 2022; never revoked."),
        },
        "recommendation": "Hearth & Home diverts families who would otherwise fill our shelters.",
        "waived": {
            "central": "Central CAN's leaders supported the request at their monthly meeting; "
            "they do not use this system yet.",
        },
    },
    {
        "story": "denied",
        "organization": {
            "name": "Riverbend Community Foundation",
            "kind": "funder",
            "address": "700 Post Road, Fairfield, CT 06824",
            "website": "https://riverbend-foundation.example.org",
        },
        "applicant": (
            "claire.donovan@riverbend-foundation.example.org",
            "Claire Donovan",
            "Director of Grants",
        ),
        "program": "Annual Impact Report",
        "contact_phone": "203-555-0151",
        "cans": ["fairfield-county"],
        "purpose": "A one-time extract of the shelter stays at the four shelters we fund in "
        "Fairfield County in 2025, for our annual impact report.",
        "contribution": "Shows our donors what their gifts did, to raise more for housing.",
        "existing_reporting_gap": "CTCANDATA.org does not break its numbers down by our grantees.",
        "need_type": ONE_TIME,
        "usage_frequency": "Once, in January",
        "funding_relation": "Our board requires an impact report on our housing grants.",
        "homeless_relationship": "We fund four shelters in Fairfield County; our staff do not "
        "work with clients.",
        **NOT_A_RESEARCHER,
        **NO_PRIOR_ACCESS,
        "people": [
            (
                "Claire Donovan",
                "Director of Grants",
                "claire.donovan@riverbend-foundation.example.org",
                REPORTING,
            ),
        ],
        "attests": True,
        "screening": {
            "1.1": (
                NOT_MET,
                "A custom report from CCEH, by grantee, gives an impact report what it needs.",
            ),
            "1.2": (NOT_MET, "A single extract, once."),
            "1.4": (NOT_MET, "Funds shelters; no working relationship with their clients."),
            "2.1": (MET, "One-time access only."),
        },
        "denied_for": ["1.1", "1.2", "2.1"],
        "denied_with": "HMIS access is granted for an ongoing need; a one-time extract is not "
        "considered (1.2, 2.1). A custom report from CCEH, by grantee, serves an impact report "
        "(1.1): ask CCEH staff for one.",
    },
    {
        "story": "withdrawn",
        "organization": {
            "name": "River Valley Interfaith Council",
            "kind": "other",
            "address": "12 Court Street, Middletown, CT 06457",
            "website": "https://rivervalley-interfaith.example.org",
        },
        "applicant": (
            "samuel.okafor@rivervalley-interfaith.example.org",
            "Samuel Okafor",
            "Meals Coordinator",
        ),
        "program": "Community Meals",
        "contact_phone": "860-555-0184",
        "cans": ["middlesex-meriden-wallingford"],
        "purpose": "We cook for the shelters in Middletown and Meriden. We ask to see how many "
        "people stay at each shelter each night, to plan meals and volunteers.",
        "contribution": "Nobody at the shelters goes without a hot meal, and no food is wasted.",
        "existing_reporting_gap": "We could not find nightly shelter counts in the public reports.",
        "need_type": ONGOING,
        "usage_frequency": "Weekly, to plan the next week's meals",
        "funding_relation": "The meals are part of the CAN's winter warming plan, carried out "
        "with its shelters.",
        "homeless_relationship": "Our volunteers serve about 200 meals a week at two shelters.",
        **NOT_A_RESEARCHER,
        **NO_PRIOR_ACCESS,
        "people": [
            (
                "Samuel Okafor",
                "Meals Coordinator",
                "samuel.okafor@rivervalley-interfaith.example.org",
                REPORTING,
            ),
        ],
        "attests": True,
        "withdrawn_with": "We found the nightly shelter counts we need on CTCANDATA.org.",
    },
]

# Organization roles (docs/design.md section 2, "Organization roles"): (organization, role,
# (e-mail, name, title) of a member, confirmed by staff or left waiting). The proposer is the
# organization's applicant.
ROLES = [
    (
        "Hearth & Home Family Services",
        "signatory",
        ("gwen.alvarez@hearth-home.example.org", "Gwen Alvarez", "Executive Director"),
        True,
    ),
    (
        "Hearth & Home Family Services",
        "security_officer",
        ("omar.haddad@hearth-home.example.org", "Omar Haddad", "IT and Security Manager"),
        True,
    ),
    (
        "Harbor Health Partners",
        "signatory",
        ("requestor@demo.test", "Riley Requestor", "Director of Care Coordination"),
        False,
    ),
]
