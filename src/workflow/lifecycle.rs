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
//! | transfer (art. 21; after 5 business days it is recorded as late) | radicado, asignado, en_tramite | trasladado |
//! | respond | radicado, asignado, en_tramite, requerimiento | respondido |
//! | close | respondido, trasladado, requerimiento (desistimiento) | cerrado |
//! | annul (number kept, reason recorded) | any but cerrado, anulado | anulado |
//! | reclassify kind (triage correction; due date recomputed) | radicado, asignado, en_tramite | same |

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::db::lifecycle::{ActError, CaseChange, MailContext, Plan, PlannedMail};
use crate::db::models::CaseRow;
use crate::db::AnyConnection;
use crate::domain::deadline::ExtensionError;
use crate::domain::radicado::UnitCode;
use crate::domain::{CaseStatus, PetitionKind};
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
    #[error("{0}")]
    Invalid(String),
    #[error("deadline computation: {0}")]
    Deadline(String),
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
        MailContext { unit: self.unit, message_id_domain: self.message_id_domain }
    }
}

/// Decide what `action` does to `case` at `now`: the plan to store, or why it is refused. Pure.
pub fn decide(ctx: &Context<'_>, case: &CaseRow, action: &Action, now: DateTime<Utc>) -> Result<Plan, ActionError> {
    use CaseStatus::*;
    let today = ctx.policy.deadlines.local_date(now).map_err(|e| ActionError::Deadline(e.to_string()))?;
    let n = now.naive_utc();
    let open = [Radicado, Asignado, EnTramite];
    let set_status = |s: CaseStatus| Some(s.as_str().to_string());
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
        }
        Action::StartWork => {
            require(case, action, &[Radicado, Asignado])?;
            Plan::new("en_tramite", CaseChange { status: set_status(EnTramite), ..Default::default() }, json!({}))
        }
        Action::RequestCompletion { message } => {
            require(case, action, &open)?;
            let message = non_empty(message, "qué debe completar el ciudadano")?;
            if case.due_date.is_some_and(|d| today > d) {
                return Err(ActionError::Invalid("El término ya venció; no se puede suspender.".into()));
            }
            let (subject, body) = templates::requerimiento(ctx.entity_name, case, &message, today);
            let change = CaseChange { status: set_status(Requerimiento), suspended_on: Some(Some(today)), ..Default::default() };
            Plan::new("requerimiento", change, json!({ "suspended_on": today }))
                .reason(Some(message))
                .mail(PlannedMail { purpose: "requerimiento", subject, body })
        }
        Action::CitizenReplied { replied_on } => {
            require(case, action, &[Requerimiento])?;
            let new_due = match (case.suspended_on, case.due_date) {
                (Some(s), Some(due)) => Some(
                    ctx.policy.deadlines.resume_after_suspension(s, due, *replied_on).map_err(|e| ActionError::Deadline(e.to_string()))?,
                ),
                _ => case.due_date,
            };
            // The extension limit moves like the due date: the business days it had left after
            // the suspension are counted again from the reply.
            let new_limit = match (case.suspended_on, case.extension_limit) {
                (Some(s), Some(limit)) if limit >= s => Some(
                    ctx.policy.deadlines.resume_after_suspension(s, limit, *replied_on).map_err(|e| ActionError::Deadline(e.to_string()))?,
                ),
                _ => case.extension_limit,
            };
            let change = CaseChange {
                status: set_status(EnTramite),
                due_date: Some(new_due),
                extension_limit: Some(new_limit),
                suspended_on: Some(None),
                ..Default::default()
            };
            Plan::new("reanudado", change, json!({ "replied_on": replied_on, "old_due": case.due_date, "new_due": new_due }))
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
                None => ctx.policy.deadlines.max_extended_due(case.effective_date, term).map_err(|e| ActionError::Deadline(e.to_string()))?,
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
            let change = CaseChange { status: set_status(Trasladado), transferred_to: Some(Some(entity.clone())), ..Default::default() };
            Plan::new("trasladado", change, json!({ "entity": entity, "limit": limit, "late": late }))
                .reason(Some(reason))
                .mail(PlannedMail { purpose: "traslado", subject, body })
        }
        Action::Respond { text } => {
            require(case, action, &[Radicado, Asignado, EnTramite, Requerimiento])?;
            let text = non_empty(text, "el texto de la respuesta")?;
            let (subject, body) = templates::respuesta(ctx.entity_name, case, &text);
            let on_time = case.due_date.is_none_or(|d| today <= d);
            let change = CaseChange {
                status: set_status(Respondido),
                responded_at: Some(Some(n)),
                suspended_on: Some(None),
                ..Default::default()
            };
            let mut plan = Plan::new("respondido", change, json!({ "on_time": on_time, "text": text, "mailed": false, "radicado_salida": null }));
            plan.is_response = true;
            if case.citizen_email.is_some() {
                plan = plan.mail(PlannedMail { purpose: "respuesta", subject, body });
            }
            plan
        }
        Action::Close { reason } => {
            let from = require(case, action, &[Respondido, Trasladado, Requerimiento])?;
            if from == Requerimiento && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(ActionError::Invalid("Indique el acto que declara el desistimiento.".into()));
            }
            let kind = if from == Requerimiento { "desistimiento" } else { "cerrado" };
            Plan::new(kind, CaseChange { status: set_status(Cerrado), closed_at: Some(Some(n)), ..Default::default() }, json!({}))
                .reason(reason.clone())
        }
        Action::Annul { reason } => {
            require(case, action, &[Radicado, Asignado, EnTramite, Requerimiento, Respondido, Trasladado])?;
            let reason = non_empty(reason, "el motivo de la anulación")?;
            let change = CaseChange { status: set_status(Anulado), annulled_reason: Some(Some(reason.clone())), ..Default::default() };
            Plan::new("anulado", change, json!({ "radicado": case.radicado })).reason(Some(reason))
        }
        Action::Reclassify { kind, reason } => {
            require(case, action, &open)?;
            let term = ctx.policy.terms.term_for(kind.as_str()).map_err(|e| ActionError::Deadline(e.to_string()))?;
            let due = match term {
                Some(t) => Some(ctx.policy.deadlines.due_date_from(case.effective_date, t).map_err(|e| ActionError::Deadline(e.to_string()))?),
                None => None,
            };
            let limit = match term {
                Some(t) => Some(ctx.policy.deadlines.max_extended_due(case.effective_date, t).map_err(|e| ActionError::Deadline(e.to_string()))?),
                None => None,
            };
            let change = CaseChange {
                kind: Some(kind.as_str().to_string()),
                term_days: Some(term.map(i64::from)),
                due_date: Some(due),
                extension_limit: Some(limit),
                needs_review: Some(false),
                ..Default::default()
            };
            Plan::new("reclasificado", change, json!({ "from": case.kind, "to": kind.as_str(), "old_due": case.due_date, "new_due": due }))
                .reason(Some(reason.trim().to_string()).filter(|r| !r.is_empty()))
        }
    })
}

