"""Two people acting at the same moment, each on a real PostgreSQL connection of its own: the
shared helpers of the race tests."""

import threading

import pytest
from django.db import connection
from django_fsm.signals import pre_transition

# The marks of a module of race tests.
RACES = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Concurrent transactions need PostgreSQL: set DATABASE_URL to run these.",
    ),
]

# Long enough for a blocked thread to show it is blocked; the happy path never waits it out.
BLOCKED_FOR = 1.0


class Actor(threading.Thread):
    """Runs one action on its own database connection and keeps what came of it."""

    def __init__(self, action):
        super().__init__(daemon=True)
        self.action = action
        self.result = self.error = None

    def run(self):
        try:
            self.result = self.action()
        except Exception as error:  # the test inspects what each side got
            self.error = error
        finally:
            connection.close()


def race(first, second, pause_at=pre_transition, sender=None):
    """`first` takes the row lock and pauses inside its transaction (at the signal `pause_at`);
    `second` starts and must block on the lock; then `first` commits and `second` goes on."""
    locked, release = threading.Event(), threading.Event()
    winner = Actor(first)

    def pause_winner(**kwargs):
        if threading.current_thread() is winner:
            locked.set()
            release.wait(timeout=10)

    pause_at.connect(pause_winner, sender=sender, weak=False)
    try:
        winner.start()
        assert locked.wait(timeout=10)
        loser = Actor(second)
        loser.start()
        loser.join(timeout=BLOCKED_FOR)
        assert loser.is_alive(), "the second action did not wait for the row lock"
        release.set()
        winner.join(timeout=10)
        loser.join(timeout=10)
    finally:
        pause_at.disconnect(pause_winner, sender=sender)
        release.set()
    return winner, loser
