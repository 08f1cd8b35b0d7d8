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
//! How a message is routed ([`RuleSet::route`], in `evaluate.rs`):
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
mod evaluate;
mod file;
mod fold;
pub mod learned;
pub mod model;
mod rule_tests;
pub mod training;
mod zones;

/// Fold a text the way the engine does (lower case, no accents, single spaces), for search.
pub fn fold_text(s: &str) -> String {
    fold::fold(s).text
}

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use compile::{Builder, Compiled};
use entities::Regions;
use file::{line_of, DepartmentsFile, RegionsFile, RuleFile};

pub use entities::{Entities, Office, Place};
pub use learned::{Candidate, ConfidenceSettings, Example, Learned};
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
/// `{"department","kind","priority","tags","needs_review","confidence","kind_confidence","candidates":[{"department","score"}],"model_words","rules":[{"id","matched","field"}],"entities"}`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Decision {
    pub department: String,
    pub kind: String,
    /// Urgency: "normal" | "alta" | "urgente" ([`URGENCIES`]).
    pub priority: String,
    pub tags: Vec<String>,
    /// True when nothing decided the department (fallback), a rule asked for review, or the
    /// department's confidence is below the threshold of `rules/model.toml`.
    pub needs_review: bool,
    /// How sure the department is (0 to 1): the combined probability of rules and model.
    pub confidence: f64,
    /// How sure the kind is (0 to 1).
    pub kind_confidence: f64,
    /// The likeliest departments, best first (up to 3), with their combined probability.
    pub candidates: Vec<Candidate>,
    /// The words of the message that weighed most for the department in the learned model.
    pub model_words: Vec<String>,
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
    codes: Vec<String>,
    fallback: String,
    regions: Regions,
    compiled: Compiled,
    confidence: ConfidenceSettings,
    /// The learned model in force (replaced by retraining; none until the first training).
    learned: arc_swap::ArcSwapOption<Learned>,
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
        let set = Self::from_sources(
            (&dep_path.display().to_string(), &departments),
            (&reg_path.display().to_string(), &regions),
            &files_ref,
        )?;
        Ok(set.with_confidence(ConfidenceSettings::load(rules_dir)?))
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
        let codes = list.iter().map(|d| d.code.clone()).collect();
        Ok(RuleSet { departments: list, codes, fallback, regions, compiled, confidence: ConfidenceSettings::default(), learned: Default::default() })
    }

    /// The confidence settings in force (`rules/model.toml`).
    pub fn confidence_settings(&self) -> &ConfidenceSettings {
        &self.confidence
    }

    /// The same set with other confidence settings.
    pub fn with_confidence(mut self, settings: ConfidenceSettings) -> RuleSet {
        self.confidence = settings;
        self
    }

    /// Put a trained model in force (routing uses it from the next message on).
    pub fn set_model(&self, learned: Option<std::sync::Arc<Learned>>) {
        self.learned.store(learned);
    }

    /// The model in force.
    pub fn model(&self) -> Option<std::sync::Arc<Learned>> {
        self.learned.load_full()
    }

    /// The department codes, in file order.
    pub fn department_codes(&self) -> &[String] {
        &self.codes
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
}

#[cfg(test)]
mod tests;
