//! The life of a case after filing (DESIGN.md §2), as a state machine that refuses invalid
//! transitions and changes nothing when it does. Every accepted action is one transaction: the
//! case row, an append-only event (actor, time, reason, payload) and, where the law asks for
//! it, a mail to the citizen in the outbox with an outgoing radicado (type digit 1).
//!
//! | action | from | to |
//! |---|---|---|
//! | assign / reassign (reason required to reassign) | radicado, asignado, en_tramite | asignado |
//! | start work | radicado, asignado | en_tramite |
//! | requerimiento (art. 17: clock stops; once, within 10 business days) | radicado, asignado, en_tramite | requerimiento |
//! | devolución of an unclear petition (art. 19: clarify within 10 business days; clarified, it counts as filed that day; else archived) | radicado, asignado, en_tramite | requerimiento |
//! | citizen's completion by mail, or recorded by staff (clock resumes the day after; a mail after the citizen's last day resumes nothing and goes to triage) | requerimiento | en_tramite |
//! | citizen asks for the second month (art. 17) | requerimiento | requerimiento |
//! | extension (once, before the due date, ≤ 2× term) | radicado, asignado, en_tramite | same |
//! | transfer (art. 21; after 5 business days it is recorded as late) | radicado, asignado, en_tramite | trasladado |
//! | respond, or respond denying with the legal basis | radicado, asignado, en_tramite, requerimiento | respondido |
//! | reject a disrespectful petition (art. 19) | radicado, asignado, en_tramite | cerrado |
//! | express desistimiento (art. 18) | radicado, asignado, en_tramite, requerimiento | cerrado |
//! | close (desistimiento from requerimiento only after the citizen's last day) | respondido, trasladado, requerimiento | cerrado |
//! | annul (before any answer; reason and approver recorded; number kept) | radicado, asignado, en_tramite, requerimiento | anulado |
//! | reclassify kind (due date recomputed from the timeline: suspension and extension kept) | radicado, asignado, en_tramite | same |
//! | priority (art. 20; sorts the queues, alerts come earlier) | radicado, asignado, en_tramite, requerimiento | same |
//!
//! The dates follow [`DeadlinePolicy::term_dates`](crate::domain::deadline::DeadlinePolicy::term_dates),
//! the computation `pqrs term` prints.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::db::lifecycle::{ActError, CaseChange, MailContext, Plan, PlannedMail};
use crate::db::models::CaseRow;
use crate::db::AnyConnection;
use crate::domain::deadline::ExtensionError;
use crate::domain::radicado::UnitCode;
use crate::domain::deadline::{Requerimiento, Timeline, TimelineError};
use crate::domain::{CaseStatus, Outcome, PetitionKind, PriorityReason};
use crate::mailer::templates;
use crate::policy::Policy;

pub use crate::db::lifecycle::count_events;

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
    Annul { reason: String, approved_by: String },
    Reclassify { kind: PetitionKind, reason: String },
    /// Staff record a completion that came another way (paper, in person, phone).
    CompletionReceived { received_on: NaiveDate, via: String },
    /// The citizen asked, within the month, for the second month (art. 17).
    CitizenExtension { requested_on: NaiveDate },
    /// The citizen withdrew the petition (art. 18).
    Withdraw { reason: String },
    /// A disrespectful petition is rejected (art. 19), with the reason told to the citizen.
    Reject { reason: String },
    /// An answer that denies what was asked, with its legal basis.
    RespondDenying { text: String, legal_basis: String },
    /// Priority (art. 20); `None` takes it away.
    Prioritize { reason: Option<PriorityReason>, note: Option<String> },
    /// An unclear petition goes back to the citizen to clarify (art. 19).
    ReturnForClarification { message: String },
    /// Habeas data (Ley 1581 de 2012, art. 8): staff correct one of the citizen's data at the
    /// titular's request; the event keeps the old and the new value and why. Any status.
    Rectify { field: CitizenField, value: String, reason: String },
}

/// A datum of the case's citizen that may be rectified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CitizenField {
    Name,
    Email,
    DocType,
    DocNumber,
    Phone,
    /// The postal data held (the municipality; the store keeps no street address).
    Municipality,
}

impl CitizenField {
    pub const ALL: [CitizenField; 6] =
        [CitizenField::Name, CitizenField::Email, CitizenField::DocType, CitizenField::DocNumber, CitizenField::Phone, CitizenField::Municipality];
    /// The column, as the event payload names it.
    pub fn code(self) -> &'static str {
        match self {
            CitizenField::Name => "citizen_name",
            CitizenField::Email => "citizen_email",
            CitizenField::DocType => "citizen_doc_type",
            CitizenField::DocNumber => "citizen_doc_number",
            CitizenField::Phone => "citizen_phone",
            CitizenField::Municipality => "citizen_municipality",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CitizenField::Name => "Nombre",
            CitizenField::Email => "Correo electrónico",
            CitizenField::DocType => "Tipo de documento",
            CitizenField::DocNumber => "Número de documento",
            CitizenField::Phone => "Teléfono",
            CitizenField::Municipality => "Dirección (municipio)",
        }
    }
    /// The column name, or the Spanish and English short names (`nombre`, `correo`, `email`, ...).
    pub fn parse(s: &str) -> Option<CitizenField> {
        let s = s.trim().to_ascii_lowercase();
        let s = s.strip_prefix("citizen_").unwrap_or(&s);
        Some(match s {
            "name" | "nombre" => CitizenField::Name,
            "email" | "correo" => CitizenField::Email,
            "doc_type" | "tipo_documento" => CitizenField::DocType,
            "doc_number" | "document" | "documento" => CitizenField::DocNumber,
            "phone" | "telefono" => CitizenField::Phone,
            "municipality" | "municipio" | "address" | "direccion" => CitizenField::Municipality,
            _ => return None,
        })
    }
    fn get(self, case: &CaseRow) -> Option<String> {
        match self {
            CitizenField::Name => case.citizen_name.clone(),
            CitizenField::Email => case.citizen_email.clone(),
            CitizenField::DocType => case.citizen_doc_type.clone(),
            CitizenField::DocNumber => case.citizen_doc_number.clone(),
            CitizenField::Phone => case.citizen_phone.clone(),
            CitizenField::Municipality => case.citizen_municipality.clone(),
        }
    }
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
            Action::CompletionReceived { .. } => "completado",
            Action::CitizenExtension { .. } => "prorroga_ciudadano",
            Action::Withdraw { .. } => "desistimiento_expreso",
            Action::Reject { .. } => "rechazo",
            Action::RespondDenying { .. } => "respuesta_negativa",
            Action::Prioritize { .. } => "prioridad",
            Action::ReturnForClarification { .. } => "devolucion",
            Action::Rectify { .. } => "rectificacion",
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
    #[error("{0}")]
    Invalid(String),
    #[error("deadline computation: {0}")]
    Deadline(String),
    #[error(transparent)]
    Timeline(#[from] TimelineError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
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
            ActionError::Invalid(m) => m.clone(),
            ActionError::Timeline(TimelineError::RequerimientoTooLate { limit, .. }) => format!(
                "El requerimiento debe hacerse dentro de los 10 días hábiles siguientes a la radicación (hasta el {limit}); \
                 ese plazo pasó: la petición debe resolverse con lo aportado."
            ),
            ActionError::Timeline(TimelineError::RequerimientoAfterDue { due, .. }) => {
                format!("El término venció el {due}; no se puede suspender.")
            }
            ActionError::Timeline(TimelineError::CompletedBeforeRequest { made_on, .. }) => {
                format!("La fecha de la respuesta del ciudadano no puede ser anterior al requerimiento ({made_on}).")
            }
            ActionError::Timeline(TimelineError::CompletedAfterLastDay { last_day, .. }) => format!(
                "El plazo del ciudadano venció el {last_day}: procede el desistimiento, no la reanudación del término."
            ),
            ActionError::Timeline(TimelineError::NoExtensionOfClarification) => {
                "La devolución para aclarar (art. 19) no admite prórroga: son 10 días hábiles.".into()
            }
            ActionError::Timeline(TimelineError::Deadline(_)) => "No se pudo completar la acción. Intente de nuevo.".into(),
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
    /// `survey_interval_days` (0: no survey offered with the answers).
    pub survey_interval_days: u32,
}

fn status_of(case: &CaseRow) -> CaseStatus {
    case.status
}

fn require(case: &CaseRow, action: &Action, allowed: &[CaseStatus]) -> Result<CaseStatus, ActionError> {
    let s = status_of(case);
    if allowed.contains(&s) {
        Ok(s)
    } else {
        Err(ActionError::InvalidTransition { action: action.name(), status: case.status.as_str().to_string() })
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

/// Apply `action` to the case `case_id` as `actor`, at `now`. On error nothing changed.
pub fn apply(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    case_id: i64,
    actor: &str,
    action: Action,
    now: DateTime<Utc>,
) -> Result<CaseRow, ActionError> {
    apply_scoped(conn, ctx, case_id, None, actor, action, now)
}

/// [`apply`] for a caller limited to one department (`scope`): a case of another department is
/// [`ActionError::NotFound`], checked in the transaction that acts.
pub fn apply_scoped(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    case_id: i64,
    scope: Option<&str>,
    actor: &str,
    action: Action,
    now: DateTime<Utc>,
) -> Result<CaseRow, ActionError> {
    crate::db::lifecycle::act(conn, &ctx.mail(), case_id, scope, actor, now, |case| decide(ctx, case, &action, now))
        .map_err(ActionError::from)
}

/// Several actions on one case in one transaction (triage's one-click correction); each is
/// decided on the case as the one before left it. One refusal undoes them all.
pub fn apply_all(
    conn: &mut AnyConnection,
    ctx: &Context<'_>,
    case_id: i64,
    scope: Option<&str>,
    actor: &str,
    actions: Vec<Action>,
    now: DateTime<Utc>,
) -> Result<CaseRow, ActionError> {
    let decisions: Vec<Box<dyn FnOnce(&CaseRow) -> Result<Option<Plan>, ActionError> + '_>> = actions
        .into_iter()
        .map(|a| Box::new(move |case: &CaseRow| decide(ctx, case, &a, now).map(Some)) as Box<_>)
        .collect();
    crate::db::lifecycle::act_many(conn, &ctx.mail(), case_id, scope, actor, now, decisions).map_err(ActionError::from)
}

impl From<ActError<ActionError>> for ActionError {
    fn from(e: ActError<ActionError>) -> ActionError {
        match e {
            ActError::NotFound => ActionError::NotFound,
            ActError::Refused(e) => e,
            ActError::Db(e) => ActionError::Db(e.into()),
        }
    }
}

impl Context<'_> {
    pub fn mail(&self) -> MailContext<'_> {
        MailContext {
            unit: self.unit,
            message_id_domain: self.message_id_domain,
            survey: Some(crate::db::surveys::SurveyPolicy { public_base_url: self.public_base_url, interval_days: self.survey_interval_days }),
        }
    }
}

/// The timeline of a stored case, as `pqrs term` takes it.
pub fn timeline_of(case: &CaseRow) -> Timeline {
    Timeline {
        effective_day: case.effective_date,
        term: case.term_days.and_then(|t| u32::try_from(t).ok()),
        requerimiento: case.requerimiento_on.map(|made_on| Requerimiento {
            made_on,
            completed_on: case.completed_on,
            citizen_extension: case.citizen_extension,
            clarification: case.clarification,
        }),
    }
}

/// The citizen's last day of a case in requerimiento.
fn last_day_of(ctx: &Context<'_>, case: &CaseRow) -> Result<Option<NaiveDate>, ActionError> {
    match case.requerimiento_on.or(case.suspended_on) {
        Some(made_on) => {
            let r = Requerimiento { made_on, completed_on: None, citizen_extension: case.citizen_extension, clarification: case.clarification };
            ctx.policy.deadlines.last_day_of(&r).map(Some).map_err(|e| ActionError::Deadline(e.to_string()))
        }
        None => Ok(None),
    }
}

fn dl<T>(r: Result<T, crate::domain::deadline::DeadlineError>) -> Result<T, ActionError> {
    r.map_err(|e| ActionError::Deadline(e.to_string()))
}

/// The clock resumes after the citizen completed the petition on `completed_on`: the business
/// days left of the due date and of the extension limit are counted again from that day.
fn resume(ctx: &Context<'_>, case: &CaseRow, completed_on: NaiveDate, via: &str) -> Result<Plan, ActionError> {
    let made_on = case.requerimiento_on.or(case.suspended_on).ok_or_else(|| ActionError::Invalid("El caso no tiene requerimiento.".into()))?;
    let last_day = last_day_of(ctx, case)?.unwrap_or(made_on);
    if completed_on < made_on {
        return Err(TimelineError::CompletedBeforeRequest { made_on, completed_on }.into());
    }
    if completed_on > last_day {
        return Err(TimelineError::CompletedAfterLastDay { completed_on, last_day }.into());
    }
    // The clock stopped on the day stored (never before the effective day).
    let stopped = case.suspended_on.unwrap_or(made_on).max(case.effective_date);
    let completed = completed_on.max(stopped);
    if case.clarification {
        // Art. 19: the clarified petition counts as filed on the day of the clarification.
        let effective = dl(ctx.policy.deadlines.calendar.business_day_on_or_after(completed).ok_or(crate::domain::deadline::DeadlineError::OutOfRange))?;
        let term = case.term_days.and_then(|t| u32::try_from(t).ok());
        let due = term.map(|n| dl(ctx.policy.deadlines.due_date_from(effective, n))).transpose()?;
        let limit = term.map(|n| dl(ctx.policy.deadlines.max_extended_due(effective, n))).transpose()?;
        let change = CaseChange {
            status: Some(CaseStatus::EnTramite.as_str().to_string()),
            effective_date: Some(effective),
            due_date: Some(due),
            extension_limit: Some(limit),
            suspended_on: Some(None),
            completed_on: Some(Some(completed_on)),
            ..Default::default()
        };
        return Ok(Plan::new(
            "aclarado",
            change,
            json!({ "replied_on": completed_on, "via": via, "old_effective_day": case.effective_date, "effective_day": effective, "old_due": case.due_date, "new_due": due }),
        ));
    }
    let new_due = match case.due_date {
        Some(due) if due >= stopped => Some(dl(ctx.policy.deadlines.resume_after_suspension(stopped, due, completed))?),
        other => other,
    };
    let new_limit = match case.extension_limit {
        Some(limit) if limit >= stopped => Some(dl(ctx.policy.deadlines.resume_after_suspension(stopped, limit, completed))?),
        other => other,
    };
    let change = CaseChange {
        status: Some(CaseStatus::EnTramite.as_str().to_string()),
        due_date: Some(new_due),
        extension_limit: Some(new_limit),
        suspended_on: Some(None),
        completed_on: Some(Some(completed_on)),
        requerimiento_on: Some(Some(made_on)),
        ..Default::default()
    };
    Ok(Plan::new(
        "reanudado",
        change,
        json!({ "replied_on": completed_on, "via": via, "old_due": case.due_date, "new_due": new_due, "extension_limit": new_limit }),
    ))
}

/// Decide what `action` does to `case` at `now`: the plan to store, or why it is refused. Pure.
pub fn decide(ctx: &Context<'_>, case: &CaseRow, action: &Action, now: DateTime<Utc>) -> Result<Plan, ActionError> {
    use CaseStatus::*;
    let today = ctx.policy.deadlines.local_date(now).map_err(|e| ActionError::Deadline(e.to_string()))?;
    let n = now.naive_utc();
    let open = [Radicado, Asignado, EnTramite];
    let set_status = |s: CaseStatus| Some(s.as_str().to_string());
    let outcome = |o: Outcome| Some(Some(o.as_str().to_string()));
    Ok(match action {
        Action::Assign { department, assignee, reason } => {
            require(case, action, &open)?;
            let dept = department.trim().to_ascii_uppercase();
            if !ctx.departments.iter().any(|d| *d == dept) {
                return Err(ActionError::Invalid(format!("La dependencia «{dept}» no existe.")));
            }
            let reassign = status_of(case) != Radicado || case.department != dept && case.assigned_to.is_some();
            if reassign && case.department != dept && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(ActionError::Invalid("Indique el motivo de la reasignación.".into()));
            }
            let change = CaseChange {
                department: Some(dept.clone()),
                assigned_to: Some(assignee.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)),
                status: set_status(Asignado),
                needs_review: Some(false),
                ..Default::default()
            };
            Plan::new(if reassign { "reasignado" } else { "asignado" }, change,
                json!({ "from": case.department, "to": dept, "assignee": assignee }))
            .reason(reason.clone())
            .labelled()
        }
        Action::StartWork => {
            require(case, action, &[Radicado, Asignado])?;
            Plan::new("en_tramite", CaseChange { status: set_status(EnTramite), ..Default::default() }, json!({}))
        }
        Action::RequestCompletion { message } | Action::ReturnForClarification { message } => {
            require(case, action, &open)?;
            let clarification = matches!(action, Action::ReturnForClarification { .. });
            let message = if clarification {
                non_empty(message, "qué debe aclarar el ciudadano")?
            } else {
                non_empty(message, "qué debe completar el ciudadano")?
            };
            if let Some(r) = case.requerimiento_on {
                return Err(ActionError::Invalid(format!(
                    "Ya se hizo un requerimiento o una devolución el {r}; la ley permite uno solo. Resuelva con lo aportado."
                )));
            }
            let stopped = today.max(case.effective_date);
            let window = dl(ctx.policy.deadlines.requerimiento_limit(case.effective_date))?;
            if stopped > window {
                return Err(TimelineError::RequerimientoTooLate { made_on: today, limit: window }.into());
            }
            if let Some(due) = case.due_date.filter(|d| stopped > *d) {
                return Err(TimelineError::RequerimientoAfterDue { made_on: today, due }.into());
            }
            let r = crate::domain::deadline::Requerimiento { made_on: today, completed_on: None, citizen_extension: false, clarification };
            let last_day = dl(ctx.policy.deadlines.last_day_of(&r))?;
            let (subject, body) = if clarification {
                templates::devolucion(ctx.entity_name, case, &message, last_day)
            } else {
                templates::requerimiento(ctx.entity_name, case, &message, today, last_day)
            };
            let change = CaseChange {
                status: set_status(Requerimiento),
                suspended_on: Some(Some(stopped)),
                requerimiento_on: Some(Some(today)),
                completed_on: Some(None),
                clarification: Some(clarification),
                ..Default::default()
            };
            let (event, purpose) = if clarification { ("devuelto", "devolucion") } else { ("requerimiento", "requerimiento") };
            Plan::new(event, change, json!({ "suspended_on": stopped, "citizen_last_day": last_day, "window": window }))
                .reason(Some(message))
                .mail(PlannedMail { purpose, subject, body })
        }
        Action::CitizenReplied { replied_on } => {
            require(case, action, &[Requerimiento])?;
            // A mail after the citizen's last day resumes nothing: it is kept on the case and
            // sent to triage (desistimiento applies; staff decide).
            if let Some(last_day) = last_day_of(ctx, case)?.filter(|l| replied_on > l) {
                let change = CaseChange { needs_review: Some(true), ..Default::default() };
                return Ok(Plan::new("respuesta_extemporanea", change, json!({ "replied_on": replied_on, "citizen_last_day": last_day }))
                    .reason(Some("La respuesta del ciudadano llegó después de su plazo (art. 17, Ley 1755 de 2015).".into())));
            }
            resume(ctx, case, *replied_on, "correo")?
        }
        Action::CompletionReceived { received_on, via } => {
            require(case, action, &[Requerimiento])?;
            let via = non_empty(via, "cómo llegó lo solicitado (radicado físico, presencial, ...)")?;
            if *received_on > today {
                return Err(ActionError::Invalid("La fecha de recibo no puede ser futura.".into()));
            }
            resume(ctx, case, *received_on, &via)?.reason(Some(via))
        }
        Action::CitizenExtension { requested_on } => {
            require(case, action, &[Requerimiento])?;
            if case.citizen_extension {
                return Err(ActionError::Invalid("El ciudadano ya tuvo la prórroga de un mes.".into()));
            }
            if case.clarification {
                return Err(ActionError::Invalid("La devolución para aclarar (art. 19) no admite prórroga: son 10 días hábiles.".into()));
            }
            let first = last_day_of(ctx, case)?.ok_or_else(|| ActionError::Invalid("El caso no tiene requerimiento.".into()))?;
            if *requested_on > first || *requested_on > today {
                return Err(ActionError::Invalid(format!(
                    "La prórroga debe pedirse antes de que venza el plazo del ciudadano ({first})."
                )));
            }
            let made_on = case.requerimiento_on.or(case.suspended_on).unwrap_or(today);
            let last_day = dl(ctx.policy.deadlines.citizen_last_day_for(made_on, true))?;
            let (subject, body) = templates::prorroga_ciudadano(ctx.entity_name, case, last_day);
            let change = CaseChange { citizen_extension: Some(true), requerimiento_on: Some(Some(made_on)), ..Default::default() };
            Plan::new("prorroga_ciudadano", change, json!({ "requested_on": requested_on, "citizen_last_day": last_day }))
                .mail(PlannedMail { purpose: "prorroga_ciudadano", subject, body })
        }
        Action::Extend { new_due, reason } => {
            require(case, action, &open)?;
            let reason = non_empty(reason, "el motivo de la prórroga")?;
            if let Some(at) = case.extended_at {
                return Err(ActionError::AlreadyExtended(at.format("%Y-%m-%d").to_string()));
            }
            let (Some(term), Some(due)) = (case.term_days, case.due_date) else { return Err(ActionError::NoTerm) };
            let term = u32::try_from(term).map_err(|_| ActionError::NoTerm)?;
            // The stored limit (moved by suspensions); rows filed before it was stored compute it.
            let max = match case.extension_limit {
                Some(limit) => limit,
                None => dl(ctx.policy.deadlines.max_extended_due(case.effective_date, term))?,
            };
            ctx.policy.deadlines.check_extension(due, *new_due, max, today)?;
            let (subject, body) = templates::prorroga(ctx.entity_name, case, due, *new_due, &reason);
            let change = CaseChange {
                due_date: Some(Some(*new_due)),
                original_due_date: Some(Some(due)),
                extended_at: Some(Some(n)),
                ..Default::default()
            };
            Plan::new("prorroga", change, json!({ "old_due": due, "new_due": new_due, "max_due": max }))
                .reason(Some(reason))
                .mail(PlannedMail { purpose: "prorroga", subject, body })
        }
        Action::Transfer { entity, reason } => {
            require(case, action, &open)?;
            let entity = non_empty(entity, "la entidad competente")?;
            let reason = non_empty(reason, "el motivo del traslado")?;
            let limit = ctx.policy.deadlines.calendar.add_business_days(case.effective_date, 5).ok_or(ActionError::Deadline("range".into()))?;
            // Art. 21: the duty to remit remains after the 5 days; a late transfer is recorded as
            // late (for the auditor), never refused.
            let late = today > limit;
            let (subject, body) = templates::traslado(ctx.entity_name, case, &entity, &reason);
            let change = CaseChange {
                status: set_status(Trasladado),
                transferred_to: Some(Some(entity.clone())),
                outcome: outcome(Outcome::Trasladada),
                ..Default::default()
            };
            Plan::new("trasladado", change, json!({ "entity": entity, "limit": limit, "late": late }))
                .reason(Some(reason))
                .mail(PlannedMail { purpose: "traslado", subject, body })
        }
        Action::Respond { text } | Action::RespondDenying { text, .. } => {
            require(case, action, &[Radicado, Asignado, EnTramite, Requerimiento])?;
            let text = non_empty(text, "el texto de la respuesta")?;
            let (subject, body, result, basis) = match action {
                Action::RespondDenying { legal_basis, .. } => {
                    let basis = non_empty(legal_basis, "el fundamento legal de la negativa")?;
                    let (subject, body) = templates::respuesta_negativa(ctx.entity_name, case, &text, &basis);
                    (subject, body, Outcome::Denegada, Some(basis))
                }
                _ => {
                    let (subject, body) = templates::respuesta(ctx.entity_name, case, &text);
                    (subject, body, Outcome::Respondida, None)
                }
            };
            let on_time = case.due_date.is_none_or(|d| today <= d);
            let change = CaseChange {
                status: set_status(Respondido),
                responded_at: Some(Some(n)),
                suspended_on: Some(None),
                outcome: outcome(result),
                ..Default::default()
            };
            let mut plan = Plan::new(
                "respondido",
                change,
                json!({ "on_time": on_time, "text": text, "outcome": result.as_str(), "legal_basis": basis, "mailed": false, "radicado_salida": null }),
            );
            plan.is_response = true;
            plan.mail(PlannedMail { purpose: "respuesta", subject, body })
        }
        Action::Reject { reason } => {
            require(case, action, &open)?;
            let reason = non_empty(reason, "el motivo del rechazo")?;
            let (subject, body) = templates::rechazo(ctx.entity_name, case, &reason);
            let change = CaseChange {
                status: set_status(Cerrado),
                responded_at: Some(Some(n)),
                closed_at: Some(Some(n)),
                outcome: outcome(Outcome::Rechazada),
                ..Default::default()
            };
            let mut plan = Plan::new("rechazado", change, json!({ "outcome": Outcome::Rechazada.as_str() }))
                .reason(Some(reason))
                .mail(PlannedMail { purpose: "rechazo", subject, body });
            plan.is_response = true;
            plan
        }
        Action::Withdraw { reason } => {
            require(case, action, &[Radicado, Asignado, EnTramite, Requerimiento])?;
            let reason = non_empty(reason, "la manifestación del ciudadano (art. 18)")?;
            let change = CaseChange {
                status: set_status(Cerrado),
                closed_at: Some(Some(n)),
                suspended_on: Some(None),
                outcome: outcome(Outcome::DesistimientoExpreso),
                ..Default::default()
            };
            Plan::new("desistimiento_expreso", change, json!({ "outcome": Outcome::DesistimientoExpreso.as_str() })).reason(Some(reason))
        }
        Action::Close { reason } => {
            let from = require(case, action, &[Respondido, Trasladado, Requerimiento])?;
            if from == Requerimiento {
                let act = reason.as_deref().map(str::trim).filter(|r| !r.is_empty())
                    .ok_or_else(|| ActionError::Invalid("Indique el acto que declara el desistimiento.".into()))?;
                let last_day = last_day_of(ctx, case)?.ok_or_else(|| ActionError::Invalid("El caso no tiene requerimiento.".into()))?;
                if today <= last_day {
                    return Err(ActionError::Invalid(format!(
                        "El ciudadano tiene plazo hasta el {last_day}: el desistimiento solo puede declararse después."
                    )));
                }
                let (subject, body, result, event) = if case.clarification {
                    let (s, b) = templates::archivo(ctx.entity_name, case, last_day, act);
                    (s, b, Outcome::Archivada, "archivado")
                } else {
                    let (s, b) = templates::desistimiento(ctx.entity_name, case, last_day, act);
                    (s, b, Outcome::DesistimientoTacito, "desistimiento")
                };
                let change = CaseChange {
                    status: set_status(Cerrado),
                    closed_at: Some(Some(n)),
                    suspended_on: Some(None),
                    outcome: outcome(result),
                    ..Default::default()
                };
                return Ok(Plan::new(event, change, json!({ "citizen_last_day": last_day, "outcome": result.as_str() }))
                    .reason(Some(act.to_string()))
                    .mail(PlannedMail { purpose: event, subject, body }));
            }
            Plan::new("cerrado", CaseChange { status: set_status(Cerrado), closed_at: Some(Some(n)), ..Default::default() }, json!({}))
                .reason(reason.clone())
        }
        Action::Annul { reason, approved_by } => {
            // Only before an answer: once the entity has answered or remitted, its acts stand.
            require(case, action, &[Radicado, Asignado, EnTramite, Requerimiento])?;
            let reason = non_empty(reason, "el motivo de la anulación")?;
            let approved_by = non_empty(approved_by, "quién aprobó la anulación")?;
            let change = CaseChange {
                status: set_status(Anulado),
                annulled_reason: Some(Some(reason.clone())),
                suspended_on: Some(None),
                outcome: outcome(Outcome::Anulada),
                ..Default::default()
            };
            Plan::new("anulado", change, json!({ "radicado": case.radicado, "approved_by": approved_by })).reason(Some(reason))
        }
        Action::Reclassify { kind, reason } => {
            require(case, action, &open)?;
            let term = ctx.policy.terms.term_for(kind.as_str()).map_err(|e| ActionError::Deadline(e.to_string()))?;
            // The new kind's term from the same effective day, through the same suspension.
            let timeline = Timeline { term, ..timeline_of(case) };
            let dates = ctx.policy.deadlines.term_dates(&timeline)?;
            // An extension already granted stays in force (one only, `extended_at` kept), within
            // the new kind's limit; it never shortens the new term.
            let (due, extension) = match (dates.due, dates.extension_limit, case.extended_at, case.due_date) {
                (Some(base), Some(limit), Some(_), Some(extended)) => {
                    let d = extended.max(base).min(limit);
                    (Some(d), Some(if d == extended { "kept" } else if d == base { "superseded" } else { "clamped" }))
                }
                (due, _, _, _) => (due, None),
            };
            let change = CaseChange {
                kind: Some(kind.as_str().to_string()),
                term_days: Some(term.map(i64::from)),
                due_date: Some(due),
                original_due_date: if case.extended_at.is_some() { Some(dates.due) } else { None },
                extension_limit: Some(dates.extension_limit),
                needs_review: Some(false),
                ..Default::default()
            };
            Plan::new(
                "reclasificado",
                change,
                json!({ "from": case.kind, "to": kind.as_str(), "old_due": case.due_date, "new_due": due, "extension_limit": dates.extension_limit, "extension": extension }),
            )
            .reason(Some(reason.trim().to_string()).filter(|r| !r.is_empty()))
            .labelled()
        }
        Action::Prioritize { reason, note } => {
            require(case, action, &[Radicado, Asignado, EnTramite, Requerimiento])?;
            let note = note.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
            let change = CaseChange {
                priority: Some(if reason.is_some() { "alta".into() } else { "normal".into() }),
                priority_reason: Some(reason.map(|r| r.as_str().to_string())),
                ..Default::default()
            };
            Plan::new(if reason.is_some() { "prioridad" } else { "prioridad_retirada" }, change, json!({ "reason": reason.map(|r| r.as_str()) }))
                .reason(note)
        }
        Action::Rectify { field, value, reason } => rectify(case, *field, value, reason)?,
    })
}

/// The plan of a rectification (habeas data): one citizen datum, old and new in the event.
fn rectify(case: &CaseRow, field: CitizenField, value: &str, reason: &str) -> Result<Plan, ActionError> {
    use crate::db::habeas::ERASED;
    let reason = non_empty(reason, "el motivo de la rectificación (solicitud del titular)")?;
    let held = [&case.citizen_name, &case.citizen_email, &case.citizen_doc_number, &case.citizen_phone];
    if held.iter().any(|v| v.as_deref() == Some(ERASED)) {
        return Err(ActionError::Invalid("Los datos personales de este caso ya fueron suprimidos (retención vencida); no se pueden rectificar.".into()));
    }
    let v = value.trim();
    if v.chars().count() > 320 {
        return Err(ActionError::Invalid("El valor es demasiado largo (máximo 320 caracteres).".into()));
    }
    let new = match field {
        CitizenField::Email if !v.is_empty() => {
            let v = v.to_lowercase();
            let ok = v.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
                && !v.contains(char::is_whitespace);
            if !ok {
                return Err(ActionError::Invalid("El correo electrónico no es válido.".into()));
            }
            Some(v)
        }
        CitizenField::Name if v.is_empty() => return Err(ActionError::Invalid("Indique el nombre corregido.".into())),
        _ => (!v.is_empty()).then(|| v.to_string()),
    };
    let old = field.get(case);
    if old == new {
        return Err(ActionError::Invalid("El valor nuevo es igual al registrado.".into()));
    }
    let mut change = CaseChange::default();
    match field {
        CitizenField::Name => change.citizen_name = Some(new.clone()),
        CitizenField::Email => change.citizen_email = Some(new.clone()),
        CitizenField::DocType => change.citizen_doc_type = Some(new.clone()),
        CitizenField::DocNumber => change.citizen_doc_number = Some(new.clone()),
        CitizenField::Phone => change.citizen_phone = Some(new.clone()),
        CitizenField::Municipality => change.citizen_municipality = Some(new.clone()),
    }
    Ok(Plan::new("datos_rectificados", change, json!({ "field": field.code(), "old": old, "new": new })).reason(Some(reason)))
}
