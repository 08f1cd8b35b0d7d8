//! The store side of the satisfaction survey (`crate::survey`): offering one with a final answer
//! (inside the answer's transaction), answering it by its link once, staff entering a verbal
//! case's survey, the monthly figures, and what the habeas-data export and the retention run need.
//! Only the SHA-256 of a link's token is stored: the link itself exists only in the mail.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use sha2::Digest;

use super::models::CaseRow;
use super::schema::{cases, outbox, requester_details, surveys};
use super::AnyConnection;
use crate::survey::Ratings;

/// What an offer needs from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct SurveyPolicy<'a> {
    pub public_base_url: &'a str,
    /// One survey per citizen address per this many days; 0 = none offered.
    pub interval_days: u32,
}

fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.trim().as_bytes()))
}

/// Offer the survey with the final answer of `case`, whose mail is outbox row `outbox_id`: when
/// the case may get one (an e-mail address that does not look automatic, not an anonymous
/// filing, no survey on the case yet, none to that address in the last `interval_days`), store
/// it and add the link to that mail. Inside the answer's transaction. Returns the token.
pub fn offer(c: &mut AnyConnection, policy: &SurveyPolicy<'_>, case: &CaseRow, outbox_id: i64, now: DateTime<Utc>) -> QueryResult<Option<String>> {
    if policy.interval_days == 0 {
        return Ok(None);
    }
    let Some(address) = case.citizen_email.as_deref().map(|a| a.trim().to_lowercase()).filter(|a| a.contains('@')) else {
        return Ok(None);
    };
    if crate::survey::looks_automatic(&address) {
        return Ok(None);
    }
    let requester: Option<String> =
        requester_details::table.find(case.id).select(requester_details::requester_type).first(c).optional()?;
    if requester.as_deref() == Some("anonimo") {
        return Ok(None);
    }
    let on_case: i64 = surveys::table.filter(surveys::case_id.eq(case.id)).count().get_result(c)?;
    let n = now.naive_utc();
    let since = n - chrono::Duration::days(i64::from(policy.interval_days));
    let recent: i64 = surveys::table
        .filter(surveys::recipient.eq(&address))
        .filter(surveys::created_at.gt(since))
        .count()
        .get_result(c)?;
    if on_case > 0 || recent > 0 {
        return Ok(None);
    }
    let token = crate::web::layout::random_token();
    diesel::insert_into(surveys::table)
        .values((
            surveys::case_id.eq(case.id),
            surveys::token_sha256.eq(Some(token_hash(&token))),
            surveys::channel.eq(case.channel.as_str()),
            surveys::recipient.eq(Some(&address)),
            surveys::created_at.eq(n),
        ))
        .execute(c)?;
    let body: String = outbox::table.find(outbox_id).select(outbox::body_text).first(c)?;
    diesel::update(outbox::table.find(outbox_id))
        .set(outbox::body_text.eq(body + &crate::survey::invitation(policy.public_base_url, &token)))
        .execute(c)?;
    Ok(Some(token))
}

/// A survey as the link's page shows it.
#[derive(Debug, Clone)]
pub struct SurveyView {
    pub radicado: String,
    pub answered: bool,
}

/// The survey of a link's token (reads only: opening the link stores nothing).
pub fn by_token(c: &mut AnyConnection, token: &str) -> QueryResult<Option<SurveyView>> {
    if token.len() != 64 || !token.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let row: Option<(String, Option<NaiveDateTime>)> = surveys::table
        .inner_join(cases::table)
        .filter(surveys::token_sha256.eq(token_hash(token)))
        .select((cases::radicado, surveys::answered_at))
        .first(c)
        .optional()?;
    Ok(row.map(|(radicado, at)| SurveyView { radicado, answered: at.is_some() }))
}

/// What an answer came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Recorded,
    /// The case's survey was answered already: nothing changed.
    AlreadyAnswered,
    NotFound,
}

/// Answer the survey of a link's token, once: the row is filled only while it is unanswered, in
/// one statement, so two answers at the same moment record one.
pub fn answer(c: &mut AnyConnection, token: &str, r: &Ratings, comment: Option<&str>, now: DateTime<Utc>) -> QueryResult<Answered> {
    if token.len() != 64 || !token.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return Ok(Answered::NotFound);
    }
    let hash = token_hash(token);
    super::write_tx(c, |c| {
        let n = diesel::update(surveys::table.filter(surveys::token_sha256.eq(&hash)).filter(surveys::answered_at.is_null()))
            .set((
                surveys::answered_at.eq(Some(now.naive_utc())),
                surveys::answered_via.eq(Some("enlace")),
                surveys::satisfaccion.eq(Some(r.satisfaccion)),
                surveys::percepcion.eq(Some(r.percepcion)),
                surveys::confianza.eq(Some(r.confianza)),
                surveys::claridad.eq(Some(r.claridad)),
                surveys::comment.eq(comment),
            ))
            .execute(c)?;
        if n == 1 {
            return Ok(Answered::Recorded);
        }
        let exists: i64 = surveys::table.filter(surveys::token_sha256.eq(&hash)).count().get_result(c)?;
        Ok(if exists > 0 { Answered::AlreadyAnswered } else { Answered::NotFound })
    })
}

/// How a verbal case's survey was taken.
pub const VERBAL_VIA: [(&str, &str); 2] = [("presencial", "En persona (ventanilla)"), ("telefonico", "Por teléfono")];

/// Staff record the survey of a verbal case, taken in person or by phone (`via`): in the case's
/// survey row (a link offered and not answered is answered by it), or a new one. A case whose
/// survey is answered refuses it. The entry is an event of the case (who, how; not the ratings).
pub fn enter_verbal(
    c: &mut AnyConnection,
    case: &CaseRow,
    via: &str,
    r: &Ratings,
    comment: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> QueryResult<Answered> {
    let n = now.naive_utc();
    super::write_tx(c, |c| {
        let existing: Option<(i64, Option<NaiveDateTime>)> =
            surveys::table.filter(surveys::case_id.eq(case.id)).select((surveys::id, surveys::answered_at)).first(c).optional()?;
        let values = (
            surveys::answered_at.eq(Some(n)),
            surveys::answered_via.eq(Some(via)),
            surveys::entered_by.eq(Some(actor)),
            surveys::satisfaccion.eq(Some(r.satisfaccion)),
            surveys::percepcion.eq(Some(r.percepcion)),
            surveys::confianza.eq(Some(r.confianza)),
            surveys::claridad.eq(Some(r.claridad)),
            surveys::comment.eq(comment),
        );
        match existing {
            Some((_, Some(_))) => return Ok(Answered::AlreadyAnswered),
            Some((id, None)) => {
                diesel::update(surveys::table.find(id).filter(surveys::answered_at.is_null())).set(values).execute(c)?;
            }
            None => {
                diesel::insert_into(surveys::table)
                    .values((surveys::case_id.eq(case.id), surveys::channel.eq(case.channel.as_str()), surveys::created_at.eq(n), values))
                    .execute(c)?;
            }
        }
        super::intake::add_event(c, case.id, actor, "encuesta_registrada", None, serde_json::json!({ "via": via }))?;
        Ok(Answered::Recorded)
    })
}

/// The answered surveys with `from <= answered_at < to` (UTC): (channel, ratings).
pub fn answered_between(c: &mut AnyConnection, from: NaiveDateTime, to: NaiveDateTime) -> QueryResult<Vec<(String, Ratings)>> {
    let rows: Vec<(String, Option<i32>, Option<i32>, Option<i32>, Option<i32>)> = surveys::table
        .filter(surveys::answered_at.ge(from))
        .filter(surveys::answered_at.lt(to))
        .select((surveys::channel, surveys::satisfaccion, surveys::percepcion, surveys::confianza, surveys::claridad))
        .load(c)?;
    Ok(rows
        .into_iter()
        .filter_map(|(ch, a, b, cc, d)| Some((ch, Ratings { satisfaccion: a?, percepcion: b?, confianza: cc?, claridad: d? })))
        .collect())
}

/// The figures of a Bogotá calendar month (`month` None: the whole year).
pub fn satisfaction(c: &mut AnyConnection, year: i32, month: Option<u32>) -> QueryResult<crate::survey::Satisfaction> {
    use chrono::TimeZone;
    let bogota = |y: i32, m: u32| {
        chrono_tz::America::Bogota
            .with_ymd_and_hms(y, m, 1, 0, 0, 0)
            .single()
            .map(|t| t.with_timezone(&Utc).naive_utc())
            .unwrap_or_default()
    };
    let (from, to) = match month {
        Some(12) => (bogota(year, 12), bogota(year + 1, 1)),
        Some(m) => (bogota(year, m), bogota(year, m + 1)),
        None => (bogota(year, 1), bogota(year + 1, 1)),
    };
    Ok(crate::survey::Satisfaction::from_answers(answered_between(c, from, to)?))
}

/// A case's survey, for the case page and the habeas-data export.
#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct SurveyRow {
    pub channel: String,
    pub recipient: Option<String>,
    pub created_at: NaiveDateTime,
    pub answered_at: Option<NaiveDateTime>,
    pub answered_via: Option<String>,
    pub entered_by: Option<String>,
    pub satisfaccion: Option<i32>,
    pub percepcion: Option<i32>,
    pub confianza: Option<i32>,
    pub claridad: Option<i32>,
    pub comment: Option<String>,
}

pub fn of_case(c: &mut AnyConnection, case_id: i64) -> QueryResult<Option<SurveyRow>> {
    surveys::table
        .filter(surveys::case_id.eq(case_id))
        .select((
            surveys::channel,
            surveys::recipient,
            surveys::created_at,
            surveys::answered_at,
            surveys::answered_via,
            surveys::entered_by,
            surveys::satisfaccion,
            surveys::percepcion,
            surveys::confianza,
            surveys::claridad,
            surveys::comment,
        ))
        .first(c)
        .optional()
}

/// The retention run: the survey's address and comment go; the ratings, channel and dates stay
/// (the informe counts them). Inside the erasure's transaction.
pub fn erase_case(c: &mut AnyConnection, case_id: i64) -> QueryResult<usize> {
    let erased = super::habeas::ERASED;
    let rows: Vec<(i64, Option<String>, Option<String>)> =
        surveys::table.filter(surveys::case_id.eq(case_id)).select((surveys::id, surveys::recipient, surveys::comment)).load(c)?;
    for (id, recipient, comment) in &rows {
        diesel::update(surveys::table.find(id))
            .set((surveys::recipient.eq(recipient.as_ref().map(|_| erased)), surveys::comment.eq(comment.as_ref().map(|_| erased))))
            .execute(c)?;
    }
    Ok(rows.len())
}
