//! The life of a case after filing (DESIGN.md §2), as a state machine that refuses invalid
//! transitions and changes nothing when it does. Every accepted action is one transaction: the
//! case row, an append-only event (actor, time, reason, payload) and, where the law asks for
//! it, a mail to the citizen in the outbox with an outgoing radicado (type digit 1).
//!
//! | action | from | to |
//! |---|---|---|
//! | assign / reassign (reason required to reassign) | radicado, asignado, en_tramite | asignado |
//! | start work | radicado, asignado | en_tramite |
//! | requerimiento (art. 17: clock stops) | radicado, asignado, en_tramite | requerimiento |
//! | citizen reply (clock resumes the day after) | requerimiento | en_tramite |
//! | extension (once, before the due date, ≤ 2× term) | radicado, asignado, en_tramite | same |
//! | transfer (art. 21, within 5 business days) | radicado, asignado, en_tramite | trasladado |
//! | respond | radicado, asignado, en_tramite, requerimiento | respondido |
//! | close | respondido, trasladado, requerimiento (desistimiento) | cerrado |
//! | annul (number kept, reason recorded) | any but cerrado, anulado | anulado |
//! | reclassify kind (triage correction; due date recomputed) | radicado, asignado, en_tramite | same |

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::db::models::{CaseRow, NewOutbox};
use crate::db::schema::{case_events, cases, outbox};
use crate::db::{self, AnyConnection};
use crate::domain::deadline::ExtensionError;
use crate::domain::radicado::{RadicadoType, UnitCode};
use crate::domain::{CaseStatus, PetitionKind};
use crate::mailer::templates;
use crate::policy::Policy;
use crate::workflow::filing::add_event;

/// What staff (or the system) does to a case.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Assign { department: String, assignee: Option<String>, reason: Option<String> },
    StartWork,
    RequestCompletion { message: String },
    CitizenReplied { replied_on: NaiveDate },
    Extend { new_due: NaiveDate, reason: String },
    Transfer { entity: String, reason: String },
    Respond { text: String },
    Close { reason: Option<String> },
    Annul { reason: String },
    Reclassify { kind: PetitionKind, reason: String },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Assign { .. } => "asignar",
            Action::StartWork => "iniciar_tramite",
            Action::RequestCompletion { .. } => "requerimiento",
            Action::CitizenReplied { .. } => "respuesta_requerimiento",
            Action::Extend { .. } => "prorroga",
            Action::Transfer { .. } => "traslado",
            Action::Respond { .. } => "respuesta",
            Action::Close { .. } => "cierre",
            Action::Annul { .. } => "anulacion",
            Action::Reclassify { .. } => "reclasificacion",
        }
    }
}

/// Why an action was refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error("case not found")]
    NotFound,
    #[error("action `{action}` is not allowed while the case is `{status}`")]
    InvalidTransition { action: &'static str, status: String },
    #[error("extension refused: {0}")]
    Extension(#[from] ExtensionError),
    #[error("an extension was already granted on {0}")]
    AlreadyExtended(String),
    #[error("the case has no legal term, so it cannot be extended")]
    NoTerm,
    #[error("a transfer must be decided within 5 business days of filing (limit {0})")]
    TransferTooLate(NaiveDate),
    #[error("{0}")]
    Invalid(String),
    #[error("deadline computation: {0}")]
    Deadline(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl ActionError {
    /// The message shown to staff (Spanish).
    pub fn message_es(&self) -> String {
        match self {
            ActionError::NotFound => "El caso no existe.".into(),
            ActionError::InvalidTransition { action, status } => {
                let st = CaseStatus::parse(status).map(|s| s.label()).unwrap_or(status);
                format!("La acción «{action}» no está permitida cuando el caso está «{st}».")
            }
            ActionError::Extension(ExtensionError::TermExpired { current_due, .. }) => {
                format!("El término venció el {current_due}: la prórroga debe decidirse antes del vencimiento.")
            }
            ActionError::Extension(ExtensionError::NotAfterCurrentDue { current_due, .. }) => {
                format!("La nueva fecha debe ser posterior al vencimiento actual ({current_due}).")
            }
            ActionError::Extension(ExtensionError::BeyondLimit { max_due, .. }) => {
                format!("La nueva fecha supera el máximo legal ({max_due}): no puede exceder el doble del término inicial.")
            }
            ActionError::Extension(ExtensionError::NotBusinessDay { proposed }) => {
                format!("La nueva fecha ({proposed}) no es un día hábil.")
            }
            ActionError::AlreadyExtended(at) => format!("Este caso ya tuvo una prórroga ({at}); solo se permite una."),
            ActionError::NoTerm => "Este tipo de solicitud no tiene término legal; no admite prórroga.".into(),
            ActionError::TransferTooLate(limit) => {
                format!("El traslado por competencia debe hacerse dentro de los 5 días hábiles siguientes a la radicación (hasta el {limit}).")
            }
            ActionError::Invalid(m) => m.clone(),
            ActionError::Deadline(_) | ActionError::Db(_) => "No se pudo completar la acción. Intente de nuevo.".into(),
        }
    }
}

/// What the actions need besides the connection.
pub struct Context<'a> {
    pub policy: &'a Policy,
    pub unit: &'a UnitCode,
    pub entity_name: &'a str,
    pub public_base_url: &'a str,
    pub message_id_domain: &'a str,
    /// Known department codes (for assignment).
    pub departments: &'a [String],
}

fn status_of(case: &CaseRow) -> CaseStatus {
    CaseStatus::parse(&case.status).unwrap_or(CaseStatus::Radicado)
}

fn require(case: &CaseRow, action: &Action, allowed: &[CaseStatus]) -> Result<CaseStatus, ActionError> {
    let s = status_of(case);
    if allowed.contains(&s) {
        Ok(s)
    } else {
        Err(ActionError::InvalidTransition { action: action.name(), status: case.status.clone() })
    }
}

fn non_empty(s: &str, what: &str) -> Result<String, ActionError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ActionError::Invalid(format!("Indique {what}.")));
    }
    if t.chars().count() > 20_000 {
        return Err(ActionError::Invalid(format!("El texto de {what} es demasiado largo (máximo 20.000 caracteres).")));
    }
    Ok(t.to_string())
}

/// Queue a mail to the citizen with an outgoing radicado; returns that radicado.
fn mail_citizen(
    c: &mut AnyConnection,
    ctx: &Context<'_>,
    case: &CaseRow,
    purpose: &str,
    subject: String,
    body: String,
    now: DateTime<Utc>,
) -> QueryResult<Option<String>> {
    let Some(to) = case.citizen_email.clone() else { return Ok(None) };
    let year = crate::time::bogota_date(now);
    let radicado = db::radicado::allocate(c, chrono::Datelike::year(&year), RadicadoType::Outgoing, ctx.unit)?;
    // Thread with the citizen's own mail when there is one.
    let in_reply_to: Option<String> = crate::db::schema::messages::table
        .filter(crate::db::schema::messages::case_id.eq(case.id))
        .filter(crate::db::schema::messages::direction.eq("in"))
        .order(crate::db::schema::messages::id.desc())
        .select(crate::db::schema::messages::message_id)
        .first::<Option<String>>(c)
        .optional()?
        .flatten();
    let n = now.naive_utc();
    diesel::insert_into(outbox::table)
        .values(NewOutbox {
            case_id: Some(case.id),
            purpose: purpose.into(),
            internal: false,
            radicado: Some(radicado.to_string()),
            to_addr: to,
            subject: format!("Radicado {} - {}", radicado, subject),
            body_text: body,
            message_id: crate::mailer::new_message_id(ctx.message_id_domain),
            in_reply_to,
            status: "pending".into(),
            next_attempt_at: n,
            created_at: n,
        })
        .execute(c)?;
    Ok(Some(radicado.to_string()))
}

/// Apply `action` to the case `case_id` as `actor`, at `now`. On error nothing changed.
pub fn apply(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    case_id: i64,
    actor: &str,
    action: Action,
    now: DateTime<Utc>,
) -> Result<CaseRow, ActionError> {
    db::write_tx(conn, |c| apply_in_tx(c, ctx, case_id, actor, action, now))
}

fn apply_in_tx(
    c: &mut AnyConnection,
    ctx: &Context<'_>,
    case_id: i64,
    actor: &str,
    action: Action,
    now: DateTime<Utc>,
) -> Result<CaseRow, ActionError> {
    use CaseStatus::*;
    let case = CaseRow::by_id(c, case_id).optional()?.ok_or(ActionError::NotFound)?;
    let today = ctx.policy.deadlines.local_date(now).map_err(|e| ActionError::Deadline(e.to_string()))?;
    let n = now.naive_utc();
    let q = cases::table.find(case_id);
    let name = action.name();
    let open = [Radicado, Asignado, EnTramite];
    match &action {
        Action::Assign { department, assignee, reason } => {
            require(&case, &action, &open)?;
            let dept = department.trim().to_ascii_uppercase();
            if !ctx.departments.iter().any(|d| *d == dept) {
                return Err(ActionError::Invalid(format!("La dependencia «{dept}» no existe.")));
            }
            let reassign = status_of(&case) != Radicado || case.department != dept && case.assigned_to.is_some();
            if reassign && case.department != dept && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(ActionError::Invalid("Indique el motivo de la reasignación.".into()));
            }
            diesel::update(q)
                .set((
                    cases::department.eq(&dept),
                    cases::assigned_to.eq(assignee.as_deref().map(str::trim).filter(|s| !s.is_empty())),
                    cases::status.eq(Asignado.as_str()),
                    cases::needs_review.eq(false),
                    cases::updated_at.eq(n),
                ))
                .execute(c)?;
            add_event(c, case_id, actor, if reassign { "reasignado" } else { "asignado" }, reason.as_deref(),
                json!({ "from": case.department, "to": dept, "assignee": assignee }))?;
        }
        Action::StartWork => {
            require(&case, &action, &[Radicado, Asignado])?;
            diesel::update(q).set((cases::status.eq(EnTramite.as_str()), cases::updated_at.eq(n))).execute(c)?;
            add_event(c, case_id, actor, "en_tramite", None, json!({}))?;
        }
        Action::RequestCompletion { message } => {
            require(&case, &action, &open)?;
            let message = non_empty(message, "qué debe completar el ciudadano")?;
            if case.due_date.is_some_and(|d| today > d) {
                return Err(ActionError::Invalid("El término ya venció; no se puede suspender.".into()));
            }
            diesel::update(q)
                .set((cases::status.eq(Requerimiento.as_str()), cases::suspended_on.eq(today), cases::updated_at.eq(n)))
                .execute(c)?;
            let (subject, body) = templates::requerimiento(ctx.entity_name, &case, &message, today);
            let out = mail_citizen(c, ctx, &case, "requerimiento", subject, body, now)?;
            add_event(c, case_id, actor, "requerimiento", Some(&message), json!({ "suspended_on": today, "radicado_salida": out }))?;
        }
        Action::CitizenReplied { replied_on } => {
            require(&case, &action, &[Requerimiento])?;
            let new_due = match (case.suspended_on, case.due_date) {
                (Some(s), Some(due)) => Some(
                    ctx.policy.deadlines.resume_after_suspension(s, due, *replied_on).map_err(|e| ActionError::Deadline(e.to_string()))?,
                ),
                _ => case.due_date,
            };
            diesel::update(q)
                .set((
                    cases::status.eq(EnTramite.as_str()),
                    cases::due_date.eq(new_due),
                    cases::suspended_on.eq(None::<NaiveDate>),
                    cases::updated_at.eq(n),
                ))
                .execute(c)?;
            add_event(c, case_id, actor, "reanudado", None,
                json!({ "replied_on": replied_on, "old_due": case.due_date, "new_due": new_due }))?;
        }
        Action::Extend { new_due, reason } => {
            require(&case, &action, &open)?;
            let reason = non_empty(reason, "el motivo de la prórroga")?;
            if let Some(at) = case.extended_at {
                return Err(ActionError::AlreadyExtended(at.format("%Y-%m-%d").to_string()));
            }
            let (Some(term), Some(due)) = (case.term_days, case.due_date) else { return Err(ActionError::NoTerm) };
            let term = u32::try_from(term).map_err(|_| ActionError::NoTerm)?;
            let max = ctx.policy.deadlines.max_extended_due(case.effective_date, term).map_err(|e| ActionError::Deadline(e.to_string()))?;
            ctx.policy.deadlines.check_extension(due, *new_due, max, today)?;
            diesel::update(q)
                .set((
                    cases::due_date.eq(Some(*new_due)),
                    cases::original_due_date.eq(Some(due)),
                    cases::extended_at.eq(Some(n)),
                    cases::updated_at.eq(n),
                ))
                .execute(c)?;
            let (subject, body) = templates::prorroga(ctx.entity_name, &case, due, *new_due, &reason);
            let out = mail_citizen(c, ctx, &case, "prorroga", subject, body, now)?;
            add_event(c, case_id, actor, "prorroga", Some(&reason),
                json!({ "old_due": due, "new_due": new_due, "max_due": max, "radicado_salida": out }))?;
        }
        Action::Transfer { entity, reason } => {
            require(&case, &action, &open)?;
            let entity = non_empty(entity, "la entidad competente")?;
            let reason = non_empty(reason, "el motivo del traslado")?;
            let limit = ctx.policy.deadlines.calendar.add_business_days(case.effective_date, 5).ok_or(ActionError::Deadline("range".into()))?;
            if today > limit {
                return Err(ActionError::TransferTooLate(limit));
            }
            diesel::update(q)
                .set((cases::status.eq(Trasladado.as_str()), cases::transferred_to.eq(&entity), cases::updated_at.eq(n)))
                .execute(c)?;
            let (subject, body) = templates::traslado(ctx.entity_name, &case, &entity, &reason);
            let out = mail_citizen(c, ctx, &case, "traslado", subject, body, now)?;
            add_event(c, case_id, actor, "trasladado", Some(&reason), json!({ "entity": entity, "radicado_salida": out }))?;
        }
        Action::Respond { text } => {
            require(&case, &action, &[Radicado, Asignado, EnTramite, Requerimiento])?;
            let text = non_empty(text, "el texto de la respuesta")?;
            let (subject, body) = templates::respuesta(ctx.entity_name, &case, &text);
            let out = mail_citizen(c, ctx, &case, "respuesta", subject, body, now)?;
            let on_time = case.due_date.is_none_or(|d| today <= d);
            diesel::update(q)
                .set((
                    cases::status.eq(Respondido.as_str()),
                    cases::responded_at.eq(Some(n)),
                    cases::response_radicado.eq(&out),
                    cases::suspended_on.eq(None::<NaiveDate>),
                    cases::updated_at.eq(n),
                ))
                .execute(c)?;
            add_event(c, case_id, actor, "respondido", None,
                json!({ "radicado_salida": out, "on_time": on_time, "text": text, "mailed": out.is_some() }))?;
        }
        Action::Close { reason } => {
            let from = require(&case, &action, &[Respondido, Trasladado, Requerimiento])?;
            if from == Requerimiento && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(ActionError::Invalid("Indique el acto que declara el desistimiento.".into()));
            }
            diesel::update(q)
                .set((cases::status.eq(Cerrado.as_str()), cases::closed_at.eq(Some(n)), cases::updated_at.eq(n)))
                .execute(c)?;
            let kind = if from == Requerimiento { "desistimiento" } else { "cerrado" };
            add_event(c, case_id, actor, kind, reason.as_deref(), json!({}))?;
        }
        Action::Annul { reason } => {
            require(&case, &action, &[Radicado, Asignado, EnTramite, Requerimiento, Respondido, Trasladado])?;
            let reason = non_empty(reason, "el motivo de la anulación")?;
            diesel::update(q)
                .set((cases::status.eq(Anulado.as_str()), cases::annulled_reason.eq(&reason), cases::updated_at.eq(n)))
                .execute(c)?;
            add_event(c, case_id, actor, "anulado", Some(&reason), json!({ "radicado": case.radicado }))?;
        }
        Action::Reclassify { kind, reason } => {
            require(&case, &action, &open)?;
            let term = ctx.policy.terms.term_for(kind.as_str()).map_err(|e| ActionError::Deadline(e.to_string()))?;
            let due = match term {
                Some(t) => Some(ctx.policy.deadlines.due_date_from(case.effective_date, t).map_err(|e| ActionError::Deadline(e.to_string()))?),
                None => None,
            };
            diesel::update(q)
                .set((
                    cases::kind.eq(kind.as_str()),
                    cases::term_days.eq(term.map(i64::from)),
                    cases::due_date.eq(due),
                    cases::needs_review.eq(false),
                    cases::updated_at.eq(n),
                ))
                .execute(c)?;
            add_event(c, case_id, actor, "reclasificado", Some(reason.trim()).filter(|r| !r.is_empty()),
                json!({ "from": case.kind, "to": kind.as_str(), "old_due": case.due_date, "new_due": due }))?;
        }
    }
    let _ = name;
    Ok(CaseRow::by_id(c, case_id)?)
}

/// Number of events of a type on a case (for idempotent checks).
pub fn count_events(conn: &mut AnyConnection, case_id: i64, event_type: &str) -> QueryResult<i64> {
    case_events::table
        .filter(case_events::case_id.eq(case_id))
        .filter(case_events::event_type.eq(event_type))
        .count()
        .get_result(conn)
}
