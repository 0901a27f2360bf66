"""What day it is, for the whole app.

Views and commands ask here instead of calling `date.today()` themselves, then pass the
answer down: the services and pure modules take `today` as an argument. One place to
ask is one place for the test suite to pin, so a run that crosses midnight sees a
single date.
"""

from __future__ import annotations

from datetime import date


def today() -> date:
    return date.today()
