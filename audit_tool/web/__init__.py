"""Request plumbing shared by every area: sessions, headers, errors, templates."""
