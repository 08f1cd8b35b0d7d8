//! Production code of `pqrs rules test` (not a unit-test module): rule tests as data.
//! `rules/tests/expected.toml` lists cases (a .eml file, or an inline snippet) with the expected
//! department and kind; [`run_rule_tests`] routes each and reports every mismatch. `pqrs rules
//! test` prints the report and fails when [`RuleTestReport::passed`] is false. Cases marked
//! `xfail` are known mismatches: reported, not failing; an `xfail` case that now passes (XPASS)
//! fails the run until its mark is removed, so a fixed case is never left marked as broken.
//!
//! Also holds [`parse_eml`], the small .eml → owned fields conversion the runner (and
//! `pqrs route FILE.eml`) use.

use std::fmt;
use std::path::Path;

use mail_parser::{MessageParser, MimeHeaders};

use super::file::{line_of, TestsFile};
use super::{Decision, RouteInput, RuleError, RuleSet};

/// The fields of a parsed .eml that routing uses (owned).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedMail {
    pub subject: String,
    pub body: String,
    /// `Display Name <address>`, or the bare address, or empty.
    pub from: String,
    pub to: Vec<String>,
    pub attachment_names: Vec<String>,
}

impl ParsedMail {
    /// A `RouteInput` over this mail for the given channel.
    pub fn as_input<'a>(&'a self, channel: &'a str) -> RouteInput<'a> {
        RouteInput {
            subject: &self.subject,
            body: &self.body,
            from_address: &self.from,
            to: &self.to,
            channel,
            attachment_names: &self.attachment_names,
        }
    }
}

/// Parses a raw message with mail-parser (leading blank lines trimmed first). `None` when
/// mail-parser finds no message at all.
pub fn parse_eml(bytes: &[u8]) -> Option<ParsedMail> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let msg = MessageParser::default().parse(&bytes[start..])?;
    let mailbox = |a: &mail_parser::Addr| {
        let addr = a.address().unwrap_or("");
        match a.name() {
            Some(n) if !n.trim().is_empty() => format!("{} <{addr}>", n.trim()),
            _ => addr.to_string(),
        }
    };
    let from = msg.from().and_then(|f| f.first()).map(mailbox).unwrap_or_default();
    let to = msg
        .to()
        .map(|t| t.iter().filter_map(|a| a.address().map(str::to_string)).collect())
        .unwrap_or_default();
    Some(ParsedMail {
        subject: msg.subject().unwrap_or("").to_string(),
        body: msg.body_text(0).map(|b| b.into_owned()).unwrap_or_default(),
        from,
        to,
        attachment_names: msg.attachments().filter_map(|a| a.attachment_name().map(str::to_string)).collect(),
    })
}

/// The outcome of one test case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    pub set: String,
    pub expected_department: String,
    pub expected_kind: String,
    /// None when the case could not be read or parsed (see `error`).
    pub decision: Option<Decision>,
    pub error: Option<String>,
    pub xfail: Option<String>,
}

impl CaseResult {
    pub fn department_ok(&self) -> bool {
        self.decision.as_ref().is_some_and(|d| d.department == self.expected_department)
    }
    pub fn kind_ok(&self) -> bool {
        self.decision.as_ref().is_some_and(|d| d.kind == self.expected_kind)
    }
    pub fn ok(&self) -> bool {
        self.department_ok() && self.kind_ok()
    }
    /// Marked `xfail` but right: the mark must go.
    pub fn xpass(&self) -> bool {
        self.xfail.is_some() && self.ok()
    }
}

/// All results, with accuracy figures per set.
#[derive(Debug, Clone, Default)]
pub struct RuleTestReport {
    pub cases: Vec<CaseResult>,
}

/// Accuracy of one set of cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetScore {
    pub set: String,
    pub total: usize,
    pub department_ok: usize,
    pub kind_ok: usize,
    pub both_ok: usize,
}

impl RuleTestReport {
    /// True when every case that is not `xfail` got its department and kind right, and every
    /// `xfail` case still fails (an XPASS fails the run).
    pub fn passed(&self) -> bool {
        self.cases.iter().all(|c| c.ok() != c.xfail.is_some())
    }

    /// The `xfail` cases that now pass.
    pub fn xpasses(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases.iter().filter(|c| c.xpass())
    }

    /// The cases whose department or kind differ.
    pub fn mismatches(&self) -> impl Iterator<Item = &CaseResult> {
        self.cases.iter().filter(|c| !c.ok())
    }

    /// Scores per set (in first-seen order) and a final "total".
    pub fn scores(&self) -> Vec<SetScore> {
        let mut sets: Vec<String> = Vec::new();
        for c in &self.cases {
            if !sets.contains(&c.set) {
                sets.push(c.set.clone());
            }
        }
        let score = |name: &str, pred: &dyn Fn(&CaseResult) -> bool| {
            let cs: Vec<&CaseResult> = self.cases.iter().filter(|c| pred(c)).collect();
            SetScore {
                set: name.to_string(),
                total: cs.len(),
                department_ok: cs.iter().filter(|c| c.department_ok()).count(),
                kind_ok: cs.iter().filter(|c| c.kind_ok()).count(),
                both_ok: cs.iter().filter(|c| c.ok()).count(),
            }
        };
        let mut out: Vec<SetScore> = sets.iter().map(|s| score(s, &|c: &CaseResult| &c.set == s)).collect();
        out.push(score("total", &|_| true));
        out
    }
}

impl fmt::Display for RuleTestReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.mismatches() {
            let tag = if c.xfail.is_some() { "XFAIL" } else { "FAIL " };
            match (&c.decision, &c.error) {
                (_, Some(e)) => writeln!(f, "{tag} {}: {e}", c.name)?,
                (Some(d), None) => {
                    let mark = |ok: bool| if ok { "" } else { " ✗" };
                    writeln!(
                        f,
                        "{tag} {}: department {} (expected {}){}, kind {} (expected {}){}; rules: {}",
                        c.name,
                        d.department,
                        c.expected_department,
                        mark(c.department_ok()),
                        d.kind,
                        c.expected_kind,
                        mark(c.kind_ok()),
                        if d.rules.is_empty() { "none".to_string() } else { d.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(", ") }
                    )?;
                    if let Some(x) = &c.xfail {
                        writeln!(f, "      known: {x}")?;
                    }
                }
                (None, None) => writeln!(f, "{tag} {}: no decision", c.name)?,
            }
        }
        for c in self.xpasses() {
            writeln!(f, "XPASS {}: remove the xfail mark", c.name)?;
        }
        for s in self.scores() {
            let pct = |n: usize| if s.total == 0 { 0.0 } else { 100.0 * n as f64 / s.total as f64 };
            writeln!(
                f,
                "{:<10} {:>3} cases  department {:>3}/{:<3} ({:5.1} %)  kind {:>3}/{:<3} ({:5.1} %)  both {:5.1} %",
                s.set, s.total, s.department_ok, s.total, pct(s.department_ok), s.kind_ok, s.total, pct(s.kind_ok), pct(s.both_ok)
            )?;
        }
        write!(f, "{}", if self.passed() { "rule tests passed" } else { "rule tests FAILED" })
    }
}

/// Loads the rule set of `rules_dir` and runs the cases of `rules_dir/tests/expected.toml`.
pub fn run_rule_tests(rules_dir: &Path) -> Result<RuleTestReport, RuleError> {
    let rules = RuleSet::load_dir(rules_dir)?;
    rules.run_tests(&rules_dir.join("tests"))
}

impl RuleSet {
    /// Runs the cases of `tests_dir/expected.toml` against this set.
    pub fn run_tests(&self, tests_dir: &Path) -> Result<RuleTestReport, RuleError> {
        let path = tests_dir.join("expected.toml");
        let src = std::fs::read_to_string(&path).map_err(|source| RuleError::Io { path: path.clone(), source })?;
        let file_name = path.display().to_string();
        let file: TestsFile = toml::from_str(&src).map_err(|e| RuleError::toml(&file_name, &src, e, "[[case]]"))?;
        let mut problems = Vec::new();
        for c in &file.case {
            let raw = c.get_ref();
            let bad = |what: &str, v: &str| RuleError::At {
                file: file_name.clone(),
                line: line_of(&src, c.span().start),
                rule: None,
                message: format!("case {}: unknown {what} `{v}`", raw.file.as_deref().or(raw.name.as_deref()).unwrap_or("?")),
            };
            if !self.departments().iter().any(|d| d.code == raw.department) {
                problems.push(bad("department", &raw.department));
            }
            if !super::KINDS.contains(&raw.kind.as_str()) {
                problems.push(bad("kind", &raw.kind));
            }
        }
        if !problems.is_empty() {
            return Err(RuleError::from_many(problems));
        }

        let mut report = RuleTestReport::default();
        for (i, c) in file.case.iter().enumerate() {
            let raw = c.get_ref();
            let name = raw.name.clone().or_else(|| raw.file.clone()).unwrap_or_else(|| format!("case #{}", i + 1));
            let channel = raw.channel.as_deref().unwrap_or("correo_contacto");
            let (decision, error) = match &raw.file {
                Some(f) => match std::fs::read(tests_dir.join(f)) {
                    Ok(bytes) => match parse_eml(&bytes) {
                        Some(m) => (Some(self.route_rules_only(&m.as_input(channel))), None),
                        None => (None, Some("not a parsable message".to_string())),
                    },
                    Err(e) => (None, Some(format!("cannot read {f}: {e}"))),
                },
                None => {
                    let m = ParsedMail {
                        subject: raw.subject.clone(),
                        body: raw.body.clone(),
                        from: raw.from.clone(),
                        to: Vec::new(),
                        attachment_names: raw.attachments.clone(),
                    };
                    (Some(self.route_rules_only(&m.as_input(channel))), None)
                }
            };
            report.cases.push(CaseResult {
                name,
                set: if raw.set.is_empty() { "default".to_string() } else { raw.set.clone() },
                expected_department: raw.department.clone(),
                expected_kind: raw.kind.clone(),
                decision,
                error,
                xfail: raw.xfail.clone(),
            });
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(name: &str, got: &str, xfail: bool) -> CaseResult {
        CaseResult {
            name: name.into(),
            set: "default".into(),
            expected_department: "VSC".into(),
            expected_kind: "denuncia".into(),
            decision: Some(Decision {
                department: got.into(),
                kind: "denuncia".into(),
                priority: "normal".into(),
                tags: vec![],
                needs_review: false,
                confidence: 1.0,
                kind_confidence: 1.0,
                candidates: vec![],
                model_words: vec![],
                rules: vec![],
                entities: Default::default(),
            }),
            error: None,
            xfail: xfail.then(|| "known".to_string()),
        }
    }

    #[test]
    fn an_xfail_case_that_passes_fails_the_run_and_says_so() {
        let report = RuleTestReport { cases: vec![case("ok.eml", "VSC", false), case("known.eml", "OAJ", true)] };
        assert!(report.passed(), "{report}");
        let report = RuleTestReport { cases: vec![case("ok.eml", "VSC", false), case("fixed.eml", "VSC", true)] };
        assert!(!report.passed());
        let text = report.to_string();
        assert!(text.contains("XPASS fixed.eml: remove the xfail mark"), "{text}");
        assert!(text.ends_with("rule tests FAILED"), "{text}");
        let report = RuleTestReport { cases: vec![case("broken.eml", "OAJ", false)] };
        assert!(!report.passed());
    }
}
