//! "Te llamamos": a citizen asks the entity to call them back. The request is validated here
//! (one validation for the public form and `POST /api/v1/callbacks`, Spanish messages per field)
//! and turned into a [`ValidFiling`] on channel `te_llamamos`, which the Radicador Web's filing
//! path (`crate::workflow::web_filing`) files with a radicado, a term and, when an e-mail is given,
//! an acknowledgement. A callback always lands in triage (`needs_review`): staff record the call
//! and answer it or reclassify it.

use serde::{Deserialize, Serialize};

use crate::intake::web_form::{FieldErrors, FilingInput, ValidFiling};

/// The fields of a callback request (JSON keys and form field names).
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CallbackInput {
    #[schema(required, min_length = 2, max_length = 200)]
    pub name: String,
    #[schema(required, max_length = 30)]
    pub phone: String,
    #[schema(max_length = 254)]
    pub email: String,
    /// What the citizen wants to talk about.
    #[schema(required, min_length = 5, max_length = 2000)]
    pub topic: String,
    /// When the citizen prefers to be called (free text: "mañanas", "después de las 3 p. m.").
    #[schema(max_length = 200)]
    pub preferred_time: String,
    /// Consent to personal-data processing (Ley 1581 de 2012).
    #[schema(required)]
    pub consent: bool,
    /// Honeypot: people never see it, so it must stay empty.
    pub website: String,
}

/// A callback request that passed validation.
#[derive(Debug, Clone)]
pub struct ValidCallback {
    pub input: CallbackInput,
    /// The phone number's digits (what staff dial).
    pub phone_digits: String,
}

fn clean(s: &str) -> String {
    s.chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect::<String>().trim().to_string()
}

/// The digits of a phone number after stripping spaces, `+`, `-` (and parentheses and dots);
/// `None` when anything else is in it.
pub fn phone_digits(phone: &str) -> Option<String> {
    let mut digits = String::new();
    for c in phone.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '+' | '-' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    Some(digits)
}

/// Check every field; all problems are reported at once.
pub fn validate(mut input: CallbackInput) -> Result<ValidCallback, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut err = |f: &str, m: &str| {
        errors.entry(f.to_string()).or_insert_with(|| m.to_string());
    };
    for (field, value, max) in [
        ("name", &mut input.name, 200),
        ("phone", &mut input.phone, 30),
        ("email", &mut input.email, 254),
        ("topic", &mut input.topic, 2000),
        ("preferred_time", &mut input.preferred_time, 200),
    ] {
        *value = clean(value);
        if value.chars().count() > max {
            err(field, &format!("Máximo {max} caracteres."));
        }
    }
    input.email = input.email.to_ascii_lowercase();
    if !input.website.trim().is_empty() {
        err("website", "Deje este campo vacío.");
    }
    if input.name.chars().count() < 2 {
        err("name", "Escriba su nombre (al menos 2 caracteres).");
    }
    let digits = phone_digits(&input.phone).unwrap_or_default();
    if input.phone.is_empty() {
        err("phone", "Escriba el número de teléfono al que lo llamamos.");
    } else if phone_digits(&input.phone).is_none() || !(7..=15).contains(&digits.len()) {
        err("phone", "El teléfono debe tener entre 7 y 15 dígitos (puede usar espacios, + y -).");
    }
    if !input.email.is_empty() {
        // The Radicador Web's own check, so both channels accept the same addresses.
        let probe = FilingInput { name: "x".into(), email: input.email.clone(), subject: "xxx".into(), message: "xxxxxxxxxx".into(), consent: true, ..Default::default() };
        if crate::intake::web_form::validate(probe, Vec::new()).is_err() {
            err("email", "El correo electrónico no es válido.");
        }
    }
    if input.topic.chars().count() < 5 {
        err("topic", "Cuéntenos el tema de la llamada (al menos 5 caracteres).");
    }
    if !input.consent {
        err("consent", "Debe autorizar el tratamiento de sus datos personales para que lo llamemos.");
    }
    if errors.is_empty() {
        Ok(ValidCallback { input, phone_digits: digits })
    } else {
        Err(errors)
    }
}

/// The subject a callback case carries.
pub fn subject(topic: &str) -> String {
    let first: String = topic.lines().next().unwrap_or("").chars().take(120).collect();
    format!("Te llamamos: {first}")
}

impl ValidCallback {
    /// The filing this request is filed as (channel `te_llamamos`; kind left to routing).
    pub fn into_filing(self) -> ValidFiling {
        let i = self.input;
        let mut message = format!("Solicitud de llamada (Te llamamos).\n\nTeléfono: {}\n", i.phone);
        if !i.preferred_time.is_empty() {
            message.push_str(&format!("Horario preferido: {}\n", i.preferred_time));
        }
        message.push_str(&format!("\nTema:\n{}\n", i.topic));
        ValidFiling {
            input: FilingInput {
                anonymous: false,
                name: i.name,
                email: i.email,
                phone: i.phone,
                subject: subject(&i.topic),
                message,
                consent: true,
                ..Default::default()
            },
            kind: None,
            attachments: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> CallbackInput {
        CallbackInput { name: "Ana Pérez".into(), phone: "+57 310-555 1234".into(), topic: "Estado de mi título minero".into(), consent: true, ..Default::default() }
    }

    #[test]
    fn phone_is_7_to_15_digits_after_stripping() {
        assert_eq!(validate(good()).unwrap().phone_digits, "573105551234");
        for bad in ["123456", "1234567890123456", "310 555 12a4", ""] {
            let e = validate(CallbackInput { phone: bad.into(), ..good() }).unwrap_err();
            assert!(e.contains_key("phone"), "{bad}: {e:?}");
        }
        assert!(validate(CallbackInput { phone: "6014567".into(), ..good() }).is_ok());
    }

    #[test]
    fn every_problem_is_reported_in_spanish() {
        let e = validate(CallbackInput { email: "ana@@x".into(), website: "x".into(), ..Default::default() }).unwrap_err();
        for f in ["name", "phone", "email", "topic", "consent", "website"] {
            assert!(e.contains_key(f), "{f}: {e:?}");
        }
        assert!(e["consent"].contains("datos personales"));
        let long = validate(CallbackInput { topic: "x".repeat(2001), ..good() }).unwrap_err();
        assert!(long.contains_key("topic"));
    }

    #[test]
    fn the_filing_carries_phone_time_and_topic() {
        let v = validate(CallbackInput { preferred_time: "mañanas".into(), ..good() }).unwrap().into_filing();
        assert!(v.input.subject.starts_with("Te llamamos: Estado"));
        assert!(v.input.message.contains("mañanas") && v.input.message.contains("+57 310-555 1234"));
    }
}
