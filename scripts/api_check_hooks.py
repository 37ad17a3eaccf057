"""schemathesis hooks for scripts/api-check (loaded through SCHEMATHESIS_HOOKS).

Every well-formed Idempotency-Key that schemathesis generates is replaced by a fresh one. The
generator draws keys from a small space and repeats them across requests with other bodies and
operations, and the API answers such a reuse with 422 `idempotency_key_reused` (API.md §1): a
correct answer, but one that would hide what the request was meant to test (a valid body
accepted, a missing token refused with 401). Malformed keys are left alone, so that their 400 is
still tested.
"""

import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"^[\x21-\x7e]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and isinstance(headers[name], str) and WELL_FORMED.match(headers[name]):
            headers[name] = uuid.uuid4().hex
