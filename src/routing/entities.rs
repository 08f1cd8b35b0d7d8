//! Identifiers and places found in a message (shared/DOMAIN.md §5), on folded text.
//!
//! The patterns are DOMAIN.md's, written for folded text (lower case, ASCII boundaries), with three
//! changes: the cédula keyword needs a word boundary ("acción" has no "c.c."), the AnnA expediente
//! also follows "solicitud", and a legacy numeric placa (`0366-68`) is taken only after a word
//! such as placa, título, licencia or contrato. A legacy-looking placa that is part of an acto
//! (`AUT-210-6090`) or of a longer code (`ANM-SAMC-007`) is not a placa.
//!
//! Municipalities and departamentos come from `rules/regions.toml` (see [`Regions`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use super::file::{RawMunicipio, RegionsFile};
use super::fold::{fold, words_pattern};

/// What was extracted. Values are normalised: placas and actos upper case, cédulas digits only,
/// NIT `999999999-9`, places by their names in `regions.toml`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Entities {
    pub placas: Vec<String>,
    pub expedientes: Vec<String>,
    pub radicados: Vec<String>,
    pub radicados_anna: Vec<String>,
    pub cedulas: Vec<String>,
    pub nits: Vec<String>,
    pub actos: Vec<String>,
    pub municipios: Vec<Place>,
    pub departamentos: Vec<String>,
    /// Code of the regional office (PAR) of the first place mentioned, e.g. "PAR-MEDELLIN".
    pub oficina_regional: Option<String>,
}

/// A municipality and where it belongs.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Place {
    pub municipio: String,
    pub departamento: String,
    pub oficina: String,
}

/// A regional office (PAR) from `regions.toml`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Office {
    pub code: String,
    pub name: String,
}

/// Entity kinds that rule conditions can test as `entity.<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntityKind {
    Placa,
    Expediente,
    Radicado,
    RadicadoAnna,
    Cedula,
    Nit,
    Acto,
    Municipio,
    Departamento,
    Oficina,
}

impl EntityKind {
    pub const NAMES: &'static [&'static str] = &[
        "placa", "expediente", "radicado", "radicado_anna", "cedula", "nit", "acto", "municipio",
        "departamento", "oficina",
    ];

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "placa" => Self::Placa,
            "expediente" => Self::Expediente,
            "radicado" => Self::Radicado,
            "radicado_anna" => Self::RadicadoAnna,
            "cedula" => Self::Cedula,
            "nit" => Self::Nit,
            "acto" => Self::Acto,
            "municipio" => Self::Municipio,
            "departamento" => Self::Departamento,
            "oficina" => Self::Oficina,
            _ => return None,
        })
    }

    /// The values of this kind, as strings.
    pub fn values<'a>(&self, e: &'a Entities) -> Vec<&'a str> {
        let strs = |v: &'a Vec<String>| v.iter().map(String::as_str).collect();
        match self {
            Self::Placa => strs(&e.placas),
            Self::Expediente => strs(&e.expedientes),
            Self::Radicado => strs(&e.radicados),
            Self::RadicadoAnna => strs(&e.radicados_anna),
            Self::Cedula => strs(&e.cedulas),
            Self::Nit => strs(&e.nits),
            Self::Acto => strs(&e.actos),
            Self::Municipio => e.municipios.iter().map(|p| p.municipio.as_str()).collect(),
            Self::Departamento => strs(&e.departamentos),
            Self::Oficina => e.oficina_regional.iter().map(String::as_str).collect(),
        }
    }
}

struct IdPatterns {
    acto: Regex,
    placa: Regex,
    legacy_placa: Regex,
    expediente: Regex,
    radicado_anna: Regex,
    radicado: Regex,
    cedula: Regex,
    nit: Regex,
}

fn id_patterns() -> &'static IdPatterns {
    static P: OnceLock<IdPatterns> = OnceLock::new();
    P.get_or_init(|| {
        // Fixed patterns, covered by the unit tests below.
        let re = |s: &str| Regex::new(s).expect("built-in entity pattern");
        IdPatterns {
            acto: re(r"(?-u:\b)(aut-[0-9]{3}-[0-9]+|gsc-z[cno] ?[0-9]{6}|ce-vct-giam-[0-9]{5})(?-u:\b)"),
            placa: re(r"(?-u:\b)([a-z]{2}[a-z0-9]-[0-9]{3,5}[a-z]?)(?-u:\b)"),
            legacy_placa: re(r"(?-u:\b)(?:placa|titulo|expediente|licencia|contrato|concesion|registro)[^0-9]{0,30}?(?-u:\b)([0-9]{3,5}-[0-9]{2})(?-u:\b)"),
            expediente: re(r"(?-u:\b)(?:placa|expediente|propuesta|solicitud)[^0-9]{0,15}([0-9]{6})(?-u:\b)"),
            radicado_anna: re(r"(?-u:\b)radicado[^0-9]{0,10}([0-9]{4,6}-[0-9])(?-u:\b)"),
            radicado: re(r"(?-u:\b)(20[0-9]{2}[0-9]{3}[0-9]{6,7}[123])(?-u:\b)"),
            cedula: re(r"(?-u:\b)(?:c\.? ?c\.?|cedula)[^0-9]{0,20}([0-9]{1,3}(?:\.[0-9]{3}){1,3}|[0-9]{6,10})(?-u:\b)"),
            nit: re(r"(?-u:\b)nit[^0-9]{0,8}([0-9]{3}\.?[0-9]{3}\.?[0-9]{3})(?: ?- ?([0-9])(?-u:\b))?"),
        }
    })
}

/// The place tables of `regions.toml`, compiled.
#[derive(Debug, Default)]
pub(crate) struct Regions {
    pub offices: Vec<Office>,
    places: Vec<Place>,
    /// folded municipality name → index in `places` (first definition wins).
    by_name: HashMap<String, usize>,
    /// folded departamento name → (name, office code).
    deptos: HashMap<String, (String, String)>,
    municipio_re: Option<Regex>,
    municipio_ctx_re: Option<Regex>,
    depto_re: Option<Regex>,
}

impl Regions {
    /// Builds the tables. Errors are messages about unknown office codes (the caller adds the
    /// file name and line).
    pub fn build(file: &RegionsFile, src: &str) -> Result<Regions, Vec<(usize, String)>> {
        let mut errors = Vec::new();
        let mut r = Regions::default();
        for o in &file.office {
            r.offices.push(Office { code: o.get_ref().code.get_ref().clone(), name: o.get_ref().name.clone() });
        }
        let office_known = |code: &str| r.offices.iter().any(|o| o.code == code);
        let mut plain = Vec::new();
        let mut ambiguous = Vec::new();
        let mut depto_plain = Vec::new();
        let mut depto_ambiguous = Vec::new();
        for d in &file.departamento {
            let d = d.get_ref();
            let office = d.office.get_ref().clone();
            if !office_known(&office) {
                errors.push((
                    super::file::line_of(src, d.office.span().start),
                    format!("departamento `{}`: unknown office `{office}`", d.name),
                ));
            }
            let fd = fold(&d.name).text;
            r.deptos.entry(fd.clone()).or_insert((d.name.clone(), office.clone()));
            if d.ambiguous { depto_ambiguous.push(fd) } else { depto_plain.push(fd) }
            for m in &d.municipios {
                let (name, amb, off) = match m {
                    RawMunicipio::Name(n) => (n.clone(), false, office.clone()),
                    RawMunicipio::Detail(x) => {
                        let off = x.office.clone().unwrap_or_else(|| office.clone());
                        if !office_known(&off) {
                            errors.push((
                                super::file::line_of(src, d.office.span().start),
                                format!("municipio `{}`: unknown office `{off}`", x.name),
                            ));
                        }
                        (x.name.clone(), x.ambiguous, off)
                    }
                };
                let fm = fold(&name).text;
                if fm.is_empty() || r.by_name.contains_key(&fm) {
                    continue;
                }
                r.by_name.insert(fm.clone(), r.places.len());
                r.places.push(Place { municipio: name, departamento: d.name.clone(), oficina: off });
                if amb { ambiguous.push(fm) } else { plain.push(fm) }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        // Longest names first so "la jagua de ibirico" wins over a shorter overlapping name.
        let alternation = |names: &mut Vec<String>| {
            names.sort_by_key(|n| std::cmp::Reverse(n.len()));
            words_pattern(names)
        };
        let compile = |p: String| Regex::new(&p).map_err(|e| vec![(0usize, e.to_string())]);
        if !plain.is_empty() {
            r.municipio_re = Some(compile(alternation(&mut plain))?);
        }
        if !ambiguous.is_empty() {
            let mut all_deptos: Vec<String> = r.deptos.keys().cloned().collect();
            let names = alternation(&mut ambiguous);
            let deptos = alternation(&mut all_deptos);
            r.municipio_ctx_re = Some(compile(format!(
                r"(?:municipios? (?:de )?|en el municipio de )({names})|({names}) ?[,(-] ?{deptos}"
            ))?);
        }
        let mut depto_alts = Vec::new();
        if !depto_plain.is_empty() {
            depto_alts.push(format!("({})", alternation(&mut depto_plain)));
        }
        if !depto_ambiguous.is_empty() {
            let amb = alternation(&mut depto_ambiguous);
            depto_alts.push(format!(r"departamento (?:de |del )?({amb})|\(({amb})\)"));
        }
        if !depto_alts.is_empty() {
            r.depto_re = Some(compile(depto_alts.join("|"))?);
        }
        Ok(r)
    }

    /// `run` = which of (municipio, municipio in context, departamento) regexes to run.
    fn find_places(&self, folded: &str, out: &mut Entities, run: [bool; 3]) {
        let mut found: Vec<(usize, usize)> = Vec::new(); // (position, place index)
        if let Some(re) = self.municipio_re.as_ref().filter(|_| run[0]) {
            for m in re.find_iter(folded) {
                if let Some(&i) = self.by_name.get(m.as_str()) {
                    found.push((m.start(), i));
                }
            }
        }
        if let Some(re) = self.municipio_ctx_re.as_ref().filter(|_| run[1]) {
            for c in re.captures_iter(folded) {
                let Some(m) = c.get(1).or_else(|| c.get(2)) else { continue };
                let Some(&i) = self.by_name.get(m.as_str()) else { continue };
                // "X, <departamento>" only counts when it is X's own departamento.
                if c.get(2).is_some() {
                    let tail = &folded[m.end()..c.get(0).map_or(m.end(), |w| w.end())];
                    let dep = fold(&self.places[i].departamento).text;
                    if !tail.contains(&dep) {
                        continue;
                    }
                }
                found.push((m.start(), i));
            }
        }
        found.sort_unstable();
        for (_, i) in found {
            let p = &self.places[i];
            if !out.municipios.iter().any(|q| q.municipio == p.municipio) {
                out.municipios.push(p.clone());
            }
        }
        if let Some(re) = self.depto_re.as_ref().filter(|_| run[2]) {
            for c in re.captures_iter(folded) {
                let Some(m) = c.iter().skip(1).flatten().next() else { continue };
                if let Some((name, _)) = self.deptos.get(m.as_str()) {
                    if !out.departamentos.contains(name) {
                        out.departamentos.push(name.clone());
                    }
                }
            }
        }
    }
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

const T_ACTO: usize = 0;
const T_PLACA: usize = 1;
const T_LEGACY: usize = 2;
const T_EXPEDIENTE: usize = 3;
const T_RADICADO_ANNA: usize = 4;
const T_RADICADO: usize = 5;
const T_CEDULA: usize = 6;
const T_NIT: usize = 7;
const T_MUNICIPIO: usize = 8;
const T_MUNICIPIO_CTX: usize = 9;
const T_DEPTO: usize = 10;

/// The entity patterns, to be added to the engine's `RegexSet`: the set pass tells which kinds
/// of entity occur in which text, and only those capture regexes run. A region regex that does
/// not exist is replaced by a pattern that never matches.
pub(crate) fn trigger_patterns(regions: &Regions) -> Vec<String> {
    let p = id_patterns();
    let re = |r: &Option<Regex>| r.as_ref().map_or_else(|| r"[^\s\S]".to_string(), |r| r.as_str().to_string());
    vec![
        p.acto.as_str().to_string(),
        p.placa.as_str().to_string(),
        p.legacy_placa.as_str().to_string(),
        p.expediente.as_str().to_string(),
        p.radicado_anna.as_str().to_string(),
        p.radicado.as_str().to_string(),
        p.cedula.as_str().to_string(),
        p.nit.as_str().to_string(),
        re(&regions.municipio_re),
        re(&regions.municipio_ctx_re),
        re(&regions.depto_re),
    ]
}

/// Extracts entities from folded texts, in order of importance (subject and own words first).
/// `hit(text, trigger)` says whether a trigger pattern matched that text (`&|_, _| true` runs all).
pub(crate) fn extract(texts: &[&str], regions: &Regions, hit: &dyn Fn(usize, usize) -> bool) -> Entities {
    let p = id_patterns();
    let mut e = Entities::default();
    for (zone, &t) in texts.iter().enumerate() {
        let on = |k: usize| hit(zone, k);
        let mut acto_spans = Vec::new();
        for c in p.acto.captures_iter(if on(T_ACTO) { t } else { "" }) {
            if let Some(m) = c.get(1) {
                acto_spans.push(m.range());
                push_unique(&mut e.actos, m.as_str().to_ascii_uppercase().replace(' ', ""));
            }
        }
        for c in p.placa.captures_iter(if on(T_PLACA) { t } else { "" }) {
            let Some(m) = c.get(1) else { continue };
            let inside_acto = acto_spans.iter().any(|r| r.start <= m.start() && m.end() <= r.end);
            let before = t[..m.start()].chars().last();
            let after = t[m.end()..].chars().next();
            let glued = before.is_some_and(|b| b == '-' || b.is_ascii_alphanumeric())
                || after.is_some_and(|a| a == '-');
            if !inside_acto && !glued {
                push_unique(&mut e.placas, m.as_str().to_ascii_uppercase());
            }
        }
        for c in p.legacy_placa.captures_iter(if on(T_LEGACY) { t } else { "" }) {
            if let Some(m) = c.get(1) {
                push_unique(&mut e.placas, m.as_str().to_string());
            }
        }
        for c in p.expediente.captures_iter(if on(T_EXPEDIENTE) { t } else { "" }) {
            if let Some(m) = c.get(1) {
                push_unique(&mut e.expedientes, m.as_str().to_string());
            }
        }
        for c in p.radicado_anna.captures_iter(if on(T_RADICADO_ANNA) { t } else { "" }) {
            if let Some(m) = c.get(1) {
                push_unique(&mut e.radicados_anna, m.as_str().to_string());
            }
        }
        for c in p.radicado.captures_iter(if on(T_RADICADO) { t } else { "" }) {
            if let Some(m) = c.get(1) {
                push_unique(&mut e.radicados, m.as_str().to_string());
            }
        }
        for c in p.cedula.captures_iter(if on(T_CEDULA) { t } else { "" }) {
            if let Some(m) = c.get(1) {
                push_unique(&mut e.cedulas, m.as_str().replace('.', ""));
            }
        }
        for c in p.nit.captures_iter(if on(T_NIT) { t } else { "" }) {
            if let Some(m) = c.get(1) {
                let digits = m.as_str().replace('.', "");
                let v = match c.get(2) {
                    Some(dv) => format!("{digits}-{}", dv.as_str()),
                    None => digits,
                };
                push_unique(&mut e.nits, v);
            }
        }
        let run = [on(T_MUNICIPIO), on(T_MUNICIPIO_CTX), on(T_DEPTO)];
        if run.iter().any(|&b| b) {
            regions.find_places(t, &mut e, run);
        }
    }
    e.oficina_regional = e.municipios.first().map(|p| p.oficina.clone()).or_else(|| {
        e.departamentos
            .first()
            .and_then(|d| regions.deptos.get(&fold(d).text))
            .map(|(_, office)| office.clone())
    });
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Regions {
        let src = r#"
[[office]]
code = "PAR-MEDELLIN"
name = "PAR Medellín"
[[office]]
code = "PAR-NOBSA"
name = "PAR Nobsa"
[[departamento]]
name = "Antioquia"
office = "PAR-MEDELLIN"
municipios = ["Segovia", "Amagá", { name = "Remedios", ambiguous = true }]
[[departamento]]
name = "Boyacá"
office = "PAR-NOBSA"
municipios = ["Samacá", "Sogamoso"]
[[departamento]]
name = "Cesar"
office = "PAR-NOBSA"
ambiguous = true
"#;
        let f: RegionsFile = toml::from_str(src).unwrap();
        Regions::build(&f, src).unwrap()
    }

    fn ex(text: &str) -> Entities {
        let r = regions();
        let folded = fold(text).text;
        let all = extract(&[&folded], &r, &|_, _| true);
        // The trigger patterns agree with the extractors.
        let set = regex::RegexSet::new(trigger_patterns(&r)).unwrap();
        let m = set.matches(&folded);
        assert_eq!(extract(&[&folded], &r, &|_, k| m.matched(k)), all);
        all
    }

    #[test]
    fn placas_modern_and_legacy() {
        let e = ex("Contrato de Concesión No. JLC-16401 y título EL5-092, también JLC-16402X y la licencia 0366-68");
        assert_eq!(e.placas, vec!["JLC-16401", "EL5-092", "JLC-16402X", "0366-68"]);
    }

    #[test]
    fn actos_are_not_placas_and_long_codes_are_ignored() {
        let e = ex("En el AUT-210-6090 y la GSC-ZC 000123, proceso ANM-SAMC-007-2026, contrato 2026-0187");
        assert_eq!(e.actos, vec!["AUT-210-6090", "GSC-ZC000123"]);
        assert!(e.placas.is_empty(), "{:?}", e.placas);
    }

    #[test]
    fn nit_cedula_radicado_expediente() {
        let e = ex("NIT 802022622-5, NIT 900.633.418-6. C.C. 15.372.886 de Caucasia; cédula de ciudadanía No. 52847310. \
                    Radicado 20251200398821; expediente AnnA 512903; radicado 80678-0; la acción no es cc.");
        assert_eq!(e.nits, vec!["802022622-5", "900633418-6"]);
        assert_eq!(e.cedulas, vec!["15372886", "52847310"]);
        assert_eq!(e.radicados, vec!["20251200398821"]);
        assert_eq!(e.expedientes, vec!["512903"]);
        assert_eq!(e.radicados_anna, vec!["80678-0"]);
    }

    #[test]
    fn a_23_digit_judicial_number_is_not_a_radicado() {
        assert!(ex("TUTELA 05736408900220260012300").radicados.is_empty());
    }

    #[test]
    fn places_and_regional_office() {
        let e = ex("mina en la vereda El Cristo de Segovia; vivo en Samacá");
        assert_eq!(e.municipios.iter().map(|p| p.municipio.as_str()).collect::<Vec<_>>(), ["Segovia", "Samacá"]);
        assert_eq!(e.oficina_regional.as_deref(), Some("PAR-MEDELLIN"));
        // Ambiguous names need context.
        assert!(ex("no hay remedios para esto").municipios.is_empty());
        assert_eq!(ex("en el municipio de Remedios").municipios.len(), 1);
        assert_eq!(ex("Remedios, Antioquia").municipios.len(), 1);
        assert!(ex("Remedios, Boyacá").municipios.is_empty());
        assert!(ex("el señor Cesar Pérez").departamentos.is_empty());
        assert_eq!(ex("departamento del Cesar").departamentos, vec!["Cesar"]);
    }
}
