"""Moments named by Connecticut's calendar. The policy's clocks count local dates
(TIME_ZONE), so a test that steps back N days from `timezone.now()` is off by one in the
hour before local midnight, when UTC's date is already tomorrow's, and across a change of
daylight saving time. These give the noon of a local date instead."""

import datetime

from django.utils import timezone


def local_noon(day):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def days_ago(days):
    """Noon of the local date `days` days before today (negative: after it)."""
    return local_noon(timezone.localdate() - datetime.timedelta(days=days))


def days_ahead(days):
    return days_ago(-days)


def working_days_ago(count):
    """The latest noon from which exactly `count` Monday-to-Friday days have passed (counted
    as the policy counts them: not the first day, the last one included). Written out here,
    not taken from policy.py, so a clock is checked against the rule and not against itself."""
    day, counted = timezone.localdate(), 0
    while counted < count:
        if day.weekday() < 5:
            counted += 1
        day -= datetime.timedelta(days=1)
    return local_noon(day)
