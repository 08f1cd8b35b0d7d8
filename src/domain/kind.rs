//! The closed vocabularies of a PQRS case: channel, kind (fixed by law) and status.
//! Departments are not here: they are data (`rules/departments.toml`), so another entity can
//! bring its own list.

use serde::{Deserialize, Serialize};

/// The methods and conversions every code enum shares. strum derives the parsing
/// (`EnumString`), the code (`IntoStaticStr`, `Display`, `serialize_all = "snake_case"`), the
/// Spanish label (`EnumMessage`, `#[strum(message = ...)]`) and the list of values
/// (`VariantArray`); this only adds the project's names for them and the diesel/text glue.
macro_rules! code_enum {
    ($($name:ident),+ $(,)?) => {$(
        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = <$name as strum::VariantArray>::VARIANTS;
            /// The stable code stored in the database and used in the API.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
            /// The Spanish label shown to people.
            pub fn label(self) -> &'static str {
                strum::EnumMessage::get_message(&self).unwrap_or_else(|| self.as_str())
            }
            /// Parse a stable code.
            pub fn parse(s: &str) -> Option<$name> {
                s.parse().ok()
            }
        }

        /// Read from a text column (`#[diesel(deserialize_as = String)]`): an unknown code is an
        /// error, not a silent default.
        impl TryFrom<String> for $name {
            type Error = UnknownCode;
            fn try_from(s: String) -> Result<$name, UnknownCode> {
                $name::parse(&s).ok_or(UnknownCode { what: stringify!($name), code: s })
            }
        }

        /// Written to a text column (`#[diesel(serialize_as = String)]`).
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_string()
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
    )+};
}

/// A stored code that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} code `{code}`")]
pub struct UnknownCode {
    pub what: &'static str,
    pub code: String,
}

/// Where a PQRS came in (DESIGN.md §2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize,
    strum::EnumString, strum::IntoStaticStr, strum::Display, strum::EnumMessage, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Channel {
    #[strum(message = "Correo de contacto")]
    CorreoContacto,
    #[strum(message = "Radicador Web")]
    RadicadorWeb,
    #[strum(message = "Presencial")]
    Presencial,
    #[strum(message = "Telefónico")]
    Telefonico,
    #[strum(message = "Te llamamos")]
    TeLlamamos,
}

/// The PQRS kinds; their terms come from `rules/terms.toml`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize,
    strum::EnumString, strum::IntoStaticStr, strum::Display, strum::EnumMessage, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PetitionKind {
    #[strum(message = "Petición general")]
    PeticionGeneral,
    #[strum(message = "Petición de documentos o información")]
    PeticionDocumentos,
    #[strum(message = "Consulta")]
    Consulta,
    #[strum(message = "Queja")]
    Queja,
    #[strum(message = "Reclamo")]
    Reclamo,
    #[strum(message = "Sugerencia")]
    Sugerencia,
    #[strum(message = "Denuncia")]
    Denuncia,
    #[strum(message = "Petición entre autoridades")]
    EntreAutoridades,
    #[strum(message = "Felicitación")]
    Felicitacion,
}

/// The life of a case (DESIGN.md §2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize,
    strum::EnumString, strum::IntoStaticStr, strum::Display, strum::EnumMessage, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum CaseStatus {
    #[strum(message = "Radicado")]
    Radicado,
    #[strum(message = "Asignado")]
    Asignado,
    #[strum(message = "En trámite")]
    EnTramite,
    #[strum(message = "En requerimiento al ciudadano")]
    Requerimiento,
    #[strum(message = "Respondido")]
    Respondido,
    #[strum(message = "Cerrado")]
    Cerrado,
    #[strum(message = "Trasladado")]
    Trasladado,
    #[strum(message = "Anulado")]
    Anulado,
}

/// The PQRS kind codes, in the order of [`PetitionKind::ALL`]: the one list that the deadline
/// terms (`rules/terms.toml`) and the routing rules validate against.
pub const KIND_CODES: [&str; 9] = [
    "peticion_general",
    "peticion_documentos",
    "consulta",
    "queja",
    "reclamo",
    "sugerencia",
    "denuncia",
    "entre_autoridades",
    "felicitacion",
];

/// Where an outgoing mail stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize,
    strum::EnumString, strum::IntoStaticStr, strum::Display, strum::EnumMessage, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum OutboxStatus {
    #[strum(message = "Pendiente")]
    Pending,
    #[strum(message = "Enviándose")]
    Sending,
    #[strum(message = "Enviado")]
    Sent,
    #[strum(message = "Fallido")]
    Failed,
    // Cancelled: never sent, the case was annulled before its sender took it (the sender
    // only claims `pending` and `sending` rows).
    #[strum(message = "Anulado")]
    Cancelled,
}

/// What a staff user or token may do (`crate::auth`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize,
    strum::EnumString, strum::IntoStaticStr, strum::Display, strum::EnumMessage, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    #[strum(message = "Administración")]
    Admin,
    #[strum(message = "Triage")]
    Triage,
    #[strum(message = "Dependencia")]
    Department,
    #[strum(message = "Reportes")]
    Report,
}

/// How a case ended (`cases.outcome`), for the Ley 1712 figures: answered (art. 14), denied
/// with its legal basis (arts. 24-25), transferred (art. 21), tacit desistimiento (art. 17),
/// express desistimiento (art. 18), rejected as disrespectful (art. 19), archived when an unclear
/// petition was not clarified (art. 19), annulled (counted apart).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize,
    strum::EnumString, strum::IntoStaticStr, strum::Display, strum::EnumMessage, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    #[strum(message = "Respondida")]
    Respondida,
    #[strum(message = "Negada")]
    Denegada,
    #[strum(message = "Trasladada por competencia")]
    Trasladada,
    #[strum(message = "Desistimiento tácito")]
    DesistimientoTacito,
    #[strum(message = "Desistimiento expreso")]
    DesistimientoExpreso,
    #[strum(message = "Rechazada")]
    Rechazada,
    #[strum(message = "Archivada sin aclarar (art. 19)")]
    Archivada,
    #[strum(message = "Anulada")]
    Anulada,
}

/// Why a case has priority (art. 20, Ley 1755 de 2015; art. 13 for the subjects of special
/// protection).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize,
    strum::EnumString, strum::IntoStaticStr, strum::Display, strum::EnumMessage, strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PriorityReason {
    #[strum(message = "Derecho fundamental (perjuicio irremediable)")]
    DerechoFundamental,
    #[strum(message = "Niña, niño o adolescente")]
    Menor,
    #[strum(message = "Persona con discapacidad")]
    Discapacidad,
    #[strum(message = "Adulto mayor")]
    AdultoMayor,
    #[strum(message = "Periodista en ejercicio")]
    Periodista,
    #[strum(message = "Otro sujeto de especial protección")]
    Otro,
}

code_enum!(Channel, PetitionKind, CaseStatus, OutboxStatus, Role, Outcome, PriorityReason);

impl CaseStatus {
    /// A case still in the hands of the entity (its clock matters).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseStatus::Radicado | CaseStatus::Asignado | CaseStatus::EnTramite | CaseStatus::Requerimiento
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for k in PetitionKind::ALL {
            assert_eq!(PetitionKind::parse(k.as_str()), Some(*k));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(*c));
        }
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(PetitionKind::ALL.len(), 9);
        assert_eq!(PetitionKind::parse("nope"), None);
    }

    #[test]
    fn kind_codes_are_the_enum_codes() {
        let codes: Vec<&str> = PetitionKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(codes, KIND_CODES.to_vec());
    }

    /// The codes are database values: strum's `serialize_all` and serde's `rename_all` must both
    /// give exactly these, in this order, or stored rows stop reading back.
    #[test]
    fn stored_codes_are_unchanged() {
        fn codes<T: Copy + Into<&'static str> + Serialize>(all: &[T]) -> Vec<&'static str> {
            for v in all {
                let code: &'static str = (*v).into();
                assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{code}\""), "serde and strum differ");
            }
            all.iter().map(|v| (*v).into()).collect()
        }
        assert_eq!(codes(Channel::ALL), ["correo_contacto", "radicador_web", "presencial", "telefonico", "te_llamamos"]);
        assert_eq!(codes(PetitionKind::ALL), KIND_CODES);
        assert_eq!(
            codes(CaseStatus::ALL),
            ["radicado", "asignado", "en_tramite", "requerimiento", "respondido", "cerrado", "trasladado", "anulado"]
        );
        assert_eq!(codes(OutboxStatus::ALL), ["pending", "sending", "sent", "failed", "cancelled"]);
        assert_eq!(codes(Role::ALL), ["admin", "triage", "department", "report"]);
        assert_eq!(
            codes(Outcome::ALL),
            [
                "respondida",
                "denegada",
                "trasladada",
                "desistimiento_tacito",
                "desistimiento_expreso",
                "rechazada",
                "archivada",
                "anulada"
            ]
        );
        assert_eq!(
            codes(PriorityReason::ALL),
            ["derecho_fundamental", "menor", "discapacidad", "adulto_mayor", "periodista", "otro"]
        );
    }

    #[test]
    fn labels_display_and_unknown_codes() {
        assert_eq!(PetitionKind::PeticionDocumentos.label(), "Petición de documentos o información");
        assert_eq!(OutboxStatus::Cancelled.label(), "Anulado");
        assert_eq!(Outcome::Archivada.label(), "Archivada sin aclarar (art. 19)");
        for s in CaseStatus::ALL {
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(CaseStatus::EnTramite.to_string(), "en_tramite");
        assert!(Role::ALL.iter().all(|r| strum::EnumMessage::get_message(r).is_some()));
        assert_eq!(
            Channel::try_from("fax".to_string()),
            Err(UnknownCode { what: "Channel", code: "fax".into() })
        );
        assert_eq!(Channel::try_from("te_llamamos".to_string()), Ok(Channel::TeLlamamos));
        assert_eq!(String::from(Role::Report), "report");
        assert!(CaseStatus::Cerrado == "cerrado");
        // Parsing is exact: no case folding, no labels.
        assert_eq!(CaseStatus::parse("Cerrado"), None);
        assert_eq!(CaseStatus::parse("En trámite"), None);
    }

    #[test]
    fn serde_uses_the_codes() {
        assert_eq!(serde_json::to_string(&PetitionKind::EntreAutoridades).unwrap(), "\"entre_autoridades\"");
        assert_eq!(serde_json::from_str::<Channel>("\"radicador_web\"").unwrap(), Channel::RadicadorWeb);
    }
}
