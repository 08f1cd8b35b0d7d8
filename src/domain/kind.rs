//! The closed vocabularies of a PQRS case: channel, kind (fixed by law) and status.
//! Departments are not here: they are data (`rules/departments.toml`), so another entity can
//! bring its own list.

use serde::{Deserialize, Serialize};

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $s:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable code stored in the database and used in the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            /// The Spanish label shown to people.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            /// Parse a stable code.
            pub fn parse(s: &str) -> Option<$name> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
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
    };
}

/// A stored code that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} code `{code}`")]
pub struct UnknownCode {
    pub what: &'static str,
    pub code: String,
}

str_enum! {
    /// Where a PQRS came in (DESIGN.md §2).
    Channel {
        CorreoContacto => "correo_contacto" / "Correo de contacto",
        RadicadorWeb => "radicador_web" / "Radicador Web",
        Presencial => "presencial" / "Presencial",
        Telefonico => "telefonico" / "Telefónico",
        TeLlamamos => "te_llamamos" / "Te llamamos",
    }
}

str_enum! {
    /// The PQRS kinds; their terms come from `rules/terms.toml`.
    PetitionKind {
        PeticionGeneral => "peticion_general" / "Petición general",
        PeticionDocumentos => "peticion_documentos" / "Petición de documentos o información",
        Consulta => "consulta" / "Consulta",
        Queja => "queja" / "Queja",
        Reclamo => "reclamo" / "Reclamo",
        Sugerencia => "sugerencia" / "Sugerencia",
        Denuncia => "denuncia" / "Denuncia",
        EntreAutoridades => "entre_autoridades" / "Petición entre autoridades",
        Felicitacion => "felicitacion" / "Felicitación",
    }
}

str_enum! {
    /// The life of a case (DESIGN.md §2).
    CaseStatus {
        Radicado => "radicado" / "Radicado",
        Asignado => "asignado" / "Asignado",
        EnTramite => "en_tramite" / "En trámite",
        Requerimiento => "requerimiento" / "En requerimiento al ciudadano",
        Respondido => "respondido" / "Respondido",
        Cerrado => "cerrado" / "Cerrado",
        Trasladado => "trasladado" / "Trasladado",
        Anulado => "anulado" / "Anulado",
    }
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

str_enum! {
    /// Where an outgoing mail stands.
    OutboxStatus {
        Pending => "pending" / "Pendiente",
        Sending => "sending" / "Enviándose",
        Sent => "sent" / "Enviado",
        Failed => "failed" / "Fallido",
        // Cancelled: never sent, the case was annulled before its sender took it (the sender
        // only claims `pending` and `sending` rows).
        Cancelled => "cancelled" / "Anulado",
    }
}

str_enum! {
    /// What a staff user or token may do (`crate::auth`).
    Role {
        Admin => "admin" / "Administración",
        Triage => "triage" / "Triage",
        Department => "department" / "Dependencia",
        Report => "report" / "Reportes",
    }
}

str_enum! {
    /// How a case ended (`cases.outcome`), for the Ley 1712 figures: answered (art. 14), denied
    /// with its legal basis (arts. 24-25), transferred (art. 21), tacit desistimiento (art. 17),
    /// express desistimiento (art. 18), rejected as disrespectful (art. 19), archived when an unclear
    /// petition was not clarified (art. 19), annulled (counted apart).
    Outcome {
        Respondida => "respondida" / "Respondida",
        Denegada => "denegada" / "Negada",
        Trasladada => "trasladada" / "Trasladada por competencia",
        DesistimientoTacito => "desistimiento_tacito" / "Desistimiento tácito",
        DesistimientoExpreso => "desistimiento_expreso" / "Desistimiento expreso",
        Rechazada => "rechazada" / "Rechazada",
        Archivada => "archivada" / "Archivada sin aclarar (art. 19)",
        Anulada => "anulada" / "Anulada",
    }
}

str_enum! {
    /// Why a case has priority (art. 20, Ley 1755 de 2015; art. 13 for the subjects of special
    /// protection).
    PriorityReason {
        DerechoFundamental => "derecho_fundamental" / "Derecho fundamental (perjuicio irremediable)",
        Menor => "menor" / "Niña, niño o adolescente",
        Discapacidad => "discapacidad" / "Persona con discapacidad",
        AdultoMayor => "adulto_mayor" / "Adulto mayor",
        Periodista => "periodista" / "Periodista en ejercicio",
        Otro => "otro" / "Otro sujeto de especial protección",
    }
}

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

    #[test]
    fn serde_uses_the_codes() {
        assert_eq!(serde_json::to_string(&PetitionKind::EntreAutoridades).unwrap(), "\"entre_autoridades\"");
        assert_eq!(serde_json::from_str::<Channel>("\"radicador_web\"").unwrap(), Channel::RadicadorWeb);
    }
}
