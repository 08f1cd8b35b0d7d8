//! Which outgoing mail has legal effect: the one place that decides it (proof of notification,
//! legal engine issue). A mail with legal effect that does not reach the citizen (a bounce, a
//! permanent SMTP refusal, attempts exhausted) puts its case back in front of staff as
//! "notificación fallida"; an acknowledgement that fails does not (CPACA asks for it to be sent,
//! not for proof that it arrived), nor does internal mail to staff.

/// Outbox purposes of acknowledgements (acuse de recibo, and the combined one a sender over the
/// per-sender limit gets): no legal effect of their own.
pub const ACKNOWLEDGEMENTS: [&str; 2] = ["acuse", "acuse_agrupado"];

/// The lifecycle's mails to the citizen today: the answer, the request to complete (art. 17),
/// the extension notice (art. 14 par.), the transfer notice (art. 21). Listed for reference and
/// tests; [`has_legal_effect`] does not depend on it, so a purpose the lifecycle adds later has
/// legal effect unless it is listed in [`ACKNOWLEDGEMENTS`].
pub const LIFECYCLE_NOTICES: [&str; 4] = ["respuesta", "requerimiento", "prorroga", "traslado"];

/// Whether an outgoing mail of `purpose` (internal = to staff) has legal effect for the citizen:
/// every mail to the citizen except acknowledgements.
pub fn has_legal_effect(purpose: &str, internal: bool) -> bool {
    !internal && !ACKNOWLEDGEMENTS.contains(&purpose)
}

/// The Spanish name of an outgoing mail's purpose, as staff see it.
pub fn purpose_label(purpose: &str) -> &str {
    match purpose {
        "acuse" => "Acuse de recibo",
        "acuse_agrupado" => "Acuse de recibo agrupado",
        "respuesta" => "Respuesta",
        "requerimiento" => "Requerimiento (completar la petición)",
        "prorroga" => "Aviso de prórroga",
        "traslado" => "Aviso de traslado por competencia",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_notices_have_legal_effect_and_acknowledgements_do_not() {
        for p in LIFECYCLE_NOTICES {
            assert!(has_legal_effect(p, false), "{p}");
            assert!(!has_legal_effect(p, true), "internal {p}");
        }
        for p in ACKNOWLEDGEMENTS {
            assert!(!has_legal_effect(p, false), "{p}");
        }
        // A purpose added later is a notice unless listed as an acknowledgement.
        assert!(has_legal_effect("desistimiento", false));
        assert!(!has_legal_effect("digest", true));
    }
}
