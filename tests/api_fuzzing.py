"""schemathesis over the API's own document, shared by the in-process run
(tests/web/test_api_fuzz.py) and the run against a live server over HTTP
(tests/web/test_api_fuzz_live.py): every operation, with data that fits it and data that
does not, must answer as the document says (status, content type, headers, body) and never
with a server error. Bounded and deterministic: a fixed number of examples per operation,
derandomized, no example database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Role → (user, examples per operation).
ROLES = {
    "officer": ("qsz_jbr", 3),
    "supervisor": ("ldxz_ban", 2),
    "admin": ("admin", 2),
    "anonymous": ("", 1),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Revoking tokens at random would revoke the very token the run uses.
SKIPPED = {("DELETE", "/tokens/{id}")}


@dataclass
class FuzzRun:
    answered: list[int] = field(default_factory=list)  # every status code seen
    failures: list[str] = field(default_factory=list)  # one per operation that failed

    def assert_clean(self, *, authenticated: bool) -> None:
        assert not self.failures, "\n\n".join(self.failures)
        assert len(self.answered) > 30
        if authenticated:  # the token works: not everything was refused
            assert any(200 <= status < 300 for status in self.answered), self.answered


def fuzz(
    schema: BaseSchema, headers: dict[str, str], examples: int, base_url: str | None = None
) -> FuzzRun:
    """Every operation of the document, `examples` cases each, sent with `headers`."""
    run = FuzzRun()
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid document fails here
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        strategy = st.one_of(
            operation.as_strategy(GenerationMode.POSITIVE),
            operation.as_strategy(GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=examples,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def call(case: Any) -> None:
            response = case.call_and_validate(
                base_url=base_url, headers={**(case.headers or {}), **headers}, checks=CHECKS
            )
            run.answered.append(response.status_code)

        try:
            call()
        except Exception as error:  # collect every operation's failure, then report them all
            run.failures.append(f"{operation.method.upper()} {operation.path}: {error}"[:1500])
    return run
