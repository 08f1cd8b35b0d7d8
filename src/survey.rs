//! The satisfaction survey (issue 16): offered with a case's final answer by a link
//! `{public_base_url}/encuesta/{token}` in the answer's mail, or entered by staff for a verbal case
//! (taken in person or by phone). Four ratings from 1 to 5 and an optional comment; the monthly
//! figure of each is "the sum of people who rate 4 or 5 over all who rate", per channel.
//!
//! Rules: one survey per case; opening the link stores nothing (mail scanners open links); a
//! second answer is refused; at most one survey per citizen address per `survey_interval_days`;
//! never to an anonymous filing nor to an address that looks automatic (`no-reply@`, ...).
//! The store side is `crate::db::surveys`.

use std::collections::BTreeMap;

use maud::{html, Markup};
use serde::{Deserialize, Serialize};

/// The four questions: (field, what the figure is called, the question asked).
pub const QUESTIONS: [(&str, &str, &str); 4] = [
    ("satisfaccion", "Satisfacción", "¿Qué tan satisfecho quedó con la atención que recibió?"),
    ("percepcion", "Percepción", "¿Cómo califica la imagen que tiene de la entidad después de esta atención?"),
    ("confianza", "Confianza", "¿Cuánta confianza le inspira la entidad después de esta atención?"),
    ("claridad", "Claridad", "¿Qué tan clara fue la respuesta que recibió?"),
];

/// The answer labels of the scale, 1 to 5.
pub const SCALE: [&str; 5] = ["1 · Muy malo", "2 · Malo", "3 · Regular", "4 · Bueno", "5 · Muy bueno"];

/// The longest comment kept.
pub const MAX_COMMENT: usize = 2000;

/// A survey answer as the citizen (or staff) sends it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct SurveyInput {
    /// 1 (muy malo) to 5 (muy bueno).
    #[schema(minimum = 1, maximum = 5)]
    pub satisfaccion: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    pub percepcion: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    pub confianza: Option<i64>,
    #[schema(minimum = 1, maximum = 5)]
    pub claridad: Option<i64>,
    /// Optional, up to 2,000 characters.
    #[serde(alias = "comment")]
    #[schema(max_length = 2000)]
    pub comentario: Option<String>,
}

impl SurveyInput {
    /// From a form's fields (public or staff), as text: a value that is not a number counts as
    /// missing and gets the validation's message.
    pub fn from_form(f: &BTreeMap<String, String>) -> SurveyInput {
        let n = |k: &str| f.get(k).and_then(|v| v.trim().parse::<i64>().ok());
        SurveyInput {
            satisfaccion: n("satisfaccion"),
            percepcion: n("percepcion"),
            confianza: n("confianza"),
            claridad: n("claridad"),
            comentario: f.get("comentario").cloned(),
        }
    }
}

/// A checked answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Ratings {
    pub satisfaccion: i32,
    pub percepcion: i32,
    pub confianza: i32,
    pub claridad: i32,
}

impl Ratings {
    pub fn get(&self, field: &str) -> Option<i32> {
        match field {
            "satisfaccion" => Some(self.satisfaccion),
            "percepcion" => Some(self.percepcion),
            "confianza" => Some(self.confianza),
            "claridad" => Some(self.claridad),
            _ => None,
        }
    }
}

/// Check an answer: every rating present and from 1 to 5, the comment not too long (control
/// characters other than line breaks removed). Spanish messages per field.
pub fn validate(input: &SurveyInput) -> Result<(Ratings, Option<String>), BTreeMap<String, String>> {
    let mut errors = BTreeMap::new();
    let mut rating = |field: &str, v: Option<i64>| -> i32 {
        match v {
            Some(n @ 1..=5) => n as i32,
            Some(_) => {
                errors.insert(field.to_string(), "Califique de 1 a 5.".to_string());
                0
            }
            None => {
                errors.insert(field.to_string(), "Elija una calificación de 1 a 5.".to_string());
                0
            }
        }
    };
    let r = Ratings {
        satisfaccion: rating("satisfaccion", input.satisfaccion),
        percepcion: rating("percepcion", input.percepcion),
        confianza: rating("confianza", input.confianza),
        claridad: rating("claridad", input.claridad),
    };
    let comment: Option<String> = input
        .comentario
        .as_deref()
        .map(|c| c.chars().filter(|ch| !ch.is_control() || *ch == '\n').collect::<String>().trim().to_string())
        .filter(|c| !c.is_empty());
    if comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT) {
        errors.insert("comentario".into(), format!("El comentario admite hasta {MAX_COMMENT} caracteres."));
    }
    if errors.is_empty() {
        Ok((r, comment))
    } else {
        Err(errors)
    }
}

/// An address a survey is never sent to: automatic mailboxes.
pub fn looks_automatic(address: &str) -> bool {
    let local = address.split('@').next().unwrap_or("").to_ascii_lowercase();
    let squashed: String = local.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    ["noreply", "donotreply", "mailerdaemon", "postmaster", "bounce", "notificaciones", "notification", "autoresponder"]
        .iter()
        .any(|p| squashed.starts_with(p) || squashed.ends_with(p))
}

/// The paragraph added to the answer's mail.
pub fn invitation(base_url: &str, token: &str) -> String {
    format!(
        "\n\n--\nEncuesta de satisfacción: ¿cómo lo atendimos? Son cuatro preguntas y toma menos de un minuto:\n{}/encuesta/{token}\n\
         Abrir el enlace no registra nada; solo cuentan las respuestas que usted envíe. Es voluntaria y se responde una sola vez.",
        base_url.trim_end_matches('/')
    )
}

/// The figures of one channel (or all): how many answered, and per question the percentage of
/// ratings 4 or 5, one decimal (`null` without answers).
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ChannelSatisfaction {
    pub responses: i64,
    pub satisfaccion: Option<f64>,
    pub percepcion: Option<f64>,
    pub confianza: Option<f64>,
    pub claridad: Option<f64>,
}

/// `GET /api/v1/metrics/satisfaction`: per channel code (`correo_contacto`, `radicador_web`,
/// `presencial`, `telefonico`, `te_llamamos`; only channels with answers) and in total.
#[derive(Debug, Clone, Default, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Satisfaction {
    pub by_channel: BTreeMap<String, ChannelSatisfaction>,
    pub total: ChannelSatisfaction,
}

fn pct1(high: i64, all: i64) -> Option<f64> {
    (all > 0).then(|| (high as f64 * 1000.0 / all as f64).round() / 10.0)
}

impl Satisfaction {
    /// From answered surveys: (channel, ratings).
    pub fn from_answers(answers: impl IntoIterator<Item = (String, Ratings)>) -> Satisfaction {
        #[derive(Default)]
        struct Acc {
            n: i64,
            high: [i64; 4],
        }
        let mut by: BTreeMap<String, Acc> = BTreeMap::new();
        let mut total = Acc::default();
        for (channel, r) in answers {
            for acc in [by.entry(channel).or_default(), &mut total] {
                acc.n += 1;
                for (i, (field, _, _)) in QUESTIONS.iter().enumerate() {
                    acc.high[i] += i64::from(r.get(field).is_some_and(|v| v >= 4));
                }
            }
        }
        let out = |a: &Acc| ChannelSatisfaction {
            responses: a.n,
            satisfaccion: pct1(a.high[0], a.n),
            percepcion: pct1(a.high[1], a.n),
            confianza: pct1(a.high[2], a.n),
            claridad: pct1(a.high[3], a.n),
        };
        Satisfaction { by_channel: by.iter().map(|(k, a)| (k.clone(), out(a))).collect(), total: out(&total) }
    }

    /// The informe's section: a table per channel (Spanish, percentages with a decimal comma).
    pub fn to_html(&self) -> Markup {
        let show = |v: Option<f64>| v.map(|p| format!("{p:.1} %").replace('.', ",")).unwrap_or_else(|| "–".into());
        let label = |code: &str| crate::domain::Channel::parse(code).map(|c| c.label().to_string()).unwrap_or_else(|| code.to_string());
        html! {
            @if self.total.responses == 0 {
                p { "Sin encuestas de satisfacción respondidas en el mes." }
            } @else {
                table {
                    caption { "Encuestas respondidas en el mes: porcentaje de calificaciones 4 o 5 por canal" }
                    thead { tr { th scope="col" { "Canal" } th scope="col" { "Encuestas" }
                        @for (_, name, _) in QUESTIONS { th scope="col" { (name) } } } }
                    tbody {
                        @for (code, c) in &self.by_channel {
                            tr { th scope="row" { (label(code)) } td { (c.responses) }
                                td { (show(c.satisfaccion)) } td { (show(c.percepcion)) } td { (show(c.confianza)) } td { (show(c.claridad)) } }
                        }
                        @let t = &self.total;
                        tr { th scope="row" { "Total" } td { strong { (t.responses) } }
                            td { (show(t.satisfaccion)) } td { (show(t.percepcion)) } td { (show(t.confianza)) } td { (show(t.claridad)) } }
                    }
                }
                p.small { "Cada cifra es la suma de quienes califican 4 o 5 sobre todos los que califican (escala de 1 a 5), por mes de la respuesta en hora de Bogotá. "
                    "Encuestas enviadas con la respuesta final (enlace) y las tomadas en ventanilla o por teléfono para peticiones verbales." }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: [Option<i64>; 4]) -> SurveyInput {
        SurveyInput { satisfaccion: v[0], percepcion: v[1], confianza: v[2], claridad: v[3], comentario: None }
    }

    #[test]
    fn ratings_are_one_to_five_and_all_required() {
        assert!(validate(&input([Some(1), Some(5), Some(3), Some(4)])).is_ok());
        let e = validate(&input([Some(0), Some(6), None, Some(4)])).unwrap_err();
        assert_eq!(e.keys().collect::<Vec<_>>(), vec!["confianza", "percepcion", "satisfaccion"]);
        let mut long = input([Some(5); 4]);
        long.comentario = Some("á".repeat(MAX_COMMENT + 1));
        assert!(validate(&long).unwrap_err().contains_key("comentario"));
        long.comentario = Some(" \u{0}Muy bien\u{7} ".into());
        assert_eq!(validate(&long).unwrap().1.as_deref(), Some("Muy bien"));
    }

    #[test]
    fn the_figure_is_the_share_of_fours_and_fives() {
        let r = |a, b, c, d| Ratings { satisfaccion: a, percepcion: b, confianza: c, claridad: d };
        let s = Satisfaction::from_answers([
            ("correo_contacto".to_string(), r(5, 4, 3, 1)),
            ("correo_contacto".to_string(), r(4, 2, 3, 5)),
            ("correo_contacto".to_string(), r(3, 5, 5, 5)),
            ("presencial".to_string(), r(1, 1, 1, 1)),
        ]);
        let c = &s.by_channel["correo_contacto"];
        assert_eq!((c.responses, c.satisfaccion, c.percepcion, c.confianza, c.claridad), (3, Some(66.7), Some(66.7), Some(33.3), Some(66.7)));
        assert_eq!(s.by_channel["presencial"].satisfaccion, Some(0.0));
        assert_eq!((s.total.responses, s.total.satisfaccion), (4, Some(50.0)));
        assert_eq!(Satisfaction::from_answers([]).total.satisfaccion, None);
    }

    #[test]
    fn automatic_addresses() {
        for a in ["no-reply@x.co", "noreply@x.co", "do_not_reply@x.co", "MAILER-DAEMON@x.co", "postmaster@x.co", "bounces@x.co"] {
            assert!(looks_automatic(a), "{a}");
        }
        for a in ["ana@example.com", "norberto@x.co", "replyana@x.co"] {
            assert!(!looks_automatic(a), "{a}");
        }
    }
}
