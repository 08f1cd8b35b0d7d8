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
//! - The PQRS figures of Ley 1712 by kind, department and channel.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::db::reports::{self as store, CaseFacts};
use crate::db::{AnyConnection, QueryError};

pub use crate::db::reports::rebuild_rollup;
use crate::domain::deadline::DeadlinePolicy;

pub const MONTH_NAMES: [&str; 12] = [
    "Enero", "Febrero", "Marzo", "Abril", "Mayo", "Junio", "Julio", "Agosto", "Septiembre", "Octubre", "Noviembre", "Diciembre",
];

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MonthRow {
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

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VirtualChannel {
    pub year: i32,
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
    pub fn to_csv(&self) -> String {
        let mut s = String::from("mes,nombre,correo_contacto,radicador_web,entrantes,salientes,total,internos\n");
        for m in self.months.iter().chain(std::iter::once(&self.totals)) {
            s.push_str(&format!("{},{},{},{},{},{},{},{}\n", m.month, m.name, m.correo_contacto, m.radicador_web, m.incoming, m.outgoing, m.total, m.internal));
        }
        s
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
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PqrsFigures {
    pub received: i64,
    pub answered_on_time: i64,
    pub answered_late: i64,
    pub open: i64,
    pub open_overdue: i64,
    pub transferred: i64,
    pub extended: i64,
    pub annulled: i64,
    /// Business days from the effective filing day to the answer.
    pub mean_business_days_to_answer: Option<f64>,
    pub max_business_days_to_answer: Option<i64>,
    #[serde(skip)]
    days_sum: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PqrsReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: PqrsFigures,
    pub by_kind: BTreeMap<String, PqrsFigures>,
    pub by_department: BTreeMap<String, PqrsFigures>,
    pub by_channel: BTreeMap<String, PqrsFigures>,
}

/// PQRS received (effective filing day) between `from` and `to`, inclusive, seen on `today`.
pub fn pqrs(conn: &mut AnyConnection, policy: &DeadlinePolicy, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<PqrsReport, QueryError> {
    let rows: Vec<CaseFacts> = store::case_facts(conn, from, to)?;
    // Due date at the moment of answering is the stored due date (extensions and suspensions
    // already moved it).
    let transferred = store::transferred_case_ids(conn)?;
    let mut rep = PqrsReport { from, to, totals: Default::default(), by_kind: BTreeMap::new(), by_department: BTreeMap::new(), by_channel: BTreeMap::new() };
    for (id, kind, dept, channel, status, effective, due, responded, extended) in rows {
        let mut f = PqrsFigures { received: 1, ..Default::default() };
        if status == "anulado" {
            f.annulled = 1;
        }
        if transferred.contains(&id) || status == "trasladado" {
            f.transferred = 1;
        }
        if extended.is_some() {
            f.extended = 1;
        }
        if let Some(at) = responded {
            let answered_on = crate::time::bogota_date(at.and_utc());
            let days = policy.calendar.business_days_between(effective, answered_on).max(0);
            f.days_sum = days;
            f.max_business_days_to_answer = Some(days);
            if due.is_none_or(|d| answered_on <= d) {
                f.answered_on_time = 1;
            } else {
                f.answered_late = 1;
            }
        } else if matches!(status.as_str(), "radicado" | "asignado" | "en_tramite" | "requerimiento") {
            f.open = 1;
            if status != "requerimiento" && due.is_some_and(|d| today > d) {
                f.open_overdue = 1;
            }
        }
        for target in [&mut rep.totals, rep.by_kind.entry(kind).or_default(), rep.by_department.entry(dept).or_default(), rep.by_channel.entry(channel).or_default()] {
            add(target, &f);
        }
    }
    for f in std::iter::once(&mut rep.totals).chain(rep.by_kind.values_mut()).chain(rep.by_department.values_mut()).chain(rep.by_channel.values_mut()) {
        let answered = f.answered_on_time + f.answered_late;
        f.mean_business_days_to_answer = (answered > 0).then(|| (f.days_sum as f64 / answered as f64 * 10.0).round() / 10.0);
    }
    Ok(rep)
}

fn add(t: &mut PqrsFigures, f: &PqrsFigures) {
    t.received += f.received;
    t.answered_on_time += f.answered_on_time;
    t.answered_late += f.answered_late;
    t.open += f.open;
    t.open_overdue += f.open_overdue;
    t.transferred += f.transferred;
    t.extended += f.extended;
    t.annulled += f.annulled;
    t.days_sum += f.days_sum;
    t.max_business_days_to_answer = match (t.max_business_days_to_answer, f.max_business_days_to_answer) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
}
