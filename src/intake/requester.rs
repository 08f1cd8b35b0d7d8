//! Who files, as MinTIC Res. 1519 de 2020 Anexo 2 asks an electronic PQRSD form to record: the
//! requester type (persona natural, persona jurídica with NIT and razón social, anónimo, niña,
//! niño o adolescente), the document, how the answer is to be received (e-mail, or a postal
//! address with municipio, departamento and país), the version of the data-protection notice the
//! citizen accepted (Ley 1581 de 2012), and the optional, statistics-only "enfoque diferencial"
//! fields. Pure functions: the checks run on the form and the filing API alike.

use serde::Serialize;

/// The version of the data-protection notice the form shows; stored on every filing that
/// accepted it. Change it whenever [`PRIVACY_NOTICE`] changes.
pub const PRIVACY_NOTICE_VERSION: &str = "2026-12-01";

/// The notice itself (Ley 1581 de 2012, Decreto 1377 de 2013).
pub const PRIVACY_NOTICE: &str = "Autorizo el tratamiento de mis datos personales para tramitar esta solicitud, \
    conforme a la Ley 1581 de 2012 y a la política de tratamiento de datos de la entidad. Puedo conocer, \
    actualizar, rectificar y suprimir mis datos, y revocar esta autorización, escribiendo a la entidad.";

/// `requester_type` codes and their labels.
pub const REQUESTER_TYPES: [(&str, &str); 4] = [
    ("natural", "Persona natural"),
    ("juridica", "Persona jurídica"),
    ("anonimo", "Anónimo"),
    ("nna", "Niña, niño o adolescente"),
];

/// `reply_by` codes and their labels.
pub const REPLY_BY: [(&str, &str); 2] = [("email", "Correo electrónico"), ("postal", "Correo postal (dirección física)")];

/// The optional statistics-only fields: (field, legend, [(code, label)]).
pub const DEMOGRAPHICS: [(&str, &str, &[(&str, &str)]); 5] = [
    (
        "ethnic_group",
        "Grupo étnico",
        &[
            ("indigena", "Indígena"),
            ("afrocolombiano", "Negro, afrocolombiano"),
            ("raizal", "Raizal"),
            ("palenquero", "Palenquero"),
            ("rrom", "Rrom (gitano)"),
            ("ninguno", "Ninguno"),
            ("prefiere_no_decir", "Prefiero no decirlo"),
        ],
    ),
    (
        "disability",
        "Discapacidad",
        &[
            ("ninguna", "Ninguna"),
            ("fisica", "Física"),
            ("visual", "Visual"),
            ("auditiva", "Auditiva"),
            ("intelectual", "Intelectual"),
            ("psicosocial", "Psicosocial"),
            ("multiple", "Múltiple"),
            ("prefiere_no_decir", "Prefiero no decirlo"),
        ],
    ),
    ("conflict_victim", "Víctima del conflicto armado", &[("si", "Sí"), ("no", "No"), ("prefiere_no_decir", "Prefiero no decirlo")]),
    (
        "gender",
        "Sexo o identidad de género",
        &[("mujer", "Mujer"), ("hombre", "Hombre"), ("no_binario", "No binario"), ("otro", "Otro"), ("prefiere_no_decir", "Prefiero no decirlo")],
    ),
    (
        "age_range",
        "Rango de edad",
        &[
            ("menor_18", "Menor de 18"),
            ("18_28", "18 a 28"),
            ("29_59", "29 a 59"),
            ("60_mas", "60 o más"),
            ("prefiere_no_decir", "Prefiero no decirlo"),
        ],
    ),
];

/// The label of a code in a list of (code, label).
pub fn label_of<'a>(list: &[(&'a str, &'a str)], code: &str) -> Option<&'a str> {
    list.iter().find(|(c, _)| *c == code).map(|(_, l)| *l)
}

/// The DIAN check digit of a NIT's base number (its digits without the check digit): weights 3, 7,
/// 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71 from the right, sum mod 11, and 11 minus the
/// remainder when it is 2 or more. `None` when the base is not 1 to 15 digits.
pub fn nit_check_digit(base: &str) -> Option<u32> {
    const WEIGHTS: [u32; 15] = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
    if base.is_empty() || base.len() > 15 || !base.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = base.bytes().rev().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    let r = sum % 11;
    Some(if r >= 2 { 11 - r } else { r })
}

/// A NIT written with its check digit (`900123456-7`, dots allowed): Ok when the digit is right.
pub fn check_nit(nit: &str) -> Result<(), &'static str> {
    let plain: String = nit.chars().filter(|c| *c != '.' && !c.is_whitespace()).collect();
    let Some((base, dv)) = plain.split_once('-') else {
        return Err("Escriba el NIT con su dígito de verificación, por ejemplo 900123456-7.");
    };
    let (Some(expected), Ok(given)) = (nit_check_digit(base), dv.parse::<u32>()) else {
        return Err("El NIT no es válido: solo números, un guion y el dígito de verificación.");
    };
    if dv.len() != 1 || expected != given {
        return Err("El dígito de verificación del NIT no corresponde al número.");
    }
    Ok(())
}

/// What is stored with a filing beyond the citizen's name, document, e-mail, phone and municipio.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RequesterDetails {
    pub requester_type: String,
    pub razon_social: Option<String>,
    pub reply_by: Option<String>,
    pub postal_address: Option<String>,
    pub region: Option<String>,
    pub country: Option<String>,
    /// The notice version accepted, when the citizen gave personal data.
    pub privacy_notice_version: Option<String>,
}

/// The statistics-only fields, stored apart from the case and never shown on it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Demographics {
    pub ethnic_group: Option<String>,
    pub disability: Option<String>,
    pub conflict_victim: Option<String>,
    pub gender: Option<String>,
    pub age_range: Option<String>,
}

impl Demographics {
    pub fn is_empty(&self) -> bool {
        *self == Demographics::default()
    }
}

/// Check and normalise the requester fields of a filing (after the common cleaning), reporting
/// each problem through `err(field, message)`. Defaults keep older clients working: no
/// `requester_type` is `natural` (or `anonimo` with `anonymous`); no `reply_by` is `email` when
/// an e-mail is given, `postal` when only an address is.
pub fn check(i: &mut crate::intake::web_form::FilingInput, err: &mut impl FnMut(&str, &str)) {
    i.requester_type = i.requester_type.to_ascii_lowercase();
    i.reply_by = i.reply_by.to_ascii_lowercase();
    if i.requester_type.is_empty() {
        i.requester_type = if i.anonymous { "anonimo" } else { "natural" }.into();
    }
    match i.requester_type.as_str() {
        "anonimo" => i.anonymous = true,
        t if label_of(&REQUESTER_TYPES, t).is_some() => {
            if i.anonymous {
                err("requester_type", "Una radicación anónima no lleva tipo de solicitante: elija «Anónimo» o quite la marca de anónima.");
            }
        }
        _ => err("requester_type", "Elija el tipo de solicitante: persona natural, persona jurídica, anónimo o niña, niño o adolescente."),
    }
    if i.requester_type == "juridica" {
        if i.razon_social.chars().count() < 2 {
            err("razon_social", "Escriba la razón social de la persona jurídica.");
        }
        if i.document_type != "NIT" {
            err("document_type", "Una persona jurídica se identifica con su NIT.");
        } else if let Err(m) = check_nit(&i.document_number) {
            err("document_number", m);
        }
    } else if !i.razon_social.is_empty() {
        err("razon_social", "La razón social es solo para personas jurídicas.");
    } else if i.document_type == "NIT" && i.document_number.contains('-') {
        if let Err(m) = check_nit(&i.document_number) {
            err("document_number", m);
        }
    }
    if i.reply_by.is_empty() {
        i.reply_by = if !i.email.is_empty() {
            "email"
        } else if !i.address.is_empty() {
            "postal"
        } else if !i.anonymous {
            "email"
        } else {
            ""
        }
        .into();
    }
    match i.reply_by.as_str() {
        "" | "email" => {
            if i.reply_by == "email" && i.anonymous && i.email.is_empty() {
                err("email", "Escriba el correo electrónico en el que quiere recibir la respuesta.");
            }
        }
        "postal" => {
            if i.address.chars().count() < 5 {
                err("address", "Escriba la dirección a la que se enviará la respuesta.");
            }
            if i.municipality.is_empty() {
                err("municipality", "Escriba el municipio de la dirección.");
            }
            if i.region.is_empty() {
                err("region", "Escriba el departamento de la dirección.");
            }
            if i.country.is_empty() {
                i.country = "Colombia".into();
            }
        }
        _ => err("reply_by", "Elija cómo quiere recibir la respuesta: correo electrónico o correo postal."),
    }
    for (field, _, options) in DEMOGRAPHICS {
        let v = demographic_mut(i, field);
        *v = v.to_ascii_lowercase();
        if !v.is_empty() && label_of(options, v).is_none() {
            err(field, "Elija una opción de la lista (o déjelo sin responder).");
        }
    }
}

fn demographic_mut<'a>(i: &'a mut crate::intake::web_form::FilingInput, field: &str) -> &'a mut String {
    match field {
        "ethnic_group" => &mut i.ethnic_group,
        "disability" => &mut i.disability,
        "conflict_victim" => &mut i.conflict_victim,
        "gender" => &mut i.gender,
        _ => &mut i.age_range,
    }
}

/// The value of one statistics-only field.
pub fn demographic<'a>(i: &'a crate::intake::web_form::FilingInput, field: &str) -> &'a str {
    match field {
        "ethnic_group" => &i.ethnic_group,
        "disability" => &i.disability,
        "conflict_victim" => &i.conflict_victim,
        "gender" => &i.gender,
        _ => &i.age_range,
    }
}

impl RequesterDetails {
    /// What a validated filing stores about its requester.
    pub fn of(i: &crate::intake::web_form::FilingInput) -> RequesterDetails {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let postal = i.reply_by == "postal";
        RequesterDetails {
            requester_type: i.requester_type.clone(),
            razon_social: opt(&i.razon_social),
            reply_by: opt(&i.reply_by),
            postal_address: opt(&i.address).filter(|_| postal),
            region: opt(&i.region).filter(|_| postal),
            country: opt(&i.country).filter(|_| postal),
            privacy_notice_version: i.consent.then(|| PRIVACY_NOTICE_VERSION.to_string()),
        }
    }
}

impl Demographics {
    pub fn of(i: &crate::intake::web_form::FilingInput) -> Demographics {
        let opt = |f: &str| Some(demographic(i, f).to_string()).filter(|s| !s.is_empty());
        Demographics {
            ethnic_group: opt("ethnic_group"),
            disability: opt("disability"),
            conflict_victim: opt("conflict_victim"),
            gender: opt("gender"),
            age_range: opt("age_range"),
        }
    }
}

fn schema_of(values: &[(&str, &str)], description: &str) -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(std::iter::once(String::new()).chain(values.iter().map(|(c, _)| c.to_string()))))
        .description(Some(description))
        .build()
}

pub fn requester_type_schema() -> utoipa::openapi::schema::Object {
    schema_of(&REQUESTER_TYPES, "Tipo de solicitante (Res. 1519 de 2020, Anexo 2); vacío: persona natural, o anónimo si `anonymous`")
}

pub fn reply_by_schema() -> utoipa::openapi::schema::Object {
    schema_of(&REPLY_BY, "Cómo recibir la respuesta; `postal` exige `address`, `municipality` y `region`")
}

pub fn ethnic_group_schema() -> utoipa::openapi::schema::Object {
    schema_of(DEMOGRAPHICS[0].2, "Opcional, solo con fines estadísticos")
}
pub fn disability_schema() -> utoipa::openapi::schema::Object {
    schema_of(DEMOGRAPHICS[1].2, "Opcional, solo con fines estadísticos")
}
pub fn conflict_victim_schema() -> utoipa::openapi::schema::Object {
    schema_of(DEMOGRAPHICS[2].2, "Opcional, solo con fines estadísticos")
}
pub fn gender_schema() -> utoipa::openapi::schema::Object {
    schema_of(DEMOGRAPHICS[3].2, "Opcional, solo con fines estadísticos")
}
pub fn age_range_schema() -> utoipa::openapi::schema::Object {
    schema_of(DEMOGRAPHICS[4].2, "Opcional, solo con fines estadísticos")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nit_check_digits_follow_dian() {
        // DIAN's own NIT 800.197.268-4; Bancolombia 890.903.938-8; Ecopetrol 899.999.068-1.
        assert_eq!(nit_check_digit("800197268"), Some(4));
        assert_eq!(nit_check_digit("890903938"), Some(8));
        assert_eq!(nit_check_digit("899999068"), Some(1));
        assert!(check_nit("800.197.268-4").is_ok());
        assert!(check_nit("800197268-5").is_err());
        assert!(check_nit("800197268").is_err(), "the check digit is required");
        assert!(check_nit("80019A268-4").is_err());
        assert_eq!(nit_check_digit(""), None);
        assert_eq!(nit_check_digit("1234567890123456"), None);
    }

    #[test]
    fn remainders_zero_and_one_are_the_digit_itself() {
        // Find bases whose weighted sum leaves 0 and 1: the digit is the remainder.
        let mut seen = [false; 2];
        for n in 1..2000u32 {
            let base = n.to_string();
            let sum: u32 = base.bytes().rev().zip([3u32, 7, 13, 17]).map(|(b, w)| u32::from(b - b'0') * w).sum();
            let r = (sum % 11) as usize;
            if r < 2 {
                assert_eq!(nit_check_digit(&base), Some(r as u32));
                seen[r] = true;
            }
        }
        assert!(seen[0] && seen[1]);
    }
}
