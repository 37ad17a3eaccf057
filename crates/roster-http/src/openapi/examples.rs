//! One example request and response per operation, keyed by `operationId`, and an example
//! problem per status. A test checks that every operation has what applies to it.

use serde_json::{Value, json};

const USER_ID: &str = "0193f6a2-7c1e-7a41-9d2b-3c4e5f60718a";
const ACCOUNT_ID: &str = "0193f6a2-7c1e-7a41-9d2b-3c4e5f607100";
const SESSION_ID: &str = "0193f6a2-8d00-7b12-8e3f-112233445566";
const JOB_ID: &str = "0193f6a2-9e11-7c23-9f40-aabbccddeeff";
const AT: &str = "2026-11-24T10:00:00Z";

fn user() -> Value {
    json!({
        "id": USER_ID, "email": "ada@example.com", "email_verified": false,
        "emails": [{"address": "ada@example.com", "verified": false, "primary": true}],
        "name": "Ada Lovelace", "first_name": "Ada", "last_name": "Lovelace",
        "image": null, "title": null, "bio": null, "timezone": "Europe/London", "locale": "en-GB",
        "status": "active", "phones": [{"id": PHONE_ID, "number": "+14155550142", "label": "mobile", "verified": true, "primary": true}],
        "metadata": {}, "mfa_enabled": false, "platform_admin": false,
        "created_at": AT, "updated_at": AT, "last_login_at": null
    })
}

fn account() -> Value {
    json!({"id": ACCOUNT_ID, "name": "Analytical Engines", "parent_id": null, "status": "active",
        "seats_used": 3, "created_at": AT, "updated_at": AT})
}

const CHILD_ID: &str = "0193f6a2-7c1e-7a41-9d2b-3c4e5f607101";
const WORKSPACE_ID: &str = "0193f6a2-7c1e-7a41-9d2b-3c4e5f6071aa";
const OTHER_USER_ID: &str = "0193f6a2-7c1e-7a41-9d2b-3c4e5f60718b";
const PHONE_ID: &str = "0193f6a2-7c1e-7a41-9d2b-3c4e5f6071c1";

fn membership() -> Value {
    json!({"user_id": OTHER_USER_ID, "account_id": ACCOUNT_ID, "role": "admin", "grant": ["billing"],
        "deny": ["users.delete"], "effective": ["accounts.create", "accounts.read", "accounts.update", "analytics",
        "analytics.read", "announcements", "billing", "calendars", "contacts", "contacts.read", "users.create",
        "users.read", "users.scope", "users.update", "workspaces", "workspaces.read"], "created_at": AT})
}

fn member() -> Value {
    let mut member = membership();
    member["name"] = json!("Grace Hopper");
    member["email"] = json!("grace@example.com");
    member["status"] = json!("active");
    member
}

fn workspace() -> Value {
    json!({"id": WORKSPACE_ID, "account_id": ACCOUNT_ID, "name": "Difference Engine", "created_at": AT, "updated_at": AT})
}

fn workspace_member() -> Value {
    json!({"workspace_id": WORKSPACE_ID, "user_id": OTHER_USER_ID, "name": "Grace Hopper",
        "email": "grace@example.com", "role": "lead", "created_at": AT})
}

fn push_token() -> Value {
    json!({"token_last6": "FBaFUH", "platform": "android", "device_id": "pixel-8-4f2a",
        "device_name": "Ada's Pixel", "created_at": AT, "updated_at": AT})
}

const ANNOUNCEMENT_ID: &str = "0193f6a2-7c1e-7a41-9d2b-3c4e5f6071d2";

fn announcement() -> Value {
    json!({"id": ANNOUNCEMENT_ID, "title": "Maintenance on Sunday", "body": "Sign-in pauses for ten minutes at 02:00 UTC.",
        "starts_at": AT, "ends_at": "2026-11-30T02:10:00Z", "account_id": ACCOUNT_ID, "notify": true,
        "created_by": USER_ID, "created_at": AT, "updated_at": AT})
}

const CALENDAR_ID: &str = "0193f6a2-7c1e-7a41-9d2b-3c4e5f6071e3";

fn calendar() -> Value {
    json!({"id": CALENDAR_ID, "provider": "ics", "name": "Team holidays",
        "url": "https://calendar.example.com/feeds/team-holidays.ics", "status": "ok", "last_error": null,
        "last_synced_at": AT, "event_count": 42, "next_sync_at": "2026-11-24T10:15:00Z", "created_at": AT})
}

fn job() -> Value {
    json!({"id": JOB_ID, "queue": "notifications", "kind": "email.verification", "status": "dead",
        "attempts": 10, "max_attempts": 10, "last_error": "SMTP 550: mailbox unavailable",
        "run_at": AT, "created_at": AT, "updated_at": AT})
}

/// The example body of the operation's request, if it takes one.
pub fn request(operation_id: &str) -> Option<Value> {
    Some(match operation_id {
        "create_user" => json!({"email": "ada@example.com", "password": "blue falcon orbits quietly 42",
            "name": "Ada Lovelace", "timezone": "Europe/London", "locale": "en-GB"}),
        "search_users" => json!({"query": "lovelace", "filters": {"status": "active"}, "sort": "name", "limit": 20}),
        "update_user" => json!({"title": "Analyst", "bio": "Wrote the first program.", "timezone": "Europe/London"}),
        "login" => json!({"email": "ada@example.com", "password": "blue falcon orbits quietly 42"}),
        "verify_email" => json!({"token": "Zq3Kd0mN1x7vYb2LcR8sT4uW6eA9fH5jG0pQ1iO2kM3"}),
        "create_account" => json!({"name": "Client: Jacquard Looms", "parent_id": ACCOUNT_ID}),
        "update_account" => json!({"name": "Analytical Engines Ltd"}),
        "add_member" => {
            json!({"email": "grace@example.com", "role": "admin", "grant": ["billing"], "deny": ["users.delete"]})
        }
        "switch_account" => json!({"account_id": CHILD_ID}),
        "update_scope" => {
            json!({"account_id": ACCOUNT_ID, "role": "admin", "grant": ["billing"], "deny": ["users.delete"]})
        }
        "create_workspace" => json!({"name": "Difference Engine"}),
        "update_workspace" => json!({"name": "Difference Engine No. 2"}),
        "add_workspace_member" => json!({"user_id": OTHER_USER_ID, "role": "lead"}),
        "change_password" => json!({"current_password": "blue falcon orbits quietly 42",
            "new_password": "seven lanterns by the old mill road"}),
        "second_step" => json!({"mfa_token": "Hk2Lm9Qr4Tv7Xz0Bc3Df6Gh1Jn8Pq5Sw2Uy9Ae4Ci7Eo", "code": "492039"}),
        "confirm_totp" => json!({"code": "492039"}),
        "disable_totp" | "regenerate_recovery_codes" => json!({"password": "blue falcon orbits quietly 42"}),
        "recovery" => json!({"email": "ada@example.com"}),
        "register_push_token" => {
            json!({"token": "fcm:dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH", "platform": "android",
            "device_id": "pixel-8-4f2a", "device_name": "Ada's Pixel"})
        }
        "remove_push_token" => json!({"token": "fcm:dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH"}),
        "add_email" => {
            json!({"email": "ada@work.example", "password": "blue falcon orbits quietly 42", "primary": true})
        }
        "remove_email" => json!({"email": "ada@work.example"}),
        "add_phone" => json!({"number": "+1 (415) 555-0142", "label": "mobile", "primary": true}),
        "change_phone" => json!({"code": "318604"}),
        "create_announcement" => json!({"title": "Maintenance on Sunday",
            "body": "Sign-in pauses for ten minutes at 02:00 UTC.", "starts_at": AT, "ends_at": "2026-11-30T02:10:00Z",
            "account_id": ACCOUNT_ID, "notify": true}),
        "update_announcement" => json!({"ends_at": null, "title": "Maintenance on Sunday, 02:00 UTC"}),
        "answer_announcement" => json!({"status": "snoozed", "snooze_until": "2026-11-25T09:00:00Z"}),
        "update_config" => {
            json!({"theme": "dark", "notifications": {"email": {"product": false}}, "date_format": null})
        }
        "confirm_email" => json!({"token": "Pw8Rt3Yu6Io1Lk4Jh7Gf0Ds5Az2Xc9Vb4Nm7Qe1Wr6T"}),
        "subscribe_calendar" => json!({"provider": "ics", "name": "Team holidays",
            "url": "https://calendar.example.com/feeds/team-holidays.ics"}),
        _ => return None,
    })
}

/// The example body of the operation's success response with `status`, if it has one.
pub fn response(operation_id: &str, status: u16) -> Option<Value> {
    Some(match operation_id {
        "recovery" if status == 202 => {
            json!({"message": "If this address belongs to an active user, a recovery link is on its way."})
        }
        "start_totp" => json!({"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            "otpauth_uri": "otpauth://totp/Roster:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Roster",
            "qr_svg": "<?xml version=\"1.0\" standalone=\"yes\"?><svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"232\" height=\"232\" viewBox=\"0 0 232 232\" shape-rendering=\"crispEdges\"><path fill=\"#ffffff\" d=\"M0 0h232v232H0z\"/><path fill=\"#000000\" d=\"M32 32h56v8H32z\"/></svg>"}),
        "confirm_totp" | "regenerate_recovery_codes" => json!({"recovery_codes": ["k7m2p-q9x4z", "h3n8r-t5w2c",
            "b6d9f-g2j7k", "m4p8s-v3x6y", "c7e2h-k9n4q", "r5t8w-z3b6d", "f9h4k-m2p7s", "v6x3z-c8e5g",
            "j2m7q-t4w9y", "n8r3u-x6a2e"]}),
        "register_push_token" => push_token(),
        "add_email" => json!({"status": "confirmation_sent"}),
        "create_announcement" | "update_announcement" => announcement(),
        "list_announcements" => json!({"data": [announcement()], "next_cursor": null}),
        "my_announcements" => json!({"data": [{"id": ANNOUNCEMENT_ID, "title": "Maintenance on Sunday",
            "body": "Sign-in pauses for ten minutes at 02:00 UTC.", "starts_at": AT, "ends_at": "2026-11-30T02:10:00Z",
            "account_id": ACCOUNT_ID, "status": "new", "snooze_until": null}]}),
        "answer_announcement" => json!({"announcement_id": ANNOUNCEMENT_ID, "status": "snoozed",
            "snooze_until": "2026-11-25T09:00:00Z", "updated_at": AT}),
        "get_config" | "update_config" => json!({"theme": "dark", "timezone": "Europe/London", "locale": "en-GB",
            "date_format": "YYYY-MM-DD", "notifications": {
                "email": {"security": true, "product": false, "marketing": false},
                "sms": {"security": true, "product": false, "marketing": false},
                "push": {"security": true, "product": true, "marketing": false}},
            "dashboard": {"layout": "default", "widgets": ["getting_started", "team"]}, "integrations": {}}),
        "add_phone" | "change_phone" => json!({"id": PHONE_ID, "number": "+14155550142", "label": "mobile",
            "verified": status == 200, "primary": true}),
        "confirm_email" | "remove_email" => {
            let mut user = user();
            user["emails"] = json!([{"address": "ada@example.com", "verified": true, "primary": true},
                {"address": "ada@work.example", "verified": true, "primary": false}]);
            user
        }
        "list_push_tokens" => json!({"data": [push_token()]}),
        "subscribe_calendar" => {
            let mut pending = calendar();
            pending["status"] = json!("pending");
            pending["last_synced_at"] = json!(null);
            pending["event_count"] = json!(0);
            pending["next_sync_at"] = json!(AT);
            pending
        }
        "list_calendars" => json!({"data": [calendar()]}),
        "export_user" => json!({"format": "roster.user-export.v1", "exported_at": AT, "user": user(),
            "emails": user()["emails"], "phones": user()["phones"],
            "mfa": {"totp_enabled": false, "enabled_at": null},
            "memberships": [{"account_id": ACCOUNT_ID, "account_name": "Analytical Engines", "role": "owner",
                "grant": [], "deny": [], "created_at": AT}],
            "workspaces": [{"workspace": workspace(), "role": "lead"}],
            "preferences": {"theme": "dark", "timezone": "Europe/London", "locale": "en-GB"},
            "push_tokens": [push_token()],
            "sessions": [{"id": SESSION_ID, "active_account_id": ACCOUNT_ID, "created_at": AT, "last_seen_at": AT,
                "expires_at": "2026-12-24T10:00:00Z", "revoked_at": null, "ip": "203.0.113.7", "user_agent": "Mozilla/5.0"}],
            "login_history": [{"at": AT, "ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "success": true, "reason": null}],
            "activity": [{"id": "0193f6a2-aa00-7d34-8a51-000000000001", "at": AT, "actor_id": USER_ID,
                "action": "user.login", "account_id": ACCOUNT_ID, "ip": "203.0.113.7", "user_agent": "Mozilla/5.0",
                "changes": {}}],
            "calendars": [{"calendar": calendar(), "events": [{"uid": "standup-42@calendar.example.com",
                "summary": "Stand-up", "starts_at": "2026-11-24T09:00:00Z", "ends_at": "2026-11-24T09:15:00Z",
                "all_day": false, "location": "Room 3"}]}],
            "announcements": [{"announcement_id": ANNOUNCEMENT_ID, "status": "seen", "snooze_until": null, "updated_at": AT}],
            "analytics": {"logins_7d": 4, "logins_30d": 19, "active_days_30d": 12, "last_active_at": AT,
                "days": [{"day": "2026-11-24", "logins": 1, "events": 3, "last_active_at": AT}]},
            "crm_contacts": [{"account_id": ACCOUNT_ID, "name": "Ada Lovelace", "email": "ada@example.com",
                "phone": "+14155550142"}]}),
        "calendar_events" => json!({"data": [
            {"uid": "standup-42@calendar.example.com", "summary": "Stand-up", "starts_at": "2026-11-24T09:00:00Z",
                "ends_at": "2026-11-24T09:15:00Z", "all_day": false, "location": "Room 3"},
            {"uid": "holiday-7@calendar.example.com", "summary": "Company holiday", "starts_at": "2026-11-26T00:00:00Z",
                "ends_at": "2026-11-27T00:00:00Z", "all_day": true, "location": null}],
            "next_cursor": "eyJzdGFydHNfYXQiOjE3NjQyMzA0MDAwMDAwMDB9.c2lnbmF0dXJl"}),
        "login_history" => json!({"data": [{"at": AT, "ip": "203.0.113.7", "user_agent": "Mozilla/5.0",
            "success": false, "reason": "wrong_password"}], "next_cursor": null}),
        "create_user" | "get_user" | "update_user" | "verify_email" | "recovery" => user(),
        "list_users" | "search_users" => json!({"data": [user()], "next_cursor": null, "total": 1}),
        "profile" => {
            let mut profile = user();
            profile["active_account_id"] = json!(ACCOUNT_ID);
            profile["accounts"] = json!([{"account_id": ACCOUNT_ID, "name": "Analytical Engines", "role": "owner",
                "grant": [], "deny": [], "effective": ["*"]}]);
            profile["preferences"] = json!({"theme": "system", "timezone": "Europe/London", "locale": "en-GB"});
            profile
        }
        "delete_user" => json!({"id": USER_ID, "status": "deleted", "deleted_at": AT, "transferred_to": null}),
        "audit" => {
            json!({"data": [{"id": "0193f6a2-aa00-7d34-8a51-000000000001", "at": AT, "user_id": USER_ID,
            "actor_id": USER_ID, "action": "user.updated", "account_id": ACCOUNT_ID, "ip": "203.0.113.7",
            "user_agent": "Mozilla/5.0", "changes": {"title": {"from": null, "to": "Analyst"}}}], "next_cursor": null})
        }
        "user_activity" => {
            json!({"data": [{"id": "0193f6a2-aa00-7d34-8a51-000000000001", "at": AT, "actor_id": USER_ID,
            "action": "user.updated", "account_id": ACCOUNT_ID, "ip": "203.0.113.7", "user_agent": "Mozilla/5.0",
            "changes": {"title": {"from": null, "to": "Analyst"}}}], "next_cursor": null})
        }
        "user_analytics" => json!({"logins_7d": 4, "logins_30d": 19, "active_days_30d": 12, "last_active_at": AT}),
        "login" | "second_step" => {
            json!({"token": "mF3Qz8rT0wYb6nLd2Kc9Xv4Hs7Ja1Pe5Ug0Ri3Oq8Wt", "token_type": "Bearer",
            "expires_at": "2026-12-24T10:00:00Z", "session_id": SESSION_ID, "user": user()})
        }
        "list_accounts" => {
            let mut mine = account();
            mine["role"] = json!("owner");
            json!({"data": [mine], "next_cursor": null})
        }
        "get_account" | "update_account" => account(),
        "create_account" => {
            let mut child = account();
            child["id"] = json!(CHILD_ID);
            child["name"] = json!("Client: Jacquard Looms");
            child["parent_id"] = json!(ACCOUNT_ID);
            child["seats_used"] = json!(0);
            child
        }
        "delete_account" => {
            let mut gone = account();
            gone["status"] = json!("deleted");
            gone["seats_used"] = json!(0);
            gone
        }
        "account_children" => {
            let mut child = account();
            child["id"] = json!(CHILD_ID);
            child["parent_id"] = json!(ACCOUNT_ID);
            json!({"data": [child], "next_cursor": null})
        }
        "list_members" => json!({"data": [member()], "next_cursor": null}),
        "add_member" => member(),
        "account_access" => json!({"scope": "users.delete", "account_id": CHILD_ID, "data": [{"user_id": USER_ID,
            "name": "Ada Lovelace", "email": "ada@example.com", "role": "owner",
            "because": format!("granted by role owner inherited from account \"Analytical Engines\" ({ACCOUNT_ID})")}],
            "next_cursor": null}),
        "switch_account" => json!({"active_account_id": CHILD_ID, "role": "owner", "effective": ["accounts", "users"]}),
        "update_scope" => membership(),
        "user_permissions" => json!({"user_id": OTHER_USER_ID, "account_id": CHILD_ID, "role": "admin",
            "membership_account_id": ACCOUNT_ID, "platform_admin": false, "effective": ["users.read", "users.update"],
            "check": {"scope": "users.delete", "allowed": false,
            "because": format!("denied by deny users.delete inherited from account \"Analytical Engines\" ({ACCOUNT_ID})")}}),
        "user_associated" => json!({"accounts": [{"id": ACCOUNT_ID, "name": "Analytical Engines", "parent_id": null,
            "role": "admin"}], "workspaces": [{"id": WORKSPACE_ID, "name": "Difference Engine", "account_id": ACCOUNT_ID,
            "role": "lead"}], "contacts": [{"id": "0193f6a2-bb00-7d34-8a51-000000000002", "account_id": ACCOUNT_ID,
            "name": "Grace Hopper", "email": "grace@example.com"}]}),
        "create_workspace" | "get_workspace" | "update_workspace" => workspace(),
        "list_workspaces" => json!({"data": [workspace()], "next_cursor": null}),
        "list_workspace_members" => json!({"data": [workspace_member()], "next_cursor": null}),
        "add_workspace_member" => workspace_member(),
        "list_sessions" => json!({"data": [{"id": SESSION_ID, "created_at": AT, "last_seen_at": AT,
            "ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "current": true}]}),
        "user_sessions" => json!({"data": [{"id": SESSION_ID, "created_at": AT, "last_seen_at": AT,
            "ip": "203.0.113.7", "user_agent": "Mozilla/5.0", "current": false}]}),
        "list_jobs" => json!({"data": [job()], "next_cursor": null}),
        "retry_job" => {
            let mut job = job();
            job["status"] = json!("queued");
            job["attempts"] = json!(0);
            job
        }
        "healthz" => json!({"status": "ok"}),
        "readyz" => json!({"status": "ready"}),
        _ => return None,
    })
}

/// A problem+json body as the server sends it for `status` with `code`.
pub fn problem(status: u16, code: &str) -> Value {
    let detail = match code {
        "validation_failed" => "email: must be an email address",
        "unauthenticated" => "a valid bearer token is required",
        "not_found" => "no such resource",
        "unavailable" => "the database is not answering; retry shortly",
        _ => "see `code`",
    };
    let mut problem = json!({
        "type": format!("https://roster.dev/problems/{code}"),
        "title": crate::error::title_of(code),
        "status": status,
        "detail": detail,
        "code": code,
    });
    if code == "validation_failed" {
        problem["errors"] = json!([{"field": "email", "code": "invalid_email", "message": "must be an email address"}]);
    }
    problem
}
