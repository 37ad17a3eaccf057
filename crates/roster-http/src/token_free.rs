//! Which operations take no bearer token, and which take one only when it is given: one list
//! for the OpenAPI document (`security`), the idempotency layer (a request without the token
//! its route needs is answered 401 before its `Idempotency-Key` is looked at) and the anonymous
//! limit (`ROSTER_RATE_LIMIT_ANON` counts these however the request is sent).

/// Operations anyone may call: `(method, path template)`.
pub(crate) const PUBLIC: [(&str, &str); 8] = [
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/mfa"),
    ("post", "/v1/auth/verify-email"),
    ("post", "/v1/users/recovery"),
    ("post", "/v1/users/email/verify"),
];

/// Operations that take a token when there is one (and answer 401 to a bad one).
pub(crate) const OPTIONAL_TOKEN: [(&str, &str); 1] = [("post", "/v1/users")];

/// Whether the operation `method` (lower case) on the route `template` needs a bearer token.
pub(crate) fn needs_token(method: &str, template: &str) -> bool {
    let key = (method, template);
    !PUBLIC.contains(&key) && !OPTIONAL_TOKEN.contains(&key)
}
