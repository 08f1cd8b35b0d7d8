//! Validation of raw rule files and compilation into the engine's form.
//!
//! Every regex and every `words` list of every rule becomes one pattern of a `RegexSet` (identical
//! patterns are shared). Text fields (subject, body, signature, quoted) share one set and the small
//! header-like fields (from, domain, to, channel, attachment names) another. `route` runs each set
//! once per field and then evaluates only the rules that one of the hits belongs to, plus the few
//! rules that can match without any pattern hit (`always`).
//!
//! Validation collects every problem of every file before failing, each naming the file, the rule
//! and the line: unknown keys (serde `deny_unknown_fields` + toml spans), duplicate ids, bad
//! regexes, unknown fields, departments, kinds and urgencies, and malformed conditions.

use std::collections::HashMap;

use regex::{Regex, RegexSet, RegexSetBuilder};
use toml::Spanned;

use super::entities::EntityKind;
use super::file::{line_of, RawCond, RawRule};
use super::fold::{fold, fold_pattern, words_pattern};
use super::{RuleError, KINDS, URGENCIES};

/// Fields a condition can test. `Text` is the default: subject and the citizen's own words at full
/// weight, signature and quoted text at reduced weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Text,
    AllText,
    Subject,
    Body,
    Signature,
    Quoted,
    Meta(MetaField),
    Entity(EntityKind),
}

/// Text zones, in the order of `Zones` in mod.rs.
pub(crate) const ZONE_SUBJECT: usize = 0;
pub(crate) const ZONE_BODY: usize = 1;
pub(crate) const ZONE_SIGNATURE: usize = 2;
pub(crate) const ZONE_QUOTED: usize = 3;
pub(crate) const ZONE_NAMES: [&str; 4] = ["subject", "body", "signature", "quoted"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetaField {
    FromAddress = 0,
    FromDomain = 1,
    FromName = 2,
    To = 3,
    Channel = 4,
    Attachments = 5,
}
pub(crate) const META_NAMES: [&str; 6] =
    ["from_address", "from_domain", "from_name", "to", "channel", "attachments"];

impl Field {
    fn parse(s: &str) -> Option<Field> {
        Some(match s {
            "text" => Field::Text,
            "all_text" => Field::AllText,
            "subject" => Field::Subject,
            "body" => Field::Body,
            "signature" => Field::Signature,
            "quoted" => Field::Quoted,
            "from_address" | "from" => Field::Meta(MetaField::FromAddress),
            "from_domain" => Field::Meta(MetaField::FromDomain),
            "from_name" => Field::Meta(MetaField::FromName),
            "to" => Field::Meta(MetaField::To),
            "channel" => Field::Meta(MetaField::Channel),
            "attachments" | "attachment_names" => Field::Meta(MetaField::Attachments),
            other => Field::Entity(EntityKind::parse(other.strip_prefix("entity.")?)?),
        })
    }

    fn is_text(self) -> bool {
        matches!(self, Field::Text | Field::AllText | Field::Subject | Field::Body | Field::Signature | Field::Quoted)
    }
}

#[derive(Debug)]
pub(crate) enum Op {
    /// Pattern `idx` of the text set (text fields) or of the meta set (meta fields).
    Set(usize),
    /// Entity values matched by a regex (entities are few; no set needed).
    EntityRegex(Regex),
    /// Folded whole-value equality with any of the values.
    Equals(Vec<String>),
    Present(bool),
}

#[derive(Debug)]
pub(crate) struct Leaf {
    pub field: Field,
    pub op: Op,
}

#[derive(Debug)]
pub(crate) enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    None(Vec<Node>),
    Leaf(usize),
}

#[derive(Debug)]
pub(crate) struct Then {
    pub department: Option<String>,
    pub kind: Option<String>,
    pub urgency: Option<usize>,
    pub tags: Vec<String>,
    pub stop: bool,
    pub review: bool,
}

#[derive(Debug)]
pub(crate) struct Rule {
    pub id: String,
    pub file: String,
    pub line: usize,
    pub priority: i64,
    pub when: Node,
    pub then: Then,
}

/// All rules of a set, compiled.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub rules: Vec<Rule>,
    pub leaves: Vec<Leaf>,
    pub text_set: RegexSet,
    /// One regex per text-set pattern, to locate the match of a rule that fired.
    pub text_regexes: Vec<Regex>,
    pub text_pat_rules: Vec<Vec<u32>>,
    pub meta_set: RegexSet,
    pub meta_regexes: Vec<Regex>,
    pub meta_pat_rules: Vec<Vec<u32>>,
    /// Rules that may match with no pattern hit at all (e.g. only `none`, `equals` or entities).
    pub always: Vec<u32>,
    /// Index of the first entity trigger pattern in the text set.
    pub entity_base: usize,
    /// For each rule, the text-set patterns it uses.
    pub rule_text_pats: Vec<Vec<u32>>,
}

/// Accumulates rules from several files, then builds the sets.
pub(crate) struct Builder<'d> {
    departments: &'d [String],
    rules: Vec<Rule>,
    leaves: Vec<Leaf>,
    text_pats: Vec<String>,
    text_index: HashMap<String, usize>,
    text_regexes: Vec<Regex>,
    text_pat_rules: Vec<Vec<u32>>,
    meta_pats: Vec<String>,
    meta_index: HashMap<String, usize>,
    meta_regexes: Vec<Regex>,
    meta_pat_rules: Vec<Vec<u32>>,
    ids: HashMap<String, (String, usize)>,
    pub errors: Vec<RuleError>,
}

/// Where a rule came from, for error messages.
struct Ctx<'a> {
    file: &'a str,
    src: &'a str,
    rule: &'a str,
}

impl Ctx<'_> {
    fn err(&self, offset: usize, message: impl Into<String>) -> RuleError {
        RuleError::At {
            file: self.file.to_string(),
            line: line_of(self.src, offset),
            rule: Some(self.rule.to_string()),
            message: message.into(),
        }
    }
}

impl<'d> Builder<'d> {
    pub fn new(departments: &'d [String]) -> Self {
        Builder {
            departments,
            rules: Vec::new(),
            leaves: Vec::new(),
            text_pats: Vec::new(),
            text_index: HashMap::new(),
            text_regexes: Vec::new(),
            text_pat_rules: Vec::new(),
            meta_pats: Vec::new(),
            meta_index: HashMap::new(),
            meta_regexes: Vec::new(),
            meta_pat_rules: Vec::new(),
            ids: HashMap::new(),
            errors: Vec::new(),
        }
    }

    /// Validates and adds one rule of `file`.
    pub fn add(&mut self, file: &str, src: &str, raw: &Spanned<RawRule>) {
        let r = raw.get_ref();
        let id = r.id.get_ref().trim().to_string();
        let ctx = Ctx { file, src, rule: &id };
        let line = line_of(src, raw.span().start);
        let errors_before = self.errors.len();

        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
            self.errors.push(ctx.err(r.id.span().start, "rule id must be non-empty ASCII letters, digits, '-', '_' or '.'"));
        }
        if let Some((f, l)) = self.ids.get(&id) {
            self.errors.push(ctx.err(r.id.span().start, format!("duplicate rule id (first defined at {f}:{l})")));
        } else {
            self.ids.insert(id.clone(), (file.to_string(), line));
        }

        let then = &r.then;
        let mut department = None;
        if let Some(d) = &then.department {
            if self.departments.iter().any(|c| c == d.get_ref()) {
                department = Some(d.get_ref().clone());
            } else {
                self.errors.push(ctx.err(d.span().start, format!("unknown department `{}` (known: {})", d.get_ref(), self.departments.join(", "))));
            }
        }
        let mut kind = None;
        if let Some(k) = &then.kind {
            if KINDS.contains(&k.get_ref().as_str()) {
                kind = Some(k.get_ref().clone());
            } else {
                self.errors.push(ctx.err(k.span().start, format!("unknown kind `{}` (known: {})", k.get_ref(), KINDS.join(", "))));
            }
        }
        let mut urgency = None;
        if let Some(u) = &then.urgency {
            match URGENCIES.iter().position(|x| x == u.get_ref()) {
                Some(i) => urgency = Some(i),
                None => self.errors.push(ctx.err(u.span().start, format!("unknown urgency `{}` (known: {})", u.get_ref(), URGENCIES.join(", ")))),
            }
        }
        if department.is_none() && kind.is_none() && urgency.is_none() && then.tags.is_empty() && !then.stop && !then.review && self.errors.len() == errors_before {
            self.errors.push(ctx.err(raw.span().start, "`then` does nothing: give a department, kind, urgency, tags, stop or review"));
        }

        let rule_idx = self.rules.len() as u32;
        let mut nodes = Vec::new();
        for c in &r.when.all {
            if let Some(n) = self.cond(&ctx, c, rule_idx) {
                nodes.push(n);
            }
        }
        if !r.when.any.is_empty() {
            let any: Vec<Node> = r.when.any.iter().filter_map(|c| self.cond(&ctx, c, rule_idx)).collect();
            nodes.push(Node::Any(any));
        }
        if !r.when.none.is_empty() {
            let none: Vec<Node> = r.when.none.iter().filter_map(|c| self.cond(&ctx, c, rule_idx)).collect();
            nodes.push(Node::None(none));
        }

        if self.errors.len() > errors_before {
            return;
        }
        self.rules.push(Rule {
            id,
            file: file.to_string(),
            line,
            priority: *r.priority.get_ref(),
            when: Node::All(nodes),
            then: Then { department, kind, urgency, tags: then.tags.clone(), stop: then.stop, review: then.review },
        });
    }

    fn cond(&mut self, ctx: &Ctx, c: &Spanned<RawCond>, rule: u32) -> Option<Node> {
        let raw = c.get_ref();
        let at = c.span().start;
        let groups = [&raw.all, &raw.any, &raw.none].iter().filter(|g| g.is_some()).count();
        let ops = [raw.regex.is_some(), raw.words.is_some(), raw.equals.is_some(), raw.in_list.is_some(), raw.present.is_some()]
            .iter()
            .filter(|&&b| b)
            .count();
        if groups > 0 {
            if ops > 0 || raw.field.is_some() || groups > 1 {
                self.errors.push(ctx.err(at, "a condition is either one group (all / any / none) or one field test, not both"));
                return None;
            }
            type Make = fn(Vec<Node>) -> Node;
            let (list, make): (&Vec<Spanned<RawCond>>, Make) = if let Some(l) = &raw.all {
                (l, Node::All)
            } else if let Some(l) = &raw.any {
                (l, Node::Any)
            } else if let Some(l) = &raw.none {
                (l, Node::None)
            } else {
                return None;
            };
            if list.is_empty() {
                self.errors.push(ctx.err(at, "empty condition group"));
                return None;
            }
            let children: Vec<Node> = list.iter().filter_map(|c| self.cond(ctx, c, rule)).collect();
            return Some(make(children));
        }
        if ops != 1 {
            self.errors.push(ctx.err(at, "a field test needs exactly one operator: regex, words, equals, in or present"));
            return None;
        }
        let field = match &raw.field {
            None => Field::Text,
            Some(f) => match Field::parse(f.get_ref()) {
                Some(x) => x,
                None => {
                    self.errors.push(ctx.err(f.span().start, format!(
                        "unknown field `{}` (known: text, all_text, subject, body, signature, quoted, {}, entity.{})",
                        f.get_ref(), META_NAMES.join(", "), EntityKind::NAMES.join(", entity."))));
                    return None;
                }
            },
        };
        let op = if let Some(re) = &raw.regex {
            let pat = fold_pattern(re.get_ref());
            if let Err(e) = Regex::new(&pat) {
                self.errors.push(ctx.err(re.span().start, format!("bad regex `{}`: {}", re.get_ref(), first_line(&e.to_string()))));
                return None;
            }
            self.pattern(field, pat, rule)
        } else if let Some(words) = &raw.words {
            if words.is_empty() || words.iter().any(|w| fold(w.get_ref()).text.trim_end_matches('*').trim().is_empty()) {
                self.errors.push(ctx.err(at, "`words` needs a non-empty list of non-empty words"));
                return None;
            }
            let list: Vec<String> = words.iter().map(|w| w.get_ref().clone()).collect();
            self.pattern(field, words_pattern(&list), rule)
        } else if let Some(v) = &raw.equals {
            Op::Equals(vec![fold(v.get_ref()).text])
        } else if let Some(list) = &raw.in_list {
            if list.is_empty() {
                self.errors.push(ctx.err(at, "`in` needs a non-empty list"));
                return None;
            }
            Op::Equals(list.iter().map(|v| fold(v.get_ref()).text).collect())
        } else {
            Op::Present(raw.present.unwrap_or(true))
        };
        self.leaves.push(Leaf { field, op });
        Some(Node::Leaf(self.leaves.len() - 1))
    }

    /// Registers a (folded, valid) pattern in the right set and returns its operator.
    fn pattern(&mut self, field: Field, pat: String, rule: u32) -> Op {
        if let Field::Entity(_) = field {
            // Validated by the caller; entity tests run the regex directly.
            return match Regex::new(&pat) {
                Ok(re) => Op::EntityRegex(re),
                Err(_) => Op::Present(false),
            };
        }
        let text = field.is_text();
        let (pats, index, regexes, pat_rules) = if text {
            (&mut self.text_pats, &mut self.text_index, &mut self.text_regexes, &mut self.text_pat_rules)
        } else {
            (&mut self.meta_pats, &mut self.meta_index, &mut self.meta_regexes, &mut self.meta_pat_rules)
        };
        let idx = match index.get(&pat) {
            Some(&i) => i,
            None => {
                let i = pats.len();
                // Already validated by the caller.
                let Ok(re) = Regex::new(&pat) else { return Op::Present(false) };
                index.insert(pat.clone(), i);
                pats.push(pat);
                regexes.push(re);
                pat_rules.push(Vec::new());
                i
            }
        };
        if pat_rules[idx].last() != Some(&rule) {
            pat_rules[idx].push(rule);
        }
        Op::Set(idx)
    }

    /// Builds the sets. `extra` patterns (entity triggers) are appended to the text set, from
    /// index `Compiled::entity_base` on; they belong to no rule.
    pub fn finish(mut self, extra: Vec<String>) -> Result<Compiled, Vec<RuleError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        let entity_base = self.text_pats.len();
        for pat in extra {
            let re = Regex::new(&pat).map_err(|e| vec![RuleError::Set { message: first_line(&e.to_string()).to_string() }])?;
            self.text_pats.push(pat);
            self.text_regexes.push(re);
            self.text_pat_rules.push(Vec::new());
        }
        let build = |pats: &[String]| {
            RegexSetBuilder::new(pats)
                .size_limit(256 << 20)
                .dfa_size_limit(64 << 20)
                .build()
                .map_err(|e| vec![RuleError::Set { message: first_line(&e.to_string()).to_string() }])
        };
        let text_set = build(&self.text_pats)?;
        let meta_set = build(&self.meta_pats)?;
        let mut rule_text_pats = vec![Vec::new(); self.rules.len()];
        for (p, rules) in self.text_pat_rules.iter().enumerate() {
            for &r in rules {
                rule_text_pats[r as usize].push(p as u32);
            }
        }
        let mut always = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            if optimistic_without_hits(&r.when, &self.leaves) {
                always.push(i as u32);
            }
        }
        Ok(Compiled {
            rules: self.rules,
            leaves: self.leaves,
            text_set,
            text_regexes: self.text_regexes,
            text_pat_rules: self.text_pat_rules,
            meta_set,
            meta_regexes: self.meta_regexes,
            meta_pat_rules: self.meta_pat_rules,
            always,
            entity_base,
            rule_text_pats,
        })
    }
}

/// Could the node be true when no set pattern matched? Non-set leaves are taken as possibly true
/// (or false, under `none`), so rules that can match without any pattern hit are always checked.
fn optimistic_without_hits(n: &Node, leaves: &[Leaf]) -> bool {
    fn can(n: &Node, leaves: &[Leaf], want: bool) -> bool {
        match n {
            Node::Leaf(i) => match leaves[*i].op {
                Op::Set(_) => !want,
                _ => true,
            },
            Node::All(c) if want => c.iter().all(|x| can(x, leaves, true)),
            Node::All(c) => c.is_empty() || c.iter().any(|x| can(x, leaves, false)),
            Node::Any(c) if want => c.iter().any(|x| can(x, leaves, true)),
            Node::Any(c) => c.iter().all(|x| can(x, leaves, false)),
            Node::None(c) if want => c.iter().all(|x| can(x, leaves, false)),
            Node::None(c) => c.iter().any(|x| can(x, leaves, true)),
        }
    }
    can(n, leaves, true)
}

fn first_line(s: &str) -> &str {
    // regex errors are multi-line with a caret diagram; keep the last, most specific line.
    s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(s).trim()
}
