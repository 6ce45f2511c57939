"""Appending to a request's history: every action records what it did as an event, and who is told
of it is recorded in the same transaction (notifications.services.AUDIENCES)."""

from requests_app.models import Event
from requests_app.notifications import services as notifications


def record_event(request, actor, kind, note="", from_status="", data=None, public=False):
    """Append an event to the request's history, and record who is to hear of it
    (notifications.AUDIENCES) in the same transaction: their e-mails go after commit, and a
    rolled-back action leaves nothing to send."""
    event = Event.objects.create(
        request=request,
        actor=actor,
        kind=kind,
        note=note,
        from_status=from_status,
        to_status=request.status if from_status else "",
        data=data or {},
        visible_to_requestor=public,
    )
    notifications.tell(event)
    return event
