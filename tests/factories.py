"""Test data made through the same services the app uses, so audit rules hold."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from audit_tool.frameworks.library import load_builtin
from audit_tool.models import AuditCycle, Partnership, Role, Sector, User
from audit_tool.services import agencies, cycles, partnerships, users

PASSWORD = "correct-horse-battery-staple"

_counter = itertools.count(1)


class Factory:
    def __init__(self, session) -> None:
        self.session = session

    def partnership(self, name: str | None = None) -> Partnership:
        n = next(_counter)
        return partnerships.create_partnership(
            self.session,
            name=name or f"Partnership {n}",
            slug=f"partnership-{n}",
            contact_email=f"unit{n}@example.org",
            by=None,
        )

    def agency(self, partnership: Partnership, name: str | None = None, sector=Sector.POLICE):
        link = agencies.create_agency(
            self.session,
            partnership=partnership,
            name=name or f"Agency {next(_counter)}",
            sector=sector,
            by=None,
        )
        return link.agency

    def user(
        self,
        partnership: Partnership | None = None,
        role: Role | None = None,
        agency=None,
        *,
        email: str | None = None,
        name: str = "Test Person",
        password: str = PASSWORD,
        system_admin: bool = False,
    ) -> User:
        person, _ = users.create_user(
            self.session,
            email=email or f"person{next(_counter)}@example.org",
            name=name,
            password=password,
            partnership=partnership,
            is_system_admin=system_admin,
            by=None,
        )
        if role is not None:
            users.grant_role(
                self.session,
                user=person,
                partnership=partnership,
                role=role,
                agency=agency,
                by=None,
            )
        self.session.flush()
        return person

    def cycle(
        self,
        partnership: Partnership,
        *,
        framework_key: str = "s11-nine-standards",
        opened: bool = True,
        opens_on: date | None = None,
        name: str | None = None,
    ) -> AuditCycle:
        versions = load_builtin(self.session)
        version = next(v for v in versions if v.framework.key == framework_key)
        opens_on = opens_on or date.today() - timedelta(days=7)
        cycle = cycles.create_cycle(
            self.session,
            partnership=partnership,
            name=name or f"Section 11 cycle {next(_counter)}",
            framework_version=version,
            opens_on=opens_on,
            due_on=opens_on + timedelta(days=90),
            panel_from=None,
            panel_to=None,
            sectors=None,
            by=None,
        )
        if opened:
            cycles.open_cycle(self.session, cycle=cycle, by=None)
        self.session.flush()
        return cycle
