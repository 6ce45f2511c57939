"""Every action of a request and of its MOU, one row each: what it is called (its URL, its form's
prefix and the page's key share the word), where it runs from, who may take it, the words for it
done, its form and the service it runs. core/actions.py derives the refusals, the buttons, the
locking and the stale-page check from these rows, and core/web.py the view; who is told of
each event is notifications.AUDIENCES. Adding an action: docs/architecture.md."""

from django import forms
from django.conf import settings

from requests_app.agreement.forms import (
    ActivateForm,
    AddPersonForm,
    AmendForm,
    DecideAdditionForm,
    DepartureForm,
    LowerForm,
    PrepareForm,
    RemovePersonForm,
    RevokeForm,
    SignForm,
    TrainingForm,
)
from requests_app.core.states import AgreementStatus, Status

from . import policy
from .agreement import access, amendments, departures
from .agreement import services as agreement_services
from .committee import services as committee
from .committee.forms import CommitteeDecisionForm, EscalateForm, VoteForm
from .core.actions import AGREEMENT, REQUEST, Action, register
from .core.permissions import (
    CAN_LEADER,
    CHAIR,
    INDEPENDENT,
    INTERNAL_PARTY,
    MEMBER,
    ORG_MEMBER,
    ORG_OR_STAFF,
    REQUESTOR_OR_STAFF,
    SIGNATORY,
    STAFF,
    belongs_to_requesting_org,
    during,
)
from .decision import levels
from .decision import services as decision
from .decision.forms import ApproveForm, DenyForm
from .models import Comment
from .screening import services as screening
from .screening.forms import (
    ChecklistForm,
    CommentForm,
    MessageForm,
    RecommendationForm,
    ReturnForm,
)

STAFF_ALONE = (STAFF, INDEPENDENT)


def _client_ip(http_request):
    # Behind the proxy the deployment section describes, REMOTE_ADDR is the proxy's; the
    # proxy's own header is trusted only when the settings say a proxy is there.
    return http_request.META.get("REMOTE_ADDR")


def _decide(request, user, form):
    approving = form.cleaned_data["outcome"] == Status.APPROVED
    return committee.record_committee_decision(
        request,
        user,
        form.cleaned_data["outcome"],
        form.cleaned_data["reason"],
        levels=form.levels() if approving else None,
        conditions=form.cleaned_data["conditions"],
        cited=form.cleaned_data["cited"],
        departs_reason=form.cleaned_data["departs_reason"],
    )


def _signing(name, service, statement):
    """The form and the run of signing (the organization) or countersigning (CCEH)."""

    def form(agreement, user, data=None, current=None):
        return SignForm(
            data,
            statement=statement(agreement),
            prefix=name,
            initial={"full_name": user.name},
            mou=current,
        )

    def run(agreement, user, form, http_request):
        return service(
            agreement,
            user,
            form.cleaned_data["full_name"],
            form.cleaned_data["title"],
            form.cleaned_data["affirmed"],
            _client_ip(http_request),
            given=form.given(),
        )

    return {"form": form, "run": run}


def _unrevoked(agreement):
    return [a.person for a in agreement.people.select_related("person") if not a.revoked_at]


register(
    # The request. Its own organization writes and submits it (application/views.py: the
    # review and confirmation pages).
    Action(
        "submit",
        REQUEST,
        "submitted",
        who=(ORG_MEMBER,),
        transition="submit",
    ),
    Action(
        "resubmit",
        REQUEST,
        "resubmitted",
        who=(ORG_MEMBER,),
        transition="resubmit",
    ),
    Action(
        "withdraw",
        REQUEST,
        "withdrawn",
        who=(ORG_MEMBER,),
        transition="withdraw",
        instead={
            Status.DRAFT: "This request is a draft that nobody outside the organization has "
            "seen: delete it instead."
        },
    ),
    # The answers and files: while writing, and again when staff return it with a question.
    Action(
        "edit",
        REQUEST,
        "changed",
        who=(during(Status.EDITABLE, "open for changes"), ORG_MEMBER),
    ),
    # A submitted request is withdrawn instead, so staff keep its history.
    Action("delete", REQUEST, "deleted", who=(during({Status.DRAFT}, "a draft"), ORG_MEMBER)),
    # CCEH staff screen it (4.3).
    Action(
        "take",
        REQUEST,
        "taken for screening",
        who=STAFF_ALONE,
        transition="start_screening",
        form=lambda request, user, data=None: forms.Form(data, prefix="take"),
        run=lambda request, user, form, http: screening.start_screening(request, user),
        done=lambda request, form: f"You took {request.reference} for screening.",
    ),
    Action(
        "return",
        REQUEST,
        "returned for information",
        who=STAFF_ALONE,
        transition="return_for_information",
        form=lambda request, user, data=None: ReturnForm(data),
        run=lambda request, user, form, http: screening.return_for_information(
            request, user, form.cleaned_data["message"]
        ),
        done=lambda request, form: (
            f"{request.reference} went back to the requestor with your question."
        ),
    ),
    Action(
        # The whole checklist in one post: each changed criterion its own assessment.
        "checklist",
        REQUEST,
        "assessed",
        who=(during({Status.SCREENING}, "in screening"), *STAFF_ALONE),
        form=lambda request, user, data=None: ChecklistForm(
            data, criteria=policy.catalogue(), current=policy.current_assessments(request)
        ),
        run=lambda request, user, form, http: screening.save_checklist(
            request, user, form.changes()
        ),
        done=lambda request, form: form.done(),
    ),
    Action(
        "approve",
        REQUEST,
        "approved",
        who=STAFF_ALONE,
        transition="approve",
        form=lambda request, user, data=None: ApproveForm(
            data, access_request=request, unheard_cans=policy.unheard_cans(request)
        ),
        run=lambda request, user, form, http: decision.approve(
            request, user, form.levels(), form.cleaned_data["conditions"], form.waivers()
        ),
        done=lambda request, form: f"{request.reference} is approved.",
    ),
    Action(
        "deny",
        REQUEST,
        "denied",
        who=STAFF_ALONE,
        transition="deny",
        form=lambda request, user, data=None: DenyForm(
            data, failing=policy.failing_criteria(request)
        ),
        run=lambda request, user, form, http: decision.deny(
            request, user, form.cleaned_data["cited"], form.cleaned_data["reason"]
        ),
        done=lambda request, form: f"{request.reference} is denied.",
    ),
    Action(
        "escalate",
        REQUEST,
        "escalated",
        who=STAFF_ALONE,
        transition="escalate",
        form=lambda request, user, data=None: EscalateForm(data),
        run=lambda request, user, form, http: committee.escalate(
            request, user, form.cleaned_data["note"]
        ),
        done=lambda request, form: f"{request.reference} went to the {settings.COMMITTEE_NAME}.",
    ),
    # The sub-committee vets what staff escalate (4.3), with the named CANs (1.5, 4.2).
    Action(
        # A member of the requesting organization may still record a recusal; the service
        # refuses them any other choice.
        "vote",
        REQUEST,
        "voted on",
        who=(during({Status.VETTING}, "open for votes"), MEMBER),
        form=lambda request, user, data=None: VoteForm(
            data,
            access_request=request,
            recuse_only=belongs_to_requesting_org(user, request),
        ),
        run=lambda request, user, form, http: committee.cast_vote(
            request,
            user,
            form.cleaned_data["choice"],
            form.cleaned_data["reason"],
            form.levels(),
            form.cleaned_data["replaces"],
        ),
        done="Your vote is recorded. You can change it until the chair records the decision.",
    ),
    Action(
        "decide",
        REQUEST,
        "decided by the committee",
        who=(CHAIR, INDEPENDENT),
        transition="record_committee_decision",
        form=lambda request, user, data=None: CommitteeDecisionForm(
            data, access_request=request, suggested_levels={}, catalogue=policy.catalogue()
        ),
        run=lambda request, user, form, http: _decide(request, user, form),
        done=lambda request, form: f"The committee's decision on {request.reference} is recorded.",
    ),
    Action(
        "recommend",
        REQUEST,
        "recommended on",
        who=(
            during(Status.OPEN, "open for the CAN's recommendation"),
            CAN_LEADER,
            INDEPENDENT,
        ),
        form=lambda request, user, data=None: RecommendationForm(
            data, cans=request.cans.filter(leaders=user)
        ),
        run=lambda request, user, form, http: screening.recommend_for_can(
            request,
            user,
            form.cleaned_data["can"],
            form.cleaned_data["position"],
            form.cleaned_data["reason"],
        ),
        done="The CAN's recommendation is recorded. It can be changed until the decision.",
    ),
    Action(
        "comment",
        REQUEST,
        "commented on",
        who=(during(Status.AFTER_SUBMISSION, "submitted"), INTERNAL_PARTY),
        form=lambda request, user, data=None: CommentForm(data, prefix="comment"),
        run=lambda request, user, form, http: screening.add_comment(
            request, user, form.cleaned_data["body"], Comment.Visibility.INTERNAL
        ),
        done="Your comment is posted.",
    ),
    Action(
        "message",
        REQUEST,
        "written to",
        who=(during(Status.AFTER_SUBMISSION, "submitted"), REQUESTOR_OR_STAFF),
        form=lambda request, user, data=None: MessageForm(
            data, prefix="message", to_staff=belongs_to_requesting_org(user, request)
        ),
        run=lambda request, user, form, http: screening.add_comment(
            request, user, form.cleaned_data["body"], Comment.Visibility.REQUESTOR
        ),
        done="Your message is sent.",
    ),
    # After an approval: the MOU and the access it grants (1.6, 1.7, 1.10, 4.1).
    Action(
        # The organization's confirmed authorized signatory signs; while it has none, any
        # member, who states that they may sign for it. The statement is kept.
        "sign",
        AGREEMENT,
        "signed",
        who=(SIGNATORY,),
        transition="sign",
        checks=(agreement_services.version_problems,),
        **_signing(
            "sign",
            agreement_services.sign_mou,
            lambda agreement: agreement_services.SIGNING_STATEMENT.format(
                organization=agreement.request.organization.name
            ),
        ),
        done="You signed the MOU. CCEH staff countersign it next.",
    ),
    Action(
        "countersign",
        AGREEMENT,
        "countersigned",
        who=STAFF_ALONE,
        transition="countersign",
        checks=(agreement_services.version_problems,),
        **_signing(
            "countersign",
            agreement_services.countersign_mou,
            lambda agreement: agreement_services.COUNTERSIGNING_STATEMENT,
        ),
        done="You countersigned the MOU. Record each person's training to activate their access.",
    ),
    Action(
        "amend",
        AGREEMENT,
        "corrected",
        who=STAFF_ALONE,
        transition="amend",
        checks=(agreement_services.version_problems,),
        form=lambda agreement, user, data=None, current=None: AmendForm(
            data,
            people=list(agreement.request.people.all()),
            granted=levels.current_levels(agreement.request),
            decided=levels.decided_levels(agreement.request),
            prefix="amend",
        ),
        run=lambda agreement, user, form, http: agreement_services.amend_mou(
            agreement, user, form.cleaned_data["reason"], form.names(), form.levels()
        ),
        done="The MOU is corrected; a new version is on its way and the organization signs again.",
    ),
    Action(
        "training",
        AGREEMENT,
        "trained",
        who=STAFF_ALONE,
        statuses=AgreementStatus.LIVE,
        form=lambda agreement, user, data=None, current=None: TrainingForm(
            data, people=list(agreement.request.people.all()), prefix="training"
        ),
        run=lambda agreement, user, form, http: access.record_training(
            agreement,
            user,
            form.cleaned_data["person"],
            form.cleaned_data["completed_on"],
            form.cleaned_data["course"],
        ),
        done="The training is recorded.",
    ),
    Action(
        "activate",
        AGREEMENT,
        "activated",
        who=STAFF_ALONE,
        statuses=AgreementStatus.EXECUTED_OR_ACTIVE,
        checks=(access.nobody_to_activate,),
        form=lambda agreement, user, data=None, current=None: ActivateForm(data, prefix="activate"),
        run=lambda agreement, user, form, http: access.activate_access(
            agreement, user, form.cleaned_data["note"]
        ),
        done="Access is active for everyone ready. They appear on the provisioning list.",
    ),
    # Staff tick people off the provisioning list (agreement/views.py).
    Action(
        "provision",
        AGREEMENT,
        "provisioned",
        who=STAFF_ALONE,
        statuses=frozenset({AgreementStatus.ACTIVE}),
    ),
    Action(
        "revoke",
        AGREEMENT,
        "revoked",
        who=STAFF_ALONE,
        transition="revoke",
        form=lambda agreement, user, data=None, current=None: RevokeForm(
            data, people=_unrevoked(agreement), prefix="revoke"
        ),
        run=lambda agreement, user, form, http: access.revoke_access(
            agreement, user, form.cleaned_data["reason"], form.person()
        ),
        done="Access is revoked. The organization is told, and later requests show it (1.10).",
    ),
    # The organization starts a renewal from an active MOU (agreement/views.py).
    Action(
        "renew",
        AGREEMENT,
        "renewed",
        who=(ORG_MEMBER,),
        statuses=frozenset({AgreementStatus.ACTIVE}),
        checks=(access.renewal_problems,),
    ),
    Action(
        # A render that failed can be asked for again whatever the status.
        "prepare",
        AGREEMENT,
        "prepared again",
        who=STAFF_ALONE,
        checks=(agreement_services.nothing_to_prepare,),
        form=lambda agreement, user, data=None, current=None: PrepareForm(data, prefix="prepare"),
        run=lambda agreement, user, form, http: agreement_services.prepare_mou(agreement, user),
        done="The MOU is being prepared again.",
    ),
    # A person left the organization: its members (or staff) say so, with the date; their
    # access ends that day and they are on the deprovisioning list (agreement/departures.py).
    Action(
        "depart",
        AGREEMENT,
        "told of a departure",
        who=(ORG_OR_STAFF,),
        statuses=AgreementStatus.EXECUTED_OR_ACTIVE,
        checks=(departures.nobody_to_depart,),
        form=lambda agreement, user, data=None, current=None: DepartureForm(
            data, accesses=departures.still_holding(agreement), prefix="depart"
        ),
        run=lambda agreement, user, form, http: departures.report_departure(
            agreement, user, form.cleaned_data["access"], form.cleaned_data["left_on"]
        ),
        done="The departure is recorded: their access has ended, and CCEH staff are told to "
        "close their HMIS account.",
    ),
    # Staff tick people off the deprovisioning list (agreement/people_views.py), whatever the
    # MOU's status: an expired or revoked MOU's people are on it too.
    Action(
        "deprovision",
        AGREEMENT,
        "deprovisioned",
        who=STAFF_ALONE,
        statuses=frozenset({AgreementStatus.ACTIVE}) | AgreementStatus.ENDED,
    ),
    # Amendments of an executed or active MOU without a new application, and the yearly
    # review (agreement/amendments.py, docs/design.md "Amendments"). The organization's rows are
    # its authorized signatory's, as signing is (any member's while it has none confirmed).
    Action(
        "add",
        AGREEMENT,
        "amended",
        who=(SIGNATORY,),
        statuses=AgreementStatus.EXECUTED_OR_ACTIVE,
        form=lambda agreement, user, data=None, current=None: AddPersonForm(data, prefix="add"),
        run=lambda agreement, user, form, http: amendments.request_addition(
            agreement,
            user,
            form.cleaned_data["name"],
            form.cleaned_data["title"],
            form.cleaned_data["email"],
            form.cleaned_data["level"],
            form.cleaned_data["reason"],
        ),
        done="The addition is asked for. CCEH staff decide it; you will be told.",
    ),
    Action(
        "decide_addition",
        AGREEMENT,
        "amended",
        who=STAFF_ALONE,
        statuses=AgreementStatus.EXECUTED_OR_ACTIVE,
        checks=(amendments.nothing_to_decide, agreement_services.version_problems),
        form=lambda agreement, user, data=None, current=None: DecideAdditionForm(
            data, pending=amendments.pending_list(agreement), prefix="decide_addition"
        ),
        run=lambda agreement, user, form, http: amendments.decide_addition(
            agreement,
            user,
            form.cleaned_data["amendment"],
            form.approve(),
            form.granted_level(),
            form.cleaned_data["reason"],
        ),
        done="The addition is decided; the organization is told.",
    ),
    Action(
        "sign_amendment",
        AGREEMENT,
        "signed",
        who=(SIGNATORY,),
        statuses=AgreementStatus.EXECUTED_OR_ACTIVE,
        checks=(amendments.nothing_to_sign, agreement_services.version_problems),
        **_signing(
            "sign_amendment",
            amendments.sign_amendment,
            lambda agreement: agreement_services.SIGNING_STATEMENT.format(
                organization=agreement.request.organization.name
            ),
        ),
        done="You signed the amended MOU. CCEH staff record the training, then activate.",
    ),
    Action(
        "remove",
        AGREEMENT,
        "amended",
        who=(SIGNATORY,),
        statuses=AgreementStatus.EXECUTED_OR_ACTIVE,
        # A version still being rendered is superseded by this change's (agreement/renders.py).
        checks=(amendments.nobody_holds_access,),
        form=lambda agreement, user, data=None, current=None: RemovePersonForm(
            data,
            people=[a.person for a in amendments.holders(agreement)],
            prefix="remove",
        ),
        run=lambda agreement, user, form, http: amendments.remove_access(
            agreement, user, form.cleaned_data["person"], form.cleaned_data["reason"]
        ),
        done="The person is removed; their access ended today. CCEH staff close the account.",
    ),
    Action(
        "lower",
        AGREEMENT,
        "amended",
        who=(SIGNATORY,),
        statuses=AgreementStatus.EXECUTED_OR_ACTIVE,
        # A version still being rendered is superseded by this change's (agreement/renders.py).
        checks=(amendments.nobody_holds_access,),
        form=lambda agreement, user, data=None, current=None: LowerForm(
            data,
            people=[a.person for a in amendments.holders(agreement)],
            granted=levels.current_levels(agreement.request),
            prefix="lower",
        ),
        run=lambda agreement, user, form, http: amendments.lower_access(
            agreement,
            user,
            form.cleaned_data["person"],
            form.cleaned_data["level"],
            form.cleaned_data["reason"],
        ),
        done="The level is lowered. CCEH staff change the HMIS account.",
    ),
    # The yearly review has a page of its own (agreement/views.py, review).
    Action(
        "review",
        AGREEMENT,
        "reviewed",
        who=(SIGNATORY,),
        statuses=frozenset({AgreementStatus.ACTIVE}),
        checks=(agreement_services.version_problems,),
    ),
)
