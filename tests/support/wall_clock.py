"""TEST_CLOCK_AT runs the suite as if the machine's clock read that instant, ticking on from it:

    TEST_CLOCK_AT=2026-11-30T04:30:00+00:00 make test

The policy's clocks count Connecticut's dates, so a test that counts days from UTC's calendar,
or across a change of daylight saving time, fails only in some hours of the year (see
tests/support/clock.py). The instants worth a run: 23:30 in Connecticut in the weeks after
daylight saving time ends (UTC's date is already tomorrow's, and a step back of days lands in
daylight time), and 00:30 in the weeks after it begins."""

import datetime
import os

import time_machine


def pytest_configure(config):
    at = os.environ.get("TEST_CLOCK_AT")
    if at:
        config.wall_clock = time_machine.travel(datetime.datetime.fromisoformat(at), tick=True)
        config.wall_clock.start()


def pytest_unconfigure(config):
    if getattr(config, "wall_clock", None) is not None:
        config.wall_clock.stop()
