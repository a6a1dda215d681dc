"""A page shown for a refused edit stands at the edit's address, which answers only POST:
what it links to must name pages that open."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from tests.web_helpers import csrf_token

Client = Callable[[str], FlaskClient]


def test_a_page_shown_for_a_refused_edit_searches_its_own_list(as_user: Client) -> None:
    """A refusal is shown at the edit's address, which answers only POST: each page's search
    names the list it searches (a search sent to the edit's address answered 405)."""
    admin = as_user("admin")
    token = csrf_token(admin, "/admin/reference/programmes")
    refused = {
        "/admin/units/QSZ/population": {"population": "两万"},
        "/admin/reference/programmes/C01": {"name": "", "level": "district"},
        "/admin/reference/places/QSZ01": {"name": ""},
        "/admin/reference/households/QSZ01": {"code": "QSZ01-103", "head_name": ""},
    }
    for address, sent in refused.items():
        answer = admin.post(address, data={"csrf_token": token, **sent})
        page = answer.get_data(as_text=True)
        assert answer.status_code == 422, address
        search = re.search(r'<form[^>]*method="get"[^>]*>', page)
        assert search, address
        action = re.search(r'action="([^"]+)"', search.group(0))
        assert action and action.group(1) != address, address
        assert admin.get(action.group(1)).status_code == 200, address
