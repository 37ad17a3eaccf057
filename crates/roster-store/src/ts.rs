//! `Ts`: a point in time stored as INTEGER microseconds on SQLite and TIMESTAMPTZ on PostgreSQL.
//!
//! sqlx's own SQLite encoding of times is text, which sorts wrongly within a second and cannot
//! be compared with integers in keyset cursors; microseconds match PostgreSQL's precision, so a
//! value round-trips identically on both engines.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ts(OffsetDateTime);

impl Ts {
    /// Truncates to whole microseconds, the precision both engines keep.
    pub fn new(at: OffsetDateTime) -> Self {
        Self::from_micros(to_micros(at))
    }

    pub fn from_micros(micros: i64) -> Self {
        let at =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Self(at)
    }

    pub fn micros(self) -> i64 {
        to_micros(self.0)
    }

    pub fn get(self) -> OffsetDateTime {
        self.0
    }
}

fn to_micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

impl From<OffsetDateTime> for Ts {
    fn from(at: OffsetDateTime) -> Self {
        Self::new(at)
    }
}

impl From<Ts> for OffsetDateTime {
    fn from(ts: Ts) -> Self {
        ts.0
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<'_, Sqlite>>::encode(self.micros(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self::from_micros(<i64 as Decode<'r, Sqlite>>::decode(value)?))
    }
}

impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <OffsetDateTime as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<'_, Postgres>>::encode(self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self::new(<OffsetDateTime as Decode<'r, Postgres>>::decode(value)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_to_microseconds() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        let ts = Ts::new(at);
        assert_eq!(ts.micros(), 1_700_000_000_123_456);
        assert_eq!(Ts::from_micros(ts.micros()), ts);
    }

    #[test]
    fn orders_like_time() {
        let earlier = Ts::from_micros(1);
        let later = Ts::from_micros(2);
        assert!(earlier < later);
    }
}
