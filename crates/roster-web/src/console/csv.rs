//! "Export CSV" of the console's user list: every user the filters select (every page, not only
//! the one on screen), streamed a page at a time so memory stays flat however many there are.
//!
//! RFC 4180: comma-separated, CRLF line ends, a field quoted when it holds a comma, a quote or a
//! line break (quotes doubled). A cell that a spreadsheet would run as a formula (one starting
//! with `=`, `+`, `-`, `@`, a tab or a carriage return) is neutralised with a leading `'`, as
//! OWASP advises against CSV injection.

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use roster_core::users::Paging;
use roster_core::{Actor, Core};
use roster_domain::user::ListedUser;
use roster_http::AppState;
use time::format_description::well_known::Rfc3339;

use super::Staff;
use super::users::{ListParams, Population, filters_of};

const HEADER: &str = "id,name,email,status,role,email_verified,phone,mfa,created_at,last_login_at\r\n";

/// One field, quoted and neutralised as the module says.
pub(crate) fn field(value: &str) -> String {
    let neutral =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    if neutral.contains([',', '"', '\r', '\n']) { format!("\"{}\"", neutral.replace('"', "\"\"")) } else { neutral }
}

fn line(row: &ListedUser) -> String {
    let at = |t: time::OffsetDateTime| t.format(&Rfc3339).unwrap_or_default();
    let fields = [
        row.id.to_string(),
        field(&row.name),
        field(&row.email),
        row.status.as_str().to_owned(),
        row.role.map_or("", |r| r.as_str()).to_owned(),
        row.email_verified.to_string(),
        field(row.phone.as_deref().unwrap_or_default()),
        row.mfa_enabled.to_string(),
        at(row.created_at),
        row.last_login_at.map(at).unwrap_or_default(),
    ];
    let mut line = fields.join(",");
    line.push_str("\r\n");
    line
}

/// Where the export stands between two pages.
struct Export {
    core: Core,
    actor: Actor,
    population: Population,
    params: ListParams,
    cursor: Option<String>,
    done: bool,
}

impl Export {
    /// The next page as CSV lines, or `None` when every page is out.
    async fn next_chunk(mut self) -> Option<(Result<String, std::io::Error>, Self)> {
        if self.done {
            return None;
        }
        let filters = filters_of(&self.params, self.population);
        let paging = Paging {
            sort: Some(self.params.sort.clone()).filter(|s| !s.is_empty()),
            cursor: self.cursor.take(),
            ..Paging::default()
        };
        let page = self.core.export_users(&self.actor, filters, paging).await.map(|batch| {
            let lines: String = batch.rows.iter().map(line).collect();
            (lines, batch.next_cursor)
        });
        match page {
            Ok((lines, next)) => {
                self.done = next.is_none();
                self.cursor = next;
                Some((Ok(lines), self))
            }
            Err(err) => {
                // The header is out already: the cut-short body tells the client it failed.
                tracing::warn!(error = %err, "a CSV export stopped");
                self.done = true;
                Some((Err(std::io::Error::other("the export stopped")), self))
            }
        }
    }
}

/// `GET /console/users.csv`: the list's filters, every page.
pub(crate) async fn export(State(state): State<AppState>, staff: Staff, RawQuery(raw): RawQuery) -> Response {
    let params = ListParams { cursor: String::new(), trail: String::new(), ..ListParams::parse(raw.as_deref()) };
    let population = Population::of(&staff, &params);
    // The first page is read before the answer starts, so a refused list is a page, not a CSV.
    let first = Export {
        core: state.core.clone(),
        actor: staff.visitor.actor.clone(),
        population,
        params,
        cursor: None,
        done: false,
    };
    let Some((first_chunk, rest)) = first.next_chunk().await else { return crate::render::not_found() };
    let Ok(first_chunk) = first_chunk else { return crate::render::unavailable() };
    let head = futures_util::stream::iter([Ok::<_, std::io::Error>(format!("{HEADER}{first_chunk}"))]);
    let tail = futures_util::stream::unfold(rest, Export::next_chunk);
    let body = Body::from_stream(futures_util::StreamExt::chain(head, tail));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8; header=present"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"users.csv\""),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says_and_formulas_are_neutralised() {
        assert_eq!(field("Ada Lovelace"), "Ada Lovelace");
        assert_eq!(field("Lovelace, Ada"), "\"Lovelace, Ada\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\r\nlines"), "\"two\r\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1 415"), "'+1 415");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\tx"), "'\tx");
        assert_eq!(field("a=b"), "a=b");
    }
}
