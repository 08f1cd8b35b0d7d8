//! Splits a mail body into the citizen's own words, the signature block and quoted text.
//!
//! Rules look at the generic `text` field at full weight only in the subject and the citizen's
//! own words; a rule that needs the signature or quoted text (an earlier reply of ours, a forwarded
//! mail) to match counts at a reduced priority (see `mod.rs`). The split is a heuristic over lines:
//!
//! - quoted: lines starting with `>`, and everything from a reply header on ("El … escribió:",
//!   "On … wrote:", "-----Mensaje original-----", an Outlook "De: … Enviado:" block);
//! - signature: what follows a `-- ` line, or a closing formula ("Atentamente,", "Cordialmente,",
//!   "Gracias,", …) near the end, or else a short last paragraph of short lines (name, title,
//!   phone) when the text has more than one paragraph.

use std::sync::OnceLock;

use regex::Regex;

use super::fold::fold;

/// The body split into zones (owned, unfolded text).
#[derive(Debug, Default, Clone)]
pub(crate) struct BodyZones {
    pub own: String,
    pub signature: String,
    pub quoted: String,
}

struct Patterns {
    reply_one_line: Regex,
    reply_start: Regex,
    reply_end: Regex,
    separator: Regex,
    header_from: Regex,
    header_next: Regex,
    closing: Regex,
    greeting: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        // These are fixed, tested patterns: a failure here is a programming error caught by the
        // unit tests, never input-dependent.
        let re = |s: &str| Regex::new(s).expect("built-in zone pattern");
        Patterns {
            reply_one_line: re(r"^(?:el|on|le|em|am) .{0,250}(?:escribio|wrote|a ecrit|escreveu|schrieb) ?:?$"),
            reply_start: re(r"^(?:el|on|le) .{0,200}(?:[0-9]{1,2}:[0-9]{2}|20[0-9]{2})"),
            reply_end: re(r"^.{0,200}(?:escribio|wrote|a ecrit) ?:?$"),
            separator: re(r"^-{2,} ?(?:mensaje original|original message|mensaje reenviado|forwarded message|message d'origine|reenviado)"),
            header_from: re(r"^\*?(?:de|from) ?\*? ?:"),
            header_next: re(r"^\*?(?:enviado(?: el)?|sent|fecha|date|para|to|asunto|subject) ?\*? ?:"),
            greeting: re(r"^(?:buen[oa]s? (?:dias|tardes|noches)|buen dia|hola|saludos|cordial saludo|un cordial saludo|senor|senora|senores|senoras|senorita|respetad[oa]s?|estimad[oa]s?|apreciad[oa]s?|doctor|doctora|dr|ingenier[oa]|a quien corresponde|agencia nacional de mineria|anm|ciudad|e\.? ?s\.? ?d|referencia|ref|asunto)\b"),
            closing: re(r"^(?:atentamente|cordialmente|cordial saludo|saludos(?: cordiales)?|un (?:cordial )?saludo|gracias|muchas gracias|mil gracias|gracias por (?:su|la) atencion|quedo atent[oa]|quedamos atent[oa]s|respetuosamente|un abrazo|agradezco (?:su|la) atencion|bendiciones|se despide|sin otro particular)[ ,.!]*(?:y (?:saludos|bendiciones))?[ ,.!]*$"),
        }
    })
}

/// Splits `body` into own words, signature and quoted text.
pub(crate) fn split_body(body: &str) -> BodyZones {
    let p = patterns();
    let lines: Vec<&str> = body.lines().collect();
    let folded_at = |i: usize| lines.get(i).map(|l| fold(l).text).unwrap_or_default();

    // 1. The first reply header: everything from there on is quoted. Only lines that start like a
    //    header are folded and matched (cheap prefilter on the first bytes).
    let mut cut = lines.len();
    for i in 0..lines.len() {
        if !maybe_header(&lines, i) {
            continue;
        }
        let f = fold(lines[i]);
        let f = f.text.trim_start_matches('>').trim();
        let two_line = p.reply_start.is_match(f) && p.reply_end.is_match(folded_at(i + 1).trim());
        let outlook = (p.header_from.is_match(f)
            && (i + 1..lines.len().min(i + 6)).any(|j| p.header_next.is_match(&folded_at(j))))
            || (f.len() >= 8 && f.chars().all(|c| c == '_')
                && (i + 1..lines.len().min(i + 4)).any(|j| p.header_from.is_match(&folded_at(j))));
        if p.reply_one_line.is_match(f) || p.separator.is_match(f) || two_line || outlook {
            cut = i;
            break;
        }
    }

    let mut own_lines: Vec<&str> = Vec::new();
    let mut quoted = String::new();
    for line in &lines[..cut] {
        let t = line.trim_start();
        if let Some(q) = t.strip_prefix('>') {
            quoted.push_str(q.trim_start_matches(['>', ' ']));
            quoted.push('\n');
        } else {
            own_lines.push(line);
        }
    }
    for line in &lines[cut..] {
        quoted.push_str(line.trim_start().trim_start_matches(['>', ' ']));
        quoted.push('\n');
    }

    // 2. The signature inside the own lines.
    while own_lines.last().is_some_and(|l| l.trim().is_empty()) {
        own_lines.pop();
    }
    let sig_start = signature_start(&own_lines, p);
    let (own, sig) = own_lines.split_at(sig_start.unwrap_or(own_lines.len()));
    BodyZones { own: own.join("\n"), signature: sig.join("\n"), quoted }
}

/// Could line `i` start a reply header or separator? A cheap test on the raw text, so that only a
/// few lines are folded and matched: "El/On … escribió/wrote" (on this line or the next),
/// "--…", "___…", or "De:/From:" (an Outlook header block).
fn maybe_header(lines: &[&str], i: usize) -> bool {
    let Some(line) = lines.get(i) else { return false };
    let t = line.trim_start_matches(|c: char| c.is_whitespace() || c == '>' || c == '*');
    let lower = |s: &str| s.bytes().take(300).map(|b| b.to_ascii_lowercase()).collect::<Vec<u8>>();
    // Bytes, not a str slice: the 6th byte may fall inside a multi-byte character.
    let head: Vec<u8> = t.bytes().take(6).map(|b| b.to_ascii_lowercase()).collect();
    let starts = |p: &[u8]| head.starts_with(p);
    if starts(b"--") || starts(b"__") {
        return true;
    }
    if starts(b"de") || starts(b"from") {
        let rest = t[if starts(b"de") { 2 } else { 4 }..].trim_start_matches([' ', '*']);
        return rest.starts_with(':');
    }
    if starts(b"el ") || starts(b"on ") || starts(b"le ") || starts(b"em ") || starts(b"am ") {
        let has_verb = |s: &str| {
            let l = lower(s);
            l.windows(5).any(|w| w == b"escri" || w == b"wrote" || w == b"crit:" || w == b"schri" || w == b"creve")
        };
        return has_verb(line) || lines.get(i + 1).is_some_and(|n| has_verb(n));
    }
    false
}

fn signature_start(lines: &[&str], p: &Patterns) -> Option<usize> {
    let n = lines.len();
    if let Some(i) = lines.iter().position(|l| l.trim_end() == "--") {
        return Some(i);
    }
    // A closing formula alone on its line, among the last 14 lines, followed by at most 10 lines.
    let from = n.saturating_sub(14);
    for i in (from..n).rev() {
        // Closing formulas are short lines.
        if lines[i].len() > 60 || lines[i].trim().is_empty() {
            continue;
        }
        let f = fold(lines[i]).text;
        // "Cordial saludo." opening a letter is a greeting: a closing needs the citizen's own
        // words (not only greeting lines) before it.
        if p.closing.is_match(&f) && has_own_text(&lines[..i], p) {
            let rest = lines[i + 1..].iter().filter(|l| !l.trim().is_empty()).count();
            if rest <= 10 {
                return Some(i);
            }
        }
    }
    // A short last paragraph of short lines without questions (name, title, phone).
    let last_blank = lines.iter().rposition(|l| l.trim().is_empty())?;
    let para = &lines[last_blank + 1..];
    let has_text_before = lines[..last_blank].iter().any(|l| !l.trim().is_empty());
    let short = !para.is_empty()
        && para.len() <= 4
        && para.iter().all(|l| l.trim().chars().count() <= 60 && !l.contains('?'))
        && para.last().is_some_and(|l| !l.trim_end().ends_with(['.', ':']) || l.trim().len() < 25);
    (has_text_before && short).then_some(last_blank + 1)
}

/// Whether `lines` hold something besides blank lines and greeting / addressee lines.
fn has_own_text(lines: &[&str], p: &Patterns) -> bool {
    lines.iter().any(|l| {
        let t = l.trim();
        let greeting = t.len() <= 80 && p.greeting.is_match(&fold(t).text);
        !t.is_empty() && !greeting
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_reply_is_split_from_own_words() {
        let body = "Les vuelvo a escribir por el pago.\n\nGracias,\nAna Lucía Pabón\nC.C. 63.497.815\n\nEl vie, 27 feb 2026 a las 10:42, Agencia Nacional de Minería <contacto@anm.gov.co> escribió:\n> Respetada señora:\n> canon superficiario pendiente\n";
        let z = split_body(body);
        assert_eq!(z.own.trim(), "Les vuelvo a escribir por el pago.");
        assert!(z.signature.contains("Ana Lucía Pabón"));
        assert!(z.quoted.contains("canon superficiario"));
        assert!(!z.own.contains("canon"));
    }

    #[test]
    fn outlook_original_message_block_is_quoted() {
        let body = "Solicito revisar.\n\n-----Mensaje original-----\nDe: ANM [mailto:contacto@anm.gov.co]\nEnviado el: jueves\nAsunto: rechazo RUCOM\n\nSu solicitud fue rechazada.";
        let z = split_body(body);
        assert_eq!(z.own.trim(), "Solicito revisar.");
        assert!(z.quoted.contains("rechazada"));
        let body = "Adjunto.\n\nDe: Tesorería <t@anm.gov.co>\nEnviado: lunes\nPara: yo\n\nComprobante";
        assert!(split_body(body).quoted.contains("Comprobante"));
    }

    #[test]
    fn two_line_gmail_header_is_detected() {
        let body = "Mi respuesta.\n\nEl jue, 14 may 2026 a las 9:03, Tesorería ANM <contacto@anm.gov.co>\nescribió:\n> texto viejo";
        let z = split_body(body);
        assert_eq!(z.own.trim(), "Mi respuesta.");
        assert!(z.quoted.contains("texto viejo"));
    }

    #[test]
    fn closing_formula_starts_the_signature() {
        let z = split_body("Primer párrafo.\nSegunda línea.\n\nAtentamente,\n\nPersonera Municipal\nBuriticá");
        assert!(z.own.contains("Segunda línea."));
        assert!(z.signature.contains("Personera Municipal"));
    }

    #[test]
    fn a_closing_formula_used_as_greeting_does_not_start_the_signature() {
        let z = split_body("Cordial saludo.\n\nSolicito las cifras de accidentes en minas de carbón.\n\nAgradezco de antemano su colaboración.\n\nDiana Pulido");
        assert!(z.own.contains("cifras de accidentes"), "{z:?}");
        let z = split_body("Buenos días,\n\nCordial saludo,\n\nSolicito copia del expediente.\n\nAtentamente,\nAna");
        assert!(z.own.contains("copia del expediente"), "{z:?}");
        assert!(z.signature.contains("Ana"));
        let z = split_body("Buenos días,\nCordial saludo.\n\nSolicito copia del expediente de la propuesta, la necesito para el banco.");
        assert!(z.own.contains("copia del expediente"), "{z:?}");
    }

    #[test]
    fn short_last_paragraph_is_a_signature_but_a_single_paragraph_is_not() {
        let z = split_body("Texto de la petición, bastante largo.\n\nJhon Fredy Palacios\nCel. 315 000 8812");
        assert!(z.signature.contains("Jhon Fredy"));
        let z = split_body("donde quedan las oficinas de ustedes en Medellin?");
        assert!(z.signature.is_empty());
        assert!(z.own.contains("oficinas"));
        let z = split_body("Denuncio minería.\n\nNO DOY MI NOMBRE POR MIEDO, ESTO ES MUY GRAVE Y DEBEN ACTUAR.");
        assert!(z.signature.is_empty());
    }
}
