//! Routing: decides the department, PQRS kind, urgency and tags of a message from rule files.
//!
//! The rules are data (`rules/README.md` documents the format):
//! - `rules/departments.toml`: the departments (code, name, description, digest e-mail) and the
//!   fallback (triage) department;
//! - `rules/regions.toml`: municipalities and departamentos → regional office (PAR);
//! - `rules/routing/*.toml`: `[[rule]]` tables with an id, a priority, `when` conditions
//!   (`all` / `any` / `none` over fields, operators `regex`, `words`, `equals`, `in`, `present`) and
//!   `then` actions (department, kind, urgency, tags, stop, review);
//! - `rules/tests/`: example mails with their expected department and kind ([`run_rule_tests`]).
//!
//! How a message is routed ([`RuleSet::route`]):
//! 1. The body is split into the citizen's own words, signature and quoted text (`zones.rs`);
//!    each text is folded once (lower case, no accents, `fold.rs`).
//! 2. One `RegexSet` pass per text finds every rule pattern that occurs; entities (placa,
//!    expediente, radicado, cédula, NIT, acto, municipality → PAR) are extracted (`entities.rs`).
//! 3. Only the rules owning a pattern that hit (plus the few rules that need no pattern) are
//!    evaluated. The generic field `text` sees subject + own words; when a rule matches only if
//!    signature and quoted text are included, its priority counts at half ([`WEAK_DIVISOR`]);
//!    when the subject alone satisfies its text conditions, it gains [`SUBJECT_BONUS`] (the
//!    subject is the citizen's own summary of the matter).
//! 4. Matching rules are taken by effective priority, highest first (ties: file name, then order
//!    in the file); a rule with `stop = true` ends the walk (it still counts). The department and
//!    the kind are each decided in two steps (`decide`):
//!    - a *decisive* rule (own priority ≥ [`OVERRIDE_PRIORITY`], matched in subject or own words)
//!      decides alone, the first one walked;
//!    - otherwise evidence adds up: each department (kind) scores the effective priority of its
//!      best rule plus [`SUPPORT_PERCENT`] % of each further rule naming it; the highest score
//!      wins (ties: the one whose best rule comes first).
//!
//!    Urgency is the highest named; tags accumulate; `review` marks the decision when the best
//!    rule of the winning department asks for it.
//! 5. No department → the fallback department with `needs_review = true`; no kind →
//!    `peticion_general`.
//!
//! [`RuleSet::load_dir`] has no side effects: it returns a new set or every problem found, so a
//! caller can keep serving with the old set when a reload fails.

mod compile;
mod entities;
mod file;
mod fold;
mod rule_tests;
mod zones;

/// Fold a text the way the engine does (lower case, no accents, single spaces), for search.
pub fn fold_text(s: &str) -> String {
    fold::fold(s).text
}

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use compile::{
    Builder, Compiled, Field, MetaField, Node, Op, ZONE_BODY, ZONE_NAMES, ZONE_QUOTED,
    ZONE_SIGNATURE, ZONE_SUBJECT, META_NAMES,
};
use entities::Regions;
use file::{line_of, DepartmentsFile, RegionsFile, RuleFile};
use fold::{fold, Folded};

pub use entities::{Entities, Office, Place};
pub use rule_tests::{parse_eml, run_rule_tests, CaseResult, ParsedMail, RuleTestReport};

/// The PQRS kinds (exact strings), as in DESIGN.md §2.
pub const KINDS: &[&str] = &crate::domain::kind::KIND_CODES;

/// Urgency values, lowest first; `Decision::priority` is one of these.
pub const URGENCIES: &[&str] = &["normal", "alta", "urgente"];

/// The kind used when no rule names one.
pub const DEFAULT_KIND: &str = "peticion_general";

/// A rule that needs signature or quoted text to match has its priority divided by this.
pub const WEAK_DIVISOR: i64 = 2;

/// Added to the priority of a rule whose `text` conditions the subject alone satisfies.
pub const SUBJECT_BONUS: i64 = 100;

/// A rule whose own `priority` is at least this is *decisive*: when it matches in the subject or
/// the citizen's own words, it decides its department (or kind) outright, whatever the other
/// rules add up to (kind overrides, emergencies, press, Congress, courts, corruption, amparo,
/// platform failures, cobro coactivo, illegal-mining reports).
pub const OVERRIDE_PRIORITY: i64 = 700;

/// Below the decisive rules, evidence adds up: a department's (kind's) score is the effective
/// priority of its best rule plus this percentage of the effective priority of every further
/// rule that names it.
pub const SUPPORT_PERCENT: i64 = 50;

/// Bounds on what is examined (the rest of a longer text is ignored).
const MAX_SUBJECT_BYTES: usize = 2_000;
const MAX_BODY_BYTES: usize = 100_000;
const MAX_LIST_ITEMS: usize = 50;
const MAX_SNIPPET_CHARS: usize = 160;
/// Rules listed in a decision: the deciding ones always, then supporting and other rules that
/// fired, up to this many in all.
const MAX_HITS: usize = 10;

/// What the engine needs to know about one message (built by intake from a mail or a filing).
#[derive(Debug, Clone, Copy)]
pub struct RouteInput<'a> {
    pub subject: &'a str,
    /// Plain text; the engine itself splits off quoted text and the signature.
    pub body: &'a str,
    /// A bare address, or a mailbox with display name (`Alcaldía de X <a@b.gov.co>`), which
    /// rules can then test as `from_name`. May be empty (anonymous web filing).
    pub from_address: &'a str,
    pub to: &'a [String],
    /// "correo_contacto" | "radicador_web" | "presencial" | "telefonico"
    pub channel: &'a str,
    pub attachment_names: &'a [String],
}

/// A department from `rules/departments.toml`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub description: String,
    pub email: String,
}

/// The routing decision. `serde_json` gives
/// `{"department","kind","priority","tags","needs_review","rules":[{"id","matched","field"}],"entities"}`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Decision {
    pub department: String,
    pub kind: String,
    /// Urgency: "normal" | "alta" | "urgente" ([`URGENCIES`]).
    pub priority: String,
    pub tags: Vec<String>,
    /// True when no rule decided the department (fallback), or a rule asked for review.
    pub needs_review: bool,
    /// Rules that fired, highest effective priority first: those that decided (the best rule of
    /// the department and of the kind, urgency, tags, stop) always; then rules that added to the
    /// winning department's or kind's score, then others that fired, up to ten entries in all.
    pub rules: Vec<RuleHit>,
    pub entities: Entities,
}

/// A rule that fired and what it matched.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RuleHit {
    pub id: String,
    /// The matched text as written in the ORIGINAL message (accents and case kept; whitespace
    /// as in the original), at most 160 characters; for a header-like field, its value.
    pub matched: String,
    /// Where it matched: subject, body, signature, quoted, from_name, entity.placa, ….
    pub field: String,
}

/// Where a rule is defined and what it decides (for `pqrs rules check`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub priority: i64,
    pub department: Option<String>,
    pub kind: Option<String>,
}

/// A problem with the rule files. Every variant names the file; rule problems name the rule and
/// the line.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", display_at(file, *line, rule.as_deref(), message))]
    At { file: String, line: usize, rule: Option<String>, message: String },
    #[error("building the pattern set: {message}")]
    Set { message: String },
    #[error("{} problems in the rules:\n{}", .0.len(), .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Many(Vec<RuleError>),
}

fn display_at(file: &str, line: usize, rule: Option<&str>, message: &str) -> String {
    match rule {
        Some(r) => format!("{file}:{line}: rule `{r}`: {message}"),
        None => format!("{file}:{line}: {message}"),
    }
}

impl RuleError {
    fn from_many(mut v: Vec<RuleError>) -> RuleError {
        if v.len() == 1 {
            v.remove(0)
        } else {
            RuleError::Many(v)
        }
    }

    fn toml(file: &str, src: &str, e: toml::de::Error, header: &str) -> RuleError {
        let offset = e.span().map_or(0, |s| s.start);
        RuleError::At {
            file: file.to_string(),
            line: line_of(src, offset),
            rule: file::enclosing_table_id(src, offset, header, "id"),
            message: e.message().trim().to_string(),
        }
    }
}

/// A loaded, validated and compiled rule set.
pub struct RuleSet {
    departments: Vec<Department>,
    fallback: String,
    regions: Regions,
    compiled: Compiled,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleSet")
            .field("departments", &self.departments.len())
            .field("rules", &self.compiled.rules.len())
            .finish()
    }
}

fn read(path: &Path) -> Result<String, RuleError> {
    std::fs::read_to_string(path).map_err(|source| RuleError::Io { path: path.to_path_buf(), source })
}

impl RuleSet {
    /// Reads `rules_dir/departments.toml`, `rules_dir/regions.toml` and every
    /// `rules_dir/routing/*.toml` (in file-name order). Pure: nothing is changed on failure.
    pub fn load_dir(rules_dir: &Path) -> Result<RuleSet, RuleError> {
        let dep_path = rules_dir.join("departments.toml");
        let reg_path = rules_dir.join("regions.toml");
        let departments = read(&dep_path)?;
        let regions = read(&reg_path)?;
        let routing_dir = rules_dir.join("routing");
        let entries = std::fs::read_dir(&routing_dir)
            .map_err(|source| RuleError::Io { path: routing_dir.clone(), source })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        paths.sort();
        let mut files = Vec::with_capacity(paths.len());
        for p in &paths {
            files.push((p.display().to_string(), read(p)?));
        }
        let files_ref: Vec<(&str, &str)> = files.iter().map(|(n, s)| (n.as_str(), s.as_str())).collect();
        Self::from_sources(
            (&dep_path.display().to_string(), &departments),
            (&reg_path.display().to_string(), &regions),
            &files_ref,
        )
    }

    /// Builds a set from in-memory sources: `(file name, contents)` pairs. File names are used in
    /// error messages and to order rules of equal priority.
    pub fn from_sources(
        departments: (&str, &str),
        regions: (&str, &str),
        rule_files: &[(&str, &str)],
    ) -> Result<RuleSet, RuleError> {
        let mut errors = Vec::new();

        let (dep_name, dep_src) = departments;
        let deps: DepartmentsFile = toml::from_str(dep_src).map_err(|e| RuleError::toml(dep_name, dep_src, e, "[[department]]"))?;
        let mut list: Vec<Department> = Vec::new();
        for d in &deps.department {
            let raw = d.get_ref();
            let code = raw.code.get_ref().trim().to_string();
            let at = |m: String| RuleError::At { file: dep_name.into(), line: line_of(dep_src, raw.code.span().start), rule: None, message: m };
            if code.is_empty() || !code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
                errors.push(at(format!("department code `{code}` must be upper-case ASCII letters, digits or '_'")));
            } else if list.iter().any(|x| x.code == code) {
                errors.push(at(format!("duplicate department code `{code}`")));
            }
            list.push(Department { code, name: raw.name.clone(), description: raw.description.clone(), email: raw.email.clone() });
        }
        let fallback = deps.fallback.get_ref().clone();
        if !list.iter().any(|d| d.code == fallback) {
            errors.push(RuleError::At {
                file: dep_name.into(),
                line: line_of(dep_src, deps.fallback.span().start),
                rule: None,
                message: format!("fallback department `{fallback}` is not defined"),
            });
        }

        let (reg_name, reg_src) = regions;
        let reg_file: RegionsFile = toml::from_str(reg_src).map_err(|e| RuleError::toml(reg_name, reg_src, e, "[[departamento]]"))?;
        let regions = match Regions::build(&reg_file, reg_src) {
            Ok(r) => r,
            Err(es) => {
                errors.extend(es.into_iter().map(|(line, message)| RuleError::At { file: reg_name.into(), line, rule: None, message }));
                Regions::default()
            }
        };

        let codes: Vec<String> = list.iter().map(|d| d.code.clone()).collect();
        let mut builder = Builder::new(&codes);
        for (name, src) in rule_files {
            match toml::from_str::<RuleFile>(src) {
                Ok(f) => {
                    for r in &f.rule {
                        builder.add(name, src, r);
                    }
                }
                Err(e) => errors.push(RuleError::toml(name, src, e, "[[rule]]")),
            }
        }
        errors.append(&mut builder.errors);
        if !errors.is_empty() {
            return Err(RuleError::from_many(errors));
        }
        let compiled = builder.finish(entities::trigger_patterns(&regions)).map_err(RuleError::from_many)?;
        Ok(RuleSet { departments: list, fallback, regions, compiled })
    }

    /// The departments, in file order.
    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    /// The regional offices (PAR) of `regions.toml`.
    pub fn offices(&self) -> &[Office] {
        &self.regions.offices
    }

    /// The department used when no rule decides.
    pub fn fallback_department(&self) -> &str {
        &self.fallback
    }

    /// The rules, in load order (file name, then order in the file).
    pub fn rules(&self) -> Vec<RuleInfo> {
        self.compiled
            .rules
            .iter()
            .map(|r| RuleInfo {
                id: r.id.clone(),
                file: r.file.clone(),
                line: r.line,
                priority: r.priority,
                department: r.then.department.clone(),
                kind: r.then.kind.clone(),
            })
            .collect()
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.compiled.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.compiled.rules.is_empty()
    }

    /// Routes one message. Never fails: without a deciding rule the decision is the fallback
    /// department with `needs_review = true`.
    pub fn route(&self, input: &RouteInput) -> Decision {
        let c = &self.compiled;
        let subject = truncate(input.subject, MAX_SUBJECT_BYTES);
        let body = truncate(input.body, MAX_BODY_BYTES);
        let z = zones::split_body(body);
        let originals: [&str; 4] = [subject, &z.own, &z.signature, &z.quoted];
        let folded: [Folded; 4] = originals.map(fold);

        let mut text_bits: [Bits; 4] = Default::default();
        for (zone, f) in folded.iter().enumerate() {
            text_bits[zone] = Bits::new(c.text_regexes.len());
            if f.text.is_empty() {
                continue;
            }
            for i in c.text_set.matches(&f.text).iter() {
                text_bits[zone].set(i);
            }
        }

        let meta = meta_values(input);
        let mut meta_bits: [Bits; 6] = Default::default();
        for (k, values) in meta.iter().enumerate() {
            meta_bits[k] = Bits::new(c.meta_regexes.len());
            for (_, f) in values {
                if !f.is_empty() {
                    for i in c.meta_set.matches(f).iter() {
                        meta_bits[k].set(i);
                    }
                }
            }
        }

        let base = c.entity_base;
        let entities = entities::extract(
            &[&folded[0].text, &folded[1].text, &folded[2].text, &folded[3].text],
            &self.regions,
            &|zone, k| text_bits[zone].get(base + k),
        );

        // Candidate rules: owners of a pattern that hit, and the always-checked ones.
        let mut candidate = Bits::new(c.rules.len());
        for bits in &text_bits {
            for p in bits.iter() {
                for &r in &c.text_pat_rules[p] {
                    candidate.set(r as usize);
                }
            }
        }
        for bits in &meta_bits {
            for p in bits.iter() {
                for &r in &c.meta_pat_rules[p] {
                    candidate.set(r as usize);
                }
            }
        }
        for &r in &c.always {
            candidate.set(r as usize);
        }

        let ev = Eval { c, text_bits: &text_bits, meta_bits: &meta_bits, folded: &folded, meta: &meta, entities: &entities };
        // Re-evaluations that cannot change anything are skipped: the weak one when signature and
        // quoted text matched no pattern, the subject one when the subject holds none of the rule's.
        let weak_zones_hit = text_bits[ZONE_SIGNATURE].any() || text_bits[ZONE_QUOTED].any();
        let mut fired: Vec<(i64, usize, bool)> = Vec::new(); // (effective priority, rule, weak)
        for r in candidate.iter() {
            let rule = &c.rules[r];
            if ev.node(&rule.when, Mode::Strong) {
                let in_subject = c.rule_text_pats[r].iter().any(|&p| text_bits[ZONE_SUBJECT].get(p as usize));
                let bonus = if in_subject && ev.node(&rule.when, Mode::Subject) && ev.witness_in_subject(&rule.when) { SUBJECT_BONUS } else { 0 };
                fired.push((rule.priority.saturating_add(bonus), r, false));
            } else if weak_zones_hit && ev.node(&rule.when, Mode::Weak) {
                fired.push((rule.priority / WEAK_DIVISOR, r, true));
            }
        }
        fired.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));

        // The walk ends at the first rule with `stop = true` (it still counts).
        let end = fired.iter().position(|&(_, r, _)| c.rules[r].then.stop).map_or(fired.len(), |i| i + 1);
        let walked = &fired[..end];
        let department = decide(c, walked, |r| c.rules[r].then.department.as_deref());
        let kind = decide(c, walked, |r| c.rules[r].then.kind.as_deref());
        // `review` marks the decision when the best rule of the winning department asks for it.
        let review = department.is_some_and(|(_, best)| c.rules[walked[best].1].then.review);
        let best_rules = [department.map(|(_, i)| i), kind.map(|(_, i)| i)];
        let department = department.map(|(d, _)| d);
        let kind = kind.map(|(k, _)| k);

        // What each rule walked did: 2 = decided the department or kind, set the urgency or a tag,
        // or stopped the walk; 1 = added to the winning department's or kind's score; 0 = nothing.
        let mut urgency = 0usize;
        let mut tags: Vec<String> = Vec::new();
        let mut role = vec![0u8; walked.len()];
        for (i, &(_, r, _)) in walked.iter().enumerate() {
            let t = &c.rules[r].then;
            let mut decided = t.stop || best_rules.contains(&Some(i));
            if t.urgency.unwrap_or(0) > urgency {
                urgency = t.urgency.unwrap_or(0);
                decided = true;
            }
            for tag in &t.tags {
                if !tags.contains(tag) {
                    tags.push(tag.clone());
                    decided = true;
                }
            }
            let supported = (department.is_some() && t.department.as_deref() == department)
                || (kind.is_some() && t.kind.as_deref() == kind);
            role[i] = if decided { 2 } else { u8::from(supported) };
        }
        // Snippets cost a regex search each: the deciding rules always, then the supporting ones,
        // then the others, up to MAX_HITS entries in all; listed in walk order.
        let mut list = vec![false; walked.len()];
        let mut listed = 0usize;
        for want in [2u8, 1, 0] {
            for i in 0..walked.len() {
                if role[i] == want && (want == 2 || listed < MAX_HITS) {
                    list[i] = true;
                    listed += 1;
                }
            }
        }
        let mut hits = Vec::with_capacity(listed.min(walked.len()));
        for (i, &(_, r, weak)) in walked.iter().enumerate() {
            if list[i] {
                let rule = &c.rules[r];
                let mode = if weak { Mode::Weak } else { Mode::Strong };
                let (field, matched) = ev.snippet(&rule.when, mode, &originals);
                hits.push(RuleHit { id: rule.id.clone(), matched, field });
            }
        }
        if let Some(office) = &entities.oficina_regional {
            if !tags.contains(office) {
                tags.push(office.clone());
            }
        }
        let needs_review = review || department.is_none();
        Decision {
            department: department.map_or_else(|| self.fallback.clone(), str::to_string),
            kind: kind.unwrap_or(DEFAULT_KIND).to_string(),
            priority: URGENCIES[urgency.min(URGENCIES.len() - 1)].to_string(),
            tags,
            needs_review,
            rules: hits,
            entities,
        }
    }
}

/// Decides one value (a department or a kind) from the rules walked, best first;
/// `value` gives what a rule names, if anything.
///
/// 1. Decisive rules: the first rule walked whose own `priority` is at least
///    [`OVERRIDE_PRIORITY`] (and that matched in the subject or the citizen's own words) and that
///    names a value decides it, as a single rule.
/// 2. Otherwise every value is scored from the rules that name it: the effective priority of its
///    best rule, plus [`SUPPORT_PERCENT`] % of the effective priority of each further rule. The
///    highest score wins; on a tie, the value whose best rule comes first.
///
/// Returns the value and the index (in `walked`) of its best rule.
fn decide<'r>(c: &Compiled, walked: &[(i64, usize, bool)], value: impl Fn(usize) -> Option<&'r str>) -> Option<(&'r str, usize)> {
    for (i, &(_, r, weak)) in walked.iter().enumerate() {
        if !weak && c.rules[r].priority >= OVERRIDE_PRIORITY {
            if let Some(v) = value(r) {
                return Some((v, i));
            }
        }
    }
    // (value, score, index of its best rule); few values, so a vector is fastest.
    let mut scores: Vec<(&'r str, i64, usize)> = Vec::new();
    for (i, &(p, r, _)) in walked.iter().enumerate() {
        let Some(v) = value(r) else { continue };
        match scores.iter_mut().find(|s| s.0 == v) {
            Some(s) => s.1 = s.1.saturating_add(p.max(0).saturating_mul(SUPPORT_PERCENT) / 100),
            None => scores.push((v, p, i)),
        }
    }
    let mut best: Option<(&'r str, i64, usize)> = None;
    for s in scores {
        if best.is_none_or(|b| s.1 > b.1) {
            best = Some(s);
        }
    }
    best.map(|(v, _, i)| (v, i))
}

/// A fixed-size bit set.
#[derive(Default, Clone)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn set(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }
    fn any(&self) -> bool {
        self.0.iter().any(|&w| w != 0)
    }
    fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(wi, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(wi * 64 + b)
            })
        })
    }
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Splits "Name <addr>" into (name, address); a bare address has no name.
fn split_mailbox(s: &str) -> (&str, &str) {
    let s = s.trim();
    match (s.rfind('<'), s.rfind('>')) {
        (Some(a), Some(b)) if a < b => (s[..a].trim().trim_matches('"').trim(), s[a + 1..b].trim()),
        _ => ("", s),
    }
}

/// Original and folded values of the header-like fields, in `MetaField` order.
fn meta_values(input: &RouteInput) -> [Vec<(String, String)>; 6] {
    let (name, address) = split_mailbox(truncate(input.from_address, 1_000));
    let domain = address.rsplit_once('@').map_or("", |(_, d)| d).trim_end_matches(['>', '.', ' ']).to_ascii_lowercase();
    let one = |s: &str| if s.trim().is_empty() { Vec::new() } else { vec![(s.to_string(), fold(s).text)] };
    let many = |v: &[String]| v.iter().take(MAX_LIST_ITEMS).map(|s| truncate(s, 1_000)).filter(|s| !s.trim().is_empty()).map(|s| (s.to_string(), fold(s).text)).collect::<Vec<_>>();
    [one(address), one(&domain), one(name), many(input.to), one(input.channel), many(input.attachment_names)]
}

/// Which zones the generic `text` field covers during an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Subject only (to grant the subject bonus).
    Subject,
    /// Subject and the citizen's own words (full weight).
    Strong,
    /// Also signature and quoted text (reduced weight).
    Weak,
}

/// Evaluation of rule conditions against one prepared message.
struct Eval<'a> {
    c: &'a Compiled,
    text_bits: &'a [Bits; 4],
    meta_bits: &'a [Bits; 6],
    folded: &'a [Folded; 4],
    meta: &'a [Vec<(String, String)>; 6],
    entities: &'a Entities,
}

impl Eval<'_> {
    /// Zones a text field looks at in a mode.
    fn zones(field: Field, mode: Mode) -> &'static [usize] {
        match field {
            Field::Text if mode == Mode::Weak => &[ZONE_SUBJECT, ZONE_BODY, ZONE_SIGNATURE, ZONE_QUOTED],
            Field::Text if mode == Mode::Subject => &[ZONE_SUBJECT],
            Field::Text => &[ZONE_SUBJECT, ZONE_BODY],
            Field::AllText => &[ZONE_SUBJECT, ZONE_BODY, ZONE_SIGNATURE, ZONE_QUOTED],
            Field::Subject => &[ZONE_SUBJECT],
            Field::Body => &[ZONE_BODY],
            Field::Signature => &[ZONE_SIGNATURE],
            Field::Quoted => &[ZONE_QUOTED],
            Field::Meta(_) | Field::Entity(_) => &[],
        }
    }

    fn node(&self, n: &Node, weak: Mode) -> bool {
        match n {
            Node::All(c) => c.iter().all(|x| self.node(x, weak)),
            Node::Any(c) => c.iter().any(|x| self.node(x, weak)),
            Node::None(c) => !c.iter().any(|x| self.node(x, weak)),
            Node::Leaf(i) => self.leaf(*i, weak),
        }
    }

    fn leaf(&self, i: usize, weak: Mode) -> bool {
        let leaf = &self.c.leaves[i];
        match (&leaf.op, leaf.field) {
            (Op::Set(p), Field::Meta(m)) => self.meta_bits[m as usize].get(*p),
            (Op::Set(p), f) => Self::zones(f, weak).iter().any(|&z| self.text_bits[z].get(*p)),
            (Op::EntityRegex(re), Field::Entity(k)) => k.values(self.entities).iter().any(|v| re.is_match(&fold(v).text)),
            (Op::EntityRegex(_), _) => false,
            (Op::Equals(opts), Field::Meta(m)) => self.meta[m as usize].iter().any(|(_, f)| opts.contains(f)),
            (Op::Equals(opts), Field::Entity(k)) => k.values(self.entities).iter().any(|v| opts.contains(&fold(v).text)),
            (Op::Equals(opts), f) => Self::zones(f, weak).iter().any(|&z| opts.contains(&self.folded[z].text)),
            (Op::Present(want), Field::Meta(m)) => self.meta[m as usize].is_empty() != *want,
            (Op::Present(want), Field::Entity(k)) => k.values(self.entities).is_empty() != *want,
            (Op::Present(want), f) => Self::zones(f, weak).iter().any(|&z| !self.folded[z].text.is_empty()) == *want,
        }
    }

    /// The first leaf that made the node true, outside `none` groups.
    fn witness(&self, n: &Node, weak: Mode) -> Option<usize> {
        match n {
            Node::All(c) | Node::Any(c) => c.iter().filter(|x| self.node(x, weak)).find_map(|x| self.witness(x, weak)),
            Node::None(_) => None,
            Node::Leaf(i) => self.leaf(*i, weak).then_some(*i),
        }
    }

    /// Whether the rule's first witness in subject mode is a `text` test that hit the subject
    /// (a rule decided by, say, the sender's domain gets no subject bonus).
    fn witness_in_subject(&self, when: &Node) -> bool {
        self.witness(when, Mode::Subject).is_some_and(|i| {
            let leaf = &self.c.leaves[i];
            matches!((&leaf.op, leaf.field), (Op::Set(p), Field::Text | Field::Subject | Field::AllText) if self.text_bits[ZONE_SUBJECT].get(*p))
        })
    }

    /// (field, matched text) for a rule that fired.
    fn snippet(&self, when: &Node, weak: Mode, originals: &[&str; 4]) -> (String, String) {
        let Some(i) = self.witness(when, weak) else { return (String::new(), String::new()) };
        let leaf = &self.c.leaves[i];
        match (&leaf.op, leaf.field) {
            (Op::Set(p), Field::Meta(m)) => {
                let re = &self.c.meta_regexes[*p];
                let v = self.meta[m as usize].iter().find(|(_, f)| re.is_match(f)).map_or("", |(o, _)| o.as_str());
                (META_NAMES[m as usize].to_string(), clip(v))
            }
            (Op::Set(p), f) => {
                let re = &self.c.text_regexes[*p];
                for &z in Self::zones(f, weak) {
                    if !self.text_bits[z].get(*p) {
                        continue;
                    }
                    if let Some(m) = re.find(&self.folded[z].text) {
                        let (s, e) = self.folded[z].original_span(originals[z], m.start(), m.end());
                        return (ZONE_NAMES[z].to_string(), clip(originals[z].get(s..e).unwrap_or(m.as_str())));
                    }
                }
                (String::new(), String::new())
            }
            (_, Field::Meta(m)) => {
                (META_NAMES[m as usize].to_string(), clip(self.meta[m as usize].first().map_or("", |(o, _)| o.as_str())))
            }
            (_, Field::Entity(k)) => {
                let name = entities::EntityKind::NAMES.get(k as usize).copied().unwrap_or("entity");
                (format!("entity.{name}"), k.values(self.entities).first().map_or(String::new(), |v| clip(v)))
            }
            (_, f) => {
                let z = Self::zones(f, weak).iter().copied().find(|&z| !self.folded[z].text.is_empty()).unwrap_or(ZONE_BODY);
                (ZONE_NAMES[z].to_string(), clip(originals[z]))
            }
        }
    }
}

/// At most [`MAX_SNIPPET_CHARS`] characters, whitespace runs collapsed, "…" when cut.
fn clip(s: &str) -> String {
    let collapsed: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= MAX_SNIPPET_CHARS {
        return collapsed;
    }
    let mut out: String = collapsed.chars().take(MAX_SNIPPET_CHARS).collect();
    out.push('…');
    out
}

// `MetaField` values index the meta arrays.
const _: () = assert!(MetaField::Attachments as usize == 5);

#[cfg(test)]
mod tests;
