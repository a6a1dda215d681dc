"""schemathesis against a live server over HTTP, as each of several roles: `ykt serve` on a
fresh demo database of its own (not the browser tests'), TESTING and DEBUG off, so the
production error handlers, commits and response headers are what answers. The document is
read from the server, as a client would read it. See tests.api_fuzzing."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis

from tests.api_fuzzing import ROLES, fuzz
from tests.live_server import demo_environment, run_ykt, serving

METHODS = ("get", "post", "put", "patch", "delete")


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


def test_every_undocumented_method_of_every_path_is_405_naming_the_allowed(
    live_api: tuple[str, dict[str, str]],
) -> None:
    """What schemathesis' unsupported-method check asks, for every path and method at once:
    405, the one error shape, and an Allow header with at least the documented methods."""
    base, tokens = live_api
    document = _call("GET", f"{base}/api/v1/openapi.json", {})[2]
    wrong: list[str] = []
    for path, operations in document["paths"].items():
        documented = {m.upper() for m in operations if m in METHODS}
        url = f"{base}/api/v1{re.sub(r'{[^}]+}', '1', path)}"
        for method in sorted({m.upper() for m in METHODS} - documented):
            status, allow, body = _call(
                method, url, {"Authorization": f"Bearer {tokens['officer']}"}
            )
            allowed = set(allow.split(", "))
            if not (
                status == 405 and allowed >= documented and body["error"] == "不支持的请求方法"
            ):
                wrong.append(f"{method} {path}: {status} Allow={sorted(allowed)}")
    assert not wrong, "\n".join(wrong)


def _call(method: str, url: str, headers: dict[str, str]) -> tuple[int, str, Any]:
    """Status, Allow header and JSON body of one request, whatever its status."""
    request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (loopback)
            return answer.status, answer.headers.get("Allow", ""), json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers.get("Allow", ""), json.load(refused)
