//! Evaluation: a compiled [`RuleSet`] against one message, steps 1 to 5 of the module
//! documentation ([`RuleSet::route`]): the texts are split into zones and folded, every pattern
//! is found in one `RegexSet` pass per text, the candidate rules are evaluated (strong, weak and
//! subject modes), and the rules walked decide the department, kind, urgency and tags.

use fixedbitset::FixedBitSet;

use super::learned::{self, Learned, RuleScores};
use super::compile::{
    Compiled, Field, MetaField, Node, Op, META_NAMES, ZONE_BODY, ZONE_NAMES, ZONE_QUOTED,
    ZONE_SIGNATURE, ZONE_SUBJECT,
};
use super::entities::{self, Entities};
use super::fold::{fold, Folded};
use super::zones;
use super::{
    Decision, RouteInput, RuleHit, RuleSet, DEFAULT_KIND, OVERRIDE_PRIORITY, SUBJECT_BONUS,
    SUPPORT_PERCENT, URGENCIES, WEAK_DIVISOR,
};

/// Bounds on what is examined (the rest of a longer text is ignored).
const MAX_SUBJECT_BYTES: usize = 2_000;
const MAX_BODY_BYTES: usize = 100_000;
const MAX_LIST_ITEMS: usize = 50;
const MAX_SNIPPET_CHARS: usize = 160;
/// Rules listed in a decision: the deciding ones always, then supporting and other rules that
/// fired, up to this many in all.
const MAX_HITS: usize = 10;

impl RuleSet {
    /// Routes one message with the rules and the learned model in force. Never fails: when
    /// nothing decides, the decision is the fallback department with `needs_review = true`.
    pub fn route(&self, input: &RouteInput) -> Decision {
        let model = self.learned.load();
        self.route_with(input, model.as_deref())
    }

    /// Routes one message with the rules alone (what `pqrs rules test` checks).
    pub fn route_rules_only(&self, input: &RouteInput) -> Decision {
        self.route_with(input, None)
    }

    /// Routes with the rules and `model` (when given).
    pub fn route_with(&self, input: &RouteInput, model: Option<&Learned>) -> Decision {
        // A model trained for another list of departments is not used.
        let model = model.filter(|m| m.departments.classes() == &self.codes[..]);
        let c = &self.compiled;
        let subject = truncate(input.subject, MAX_SUBJECT_BYTES);
        let body = truncate(input.body, MAX_BODY_BYTES);
        let z = zones::split_body(body);
        let originals: [&str; 4] = [subject, &z.own, &z.signature, &z.quoted];
        let folded: [Folded; 4] = originals.map(fold);

        let mut text_bits: [FixedBitSet; 4] = Default::default();
        for (zone, f) in folded.iter().enumerate() {
            text_bits[zone] = FixedBitSet::with_capacity(c.text_regexes.len());
            if f.text.is_empty() {
                continue;
            }
            for i in c.text_set.matches(&f.text).iter() {
                text_bits[zone].insert(i);
            }
        }

        let meta = meta_values(input);
        let mut meta_bits: [FixedBitSet; 6] = Default::default();
        for (k, values) in meta.iter().enumerate() {
            meta_bits[k] = FixedBitSet::with_capacity(c.meta_regexes.len());
            for (_, f) in values {
                if !f.is_empty() {
                    for i in c.meta_set.matches(f).iter() {
                        meta_bits[k].insert(i);
                    }
                }
            }
        }

        let base = c.entity_base;
        let entities = entities::extract(
            &[&folded[0].text, &folded[1].text, &folded[2].text, &folded[3].text],
            &self.regions,
            &|zone, k| text_bits[zone].contains(base + k),
        );

        // Candidate rules: owners of a pattern that hit, and the always-checked ones.
        let mut candidate = FixedBitSet::with_capacity(c.rules.len());
        for bits in &text_bits {
            for p in bits.ones() {
                for &r in &c.text_pat_rules[p] {
                    candidate.insert(r as usize);
                }
            }
        }
        for bits in &meta_bits {
            for p in bits.ones() {
                for &r in &c.meta_pat_rules[p] {
                    candidate.insert(r as usize);
                }
            }
        }
        for &r in &c.always {
            candidate.insert(r as usize);
        }

        let ev = Eval { c, text_bits: &text_bits, meta_bits: &meta_bits, folded: &folded, meta: &meta, entities: &entities };
        // Re-evaluations that cannot change anything are skipped: the weak one when signature and
        // quoted text matched no pattern, the subject one when the subject holds none of the rule's.
        let weak_zones_hit = !text_bits[ZONE_SIGNATURE].is_clear() || !text_bits[ZONE_QUOTED].is_clear();
        let mut fired: Vec<(i64, usize, bool)> = Vec::new(); // (effective priority, rule, weak)
        for r in candidate.ones() {
            let rule = &c.rules[r];
            if ev.node(&rule.when, Mode::Strong) {
                let in_subject = c.rule_text_pats[r].iter().any(|&p| text_bits[ZONE_SUBJECT].contains(p as usize));
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
        let (department, dep_scores) = decide(c, walked, |r| c.rules[r].then.department.as_deref());
        let (kind, kind_scores) = decide(c, walked, |r| c.rules[r].then.kind.as_deref());
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
        // Rules and model together (`learned.rs`). Without a model the rules' own choice stands.
        let s = &self.confidence;
        // The model reads the zones as the rules folded them (subject, own, quoted, signature).
        let view = model.map(|m| m.view_folded([&folded[0].text, &folded[1].text, &folded[ZONE_QUOTED].text, &folded[ZONE_SIGNATURE].text], input));
        let kinds: Vec<String> = super::KINDS.iter().map(|k| k.to_string()).collect();
        let dchoice = learned::choose(&self.codes, view.as_ref().map(|v| &v.departments[..]), &dep_scores, s);
        let kchoice = learned::choose(&kinds, view.as_ref().map(|v| &v.kinds[..]), &kind_scores, s);
        let (department, confidence) = match (model, department) {
            (None, d) => (d.map(str::to_string), d.and_then(|d| self.codes.iter().position(|c| c == d)).map_or(0.0, |i| dchoice.probabilities[i].max(if dep_scores.decisive.is_some() { s.decisive_confidence } else { 0.0 }))),
            (Some(_), _) => (dchoice.value.clone(), dchoice.confidence),
        };
        let (kind, kind_confidence) = match (model, kind) {
            (None, k) => (k.map(str::to_string), k.and_then(|k| kinds.iter().position(|c| c == k)).map_or(0.0, |i| kchoice.probabilities[i].max(if kind_scores.decisive.is_some() { s.decisive_confidence } else { 0.0 }))),
            (Some(_), _) => (kchoice.value.clone(), kchoice.confidence),
        };
        // `review` belongs to the rules' winner; it holds when the combination kept it.
        let review = review && department.as_deref() == dep_scores.winner.as_deref();
        let candidates = if department.is_some() { learned::top(&self.codes, &dchoice.probabilities, 3) } else { Vec::new() };
        let model_words = match (model, &view, &department) {
            (Some(m), Some(v), Some(d)) => m.words_for(&folded[0].text, &folded[1].text, v, d, 6),
            _ => Vec::new(),
        };
        // The threshold applies with a model in force; the rules alone keep their own rule
        // (review when no rule decides or a rule asks for it), their confidence reported.
        let needs_review = review || department.is_none() || (model.is_some() && confidence < s.threshold);
        Decision {
            department: department.unwrap_or_else(|| self.fallback.clone()),
            kind: kind.unwrap_or_else(|| DEFAULT_KIND.to_string()),
            priority: URGENCIES[urgency.min(URGENCIES.len() - 1)].to_string(),
            tags,
            needs_review,
            confidence: (confidence * 1000.0).round() / 1000.0,
            kind_confidence: (kind_confidence * 1000.0).round() / 1000.0,
            candidates,
            model_words,
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
/// Returns the value and the index (in `walked`) of its best rule, and every value's score.
fn decide<'r>(c: &Compiled, walked: &[(i64, usize, bool)], value: impl Fn(usize) -> Option<&'r str>) -> (Option<(&'r str, usize)>, RuleScores) {
    let mut decisive: Option<(&'r str, usize)> = None;
    for (i, &(_, r, weak)) in walked.iter().enumerate() {
        if !weak && c.rules[r].priority >= OVERRIDE_PRIORITY {
            if let Some(v) = value(r) {
                decisive = Some((v, i));
                break;
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
    for s in &scores {
        if best.is_none_or(|b| s.1 > b.1) {
            best = Some(*s);
        }
    }
    let chosen = decisive.or(best.map(|(v, _, i)| (v, i)));
    let out = RuleScores {
        scores: scores.iter().map(|(v, s, _)| (v.to_string(), *s)).collect(),
        decisive: decisive.map(|(v, _)| v.to_string()),
        winner: chosen.map(|(v, _)| v.to_string()),
    };
    (chosen, out)
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
    text_bits: &'a [FixedBitSet; 4],
    meta_bits: &'a [FixedBitSet; 6],
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
            (Op::Set(p), Field::Meta(m)) => self.meta_bits[m as usize].contains(*p),
            (Op::Set(p), f) => Self::zones(f, weak).iter().any(|&z| self.text_bits[z].contains(*p)),
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
            matches!((&leaf.op, leaf.field), (Op::Set(p), Field::Text | Field::Subject | Field::AllText) if self.text_bits[ZONE_SUBJECT].contains(*p))
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
                    if !self.text_bits[z].contains(*p) {
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
