"""How the site writes a date or a time inside a sentence, one way everywhere, and where a day
people read on a page begins. Files for spreadsheets write ISO dates instead (core/files.py's
callers)."""

import datetime

from django.utils import timezone


def long_date(day):
    """A date in a sentence: June 3, 2027."""
    return f"{day:%B} {day.day}, {day:%Y}"


def time_of_day(moment):
    """The time of a moment in a sentence, in Connecticut (TIME_ZONE): 2:05 PM."""
    return f"{timezone.localtime(moment):%-I:%M %p}"


def start_of(day):
    """The first instant of `day` in the site's time zone (TIME_ZONE), the day people read on
    the page: what a filter by dates compares times with."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
