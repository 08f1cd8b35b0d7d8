//! The monthly "Informe de Servicios y Atención al Usuario": one month's interactions per channel
//! (virtual = incoming and outgoing mail and web filings; presencial and telefónico = the verbal
//! petitions and the "Te llamamos" callbacks registered), the contact mailbox against the Radicador
//! Web, the PQRS followed up per department, the month's Ley 1712 figures and the satisfaction
//! survey per channel. Everything is computed from what is stored, by the same code as the other
//! reports (`crate::reports`), so the informe always agrees with them.
//!
//! `pqrs report informe --year Y --month M --format html|json` and `/reportes/informe` both render
//! [`Informe`]; the HTML is print-ready (A4, charts as inline SVG, a data table under every chart).

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::America::Bogota;
use maud::{html, Markup, PreEscaped};
use serde::Serialize;

use crate::db::{AnyConnection, QueryError};
use crate::domain::deadline::DeadlinePolicy;
use crate::domain::{CaseStatus, Channel};
use crate::reports::{MonthRow, PqrsReport, MONTH_NAMES};

/// Interactions of one channel of attention in the month.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChannelInteractions {
    /// `virtual`, `presencial` or `telefonico`.
    pub channel: &'static str,
    pub label: &'static str,
    pub interactions: i64,
    /// What the figure is made of: (code, Spanish label, count).
    pub detail: Vec<(&'static str, &'static str, i64)>,
}

/// The PQRS followed up by one department (or in all) during the month.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FollowUp {
    /// In the department's hands at some time of the month: filed (effective day) by its last day,
    /// and neither answered nor closed before its first.
    pub followed_up: i64,
    /// Of them, filed in the month (effective filing day).
    pub received: i64,
    /// Of them, answered in the month (Bogotá day of the answer).
    pub answered: i64,
    /// Of them, neither answered nor closed at the end of the month.
    pub open_at_month_end: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Informe {
    pub year: i32,
    pub month: u32,
    pub month_name: &'static str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day the figures were computed (open and overdue are as of this day).
    pub generated_on: NaiveDate,
    /// Virtual, presencial, telefónico.
    pub interactions: Vec<ChannelInteractions>,
    pub total_interactions: i64,
    /// The month's virtual-channel row: correo contacto against Radicador Web, outgoing, internal.
    pub virtual_channel: MonthRow,
    /// PQRS followed up: all, and per department code.
    pub follow_up: FollowUp,
    pub follow_up_by_department: BTreeMap<String, FollowUp>,
    /// Department code -> name, for display.
    pub department_names: BTreeMap<String, String>,
    /// The Ley 1712 figures of the petitions filed in the month.
    pub pqrs: PqrsReport,
    /// The optional enfoque-diferencial answers of the month's filings, counted: field -> answer
    /// code -> filings (only filings that answered are in a field's counts).
    pub enfoque_diferencial: BTreeMap<&'static str, BTreeMap<String, i64>>,
    /// The satisfaction surveys answered in the month, per channel (`crate::survey`).
    pub satisfaction: crate::survey::Satisfaction,
}

/// The informe of `year`-`month` (a calendar month in Bogotá), seen on `today`.
pub fn informe(
    conn: &mut AnyConnection,
    policy: &DeadlinePolicy,
    departments: &[crate::routing::Department],
    year: i32,
    month: u32,
    today: NaiveDate,
) -> Result<Informe, QueryError> {
    // Callers validate the month (1 to 12); another gives "not found".
    let from = NaiveDate::from_ymd_opt(year, month, 1).ok_or(QueryError::NotFound)?;
    let to = from.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(from);
    let pqrs = crate::reports::pqrs(conn, policy, from, to, today)?;
    let vc = crate::reports::virtual_channel(conn, year)?;
    let virtual_channel = vc.months.get(month as usize - 1).cloned().unwrap_or_default();

    let received = |ch: Channel| pqrs.by_channel.get(ch.as_str()).map(|f| f.received).unwrap_or(0);
    let presencial = received(Channel::Presencial);
    let (telefonico, te_llamamos) = (received(Channel::Telefonico), received(Channel::TeLlamamos));
    let interactions = vec![
        ChannelInteractions {
            channel: "virtual",
            label: "Virtual",
            interactions: virtual_channel.total,
            detail: vec![
                ("correo_contacto", "Correos recibidos en el correo de contacto", virtual_channel.correo_contacto),
                ("radicador_web", "Radicaciones en el Radicador Web", virtual_channel.radicador_web),
                ("salientes", "Correos enviados", virtual_channel.outgoing),
            ],
        },
        ChannelInteractions {
            channel: "presencial",
            label: "Presencial",
            interactions: presencial,
            detail: vec![("presencial", "Peticiones verbales registradas en ventanilla", presencial)],
        },
        ChannelInteractions {
            channel: "telefonico",
            label: "Telefónico",
            interactions: telefonico + te_llamamos,
            detail: vec![
                ("telefonico", "Peticiones verbales registradas por teléfono", telefonico),
                ("te_llamamos", "Solicitudes de llamada (Te llamamos)", te_llamamos),
            ],
        },
    ];
    let total_interactions = interactions.iter().map(|c| c.interactions).sum();

    // Follow-up: month bounds as UTC instants (the store keeps UTC).
    let start_utc = Bogota.from_local_datetime(&from.and_hms_opt(0, 0, 0).unwrap_or_default()).single().map(|t| t.with_timezone(&Utc).naive_utc()).unwrap_or_default();
    let mut follow_up = FollowUp::default();
    let mut by_department: BTreeMap<String, FollowUp> = departments.iter().map(|d| (d.code.clone(), FollowUp::default())).collect();
    for c in crate::db::informe::followed_cases(conn, to, start_utc)? {
        let day = |t: chrono::NaiveDateTime| crate::time::bogota_date(t.and_utc());
        // Finished: answered or closed, whichever came first; a case that left the entity's hands
        // otherwise (a transfer) at its last change.
        let open = CaseStatus::parse(&c.status).is_none_or(|s| s.is_open());
        let ended = [c.responded_at, c.closed_at].into_iter().flatten().min().or((!open).then_some(c.updated_at));
        let finished = ended.map(day);
        if finished.is_some_and(|d| d < from) {
            continue;
        }
        let f = FollowUp {
            followed_up: 1,
            received: i64::from(c.effective_date >= from),
            answered: i64::from(c.responded_at.map(day).is_some_and(|d| d >= from && d <= to)),
            open_at_month_end: i64::from(finished.is_none_or(|d| d > to)),
        };
        for t in [&mut follow_up, by_department.entry(c.department).or_default()] {
            t.followed_up += f.followed_up;
            t.received += f.received;
            t.answered += f.answered;
            t.open_at_month_end += f.open_at_month_end;
        }
    }
    let mut enfoque_diferencial: BTreeMap<&'static str, BTreeMap<String, i64>> = BTreeMap::new();
    for answers in crate::db::informe::demographics(conn, from, to)? {
        for ((field, _, _), answer) in crate::intake::requester::DEMOGRAPHICS.iter().zip(answers) {
            if let Some(a) = answer {
                *enfoque_diferencial.entry(*field).or_default().entry(a).or_default() += 1;
            }
        }
    }
    let satisfaction = crate::db::surveys::satisfaction(conn, year, Some(month))?;
    Ok(Informe {
        enfoque_diferencial,
        satisfaction,
        year,
        month,
        month_name: MONTH_NAMES[month as usize - 1],
        from,
        to,
        generated_on: today,
        interactions,
        total_interactions,
        virtual_channel,
        follow_up,
        follow_up_by_department: by_department,
        department_names: departments.iter().map(|d| (d.code.clone(), d.name.clone())).collect(),
        pqrs,
    })
}

/// Percentage with one decimal, as shown.
fn pct(part: i64, whole: i64) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64).replace('.', ",")
    }
}

/// A horizontal bar chart as inline SVG (print-ready, no script), with an accessible name; the
/// same figures are always given in a table beside it.
pub fn bar_chart(label: &str, rows: &[(String, f64, String)], max: f64) -> Markup {
    let max = if max > 0.0 { max } else { 1.0 };
    let (w, bar, gap, name_w) = (640.0_f64, 22.0_f64, 10.0_f64, 230.0_f64);
    let h = rows.len() as f64 * (bar + gap) + gap;
    let span = w - name_w - 70.0;
    html! {
        svg.chart viewBox=(format!("0 0 {w} {h}")) width="100%" role="img" aria-label=(label) {
            title { (label) }
            @for (i, (name, v, shown)) in rows.iter().enumerate() {
                @let y = gap + i as f64 * (bar + gap);
                @let len = (v / max).clamp(0.0, 1.0) * span;
                text x=(format!("{:.1}", name_w - 8.0)) y=(format!("{:.1}", y + bar * 0.72)) font-size="13" text-anchor="end" fill="#1a1a1a" { (name) }
                rect x=(name_w) y=(format!("{y:.1}")) width=(format!("{:.1}", len.max(1.0))) height=(bar) fill=(PALETTE[i % PALETTE.len()]) {}
                text x=(format!("{:.1}", name_w + len.max(1.0) + 6.0)) y=(format!("{:.1}", y + bar * 0.72)) font-size="13" fill="#1a1a1a" { (shown) }
            }
        }
    }
}

/// Colours with at least 3:1 contrast against white (WCAG 1.4.11, graphical objects).
const PALETTE: [&str; 4] = ["#0b5cad", "#a05a00", "#2e7d32", "#6a3d9a"];

const STYLE: &str = "@page { size: A4; margin: 18mm 15mm; } \
    .informe h2 { break-after: avoid; margin-top: 1.6rem; } .informe table { break-inside: avoid; } \
    .informe svg.chart { max-width: 46rem; display: block; margin: .5rem 0 1rem; } \
    .informe .cifras { display: flex; flex-wrap: wrap; gap: 1rem; } .informe .cifra { border: 1px solid #767676; padding: .6rem 1rem; min-width: 10rem; } \
    .informe .cifra strong { display: block; font-size: 1.6rem; } \
    @media print { .noprint, nav, header form { display: none !important; } .informe { font-size: 11pt; } }";

impl Informe {
    /// The informe's body (headings from h1), the same for the staff page and `--format html`.
    pub fn to_html(&self) -> Markup {
        let vc = &self.virtual_channel;
        let max_inter = self.interactions.iter().map(|c| c.interactions).max().unwrap_or(0) as f64;
        let inter_rows: Vec<(String, f64, String)> = self.interactions.iter().map(|c| (c.label.to_string(), c.interactions as f64, c.interactions.to_string())).collect();
        let mail_rows = vec![
            ("Correo de contacto".to_string(), vc.correo_contacto as f64, vc.correo_contacto.to_string()),
            ("Radicador Web".to_string(), vc.radicador_web as f64, vc.radicador_web.to_string()),
            ("Correos enviados".to_string(), vc.outgoing as f64, vc.outgoing.to_string()),
        ];
        let max_mail = vc.correo_contacto.max(vc.radicador_web).max(vc.outgoing) as f64;
        let name = |code: &str| self.department_names.get(code).cloned().unwrap_or_else(|| code.to_string());
        let dept_rows: Vec<(String, f64, String)> =
            self.follow_up_by_department.iter().map(|(code, f)| (name(code), f.followed_up as f64, f.followed_up.to_string())).collect();
        let max_dept = self.follow_up_by_department.values().map(|f| f.followed_up).max().unwrap_or(0) as f64;
        let p = &self.pqrs.totals;
        html! {
            style { (PreEscaped(STYLE)) }
            div.informe {
                h1 { "Informe de Servicios y Atención al Usuario · " (self.month_name) " de " (self.year) }
                p.small { "Periodo: del " (crate::mailer::templates::fecha_larga(self.from)) " al " (crate::mailer::templates::fecha_larga(self.to))
                    ". Cifras calculadas el " (crate::mailer::templates::fecha_larga(self.generated_on)) " a partir de lo almacenado (mensajes, radicaciones, casos y encuestas); meses calendario en hora de Bogotá." }
                div.cifras {
                    div.cifra { "Interacciones" strong { (self.total_interactions) } }
                    div.cifra { "PQRS en seguimiento" strong { (self.follow_up.followed_up) } }
                    div.cifra { "PQRS radicadas en el mes" strong { (p.received) } }
                    div.cifra { "Respondidas en el mes" strong { (self.follow_up.answered) } }
                }

                h2 { "1. Interacciones por canal de atención" }
                (bar_chart(&format!("Interacciones por canal en {} de {}", self.month_name, self.year), &inter_rows, max_inter))
                table {
                    caption { "Interacciones por canal" }
                    thead { tr { th scope="col" { "Canal" } th scope="col" { "Componente" } th scope="col" { "Cantidad" } th scope="col" { "Participación" } } }
                    tbody {
                        @for c in &self.interactions {
                            @for (i, (_, label, n)) in c.detail.iter().enumerate() {
                                tr {
                                    @if i == 0 { th scope="row" rowspan=(c.detail.len()) { (c.label) } }
                                    td { (label) } td { (n) } td { (pct(*n, self.total_interactions)) }
                                }
                            }
                        }
                        tr { th scope="row" colspan="2" { "Total de interacciones" } td { strong { (self.total_interactions) } } td { (pct(self.total_interactions, self.total_interactions)) } }
                    }
                }
                p.small { "Virtual: correos distintos recibidos en el buzón de contacto (casos, respuestas y automáticos; duplicados una vez), radicaciones del Radicador Web y correos entregados sin falla permanente (las alertas internas al personal no cuentan). "
                    "Presencial y telefónico: peticiones verbales registradas y solicitudes de \"Te llamamos\", por día de radicación efectivo." }

                h2 { "2. Canal virtual: correo de contacto y Radicador Web" }
                (bar_chart(&format!("Correo de contacto, Radicador Web y correos enviados en {} de {}", self.month_name, self.year), &mail_rows, max_mail))
                table {
                    caption { "Canal virtual del mes" }
                    thead { tr { th scope="col" { "Correo contacto" } th scope="col" { "Radicador Web" } th scope="col" { "Entrantes" } th scope="col" { "Salientes" } th scope="col" { "Total" } th scope="col" { "Alertas internas (aparte)" } } }
                    tbody { tr { td { (vc.correo_contacto) } td { (vc.radicador_web) } td { (vc.incoming) } td { (vc.outgoing) } td { strong { (vc.total) } } td { (vc.internal) } } }
                }
                p.small { "Del total entrante, el correo de contacto es el " (pct(vc.correo_contacto, vc.incoming)) " y el Radicador Web el " (pct(vc.radicador_web, vc.incoming)) "." }

                h2 { "3. PQRS en seguimiento y asignadas a las dependencias" }
                (bar_chart(&format!("PQRS en seguimiento por dependencia en {} de {}", self.month_name, self.year), &dept_rows, max_dept))
                table {
                    caption { "PQRS en seguimiento por dependencia" }
                    thead { tr { th scope="col" { "Dependencia" } th scope="col" { "En seguimiento" } th scope="col" { "Radicadas en el mes" } th scope="col" { "Respondidas en el mes" } th scope="col" { "Abiertas al cierre del mes" } } }
                    tbody {
                        @for (code, f) in &self.follow_up_by_department {
                            tr { th scope="row" { (name(code)) } td { (f.followed_up) } td { (f.received) } td { (f.answered) } td { (f.open_at_month_end) } }
                        }
                        tr { th scope="row" { "Total" } td { strong { (self.follow_up.followed_up) } } td { (self.follow_up.received) } td { (self.follow_up.answered) } td { (self.follow_up.open_at_month_end) } }
                    }
                }
                p.small { "En seguimiento: PQRS radicadas hasta el último día del mes que no estaban respondidas ni cerradas antes de su primer día. Las anuladas no cuentan." }

                h2 { "4. PQRS radicadas en el mes (Ley 1712 de 2014)" }
                table {
                    caption { "Estado de las PQRS radicadas en el mes" }
                    thead { tr { th scope="col" { "Recibidas" } th scope="col" { "Respondidas a tiempo" } th scope="col" { "Fuera de término" } th scope="col" { "Trasladadas" } th scope="col" { "En trámite" } th scope="col" { "En trámite, vencidas" } th scope="col" { "Días hábiles promedio" } } }
                    tbody { tr {
                        td { (p.received) } td { (p.answered_on_time) } td { (p.answered_late) } td { (p.transferred) } td { (p.open) } td { (p.open_overdue) }
                        td { (p.mean_business_days_to_answer.map(|m| format!("{m:.1}").replace('.', ",")).unwrap_or_else(|| "–".into())) }
                    } }
                }
                table {
                    caption { "PQRS radicadas en el mes por canal" }
                    thead { tr { th scope="col" { "Canal" } th scope="col" { "Recibidas" } th scope="col" { "Respondidas" } th scope="col" { "En trámite" } } }
                    tbody {
                        @for (code, f) in &self.pqrs.by_channel {
                            tr { th scope="row" { (Channel::parse(code).map(|c| c.label().to_string()).unwrap_or_else(|| code.clone())) } td { (f.received) } td { (f.answered()) } td { (f.open) } }
                        }
                    }
                }

                h2 { "5. Enfoque diferencial" }
                @if self.enfoque_diferencial.is_empty() {
                    p { "Ninguna radicación del mes respondió las preguntas opcionales de enfoque diferencial." }
                } @else {
                    p.small { "Respuestas opcionales, solo con fines estadísticos, de las radicaciones del mes: solo cifras agregadas." }
                    @for (field, legend, options) in crate::intake::requester::DEMOGRAPHICS {
                        @if let Some(counts) = self.enfoque_diferencial.get(field) {
                            table {
                                caption { (legend) }
                                thead { tr { th scope="col" { "Respuesta" } th scope="col" { "Radicaciones" } } }
                                tbody {
                                    @for (code, n) in counts {
                                        tr { th scope="row" { (crate::intake::requester::label_of(options, code).unwrap_or(code)) } td { (n) } }
                                    }
                                }
                            }
                        }
                    }
                }

                h2 { "6. Satisfacción, percepción, confianza y claridad" }
                (self.satisfaction.to_html())
            }
        }
    }

    /// A whole HTML document (for `pqrs report informe --format html`).
    pub fn to_document(&self, entity_name: &str) -> String {
        let body = self.to_html();
        html! {
            (maud::DOCTYPE)
            html lang="es-CO" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { "Informe de Servicios y Atención al Usuario · " (self.month_name) " " (self.year) " · " (entity_name) }
                    style { (PreEscaped("body { font-family: system-ui, sans-serif; color: #1a1a1a; max-width: 60rem; margin: 1rem auto; padding: 0 1rem; } table { border-collapse: collapse; margin: .5rem 0 1rem; } th, td { border: 1px solid #767676; padding: .25rem .5rem; text-align: left; } caption { text-align: left; font-weight: bold; } .small { font-size: .9rem; }")) }
                }
                body { main { p { (entity_name) } (body) } }
            }
        }
        .into_string()
    }
}
