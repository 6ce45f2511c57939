from requests_app.core.states import Status


def test_journey_reaches_every_status(journey):
    assert {journey.at(status).status for status in Status} == set(Status)
