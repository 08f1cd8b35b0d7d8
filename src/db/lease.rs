//! Leases: singleton background work (a mailbox's poller, the follow-up job) held by one
//! instance at a time when several `pqrs serve` share one database.
//!
//! A lease is a row (`leases`: name, holder, acquired_at, renewed_at, expires_at). [`acquire`]
//! takes or renews it in ONE statement:
//!
//! ```sql
//! INSERT INTO leases (name, holder, acquired_at, renewed_at, expires_at) VALUES (..)
//! ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, renewed_at = .., expires_at = ..,
//!     acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE .. END
//! WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.renewed_at
//! RETURNING ..
//! ```
//!
//! so two instances racing for an expired lease cannot both win: on PostgreSQL the second
//! upsert waits for the first's row lock and then re-checks the `WHERE` against the row the first
//! wrote (another holder, not expired: no row returned); on SQLite writers are serialized. The
//! statement works on SQLite ≥ 3.35 (upsert with `RETURNING`) and PostgreSQL.
//!
//! Time: `now` is passed in by the caller (the instance's clock, UTC), not taken from the
//! database. This assumes the instances' clocks agree to well under the lease time (NTP keeps
//! them within milliseconds; the default lease is 10 s): an instance whose clock runs ahead by
//! more than the lease would take a lease that has not expired.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::leases;
use super::AnyConnection;

/// A lease row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Serialize)]
#[diesel(table_name = leases)]
pub struct Lease {
    pub name: String,
    pub holder: String,
    pub acquired_at: NaiveDateTime,
    pub renewed_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Take the lease `name` for `holder` until `now + ttl`, or renew it when `holder` has it
/// already. `Some(row)` when `holder` holds it after the statement; `None` when another
/// instance holds it and it has not expired at `now`.
pub fn acquire(conn: &mut AnyConnection, name: &str, holder: &str, ttl: Duration, now: NaiveDateTime) -> QueryResult<Option<Lease>> {
    use diesel::dsl::case_when;
    use diesel::query_dsl::methods::FilterDsl;
    use diesel::upsert::excluded;
    let expires = now + ttl;
    crate::with_inner!(conn, |c| diesel::insert_into(leases::table)
        .values((
            leases::name.eq(name),
            leases::holder.eq(holder),
            leases::acquired_at.eq(now),
            leases::renewed_at.eq(now),
            leases::expires_at.eq(expires),
        ))
        .on_conflict(leases::name)
        .do_update()
        .set((
            // A renewal keeps the time it was first acquired; a takeover starts a new one.
            leases::acquired_at.eq(case_when(leases::holder.eq(excluded(leases::holder)), leases::acquired_at)
                .otherwise(excluded(leases::acquired_at))),
            leases::holder.eq(excluded(leases::holder)),
            leases::renewed_at.eq(excluded(leases::renewed_at)),
            leases::expires_at.eq(excluded(leases::expires_at)),
        ))
        .filter(leases::holder.eq(holder).or(leases::expires_at.le(now)))
        .returning(leases::all_columns)
        .get_result::<Lease>(c)
        .optional())
}

/// Give up `name` if `holder` holds it (a clean stop), so another instance takes it at its
/// next attempt instead of waiting for it to expire. The row stays, expired, for `/healthz`.
/// Whether `holder` held it.
pub fn release(conn: &mut AnyConnection, name: &str, holder: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(leases::table.filter(leases::name.eq(name)).filter(leases::holder.eq(holder)))
        .set(leases::expires_at.eq(now))
        .execute(conn)?;
    Ok(n == 1)
}

/// Every lease row, by name.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<Lease>> {
    leases::table.order(leases::name.asc()).select(Lease::as_select()).load(conn)
}
