//! Reports computed from what is stored (messages, outbox, cases, events), never from counters
//! kept on the side, so they can always be recomputed and audited (DESIGN.md §3).
//!
//! - The virtual-channel report: per calendar month in America/Bogota, incoming mail by source
//!   (`correo_contacto`: every distinct message received on the contact mailbox — cases,
//!   replies, automatic mail, bounces — plus mail kept in quarantine; `radicador_web`: every web
//!   filing), outgoing mail (delivered without a permanent failure, internal alerts apart), and
//!   total interactions. Months come from `received_month`/`sent_month`, written in Bogotá time
//!   when the row is stored. The report reads a rollup (`monthly_counts`) kept in the same
//!   transactions as those rows; [`recompute_virtual_channel`] counts the rows themselves and
//!   [`rebuild_rollup`] rewrites the rollup from them (`pqrs report rebuild`).
//! - The PQRS figures of Ley 1712 by kind, department and channel ([`pqrs`]): each case not
//!   annulled in exactly one standing (answered, transferred, desistimiento, rejected, open), days
//!   to answer net of suspension and measured to the answer reaching the citizen; annulled apart.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

use crate::db::reports::{self as store, CaseFacts};
use crate::db::{AnyConnection, QueryError};

pub use crate::db::reports::rebuild_rollup;
use crate::domain::deadline::DeadlinePolicy;
use crate::domain::{CaseStatus, Outcome};

pub const MONTH_NAMES: [&str; 12] = [
    "Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto", "Septiembre", "Octubre", "Noviembre", "Diciembre",
];

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MonthRow {
    /// 1 to 12 (0 in the totals row).
    pub month: u32,
    pub name: String,
    pub correo_contacto: i64,
    pub radicador_web: i64,
    pub incoming: i64,
    pub outgoing: i64,
    pub total: i64,
    /// Internal digests and alerts to staff: counted apart, not in `outgoing`.
    pub internal: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct VirtualChannel {
    pub year: i32,
    #[schema(min_items = 12, max_items = 12)]
    pub months: Vec<MonthRow>,
    pub totals: MonthRow,
}

/// The virtual-channel report of `year`, read from the rollup (`monthly_counts`), which the
/// storing transactions maintain.
pub fn virtual_channel(conn: &mut AnyConnection, year: i32) -> Result<VirtualChannel, QueryError> {
    Ok(assemble(year, store::rollup(conn, year)?))
}

/// The same report recomputed from the stored rows themselves (messages, open quarantine
/// records, delivered mail): what the rollup must always equal.
pub fn recompute_virtual_channel(conn: &mut AnyConnection, year: i32) -> Result<VirtualChannel, QueryError> {
    Ok(assemble(year, store::source_counts(conn, Some(year))?))
}

fn assemble(year: i32, rows: Vec<(String, String, String, i64)>) -> VirtualChannel {
    let mut months: Vec<MonthRow> = (1..=12)
        .map(|m| MonthRow { month: m, name: MONTH_NAMES[(m - 1) as usize].to_string(), ..Default::default() })
        .collect();
    let idx = |ym: &str| -> Option<usize> {
        let (y, m) = ym.split_once('-')?;
        (y.parse::<i32>().ok()? == year).then_some(())?;
        m.parse::<usize>().ok().filter(|m| (1..=12).contains(m)).map(|m| m - 1)
    };
    for (month, channel, kind, n) in rows {
        let Some(i) = idx(&month) else { continue };
        match (kind.as_str(), channel.as_str()) {
            ("in", "correo_contacto") => months[i].correo_contacto += n,
            ("in", "radicador_web") => months[i].radicador_web += n,
            ("out", _) => months[i].outgoing += n,
            ("internal", _) => months[i].internal += n,
            _ => {} // verbal petitions are not the virtual channel
        }
    }
    let mut totals = MonthRow { month: 0, name: "Total".into(), ..Default::default() };
    for m in &mut months {
        m.incoming = m.correo_contacto + m.radicador_web;
        m.total = m.incoming + m.outgoing;
        totals.correo_contacto += m.correo_contacto;
        totals.radicador_web += m.radicador_web;
        totals.incoming += m.incoming;
        totals.outgoing += m.outgoing;
        totals.total += m.total;
        totals.internal += m.internal;
    }
    VirtualChannel { year, months, totals }
}

impl VirtualChannel {
    /// One line per month, then the totals (month 0), written by the csv crate.
    pub fn to_csv(&self) -> String {
        let header = ["mes", "nombre", "correo_contacto", "radicador_web", "entrantes", "salientes", "total", "internos"];
        let rows = self.months.iter().chain(std::iter::once(&self.totals)).map(|m| {
            let n = |v: i64| v.to_string();
            vec![m.month.to_string(), m.name.clone(), n(m.correo_contacto), n(m.radicador_web), n(m.incoming), n(m.outgoing), n(m.total), n(m.internal)]
        });
        write_csv(header.iter().map(|h| h.to_string()), rows)
    }

    pub fn to_table(&self) -> String {
        let mut s = format!("Canal virtual {}\n{:<12} {:>15} {:>14} {:>9} {:>9} {:>9} {:>9}\n", self.year, "Mes", "Correo contacto", "Radicador Web", "Entrantes", "Salientes", "Total", "Internos");
        for m in self.months.iter().chain(std::iter::once(&self.totals)) {
            s.push_str(&format!("{:<12} {:>15} {:>14} {:>9} {:>9} {:>9} {:>9}\n", m.name, m.correo_contacto, m.radicador_web, m.incoming, m.outgoing, m.total, m.internal));
        }
        s
    }
}

/// Ley 1712 figures for one group (a kind, a department or a channel).
///
/// Every case not annulled is `received` and lands in exactly one of: answered (`answered_on_time`,
/// `answered_late`, `notification_pending`, `notification_failed`), `transferred`,
/// `desistimiento_tacito`, `desistimiento_expreso`, `rejected`, `archived`, `open`. `denied`, `extended`,
/// `suspended` and `open_overdue` are subsets of those; `annulled` is apart (a filing error, not a
/// petition: in no other figure).
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
#[schema(description = "Cada caso no anulado está en exactamente una de: respondidas (a tiempo, fuera de término, notificación pendiente, notificación fallida), trasladadas, desistimiento tácito, desistimiento expreso, rechazadas, archivadas sin aclarar (art. 19), en trámite; su suma es recibidas. Las anuladas van aparte.")]
pub struct PqrsFigures {
    /// Petitions filed in the period (effective filing day), annulled ones excluded.
    #[schema(minimum = 0)]
    pub received: i64,
    /// Answered and the answer reached the citizen (first accepted delivery of the answer mail, or
    /// the answer itself without e-mail) by the due date.
    #[schema(minimum = 0)]
    pub answered_on_time: i64,
    /// Answered, reaching the citizen after the due date.
    #[schema(minimum = 0)]
    pub answered_late: i64,
    /// Answers denying what was asked, with their legal basis (a subset of the answered).
    #[schema(minimum = 0)]
    pub denied: i64,
    /// Answered, the answer mail not yet accepted by the mail server (judged when it is).
    #[schema(minimum = 0)]
    pub notification_pending: i64,
    /// Answered, the answer mail failed or bounced (nothing accepted): the citizen has no answer.
    #[schema(minimum = 0)]
    pub notification_failed: i64,
    /// Sent to the competent entity (art. 21).
    #[schema(minimum = 0)]
    pub transferred: i64,
    /// Tacit desistimiento: the citizen did not complete the petition within the month (art. 17).
    #[schema(minimum = 0)]
    pub desistimiento_tacito: i64,
    /// Express desistimiento: the citizen withdrew the petition (art. 18).
    #[schema(minimum = 0)]
    pub desistimiento_expreso: i64,
    /// Rejected as disrespectful (art. 19).
    #[schema(minimum = 0)]
    pub rejected: i64,
    /// Unclear, returned to the citizen and archived without a clarification (art. 19).
    #[schema(minimum = 0)]
    pub archived: i64,
    /// Cases whose term was extended (any outcome).
    #[schema(minimum = 0)]
    pub extended: i64,
    /// Cases that had a requerimiento (the clock was suspended, art. 17; any outcome).
    #[schema(minimum = 0)]
    pub suspended: i64,
    /// Still in the entity's hands (radicado, asignado, en trámite, requerimiento).
    #[schema(minimum = 0)]
    pub open: i64,
    /// Open, past the due date on the report day, and not suspended.
    #[schema(minimum = 0)]
    pub open_overdue: i64,
    /// Annulled (a filing error): counted apart, in no other figure.
    #[schema(minimum = 0)]
    pub annulled: i64,
    /// Business days from the effective filing day to the answer reaching the citizen, net of
    /// the days the clock was suspended; over `answered_on_time + answered_late`.
    #[schema(required)]
    pub mean_business_days_to_answer: Option<f64>,
    #[schema(required)]
    pub max_business_days_to_answer: Option<i64>,
    #[serde(skip)]
    days_sum: i64,
}

/// The figures in report order: (JSON field, CSV column, Spanish label).
pub const PQRS_FIGURES: [(&str, &str, &str); 18] = [
    ("received", "recibidas", "Recibidas"),
    ("answered_on_time", "respondidas_a_tiempo", "Respondidas a tiempo"),
    ("answered_late", "respondidas_fuera_de_termino", "Respondidas fuera de término"),
    ("denied", "negadas", "De ellas, negadas"),
    ("notification_pending", "notificacion_pendiente", "Respondidas, notificación pendiente"),
    ("notification_failed", "notificacion_fallida", "Respondidas, notificación fallida"),
    ("transferred", "trasladadas", "Trasladadas por competencia"),
    ("desistimiento_tacito", "desistimiento_tacito", "Desistimiento tácito"),
    ("desistimiento_expreso", "desistimiento_expreso", "Desistimiento expreso"),
    ("rejected", "rechazadas", "Rechazadas"),
    ("archived", "archivadas_sin_aclarar", "Archivadas sin aclarar (art. 19)"),
    ("open", "en_tramite", "En trámite"),
    ("open_overdue", "en_tramite_vencidas", "En trámite, vencidas"),
    ("extended", "prorrogadas", "Con prórroga"),
    ("suspended", "suspendidas", "Con requerimiento (término suspendido)"),
    ("annulled", "anuladas", "Anuladas (aparte, no son recibidas)"),
    ("mean_business_days_to_answer", "dias_habiles_promedio_respuesta", "Días hábiles promedio de respuesta"),
    ("max_business_days_to_answer", "dias_habiles_maximo_respuesta", "Días hábiles máximo de respuesta"),
];

impl PqrsFigures {
    /// The values in the order of [`PQRS_FIGURES`] (empty where there is no answer to measure).
    pub fn cells(&self) -> [String; 18] {
        let n = |v: i64| v.to_string();
        [
            n(self.received),
            n(self.answered_on_time),
            n(self.answered_late),
            n(self.denied),
            n(self.notification_pending),
            n(self.notification_failed),
            n(self.transferred),
            n(self.desistimiento_tacito),
            n(self.desistimiento_expreso),
            n(self.rejected),
            n(self.archived),
            n(self.open),
            n(self.open_overdue),
            n(self.extended),
            n(self.suspended),
            n(self.annulled),
            self.mean_business_days_to_answer.map(|m| format!("{m:.1}")).unwrap_or_default(),
            self.max_business_days_to_answer.map(n).unwrap_or_default(),
        ]
    }

    /// All answered cases, whatever the state of their notification.
    pub fn answered(&self) -> i64 {
        self.answered_on_time + self.answered_late + self.notification_pending + self.notification_failed
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct PqrsReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: PqrsFigures,
    pub by_kind: BTreeMap<String, PqrsFigures>,
    pub by_department: BTreeMap<String, PqrsFigures>,
    pub by_channel: BTreeMap<String, PqrsFigures>,
}

impl PqrsReport {
    /// (grouping, group, figures): the totals first, then by kind, department and channel.
    pub fn rows(&self) -> Vec<(&'static str, &str, &PqrsFigures)> {
        let mut rows = vec![("total", "total", &self.totals)];
        for (grouping, map) in [("tipo", &self.by_kind), ("dependencia", &self.by_department), ("canal", &self.by_channel)] {
            rows.extend(map.iter().map(|(k, v)| (grouping, k.as_str(), v)));
        }
        rows
    }

    /// One line per group: `agrupacion,grupo,` then the columns of [`PQRS_FIGURES`].
    pub fn to_csv(&self) -> String {
        let header = ["agrupacion", "grupo"].into_iter().chain(PQRS_FIGURES.iter().map(|(_, col, _)| *col)).map(str::to_string);
        let rows = self.rows().into_iter().map(|(grouping, group, f)| {
            [grouping.to_string(), group.to_string()].into_iter().chain(f.cells()).collect::<Vec<_>>()
        });
        write_csv(header, rows)
    }

    /// The figures as a text table: one line per figure, one column per group.
    pub fn to_table(&self) -> String {
        let rows = self.rows();
        let mut s = format!("Cifras PQRS (Ley 1712) del {} al {}\n", self.from, self.to);
        let width = PQRS_FIGURES.iter().map(|(_, _, l)| l.chars().count()).max().unwrap_or(0);
        s.push_str(&format!("{:<width$}", "Cifra"));
        for (grouping, group, _) in &rows {
            let head = if *grouping == "total" { "Total".to_string() } else { format!("{grouping}:{group}") };
            s.push_str(&format!(" {head:>14}"));
        }
        s.push('\n');
        let cells: Vec<[String; 18]> = rows.iter().map(|(_, _, f)| f.cells()).collect();
        for (i, (_, _, label)) in PQRS_FIGURES.iter().enumerate() {
            s.push_str(label);
            s.push_str(&" ".repeat(width.saturating_sub(label.chars().count())));
            for c in &cells {
                let v = if c[i].is_empty() { "-" } else { c[i].as_str() };
                s.push_str(&format!(" {v:>14}"));
            }
            s.push('\n');
        }
        s
    }
}

/// A header and its records as CSV (RFC 4180 quoting where needed, `\n` line ends), by the csv
/// crate's writer into memory.
fn write_csv(header: impl IntoIterator<Item = String>, rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail on I/O, and every record has the header's length.
    w.write_record(header).expect("csv header");
    for row in rows {
        w.write_record(&row).expect("csv record");
    }
    String::from_utf8(w.into_inner().expect("csv flush")).expect("csv of UTF-8 fields is UTF-8")
}

/// Where a case stands for the figures: exactly one per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Annulled,
    /// Answered; `denied` with its legal basis.
    Answered { denied: bool, notice: Notice },
    Transferred,
    DesistimientoTacito,
    DesistimientoExpreso,
    Rejected,
    Archived,
    Open,
}

/// When an answer reached the citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Notice {
    /// On this Bogotá day: the first accepted delivery of its mail, or the answer itself when
    /// it was not mailed.
    Reached(NaiveDate),
    /// Its mail is waiting for the mail server to accept it.
    Pending,
    /// Its mail failed or bounced, and none was accepted.
    Failed,
}

/// The answer mails of one case: (outbox status, SMTP acceptance).
type Mails = [(String, Option<NaiveDateTime>)];

fn notice(answered_on: NaiveDate, mails: &Mails) -> Notice {
    let accepted = mails.iter().filter(|(st, _)| st == "sent").filter_map(|(_, at)| *at).min();
    if let Some(at) = accepted {
        Notice::Reached(crate::time::bogota_date(at.and_utc()))
    } else if mails.iter().any(|(st, _)| st == "pending" || st == "sending") {
        Notice::Pending
    } else if mails.iter().any(|(st, _)| st == "failed") {
        Notice::Failed
    } else {
        // Not mailed (verbal, anonymous, postal; or a mail cancelled): judged at the answer.
        Notice::Reached(answered_on)
    }
}

fn day(at: NaiveDateTime) -> NaiveDate {
    crate::time::bogota_date(at.and_utc())
}

/// The day staff answered (older rows without `responded_at`: when the case last changed).
fn answered_on(c: &CaseFacts) -> NaiveDate {
    day(c.responded_at.or(c.closed_at).unwrap_or(c.updated_at))
}

fn standing(c: &CaseFacts, ever_transferred: bool, mails: &Mails) -> Standing {
    let answered = |denied| Standing::Answered { denied, notice: notice(answered_on(c), mails) };
    if c.status == CaseStatus::Anulado.as_str() {
        return Standing::Annulled;
    }
    match c.outcome.as_deref().and_then(Outcome::parse) {
        Some(Outcome::Anulada) => Standing::Annulled,
        Some(Outcome::Respondida) => answered(false),
        Some(Outcome::Denegada) => answered(true),
        Some(Outcome::Trasladada) => Standing::Transferred,
        Some(Outcome::DesistimientoTacito) => Standing::DesistimientoTacito,
        Some(Outcome::DesistimientoExpreso) => Standing::DesistimientoExpreso,
        Some(Outcome::Rechazada) => Standing::Rejected,
        // An art. 19 devolución archived without a clarification (matched by its code, so this
        // builds with and without `Outcome::Archivada`).
        Some(o) if o.as_str() == "archivada" => Standing::Archived,
        // Open, or closed before the outcome was stored (or with an outcome this code does not
        // know): from the status and the events.
        _ => {
            let status = CaseStatus::parse(&c.status);
            if c.responded_at.is_some() || status == Some(CaseStatus::Respondido) {
                answered(false)
            } else if ever_transferred || status == Some(CaseStatus::Trasladado) {
                Standing::Transferred
            } else if status.is_none_or(CaseStatus::is_open) {
                Standing::Open
            } else {
                // Closed without an answer or a transfer: before outcomes were stored, only a
                // case waiting for its citizen could be closed so (tacit desistimiento).
                Standing::DesistimientoTacito
            }
        }
    }
}

/// The day the clock stopped for a requerimiento (never before the effective filing day).
fn stopped_on(c: &CaseFacts) -> Option<NaiveDate> {
    c.requerimiento_on.or(c.suspended_on).map(|r| r.max(c.effective_date))
}

/// The business days the clock was suspended, as the due date counts them: those in
/// (stopped, completed], or up to the answer when the case was answered while suspended.
fn suspended_days(policy: &DeadlinePolicy, c: &CaseFacts) -> i64 {
    let Some(stopped) = stopped_on(c) else { return 0 };
    let end = match (c.completed_on, c.responded_at) {
        (Some(done), _) => done,
        (None, Some(_)) => answered_on(c),
        (None, None) => return 0,
    };
    policy.calendar.business_days_between(stopped, end).max(0)
}

/// The due date an answer is judged against: the stored one (moved by a completed suspension
/// and an extension), or for an answer made while the clock was stopped, the due date moved
/// as if the suspension ended on the day of the answer.
fn due_for_answer(policy: &DeadlinePolicy, c: &CaseFacts) -> Option<NaiveDate> {
    let due = c.due_date?;
    match (stopped_on(c), c.completed_on) {
        (Some(stopped), None) if due >= stopped && c.responded_at.is_some() => {
            let answered = answered_on(c).max(stopped);
            Some(policy.resume_after_suspension(stopped, due, answered).unwrap_or(due))
        }
        _ => Some(due),
    }
}

/// PQRS received (effective filing day) between `from` and `to`, inclusive, seen on `today`.
pub fn pqrs(conn: &mut AnyConnection, policy: &DeadlinePolicy, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<PqrsReport, QueryError> {
    let rows: Vec<CaseFacts> = store::case_facts(conn, from, to)?;
    let transferred = store::transferred_case_ids(conn)?;
    let mut mails: BTreeMap<i64, Vec<(String, Option<NaiveDateTime>)>> = BTreeMap::new();
    for (case_id, status, sent_at) in store::answer_mails(conn, from, to)? {
        mails.entry(case_id).or_default().push((status, sent_at));
    }
    let mut rep = PqrsReport { from, to, totals: Default::default(), by_kind: BTreeMap::new(), by_department: BTreeMap::new(), by_channel: BTreeMap::new() };
    for c in rows {
        let standing = standing(&c, transferred.contains(&c.id), mails.get(&c.id).map(Vec::as_slice).unwrap_or(&[]));
        let f = figures_of(policy, &c, standing, today);
        for target in [&mut rep.totals, rep.by_kind.entry(c.kind).or_default(), rep.by_department.entry(c.department).or_default(), rep.by_channel.entry(c.channel).or_default()] {
            add(target, &f);
        }
    }
    for f in std::iter::once(&mut rep.totals).chain(rep.by_kind.values_mut()).chain(rep.by_department.values_mut()).chain(rep.by_channel.values_mut()) {
        let answered = f.answered_on_time + f.answered_late;
        f.mean_business_days_to_answer = (answered > 0).then(|| (f.days_sum as f64 / answered as f64 * 10.0).round() / 10.0);
    }
    Ok(rep)
}

/// The figures of one case.
fn figures_of(policy: &DeadlinePolicy, c: &CaseFacts, standing: Standing, today: NaiveDate) -> PqrsFigures {
    if standing == Standing::Annulled {
        return PqrsFigures { annulled: 1, ..Default::default() };
    }
    let mut f = PqrsFigures {
        received: 1,
        extended: i64::from(c.extended_at.is_some()),
        suspended: i64::from(c.requerimiento_on.is_some() || c.suspended_on.is_some()),
        ..Default::default()
    };
    match standing {
        Standing::Annulled => unreachable!("returned above"),
        Standing::Answered { denied, notice } => {
            f.denied = i64::from(denied);
            match notice {
                Notice::Pending => f.notification_pending = 1,
                Notice::Failed => f.notification_failed = 1,
                Notice::Reached(on) => {
                    let gross = policy.calendar.business_days_between(c.effective_date, on);
                    let days = (gross - suspended_days(policy, c)).max(0);
                    f.days_sum = days;
                    f.max_business_days_to_answer = Some(days);
                    if due_for_answer(policy, c).is_none_or(|d| on <= d) {
                        f.answered_on_time = 1;
                    } else {
                        f.answered_late = 1;
                    }
                }
            }
        }
        Standing::Transferred => f.transferred = 1,
        Standing::DesistimientoTacito => f.desistimiento_tacito = 1,
        Standing::DesistimientoExpreso => f.desistimiento_expreso = 1,
        Standing::Rejected => f.rejected = 1,
        Standing::Archived => f.archived = 1,
        Standing::Open => {
            f.open = 1;
            let suspended = c.status == CaseStatus::Requerimiento.as_str() || c.suspended_on.is_some();
            if !suspended && c.due_date.is_some_and(|d| today > d) {
                f.open_overdue = 1;
            }
        }
    }
    f
}

fn add(t: &mut PqrsFigures, f: &PqrsFigures) {
    t.received += f.received;
    t.answered_on_time += f.answered_on_time;
    t.answered_late += f.answered_late;
    t.denied += f.denied;
    t.notification_pending += f.notification_pending;
    t.notification_failed += f.notification_failed;
    t.transferred += f.transferred;
    t.desistimiento_tacito += f.desistimiento_tacito;
    t.desistimiento_expreso += f.desistimiento_expreso;
    t.rejected += f.rejected;
    t.archived += f.archived;
    t.extended += f.extended;
    t.suspended += f.suspended;
    t.open += f.open;
    t.open_overdue += f.open_overdue;
    t.annulled += f.annulled;
    t.days_sum += f.days_sum;
    t.max_business_days_to_answer = match (t.max_business_days_to_answer, f.max_business_days_to_answer) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
}

#[cfg(test)]
mod csv_tests {
    use super::*;

    #[test]
    fn virtual_channel_csv_has_the_header_twelve_months_and_the_totals() {
        let mut rows = Vec::new();
        rows.push(("2026-03".to_string(), "correo_contacto".to_string(), "in".to_string(), 1));
        rows.push(("2026-03".to_string(), "radicador_web".to_string(), "in".to_string(), 2));
        let csv = assemble(2026, rows).to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "mes,nombre,correo_contacto,radicador_web,entrantes,salientes,total,internos");
        assert_eq!(lines[3], "3,Marzo,1,2,3,0,3,0");
        assert_eq!(lines[13], "0,Total,1,2,3,0,3,0");
        assert_eq!(lines.len(), 14);
        assert!(csv.ends_with("0,Total,1,2,3,0,3,0\n") && !csv.contains('\r'), "{csv:?}");
    }

    #[test]
    fn pqrs_csv_quotes_a_group_with_a_comma_or_a_quote() {
        let figures = PqrsFigures { received: 2, answered_on_time: 1, mean_business_days_to_answer: Some(4.25), max_business_days_to_answer: Some(5), ..Default::default() };
        let mut by_department = BTreeMap::new();
        by_department.insert("Minas, \"Norte\"".to_string(), figures.clone());
        by_department.insert("GCT".to_string(), figures.clone());
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let report = PqrsReport { from: day, to: day, totals: figures, by_kind: BTreeMap::new(), by_department, by_channel: BTreeMap::new() };
        let csv = report.to_csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("agrupacion,grupo,recibidas,respondidas_a_tiempo,") && lines[0].ends_with(",dias_habiles_maximo_respuesta"), "{csv}");
        assert_eq!(lines[0].split(',').count(), 20);
        assert_eq!(lines[1], "total,total,2,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4.2,5");
        assert_eq!(lines[2], "dependencia,GCT,2,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4.2,5");
        assert_eq!(lines[3], "dependencia,\"Minas, \"\"Norte\"\"\",2,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,4.2,5");
        // Read back with the csv reader: the group survives the quoting.
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let groups: Vec<String> = r.records().map(|rec| rec.unwrap()[1].to_string()).collect();
        assert_eq!(groups, ["total", "GCT", "Minas, \"Norte\""]);
    }
}
