//! Reading back the names the domain's enums are stored as (statuses, actions, labels): a name
//! no build of Roster writes is a corrupt row, said as such, never a default.

use std::str::FromStr;

use roster_domain::named::UnknownName;

use crate::error::{StoreError, StoreResult};

/// The value stored as `name`.
pub(crate) fn stored<T: FromStr<Err = UnknownName>>(name: &str) -> StoreResult<T> {
    name.parse().map_err(|e: UnknownName| StoreError::Corrupt(e.to_string()))
}
