//! The outbox's store: claiming the next due mail (a lease, so two senders never take the same
//! row) and recording how its delivery attempt ended.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::models::OutboxRow;
use super::schema::outbox;
use super::AnyConnection;

/// How long a claimed row stays with its sender before another may take it (when the sender's
/// instance is not known to be dead, see [`claim_next`]).
const LEASE: chrono::Duration = chrono::Duration::minutes(10);

/// The liveness lease of instance `instance_id` (`db::lease`), held while its `pqrs serve` runs.
pub fn instance_lease_name(instance_id: &str) -> String {
    format!("{INSTANCE_LEASE_PREFIX}{instance_id}")
}

const INSTANCE_LEASE_PREFIX: &str = "instance:";

/// Claim the next due row for instance `instance` (recorded in `claimed_by`): a `pending` row
/// whose time has come, a `sending` row whose claim has expired, or a `sending` row claimed by a
/// dead instance, one whose `instance:<id>` lease row exists and has expired at `now` (it was
/// killed, or stopped without finishing the row). A row claimed by an instance with a live lease,
/// or by one that never held an instance lease (NULL `claimed_by`, a row claimed before the
/// column, a sender outside `pqrs serve`), waits for its claim to expire as before.
///
/// The claim is a compare-and-set on (status, next_attempt_at, claimed_by) as the row was read,
/// so two survivors reclaiming the same dead instance's row never both take it: the second
/// finds the row changed and looks again.
pub fn claim_next(conn: &mut AnyConnection, now: NaiveDateTime, instance: &str) -> QueryResult<Option<OutboxRow>> {
    use diesel::IntoSql;
    use super::schema::leases;
    for _ in 0..5 {
        // Instances whose liveness lease has expired (a released lease expires at its release).
        let dead: Vec<String> = leases::table
            .filter(leases::name.like(format!("{INSTANCE_LEASE_PREFIX}%")))
            .filter(leases::expires_at.le(now))
            .select(leases::name)
            .load::<String>(conn)?
            .into_iter()
            .filter_map(|n| n.strip_prefix(INSTANCE_LEASE_PREFIX).map(str::to_string))
            .collect();
        let due = outbox::status.eq_any(["pending", "sending"]).and(outbox::next_attempt_at.le(now));
        // `dead` may be empty: `IN ()` is rendered as false by diesel on SQLite, `= ANY('{}')`
        // is false on PostgreSQL.
        let orphaned = outbox::status.eq("sending").and(outbox::claimed_by.eq_any(dead));
        let candidate: Option<OutboxRow> = outbox::table
            .filter(due.or(orphaned))
            .order(outbox::next_attempt_at.asc())
            .select(OutboxRow::as_select())
            .first(conn)
            .optional()?;
        let Some(row) = candidate else { return Ok(None) };
        // The row as the claim left it (a filing that joined a combined acknowledgement between
        // the select and the claim is in its list; one after the claim starts a new row).
        // `claimed_by` as read (NULL included: `= NULL` is never true, hence the second arm).
        let same_claimer = outbox::claimed_by
            .eq(row.claimed_by.clone())
            .or(outbox::claimed_by.is_null().and(row.claimed_by.is_none().into_sql::<diesel::sql_types::Bool>()));
        let taken: Option<OutboxRow> = super::write_tx(conn, |c| {
            let taken: Option<OutboxRow> = diesel::update(
                outbox::table
                    .filter(outbox::id.eq(row.id))
                    .filter(outbox::status.eq(row.status.as_str()))
                    .filter(outbox::next_attempt_at.eq(row.next_attempt_at))
                    .filter(same_claimer),
            )
            .set((outbox::status.eq("sending"), outbox::next_attempt_at.eq(now + LEASE), outbox::claimed_by.eq(instance)))
            .returning(outbox::all_columns)
            .get_result(c)
            .optional()?;
            // A combined acknowledgement is composed as it is claimed, in the claim's
            // transaction: no filing joins it once it is `sending`.
            match taken {
                Some(mut r) if r.purpose == super::intake::COMBINED_ACK_PURPOSE => {
                    super::intake::compose_combined_ack(c, &mut r)?;
                    Ok::<_, diesel::result::Error>(Some(r))
                }
                other => Ok(other),
            }
        })?;
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
