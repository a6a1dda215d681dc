"""schemathesis against a live server over HTTP, as each of several roles: `ykt serve` on a
fresh demo database of its own (not the browser tests'), TESTING and DEBUG off, so the
production error handlers, commits and response headers are what answers. The document is
read from the server, as a client would read it. See tests.api_fuzzing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis

from tests.api_fuzzing import ROLES, fuzz
from tests.live_server import demo_environment, run_ykt, serving


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """The server's address and, per role, a token issued by the operator's command."""
    with demo_environment(tmp_path_factory.mktemp("fuzz")) as env, serving(env) as base:
        tokens = {
            role: run_ykt(env, "user", "token", username).strip()
            for role, (username, _) in ROLES.items()
            if username
        }
        yield base, tokens


@pytest.mark.parametrize("role", list(ROLES))
def test_every_operation_answers_as_documented_over_http(
    live_api: tuple[str, dict[str, str]], role: str
) -> None:
    base, tokens = live_api
    username, examples = ROLES[role]
    headers = {"Authorization": f"Bearer {tokens[role]}"} if username else {}
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
    # At most two examples an operation over HTTP: the in-process run covers more.
    run = fuzz(schema, headers, min(examples, 2), base_url=f"{base}/api/v1")
    run.assert_clean(authenticated=bool(username))
