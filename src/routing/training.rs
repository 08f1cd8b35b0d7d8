//! Training data and measurement of the learned model (`pqrs rules eval`).
//!
//! The examples are the cases of `rules/tests/expected.toml` (the rule tests), of every
//! `rules/tests/batches/*.toml` (labelled mail written after the rules, in other voices: never
//! tuned on, so they measure honestly) and the cases whose department and kind triage confirmed or
//! corrected (stored in the database, see `db::routing`).
//!
//! [`cross_validate`] splits them into K folds (a fixed shuffle), trains on K − 1 and routes the
//! held-out fold with the rules and that model, and reports accuracy of departments and kinds,
//! how often the right department is among the candidates, and, for each confidence threshold,
//! the share of mail routed without review and how often it is right.

use std::fmt;
use std::path::Path;

use super::file::{line_of, TestsFile};
use super::learned::{Example, Learned};
use super::{parse_eml, ParsedMail, RuleError, RuleSet, KINDS};

/// A labelled example and where it comes from (its `set`).
#[derive(Debug, Clone)]
pub struct Sourced {
    pub example: Example,
    pub set: String,
    pub name: String,
}

fn read_cases(path: &Path, tests_dir: &Path, rules: &RuleSet) -> Result<Vec<Sourced>, RuleError> {
    let src = std::fs::read_to_string(path).map_err(|source| RuleError::Io { path: path.to_path_buf(), source })?;
    let file_name = path.display().to_string();
    let file: TestsFile = toml::from_str(&src).map_err(|e| RuleError::toml(&file_name, &src, e, "[[case]]"))?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for c in &file.case {
        let raw = c.get_ref();
        let at = |m: String| RuleError::At { file: file_name.clone(), line: line_of(&src, c.span().start), rule: None, message: m };
        if !rules.department_codes().iter().any(|d| *d == raw.department) || !KINDS.contains(&raw.kind.as_str()) {
            problems.push(at(format!("unknown department `{}` or kind `{}`", raw.department, raw.kind)));
            continue;
        }
        let mail = match &raw.file {
            Some(f) => {
                let bytes = std::fs::read(tests_dir.join(f)).map_err(|source| RuleError::Io { path: tests_dir.join(f), source })?;
                match parse_eml(&bytes) {
                    Some(m) => m,
                    None => {
                        problems.push(at(format!("{f}: not a parsable message")));
                        continue;
                    }
                }
            }
            None => ParsedMail { subject: raw.subject.clone(), body: raw.body.clone(), from: raw.from.clone(), to: Vec::new(), attachment_names: raw.attachments.clone() },
        };
        out.push(Sourced {
            example: Example { mail, channel: raw.channel.clone().unwrap_or_else(|| "correo_contacto".into()), department: raw.department.clone(), kind: raw.kind.clone() },
            set: if raw.set.is_empty() { "default".into() } else { raw.set.clone() },
            name: raw.name.clone().or_else(|| raw.file.clone()).unwrap_or_default(),
        });
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(RuleError::from_many(problems))
    }
}

/// Every labelled case of `tests_dir`: `expected.toml`, then `batches/*.toml` in name order.
pub fn examples_from_dir(rules: &RuleSet, tests_dir: &Path) -> Result<Vec<Sourced>, RuleError> {
    let mut out = read_cases(&tests_dir.join("expected.toml"), tests_dir, rules)?;
    let batches = tests_dir.join("batches");
    if let Ok(entries) = std::fs::read_dir(&batches) {
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
        paths.sort();
        for p in paths {
            out.extend(read_cases(&p, tests_dir, rules)?);
        }
    }
    Ok(out)
}

/// Trains the model of `rules` on `examples`.
pub fn train(rules: &RuleSet, examples: &[Example]) -> Learned {
    Learned::train(rules.department_codes(), KINDS, examples)
}

/// One routed held-out example.
#[derive(Debug, Clone)]
struct Outcome {
    set: String,
    dep_ok: bool,
    kind_ok: bool,
    in_candidates: bool,
    confidence: f64,
    rules_dep_ok: bool,
    rules_kind_ok: bool,
}

/// The figures of a cross-validation.
#[derive(Debug, Clone)]
pub struct EvalReport {
    pub folds: usize,
    pub threshold: f64,
    outcomes: Vec<Outcome>,
}

fn pct(n: usize, d: usize) -> f64 {
    if d == 0 {
        0.0
    } else {
        (n as f64 * 1000.0 / d as f64).round() / 10.0
    }
}

impl EvalReport {
    pub fn total(&self) -> usize {
        self.outcomes.len()
    }
    /// Department accuracy (rules + model), in %.
    pub fn department_accuracy(&self) -> f64 {
        pct(self.outcomes.iter().filter(|o| o.dep_ok).count(), self.total())
    }
    pub fn kind_accuracy(&self) -> f64 {
        pct(self.outcomes.iter().filter(|o| o.kind_ok).count(), self.total())
    }
    /// How often the right department is among the candidates, in %.
    pub fn candidate_recall(&self) -> f64 {
        pct(self.outcomes.iter().filter(|o| o.in_candidates).count(), self.total())
    }
    /// (share routed without review, precision of those) at `threshold`, in %.
    pub fn auto_at(&self, threshold: f64) -> (f64, f64) {
        let auto: Vec<&Outcome> = self.outcomes.iter().filter(|o| o.confidence >= threshold).collect();
        (pct(auto.len(), self.total()), pct(auto.iter().filter(|o| o.dep_ok).count(), auto.len()))
    }
    /// The lowest threshold (in steps of 0.05) whose auto-routed mail is at least 95 % right.
    pub fn suggested_threshold(&self) -> Option<f64> {
        (1..=19).map(|i| i as f64 * 0.05).find(|t| {
            let (share, precision) = self.auto_at(*t);
            share > 0.0 && precision >= 95.0
        })
    }
    fn sets(&self) -> Vec<String> {
        let mut s: Vec<String> = self.outcomes.iter().map(|o| o.set.clone()).collect();
        s.sort();
        s.dedup();
        s
    }
}

impl fmt::Display for EvalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.total();
        if self.folds == 0 {
            writeln!(f, "first score of {n} mails never trained or tuned on (rules + model; the rules alone in brackets)")?;
        } else {
            writeln!(f, "{}-fold cross-validation on {n} labelled mails (rules + model; the rules alone in brackets)", self.folds)?;
        }
        let rd = pct(self.outcomes.iter().filter(|o| o.rules_dep_ok).count(), n);
        let rk = pct(self.outcomes.iter().filter(|o| o.rules_kind_ok).count(), n);
        writeln!(f, "departments {:.1} % [{rd:.1} %], kinds {:.1} % [{rk:.1} %], right department among the candidates {:.1} %",
            self.department_accuracy(), self.kind_accuracy(), self.candidate_recall())?;
        let (share, precision) = self.auto_at(self.threshold);
        writeln!(f, "at the configured threshold {:.2}: {share:.1} % routed without review, {precision:.1} % of them right", self.threshold)?;
        match self.suggested_threshold() {
            Some(t) => {
                let (s, p) = self.auto_at(t);
                writeln!(f, "lowest threshold with ≥ 95 % right: {t:.2} ({s:.1} % routed without review, {p:.1} % right)")?;
            }
            None => writeln!(f, "no threshold gives ≥ 95 % right")?,
        }
        writeln!(f, "threshold  routed-without-review  right")?;
        for i in [6, 8, 10, 12, 14, 16, 18] {
            let t = i as f64 * 0.05;
            let (s, p) = self.auto_at(t);
            writeln!(f, "  {t:.2}     {s:>5.1} %               {p:>5.1} %")?;
        }
        writeln!(f, "per set: departments / kinds (rules alone) · routed without review at the threshold, and right")?;
        for set in self.sets() {
            let o: Vec<&Outcome> = self.outcomes.iter().filter(|o| o.set == set).collect();
            let c = |p: &dyn Fn(&Outcome) -> bool| o.iter().filter(|x| p(x)).count();
            let auto = c(&|x| x.confidence >= self.threshold);
            writeln!(f, "  {set:<12} {:>3}  {:>5.1} % / {:>5.1} %  ({:.1} % / {:.1} %) · {:.1} %, {:.1} %", o.len(),
                pct(c(&|x| x.dep_ok), o.len()), pct(c(&|x| x.kind_ok), o.len()),
                pct(c(&|x| x.rules_dep_ok), o.len()), pct(c(&|x| x.rules_kind_ok), o.len()),
                pct(auto, o.len()), pct(c(&|x| x.confidence >= self.threshold && x.dep_ok), auto))?;
        }
        // The mail the rules were never tuned on (batches written after them): the honest figure.
        let unseen: Vec<&Outcome> = self.outcomes.iter().filter(|o| o.set.starts_with("voices") || o.set == "confirmed").collect();
        if !unseen.is_empty() {
            let c = |p: &dyn Fn(&Outcome) -> bool| unseen.iter().filter(|x| p(x)).count();
            let auto = c(&|x| x.confidence >= self.threshold);
            writeln!(f, "never tuned on ({} mails: voices*, confirmed): departments {:.1} %, kinds {:.1} %, candidates {:.1} %, routed without review {:.1} % of which right {:.1} %",
                unseen.len(), pct(c(&|x| x.dep_ok), unseen.len()), pct(c(&|x| x.kind_ok), unseen.len()), pct(c(&|x| x.in_candidates), unseen.len()),
                pct(auto, unseen.len()), pct(c(&|x| x.confidence >= self.threshold && x.dep_ok), auto))?;
            for t in [5, 6, 7, 8, 9] {
                let t = t as f64 / 10.0;
                let a = c(&|x| x.confidence >= t);
                writeln!(f, "  threshold {t:.1}: {:.1} % routed without review, {:.1} % right", pct(a, unseen.len()), pct(c(&|x| x.confidence >= t && x.dep_ok), a))?;
            }
        }
        Ok(())
    }
}

/// Every case of one labelled file (such as a held-out batch), paths relative to `tests_dir`.
pub fn examples_from_file(rules: &RuleSet, file: &Path, tests_dir: &Path) -> Result<Vec<Sourced>, RuleError> {
    read_cases(file, tests_dir, rules)
}

fn outcome(rules: &RuleSet, model: &Learned, s: &Sourced) -> Outcome {
    let input = s.example.mail.as_input(&s.example.channel);
    let d = rules.route_with(&input, Some(model));
    let r = rules.route_rules_only(&input);
    Outcome {
        set: s.set.clone(),
        dep_ok: d.department == s.example.department,
        kind_ok: d.kind == s.example.kind,
        in_candidates: d.candidates.iter().any(|c| c.department == s.example.department),
        confidence: if d.needs_review && d.confidence >= rules.confidence_settings().threshold { 0.0 } else { d.confidence },
        rules_dep_ok: r.department == s.example.department,
        rules_kind_ok: r.kind == s.example.kind,
    }
}

/// Train on `train` and score `batch` (mail never trained or tuned on): the first score of a
/// new batch. The report's `folds` is 0.
pub fn score_batch(rules: &RuleSet, train_on: &[Sourced], batch: &[Sourced]) -> EvalReport {
    let examples: Vec<Example> = train_on.iter().map(|s| s.example.clone()).collect();
    let model = train(rules, &examples);
    let outcomes = batch.iter().map(|s| outcome(rules, &model, s)).collect();
    EvalReport { folds: 0, threshold: rules.confidence_settings().threshold, outcomes }
}

/// K-fold cross-validation of rules + model on `examples` (K ≥ 2).
pub fn cross_validate(rules: &RuleSet, examples: &[Sourced], folds: usize) -> EvalReport {
    let folds = folds.clamp(2, examples.len().max(2));
    // A fixed shuffle, so a fold mixes sets.
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..order.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let mut outcomes = Vec::with_capacity(examples.len());
    for k in 0..folds {
        let train_set: Vec<Example> = order.iter().enumerate().filter(|(i, _)| i % folds != k).map(|(_, &e)| examples[e].example.clone()).collect();
        let model = train(rules, &train_set);
        for (_, &e) in order.iter().enumerate().filter(|(i, _)| i % folds == k) {
            outcomes.push(outcome(rules, &model, &examples[e]));
        }
    }
    EvalReport { folds, threshold: rules.confidence_settings().threshold, outcomes }
}
