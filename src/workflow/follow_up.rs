//! The follow-up job: over stored open cases, it finds those due soon (≤ `amber_days` business
//! days left) and overdue, queues one daily digest per department (internal mail, counted apart
//! from outgoing mail), escalates each overdue case once per due date, and proposes
//! desistimiento for petitions waiting for the citizen after their month ran out (art. 17: the
//! day after R + 1 month, that day moved to a business day).
//!
//! Idempotent: every alert has a key in `alerts_sent`, written in the same transaction as the
//! mail it queues, so a restart (or two instances) never sends a digest or an escalation twice.
//! With several instances on one database the worker runs in one of them at a time, under the
//! lease `job:follow_up` (`Supervisor::spawn_leased`); the keys still hold if two passes overlap
//! during a takeover.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use crate::db::alerts::{self, AlertEvent};
use crate::db::models::{CaseRow, NewOutbox};
use crate::db::AnyConnection;
use crate::domain::CaseStatus;
use crate::policy::Policy;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct FollowUpReport {
    pub open_cases: usize,
    pub due_soon: usize,
    pub overdue: usize,
    pub digests_queued: usize,
    pub escalations_queued: usize,
    pub desistimiento_proposed: usize,
}

fn internal_mail(to: &str, purpose: &str, subject: String, body: String, case_id: Option<i64>, domain: &str, now: DateTime<Utc>) -> NewOutbox {
    NewOutbox {
        case_id,
        purpose: purpose.into(),
        internal: true,
        radicado: None,
        to_addr: to.to_string(),
        subject,
        body_text: body,
        message_id: crate::mailer::new_message_id(domain),
        in_reply_to: None,
        status: crate::domain::OutboxStatus::Pending,
        next_attempt_at: now.naive_utc(),
        created_at: now.naive_utc(),
    }
}

/// Business days left at or below which a case is "due soon": the policy's threshold, doubled
/// for a case with priority (art. 20, Ley 1755 de 2015), so its alerts come earlier.
pub fn amber_days(policy: &Policy, case: &CaseRow) -> i64 {
    let base = i64::from(policy.deadlines.amber_days);
    if case.priority_reason.is_some() { base * 2 } else { base }
}

/// One pass of the follow-up job at `now`.
pub fn run(conn: &mut AnyConnection, policy: &Policy, message_id_domain: &str, base_url: &str, now: DateTime<Utc>) -> anyhow::Result<FollowUpReport> {
    let today = policy.deadlines.local_date(now)?;
    let open: Vec<CaseRow> = alerts::open_cases(conn)?;
    let emails: BTreeMap<String, Option<String>> = alerts::department_emails(conn)?;
    let mut report = FollowUpReport { open_cases: open.len(), ..Default::default() };
    let mut per_dept: BTreeMap<&str, (Vec<(&CaseRow, i64)>, Vec<(&CaseRow, i64)>)> = BTreeMap::new();
    for case in &open {
        if case.status == CaseStatus::Requerimiento.as_str() {
            if let Some(since) = case.requerimiento_on.or(case.suspended_on) {
                // Only after the citizen's last day (R + 1 month, or 2 when the citizen asked
                // for the second month; 10 business days for a devolución; on a business day).
                let r = crate::domain::deadline::Requerimiento {
                    made_on: since,
                    completed_on: None,
                    citizen_extension: case.citizen_extension,
                    clarification: case.clarification,
                };
                if policy.deadlines.last_day_of(&r).is_ok_and(|last| today > last) {
                    let key = format!("desistimiento:{}:{}", case.id, since);
                    let (event_type, reason) = if case.clarification {
                        ("archivo_propuesto", "Pasaron 10 días hábiles sin la aclaración pedida (art. 19, Ley 1755 de 2015).")
                    } else {
                        ("desistimiento_propuesto", "Pasó el plazo del ciudadano sin respuesta al requerimiento (art. 17, Ley 1755 de 2015).")
                    };
                    let event = AlertEvent { case_id: case.id, event_type, reason: Some(reason), payload: json!({ "suspended_on": since }) };
                    let proposed = alerts::send_once(conn, &key, now, None, Some(event))?;
                    report.desistimiento_proposed += usize::from(proposed);
                }
            }
            continue; // the clock is stopped
        }
        let Some(due) = case.due_date else { continue };
        let left = policy.deadlines.days_left(today, due);
        let entry = per_dept.entry(case.department.as_str()).or_default();
        if left < 0 {
            report.overdue += 1;
            entry.1.push((case, left));
        } else if left <= amber_days(policy, case) {
            report.due_soon += 1;
            entry.0.push((case, left));
        }
    }

    for (dept, (soon, overdue)) in &per_dept {
        let Some(Some(to)) = emails.get(*dept) else { continue };
        // Escalation: once per case and due date.
        for (case, left) in overdue {
            let key = format!("escalation:{}:{}", case.id, case.due_date.map(|d| d.to_string()).unwrap_or_default());
            let body = format!(
                    "El caso {} ({}) venció el {} y lleva {} día(s) hábil(es) de retraso.\nAsunto: {}\n\n{}/casos/{}\n\n\
                     Responder fuera de término es falta disciplinaria (art. 31, Ley 1755 de 2015).\n",
                    case.radicado, case.kind, case.due_date.map(|d| d.to_string()).unwrap_or_default(), -left,
                    case.subject, base_url.trim_end_matches('/'), case.radicado
                );
            let mail = internal_mail(to, "escalamiento", format!("Caso vencido {} - {}", case.radicado, dept), body, Some(case.id), message_id_domain, now);
            let event = AlertEvent { case_id: case.id, event_type: "escalado", reason: None, payload: json!({ "to": to, "days_overdue": -left }) };
            let queued = alerts::send_once(conn, &key, now, Some(mail), Some(event))?;
            report.escalations_queued += usize::from(queued);
        }
        // Daily digest, business days only.
        if policy.deadlines.calendar.is_business_day(today) && !(soon.is_empty() && overdue.is_empty()) {
            let key = format!("digest:{dept}:{today}");
            let (subject, body) = digest_text(dept, today, soon, overdue, base_url);
            let mail = internal_mail(to, "resumen_diario", subject, body, None, message_id_domain, now);
            let queued = alerts::send_once(conn, &key, now, Some(mail), None)?;
            report.digests_queued += usize::from(queued);
        }
    }
    Ok(report)
}

fn digest_text(dept: &str, today: NaiveDate, soon: &[(&CaseRow, i64)], overdue: &[(&CaseRow, i64)], base: &str) -> (String, String) {
    let mut body = format!("Resumen de casos de {dept} al {today}.\n\n");
    let line = |(c, left): &(&CaseRow, i64)| {
        format!("- {} · {} · vence {} · {} · {}/casos/{}\n", c.radicado, c.kind,
            c.due_date.map(|d| d.to_string()).unwrap_or_default(),
            if *left < 0 { format!("{} día(s) de retraso", -left) } else { format!("{left} día(s) hábil(es)") },
            base.trim_end_matches('/'), c.radicado)
    };
    body.push_str(&format!("Vencidos ({}):\n", overdue.len()));
    overdue.iter().for_each(|x| body.push_str(&line(x)));
    body.push_str(&format!("\nPor vencer ({}):\n", soon.len()));
    soon.iter().for_each(|x| body.push_str(&line(x)));
    (format!("PQRS {dept}: {} vencidos, {} por vencer", overdue.len(), soon.len()), body)
}

/// Run the job every few minutes until shutdown (digests are keyed by day, so the period only
/// bounds how soon after midnight and after a due date the alerts go out).
pub async fn run_follow_up_worker(
    pool: crate::db::Pool,
    policy: std::sync::Arc<crate::policy::LivePolicy>,
    message_id_domain: String,
    base_url: String,
    nudge: std::sync::Arc<tokio::sync::Notify>,
    mut shutdown: crate::jobs::Shutdown,
) -> anyhow::Result<crate::jobs::Exit> {
    loop {
        // The policy in force for this pass (a reload takes effect on the next one).
        let (p, pol, dom, base) = (pool.clone(), policy.current(), message_id_domain.clone(), base_url.clone());
        let result = tokio::task::spawn_blocking(move || -> anyhow::Result<FollowUpReport> {
            let mut c = p.get()?;
            run(&mut c, pol, &dom, &base, Utc::now())
        })
        .await;
        match result {
            Ok(Ok(r)) => {
                if r.digests_queued + r.escalations_queued > 0 {
                    nudge.notify_one();
                }
                tracing::debug!(report = ?r, "follow-up pass");
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "follow-up pass failed; will retry"),
            // A pass that panics is a bug: the supervisor restarts the worker and shows it.
            Err(e) => anyhow::bail!("follow-up pass panicked: {e}"),
        }
        if !shutdown.pause(std::time::Duration::from_secs(300), None).await {
            return Ok(crate::jobs::Exit::Done);
        }
    }
}
