//! The outbox's store: claiming the next due mail (a lease, so two senders never take the same
//! row) and recording how its delivery attempt ended.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::models::OutboxRow;
use super::schema::outbox;
use super::AnyConnection;

/// How long a claimed row stays with its sender before another may take it.
const LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// Claim the next due row (`pending`, or `sending` with an expired lease).
pub fn claim_next(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<Option<OutboxRow>> {
    for _ in 0..5 {
        let candidate: Option<OutboxRow> = outbox::table
            .filter(outbox::status.eq_any(["pending", "sending"]))
            .filter(outbox::next_attempt_at.le(now))
            .order(outbox::next_attempt_at.asc())
            .select(OutboxRow::as_select())
            .first(conn)
            .optional()?;
        let Some(row) = candidate else { return Ok(None) };
        // The row as the claim left it: a combined acknowledgement updated between the select
        // and the claim is sent with its new body (its update is guarded on `pending`, so one
        // made after the claim changes nothing and starts a new row).
        let taken: Option<OutboxRow> = diesel::update(
            outbox::table
                .filter(outbox::id.eq(row.id))
                .filter(outbox::status.eq(row.status.as_str()))
                .filter(outbox::next_attempt_at.eq(row.next_attempt_at)),
        )
        .set((outbox::status.eq("sending"), outbox::next_attempt_at.eq(now + LEASE)))
        .returning(outbox::all_columns)
        .get_result(conn)
        .optional()?;
        if taken.is_some() {
            return Ok(taken);
        }
    }
    Ok(None)
}

/// How a delivery attempt ended, as the store records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery<'a> {
    /// Accepted by the SMTP server (or written as a file): counted as outgoing (or internal).
    Sent,
    /// Given up: a permanent refusal, or too many attempts.
    Failed(&'a str),
    /// Tried again at `next_attempt_at`.
    Retry { error: &'a str, next_attempt_at: NaiveDateTime },
}

/// Record the result of a delivery attempt on `row` (a row already sent is left alone). A
/// permanent failure of a mail with legal effect flags its case (`db::notification`).
pub fn record(conn: &mut AnyConnection, row: &OutboxRow, delivery: Delivery<'_>, now: DateTime<Utc>) -> QueryResult<()> {
    // A row already sent, or cancelled by an annulment meanwhile, is left alone: a late result
    // of an attempt never puts a cancelled mail back in the queue.
    let q = outbox::table.filter(outbox::id.eq(row.id)).filter(outbox::status.ne_all(["sent", "cancelled"]));
    let attempts = row.attempts + 1;
    super::write_tx(conn, |c| {
        match delivery {
            Delivery::Sent => {
                let month = crate::time::bogota_month(now);
                let n = diesel::update(q)
                    .set((
                        outbox::status.eq("sent"),
                        outbox::attempts.eq(attempts),
                        outbox::sent_at.eq(now.naive_utc()),
                        outbox::sent_month.eq(&month),
                        outbox::last_error.eq(None::<String>),
                    ))
                    .execute(c)?;
                if n == 1 {
                    super::models::bump_monthly(c, &month, "outbox", if row.internal { "internal" } else { "out" }, 1)?;
                }
            }
            Delivery::Failed(e) => {
                let n = diesel::update(q.filter(outbox::status.ne("failed")))
                    .set((outbox::status.eq("failed"), outbox::attempts.eq(attempts), outbox::last_error.eq(e)))
                    .execute(c)?;
                // A mail with legal effect that never left puts its case in triage, in this
                // transaction (proof of notification).
                if n == 1 {
                    super::notification::record_failure(c, row, e, None)?;
                }
            }
            Delivery::Retry { error, next_attempt_at } => {
                diesel::update(q)
                    .set((
                        outbox::status.eq("pending"),
                        outbox::attempts.eq(attempts),
                        outbox::last_error.eq(error),
                        outbox::next_attempt_at.eq(next_attempt_at),
                    ))
                    .execute(c)?;
            }
        }
        Ok(())
    })
}
