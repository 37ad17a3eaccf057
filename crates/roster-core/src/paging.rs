//! Keyset pages: the one way every list opens and seals its cursors.
//!
//! A cursor is a position sealed (MAC'd) with the list it belongs to (`context`: the list, its
//! filters and its sort): a forged cursor, or one of another list, is 400. Id-ordered lists
//! (sub-accounts, workspaces, who-can, the audit trail, jobs) share [`IdPosition`]; the user
//! lists seal their own sort keys. The filters that several lists share are read here too.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Core;
use crate::error::{CoreError, CoreResult};

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// A page of a keyset list, and where the next one starts.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The position in a list kept in id order: the last id served (the next page starts after it,
/// or before it in a list read newest first).
#[derive(Debug, Serialize, Deserialize)]
struct IdPosition {
    id: Uuid,
}

impl Core {
    /// The position a list's `cursor` names, for the list `context`. An empty cursor is no
    /// cursor: the first page.
    pub(crate) fn open_cursor<T: DeserializeOwned>(
        &self,
        context: &str,
        cursor: Option<&str>,
    ) -> CoreResult<Option<T>> {
        cursor
            .filter(|c| !c.is_empty())
            .map(|c| self.cursor_key.open::<T>(context, c))
            .transpose()
            .map_err(|_| CoreError::BadRequest("the cursor is invalid or belongs to another list".into()))
    }

    /// A cursor at `position` of the list `context`.
    pub(crate) fn seal_cursor<T: Serialize>(&self, context: &str, position: &T) -> String {
        self.cursor_key.seal(context, position)
    }

    /// The id an id-ordered list's cursor stands at.
    pub(crate) fn cursor_id<I: From<Uuid>>(&self, context: &str, cursor: Option<&str>) -> CoreResult<Option<I>> {
        Ok(self.open_cursor::<IdPosition>(context, cursor)?.map(|p| I::from(p.id)))
    }

    /// A cursor of an id-ordered list standing at `id`.
    pub(crate) fn seal_id(&self, context: &str, id: impl Into<Uuid>) -> String {
        self.seal_cursor(context, &IdPosition { id: id.into() })
    }

    /// `items` fetched with `limit + 1`: the page, with a cursor at its last item when more
    /// follow.
    pub(crate) fn id_page<T, I: Into<Uuid>>(
        &self,
        context: &str,
        items: Vec<T>,
        limit: u32,
        id: impl Fn(&T) -> I,
    ) -> Page<T> {
        self.keyset_page(context, items, limit, |item| IdPosition { id: id(item).into() })
    }

    /// [`Core::id_page`] for a list in another order: the cursor seals `position` of the last
    /// item served.
    pub(crate) fn keyset_page<T, P: Serialize>(
        &self,
        context: &str,
        mut items: Vec<T>,
        limit: u32,
        position: impl Fn(&T) -> P,
    ) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = items.last().filter(|_| more).map(|last| self.seal_cursor(context, &position(last)));
        Page { items, next_cursor }
    }
}

/// A page size: 1–100, 20 when not given (API.md §1).
pub fn page_limit(errors: &mut roster_domain::FieldErrors, limit: Option<u32>) -> u32 {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.add("limit", "out_of_range", format!("must be between 1 and {MAX_LIMIT}"));
        return DEFAULT_LIMIT;
    }
    limit
}

/// A time filter of a list (`created_after`, `from`, …): RFC 3339, else the field's
/// `invalid_datetime`.
pub(crate) fn time_filter(
    errors: &mut roster_domain::FieldErrors,
    field: &str,
    value: Option<&str>,
) -> Option<roster_store::Ts> {
    use time::format_description::well_known::Rfc3339;
    let value = value?;
    if let Ok(at) = time::OffsetDateTime::parse(value, &Rfc3339) {
        Some(roster_store::Ts::new(at))
    } else {
        errors.add(field, "invalid_datetime", "must be an RFC 3339 date-time such as 2026-11-24T10:00:00Z");
        None
    }
}
