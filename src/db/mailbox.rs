//! IMAP checkpoints: per mailbox (and UIDVALIDITY), the last UID filed. Saved only after the
//! mails up to it are committed, so a crash re-reads (and dedupes) instead of skipping.

use chrono::Utc;
use diesel::prelude::*;

use super::schema::mailbox_checkpoints as mc;
use super::AnyConnection;

/// (uid_validity, last_uid) of a mailbox key.
pub fn load_checkpoint(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<(i64, i64)>> {
    mc::table.find(key).select((mc::uid_validity, mc::last_uid)).first(conn).optional()
}

pub fn save_checkpoint(conn: &mut AnyConnection, key: &str, validity: i64, last_uid: i64) -> QueryResult<()> {
    let now = Utc::now().naive_utc();
    crate::with_inner!(conn, |c| diesel::insert_into(mc::table)
        .values((
            mc::mailbox.eq(key),
            mc::uid_validity.eq(validity),
            mc::last_uid.eq(last_uid),
            mc::last_success_at.eq(now),
            mc::updated_at.eq(now),
        ))
        .on_conflict(mc::mailbox)
        .do_update()
        .set((
            mc::uid_validity.eq(validity),
            mc::last_uid.eq(last_uid),
            mc::last_success_at.eq(now),
            mc::updated_at.eq(now),
        ))
        .execute(c))?;
    Ok(())
}
