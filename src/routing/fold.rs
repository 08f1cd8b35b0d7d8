//! Text folding: lower case, accents stripped, whitespace collapsed.
//!
//! Every text the engine matches on goes through [`fold`] once, and every rule pattern goes
//! through [`fold_pattern`] once at load time. Matching folded text against folded patterns with
//! ASCII word boundaries (`(?-u:\b)`) keeps the `RegexSet` on the fast DFA path: Unicode `\b` on
//! Spanish text is two to three orders of magnitude slower (shared/STACK.md §7).
//!
//! [`Folded`] keeps, for every byte of the folded text, the byte offset of the character of the
//! original text it came from, so that a match can be shown as the citizen wrote it
//! ([`Folded::original_span`]).

/// A folded text and the map back to the original it was folded from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Folded {
    /// Lower-case, accent-free text; runs of whitespace are one space; no leading/trailing space.
    pub text: String,
    /// `map[i]` = byte offset in the original of the character that produced folded byte `i`.
    map: Vec<u32>,
}

impl Folded {
    /// The byte range of the original text that produced `folded[start..end]`.
    pub fn original_span(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        if self.map.is_empty() || start >= end || start >= self.map.len() {
            return (0, 0);
        }
        let end = end.min(self.map.len());
        let o_start = self.map[start] as usize;
        let last = self.map[end - 1] as usize;
        let o_end = original
            .get(last..)
            .and_then(|rest| rest.chars().next())
            .map_or(original.len(), |c| last + c.len_utf8());
        (o_start.min(original.len()), o_end.min(original.len()))
    }
}

/// Folds `s`: lower case, Spanish/Latin accents removed ("Minería" → "mineria", "Ñ" → "n"),
/// typographic quotes and dashes made ASCII, zero-width and control characters dropped, and every
/// run of whitespace turned into a single space.
pub(crate) fn fold(s: &str) -> Folded {
    let mut text = String::with_capacity(s.len());
    let mut map: Vec<u32> = Vec::with_capacity(s.len());
    let mut pending_space = false;
    for (offset, c) in s.char_indices() {
        let offset = offset as u32;
        if c.is_whitespace() {
            pending_space = !text.is_empty();
            continue;
        }
        let mut push = |t: &mut String, m: &mut Vec<u32>, piece: &str| {
            if pending_space {
                t.push(' ');
                m.push(offset);
                pending_space = false;
            }
            t.push_str(piece);
            m.extend(std::iter::repeat_n(offset, piece.len()));
        };
        if c.is_ascii() {
            if c.is_ascii_control() {
                continue;
            }
            // Fast path: one ASCII byte in, one out.
            if pending_space {
                text.push(' ');
                map.push(offset);
                pending_space = false;
            }
            text.push(c.to_ascii_lowercase());
            map.push(offset);
            continue;
        }
        match fold_char(c) {
            Fold::Drop => {}
            Fold::Str(piece) => push(&mut text, &mut map, piece),
            Fold::Keep => {
                let mut buf = [0u8; 4];
                for lc in c.to_lowercase() {
                    let piece: &str = lc.encode_utf8(&mut buf);
                    push(&mut text, &mut map, piece);
                }
            }
        }
    }
    Folded { text, map }
}

/// Folds a single non-ASCII character.
enum Fold {
    Drop,
    Str(&'static str),
    Keep,
}

fn fold_char(c: char) -> Fold {
    use Fold::*;
    match c {
        'á' | 'à' | 'ä' | 'â' | 'ã' | 'å' | 'ā' | 'ă' | 'ą' | 'Á' | 'À' | 'Ä' | 'Â' | 'Ã' | 'Å'
        | 'Ā' | 'Ă' | 'Ą' | 'ª' => Str("a"),
        'é' | 'è' | 'ë' | 'ê' | 'ē' | 'ė' | 'ę' | 'ě' | 'É' | 'È' | 'Ë' | 'Ê' | 'Ē' | 'Ė' | 'Ę'
        | 'Ě' => Str("e"),
        'í' | 'ì' | 'ï' | 'î' | 'ī' | 'į' | 'ı' | 'Í' | 'Ì' | 'Ï' | 'Î' | 'Ī' | 'Į' | 'İ' => {
            Str("i")
        }
        'ó' | 'ò' | 'ö' | 'ô' | 'õ' | 'ø' | 'ō' | 'ő' | 'Ó' | 'Ò' | 'Ö' | 'Ô' | 'Õ' | 'Ø' | 'Ō'
        | 'Ő' | 'º' | '°' => Str("o"),
        'ú' | 'ù' | 'ü' | 'û' | 'ū' | 'ů' | 'ű' | 'ų' | 'Ú' | 'Ù' | 'Ü' | 'Û' | 'Ū' | 'Ů' | 'Ű'
        | 'Ų' => Str("u"),
        'ñ' | 'Ñ' | 'ń' | 'Ń' | 'ň' | 'Ň' => Str("n"),
        'ç' | 'Ç' | 'ć' | 'Ć' | 'č' | 'Č' => Str("c"),
        'ý' | 'ÿ' | 'Ý' | 'Ÿ' => Str("y"),
        'š' | 'Š' | 'ś' | 'Ś' => Str("s"),
        'ž' | 'Ž' | 'ź' | 'Ź' | 'ż' | 'Ż' => Str("z"),
        'ł' | 'Ł' => Str("l"),
        'ř' | 'Ř' => Str("r"),
        'ď' | 'Ď' | 'ð' | 'Ð' => Str("d"),
        'ť' | 'Ť' => Str("t"),
        'ß' => Str("ss"),
        'æ' | 'Æ' => Str("ae"),
        'œ' | 'Œ' => Str("oe"),
        '“' | '”' | '„' | '«' | '»' | '″' => Str("\""),
        '‘' | '’' | '‚' | '‹' | '›' | '′' | '´' | '`' => Str("'"),
        '–' | '—' | '‐' | '‑' | '‒' | '―' | '−' => Str("-"),
        '…' => Str("..."),
        '•' | '·' | '▪' | '●' => Str("*"),
        // Inverted marks open a question or exclamation; dropping them keeps words apart anyway.
        '¿' | '¡' => Drop,
        // Combining accents (decomposed text), zero-width characters, soft hyphen, BOM.
        '\u{0300}'..='\u{036f}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}' => {
            Drop
        }
        c if c.is_control() => Drop,
        _ => Keep,
    }
}

/// Folds a rule's regular expression the way [`fold`] folds text, and makes its Perl classes
/// ASCII: `\b` → `(?-u:\b)`, `\d` → `[0-9]`, `\w` → `[0-9a-z_]`, `\s` → ASCII white space (and the
/// negated forms). Escaped characters and `(?flags)` are kept as written; literal characters are
/// lower-cased and stripped of accents, so `Minería` in a pattern matches "MINERIA" in a mail.
pub(crate) fn fold_pattern(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 16);
    let mut chars = p.chars().peekable();
    let mut class_depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let inside = class_depth > 0;
                let rewritten = match (e, inside) {
                    ('b', false) => Some("(?-u:\\b)"),
                    ('B', false) => Some("(?-u:\\B)"),
                    ('d', false) => Some("[0-9]"),
                    ('d', true) => Some("0-9"),
                    ('D', false) => Some("[^0-9]"),
                    ('w', false) => Some("[0-9a-z_]"),
                    ('w', true) => Some("0-9a-z_"),
                    ('W', false) => Some("[^0-9a-z_]"),
                    ('s', false) => Some("[\\t\\n\\x0B\\x0C\\r ]"),
                    ('s', true) => Some("\\t\\n\\x0B\\x0C\\r "),
                    ('S', false) => Some("[^\\t\\n\\x0B\\x0C\\r ]"),
                    _ => None,
                };
                match rewritten {
                    Some(r) => out.push_str(r),
                    None => {
                        out.push('\\');
                        out.push(e);
                        // \p{..}, \x{..}, \u{..}: copy the braces verbatim.
                        if matches!(e, 'p' | 'P' | 'x' | 'u' | 'U') && chars.peek() == Some(&'{') {
                            for b in chars.by_ref() {
                                out.push(b);
                                if b == '}' {
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            '(' if chars.peek() == Some(&'?') => {
                // Group flags such as (?U) or (?i-u:...) keep their case.
                out.push('(');
                for f in chars.by_ref() {
                    out.push(f);
                    if matches!(f, ':' | ')' | '<' | '\'') {
                        break;
                    }
                }
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                // A ']' right after '[' or '[^' is a literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => match fold_char(c) {
                Fold::Drop => {}
                // Only single characters may replace a character inside a class.
                Fold::Str(s) if class_depth > 0 && s.len() > 1 => out.push(c),
                Fold::Str(s) => out.push_str(&regex::escape(s)),
                Fold::Keep => out.extend(c.to_lowercase()),
            },
        }
    }
    out
}

/// Compiles a `words` list into one pattern: each entry is a word or phrase matched whole
/// (ASCII word boundaries on the folded text); a trailing `*` matches any word ending
/// (`denunci*` → denuncia, denuncio, denunciar). Spaces inside a phrase match any white space.
pub(crate) fn words_pattern(words: &[String]) -> String {
    let mut alts = Vec::with_capacity(words.len());
    for w in words {
        let folded = fold(w.trim()).text;
        let (stem, wildcard) = match folded.strip_suffix('*') {
            Some(s) => (s.trim_end(), true),
            None => (folded.as_str(), false),
        };
        if stem.is_empty() {
            continue;
        }
        let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii();
        let mut alt = String::new();
        if stem.chars().next().is_some_and(is_word) {
            alt.push_str("(?-u:\\b)");
        }
        alt.push_str(&regex::escape(stem));
        if wildcard {
            alt.push_str("[0-9a-z_]*");
        }
        if wildcard || stem.chars().last().is_some_and(is_word) {
            alt.push_str("(?-u:\\b)");
        }
        alts.push(alt);
    }
    if alts.is_empty() {
        // Matches nothing: an empty list is rejected at validation, this is only defensive.
        return "[^\\s\\S]".to_string();
    }
    format!("(?:{})", alts.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_lowercases_strips_accents_and_collapses_spaces() {
        let f = fold("  Agencia Nacional de MINERÍA:\n\n  Ñandú – «Güera»  ");
        assert_eq!(f.text, "agencia nacional de mineria: nandu - \"guera\"");
    }

    #[test]
    fn folding_drops_inverted_marks_and_zero_width_characters() {
        assert_eq!(fold("¿Me pueden\u{200b} informar?").text, "me pueden informar?");
        // Decomposed accent (e + combining acute).
        assert_eq!(fold("cesio\u{301}n").text, "cesion");
    }

    #[test]
    fn folded_offsets_map_back_to_the_original() {
        let original = "Solicito  la cesión de  derechos";
        let f = fold(original);
        let start = f.text.find("cesion de derechos").unwrap();
        let (s, e) = f.original_span(original, start, start + "cesion de derechos".len());
        assert_eq!(&original[s..e], "cesión de  derechos");
    }

    #[test]
    fn patterns_fold_literals_but_keep_escapes_and_flags() {
        assert_eq!(fold_pattern("Minería"), "mineria");
        assert_eq!(fold_pattern(r"\bPTO\b"), r"(?-u:\b)pto(?-u:\b)");
        assert_eq!(fold_pattern(r"[\dA-Z]"), "[0-9a-z]");
        assert_eq!(fold_pattern(r"(?U)a+\D"), "(?U)a+[^0-9]");
        assert_eq!(fold_pattern(r"c[ée]dula"), "c[ee]dula");
        assert_eq!(fold_pattern(r"\p{Greek}"), r"\p{Greek}");
    }

    #[test]
    fn words_become_whole_word_alternations() {
        let re = regex::Regex::new(&words_pattern(&["minería ilegal".into(), "denunci*".into()]))
            .unwrap();
        assert!(re.is_match("hay mineria ilegal aqui"));
        assert!(re.is_match("quiero denunciar"));
        assert!(!re.is_match("la mineria ilegalizada"));
        assert!(!re.is_match("predenuncia"));
        let re = regex::Regex::new(&words_pattern(&["s.a.s.".into()])).unwrap();
        assert!(re.is_match("carbones s.a.s. nit"));
    }
}
