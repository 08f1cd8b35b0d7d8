//! The store side of the case lifecycle: a lifecycle action is decided by the workflow as a
//! [`Plan`] (pure: the case as stored in, the changes out) and applied here in the one
//! transaction that also loaded the case, checked the caller's scope, allocated the outgoing
//! radicado, recorded the communication (queueing its mail when there is an address), annulled the
//! case's communications when the action annuls it, and appended the event.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::communications::{Letter, OutgoingAttachment};
use super::models::CaseRow;
use super::schema::{case_events, cases};
use super::AnyConnection;
use crate::domain::radicado::UnitCode;

/// Column changes of a case; `None` leaves a column as it is (`Some(None)` sets NULL).
#[derive(Debug, Clone, Default, PartialEq, AsChangeset)]
#[diesel(table_name = cases)]
pub struct CaseChange {
    pub status: Option<String>,
    pub department: Option<String>,
    pub kind: Option<String>,
    pub assigned_to: Option<Option<String>>,
    pub needs_review: Option<bool>,
    pub term_days: Option<Option<i64>>,
    pub due_date: Option<Option<NaiveDate>>,
    pub extension_limit: Option<Option<NaiveDate>>,
    pub suspended_on: Option<Option<NaiveDate>>,
    pub original_due_date: Option<Option<NaiveDate>>,
    pub extended_at: Option<Option<NaiveDateTime>>,
    pub transferred_to: Option<Option<String>>,
    pub responded_at: Option<Option<NaiveDateTime>>,
    pub closed_at: Option<Option<NaiveDateTime>>,
    pub annulled_reason: Option<Option<String>>,
    pub effective_date: Option<NaiveDate>,
    pub requerimiento_on: Option<Option<NaiveDate>>,
    pub completed_on: Option<Option<NaiveDate>>,
    pub citizen_extension: Option<bool>,
    pub outcome: Option<Option<String>>,
    pub priority: Option<String>,
    pub priority_reason: Option<Option<String>>,
    pub clarification: Option<bool>,
    // Rectification of the citizen's data (habeas data).
    pub citizen_name: Option<Option<String>>,
    pub citizen_email: Option<Option<String>>,
    pub citizen_doc_type: Option<Option<String>>,
    pub citizen_doc_number: Option<Option<String>>,
    pub citizen_phone: Option<Option<String>>,
    pub citizen_municipality: Option<Option<String>>,
}

/// A communication to the case's citizen, with an outgoing radicado: mailed when the case has
/// an e-mail address, printed or published otherwise (`db::communications`).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedMail {
    pub purpose: &'static str,
    pub subject: String,
    pub body: String,
}

/// What one accepted lifecycle action writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub change: CaseChange,
    pub event_type: &'static str,
    pub reason: Option<String>,
    /// The event payload; `radicado_salida`, `mailed` and `canal_entrega` are added when the
    /// plan sends a communication (an answer always does).
    pub payload: serde_json::Value,
    pub mail: Option<PlannedMail>,
    /// The mail's outgoing radicado is the case's response radicado.
    pub is_response: bool,
    /// A person confirmed or corrected the department and kind: the case becomes a labelled
    /// example of the routing model (`db::routing`).
    pub label: bool,
    /// Files sent with the communication (an answer's documents), listed in its oficio.
    pub attachments: Vec<OutgoingAttachment>,
    /// A postal address given by staff for a printed communication.
    pub address: Option<String>,
}

impl Plan {
    pub fn new(event_type: &'static str, change: CaseChange, payload: serde_json::Value) -> Plan {
        Plan { change, event_type, reason: None, payload, mail: None, is_response: false, label: false, attachments: Vec::new(), address: None }
    }
    /// Mark the plan as a person's confirmation of the case's department and kind.
    pub fn labelled(mut self) -> Plan {
        self.label = true;
        self
    }
    pub fn reason(mut self, reason: Option<String>) -> Plan {
        self.reason = reason;
        self
    }
    pub fn mail(mut self, mail: PlannedMail) -> Plan {
        self.mail = Some(mail);
        self
    }
}

/// What the store needs to queue a mail.
pub struct MailContext<'a> {
    pub unit: &'a UnitCode,
    pub message_id_domain: &'a str,
    /// Offer the satisfaction survey with a final answer's mail (`db::surveys::offer`); None:
    /// never (jobs that answer nothing).
    pub survey: Option<super::surveys::SurveyPolicy<'a>>,
}

/// Why [`act`] did nothing.
#[derive(Debug, thiserror::Error)]
pub enum ActError<E> {
    /// No such case, or outside the caller's scope (the two look alike on purpose).
    #[error("case not found")]
    NotFound,
    /// The decision refused the action.
    #[error("{0}")]
    Refused(E),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Load the case `case_id` (within `scope`, a department code, when given), let `decide` turn it
/// into a plan, and apply it: all in one transaction. A refusal changes nothing.
pub fn act<E>(
    conn: &mut AnyConnection,
    ctx: &MailContext<'_>,
    case_id: i64,
    scope: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
    decide: impl FnOnce(&CaseRow) -> Result<Plan, E>,
) -> Result<CaseRow, ActError<E>> {
    act_many(conn, ctx, case_id, scope, actor, now, vec![Box::new(|case: &CaseRow| decide(case).map(Some))])
}

/// Several plans on one case in one transaction (a triage correction: reclassify, then assign);
/// each decision sees the case as the previous one left it.
pub fn act_many<E>(
    conn: &mut AnyConnection,
    ctx: &MailContext<'_>,
    case_id: i64,
    scope: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
    decisions: Vec<Box<dyn FnOnce(&CaseRow) -> Result<Option<Plan>, E> + '_>>,
) -> Result<CaseRow, ActError<E>> {
    super::write_tx(conn, |c| {
        let mut case = load_scoped(c, case_id, scope)?;
        for decide in decisions {
            if let Some(plan) = decide(&case).map_err(ActError::Refused)? {
                case = apply_plan(c, ctx, &case, actor, plan, now)?;
            }
        }
        Ok(case)
    })
}

/// The case `case_id` if it is within `scope` (a department code; None = every department).
fn load_scoped<E>(c: &mut AnyConnection, case_id: i64, scope: Option<&str>) -> Result<CaseRow, ActError<E>> {
    match CaseRow::by_id(c, case_id).optional()? {
        Some(case) if scope.is_none_or(|d| d == case.department) => Ok(case),
        _ => Err(ActError::NotFound),
    }
}

/// Apply a plan to `case` inside the caller's transaction; returns the case as stored after it.
pub fn apply_plan(
    c: &mut AnyConnection,
    ctx: &MailContext<'_>,
    case: &CaseRow,
    actor: &str,
    plan: Plan,
    now: DateTime<Utc>,
) -> QueryResult<CaseRow> {
    let n = now.naive_utc();
    let mut payload = plan.payload;
    let change = plan.change;
    // An answer always gets its oficio, whatever the channel, even when the decision planned no
    // mail (a case without e-mail): its text is the one the decision recorded.
    let fallback = match (&plan.mail, plan.is_response) {
        (None, true) => payload.get("text").and_then(|t| t.as_str()).map(|text| PlannedMail {
            purpose: "respuesta",
            subject: format!("Respuesta a su solicitud {}", case.radicado),
            body: super::communications::answer_text(case, text),
        }),
        _ => None,
    };
    if let Some(mail) = plan.mail.as_ref().or(fallback.as_ref()) {
        let out = mail_citizen(c, ctx, case, actor, mail, &plan.attachments, plan.address.as_deref(), now)?;
        if let serde_json::Value::Object(m) = &mut payload {
            m.insert("mailed".into(), out.mailed.into());
            m.insert("radicado_salida".into(), out.radicado.clone().into());
            m.insert("canal_entrega".into(), out.channel.into());
            if !plan.attachments.is_empty() {
                let names: Vec<&str> = plan.attachments.iter().map(|a| a.filename.as_str()).collect();
                m.insert("anexos".into(), names.into());
            }
        }
        if plan.is_response {
            diesel::update(cases::table.find(case.id)).set(cases::response_radicado.eq(&out.radicado)).execute(c)?;
            // The final answer's mail carries the survey link, when the case may get one.
            if let (Some(policy), Some(outbox_id)) = (ctx.survey.as_ref(), out.outbox_id) {
                let offered = super::surveys::offer(c, policy, case, outbox_id, now)?.is_some();
                if let serde_json::Value::Object(m) = &mut payload {
                    m.insert("encuesta".into(), offered.into());
                }
            }
        }
    }
    // Annulling a case annuls its outgoing numbers (kept, shown as annulled) and cancels the
    // mails not yet sent.
    if plan.event_type == "anulado" {
        let (annulled, cancelled) = super::communications::annul_case(c, case.id, plan.reason.as_deref(), n)?;
        if let serde_json::Value::Object(m) = &mut payload {
            m.insert("comunicaciones_anuladas".into(), annulled.into());
            m.insert("correos_cancelados".into(), cancelled.into());
        }
    }
    diesel::update(cases::table.find(case.id))
        .set((&change, cases::updated_at.eq(n)))
        .execute(c)?;
    if plan.label && actor != "sistema" && actor != "system" {
        let after = CaseRow::by_id(c, case.id)?;
        super::routing::label(c, case.id, &after.department, after.kind.as_str(), actor, n)?;
    }
    super::intake::add_event(c, case.id, actor, plan.event_type, plan.reason.as_deref(), payload)?;
    CaseRow::by_id(c, case.id)
}

/// Record a communication to the citizen with an outgoing radicado, whatever the channel (see
/// `db::communications`); its mail is queued only when the case has an e-mail address.
#[allow(clippy::too_many_arguments)]
fn mail_citizen(
    c: &mut AnyConnection,
    ctx: &MailContext<'_>,
    case: &CaseRow,
    actor: &str,
    mail: &PlannedMail,
    attachments: &[OutgoingAttachment],
    address: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<super::communications::Recorded> {
    let letter = Letter { purpose: mail.purpose, subject: &mail.subject, body: &mail.body, attachments, address };
    super::communications::record(c, ctx.unit, ctx.message_id_domain, case, actor, &letter, now)
}

/// Number of events of a type on a case (for idempotent checks).
pub fn count_events(conn: &mut AnyConnection, case_id: i64, event_type: &str) -> QueryResult<i64> {
    case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::event_type.eq(event_type))
        .count()
        .get_result(conn)
}
