//! Rules and the learned model together: the confidence of a decision and its candidates.
//!
//! For departments (and, apart, for kinds) the rules' evidence and the model are combined as a
//! product of experts: `log p(d) = model_weight · log p_model(d) + score_rules(d) / temperature`,
//! normalised. A rule at priority ≥ 700 that matched the citizen's own words still decides alone;
//! its confidence is then at least `decisive_confidence`. Otherwise the department with the
//! highest combined probability wins, and that probability is the confidence. Below
//! `threshold` (`rules/model.toml`) the decision goes to triage (`needs_review`) with its top
//! candidates. `pqrs rules eval` measures all of it by k-fold cross-validation and says which
//! threshold keeps the mails routed without review right 19 times in 20.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::model::{features, features_folded, word_features, Features, LinearModel, TrainOptions};
use super::{ParsedMail, RouteInput, RuleError};

/// `rules/model.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfidenceSettings {
    /// A department decision with confidence below this goes to triage.
    pub threshold: f64,
    /// Priority points per unit of log-odds when the rules' scores become probabilities.
    pub rules_temperature: f64,
    /// Weight of the model's log-probabilities against the rules'.
    pub model_weight: f64,
    /// The least confidence of a decision made by a decisive rule (priority ≥ 700).
    pub decisive_confidence: f64,
    /// A decisive rule is overruled when rules and model together give its department less
    /// than this probability (0: never, a decisive rule always decides alone).
    #[serde(default)]
    pub decisive_veto: f64,
}

impl Default for ConfidenceSettings {
    fn default() -> Self {
        ConfidenceSettings { threshold: 0.7, rules_temperature: 300.0, model_weight: 2.0, decisive_confidence: 0.0, decisive_veto: 0.0 }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    confidence: ConfidenceSettings,
}

impl ConfidenceSettings {
    /// Reads `rules_dir/model.toml`; a missing file gives the defaults.
    pub fn load(rules_dir: &Path) -> Result<ConfidenceSettings, RuleError> {
        let path = rules_dir.join("model.toml");
        let src = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfidenceSettings::default()),
            Err(source) => return Err(RuleError::Io { path, source }),
        };
        let name = path.display().to_string();
        let f: ModelFile = toml::from_str(&src).map_err(|e| RuleError::toml(&name, &src, e, "[confidence]"))?;
        let c = f.confidence;
        let bad = |m: &str| RuleError::At { file: name.clone(), line: 1, rule: None, message: m.to_string() };
        if [c.threshold, c.decisive_confidence, c.decisive_veto].iter().any(|v| !(0.0..=1.0).contains(v)) {
            return Err(bad("threshold, decisive_confidence and decisive_veto must be between 0 and 1"));
        }
        if c.rules_temperature <= 0.0 || c.model_weight < 0.0 {
            return Err(bad("rules_temperature must be positive and model_weight not negative"));
        }
        Ok(c)
    }
}

/// A labelled example: a message and its department and kind.
#[derive(Debug, Clone)]
pub struct Example {
    pub mail: ParsedMail,
    pub channel: String,
    pub department: String,
    pub kind: String,
}

/// The two trained models.
#[derive(Debug, Clone)]
pub struct Learned {
    pub(crate) departments: LinearModel,
    pub(crate) kinds: LinearModel,
    /// How many examples it was trained on.
    pub examples: usize,
}

impl Learned {
    /// Trains on `examples` for these department codes and kinds; examples naming an unknown
    /// department or kind are skipped.
    pub fn train(department_codes: &[String], kinds: &[&str], examples: &[Example]) -> Learned {
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        let feats: Vec<(Features, Option<usize>, Option<usize>)> = examples
            .iter()
            .map(|e| {
                let input = e.mail.as_input(&e.channel);
                (
                    features(&input),
                    department_codes.iter().position(|d| *d == e.department),
                    kinds.iter().position(|k| *k == e.kind),
                )
            })
            .collect();
        let dep: Vec<(&Features, usize)> = feats.iter().filter_map(|(f, d, _)| d.map(|d| (f, d))).collect();
        let kin: Vec<(&Features, usize)> = feats.iter().filter_map(|(f, _, k)| k.map(|k| (f, k))).collect();
        Learned {
            departments: LinearModel::train(department_codes, &dep, TrainOptions::default()),
            kinds: LinearModel::train(&kinds, &kin, TrainOptions::default()),
            examples: examples.len(),
        }
    }
}

/// One of the likely departments of a decision.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Candidate {
    pub department: String,
    /// The combined probability (0 to 1).
    pub score: f64,
}

/// What the rules said about one value (department or kind): each value's score, and whether a
/// decisive rule chose it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleScores {
    pub scores: Vec<(String, i64)>,
    pub decisive: Option<String>,
    /// The rules' own choice (decisive, else the best score).
    pub winner: Option<String>,
}

/// The combined distribution over `classes`, as probabilities in `classes` order.
pub(crate) fn combine(classes: &[String], model: Option<&[f32]>, rules: &RuleScores, s: &ConfidenceSettings) -> Vec<f64> {
    let mut logits: Vec<f64> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let r = rules.scores.iter().find(|(v, _)| v == c).map_or(0.0, |(_, p)| *p as f64 / s.rules_temperature);
            let m = model.map_or(0.0, |p| s.model_weight * f64::from(p[i].max(1e-6)).ln());
            r + m
        })
        .collect();
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for l in logits.iter_mut() {
        *l = (*l - max).exp();
        sum += *l;
    }
    logits.iter().map(|l| l / sum).collect()
}

/// The decision on one value: the value, its confidence, the distribution.
pub(crate) struct Choice {
    pub value: Option<String>,
    pub confidence: f64,
    pub probabilities: Vec<f64>,
}

/// Choose a value: a decisive rule's, else the most probable of the combined distribution
/// (none when neither the rules nor a model say anything).
pub(crate) fn choose(classes: &[String], model: Option<&[f32]>, rules: &RuleScores, s: &ConfidenceSettings) -> Choice {
    let p = combine(classes, model, rules, s);
    if let Some(d) = &rules.decisive {
        let i = classes.iter().position(|c| c == d);
        let vetoed = model.is_some() && i.is_some_and(|i| p[i] < s.decisive_veto);
        if !vetoed {
            let conf = i.map_or(s.decisive_confidence, |i| p[i].max(s.decisive_confidence));
            return Choice { value: Some(d.clone()), confidence: conf, probabilities: p };
        }
    }
    if model.is_none() && rules.scores.is_empty() {
        return Choice { value: None, confidence: 0.0, probabilities: p };
    }
    let best = (0..p.len()).max_by(|a, b| p[*a].total_cmp(&p[*b]).then(b.cmp(a)));
    match best {
        Some(i) => Choice { value: Some(classes[i].clone()), confidence: p[i], probabilities: p },
        None => Choice { value: None, confidence: 0.0, probabilities: p },
    }
}

/// The top `n` classes of a distribution, best first.
pub(crate) fn top(classes: &[String], p: &[f64], n: usize) -> Vec<Candidate> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|a, b| p[*b].total_cmp(&p[*a]).then(a.cmp(b)));
    idx.into_iter().take(n).map(|i| Candidate { department: classes[i].clone(), score: (p[i] * 1000.0).round() / 1000.0 }).collect()
}

/// The model's probabilities and words for one input.
pub(crate) struct ModelView {
    pub features: Features,
    pub departments: Vec<f32>,
    pub kinds: Vec<f32>,
}

impl Learned {
    pub(crate) fn view(&self, input: &RouteInput<'_>) -> ModelView {
        self.view_of(features(input))
    }

    /// The view from the zones routing already folded: subject, own words, quoted, signature.
    pub(crate) fn view_folded(&self, texts: [&str; 4], input: &RouteInput<'_>) -> ModelView {
        self.view_of(features_folded(texts, input))
    }

    fn view_of(&self, features: Features) -> ModelView {
        ModelView { departments: self.departments.probabilities(&features), kinds: self.kinds.probabilities(&features), features }
    }

    /// The model's probability of department `code` for this message.
    pub fn department_probability(&self, input: &RouteInput<'_>, code: &str) -> f32 {
        let v = self.view(input);
        self.departments.classes().iter().position(|c| c == code).map_or(0.0, |i| v.departments[i])
    }

    /// The words that weighed most for department `code`.
    pub(crate) fn words_for(&self, subject: &str, own: &str, v: &ModelView, code: &str, n: usize) -> Vec<String> {
        match self.departments.classes().iter().position(|c| c == code) {
            Some(i) => self.departments.top_words(&v.features, &word_features(subject, own), i, n),
            None => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn rules_alone_give_a_confidence_from_the_margin() {
        let classes = s(&["A", "B", "C"]);
        let set = ConfidenceSettings::default();
        let strong = RuleScores { scores: vec![("A".into(), 900), ("B".into(), 100)], decisive: None, winner: None };
        let weak = RuleScores { scores: vec![("A".into(), 500), ("B".into(), 480)], decisive: None, winner: None };
        let a = choose(&classes, None, &strong, &set);
        let b = choose(&classes, None, &weak, &set);
        assert_eq!((a.value.as_deref(), b.value.as_deref()), (Some("A"), Some("A")));
        assert!(a.confidence > 0.85 && b.confidence < 0.6, "{} {}", a.confidence, b.confidence);
        let none = choose(&classes, None, &RuleScores::default(), &set);
        assert_eq!(none.value, None);
    }

    #[test]
    fn the_model_can_overturn_weak_rules_but_not_a_decisive_one() {
        let classes = s(&["A", "B"]);
        let set = ConfidenceSettings::default();
        let model = [0.02f32, 0.98];
        let weak = RuleScores { scores: vec![("A".into(), 300)], decisive: None, winner: None };
        assert_eq!(choose(&classes, Some(&model), &weak, &set).value.as_deref(), Some("B"));
        let decisive = RuleScores { scores: vec![("A".into(), 900)], decisive: Some("A".into()), winner: None };
        let c = choose(&classes, Some(&model), &decisive, &set);
        assert_eq!(c.value.as_deref(), Some("A"), "a decisive rule decides alone");
        assert!(c.confidence >= set.decisive_confidence);
        let floor = ConfidenceSettings { decisive_confidence: 0.95, ..set };
        assert!(choose(&classes, Some(&model), &decisive, &floor).confidence >= 0.95);
        // With a veto, a model that is sure enough overrules the decisive rule.
        let veto = ConfidenceSettings { decisive_veto: 0.5, ..set };
        let sure = [0.001f32, 0.999];
        assert_eq!(choose(&classes, Some(&sure), &decisive, &veto).value.as_deref(), Some("B"));
        assert_eq!(choose(&classes, None, &decisive, &veto).value.as_deref(), Some("A"), "never without a model");
        let t = top(&classes, &c.probabilities, 3);
        assert_eq!(t.len(), 2);
        assert!(t[0].score >= t[1].score);
    }

    #[test]
    fn settings_load_and_refuse_nonsense() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ConfidenceSettings::load(dir.path()).unwrap(), ConfidenceSettings::default());
        std::fs::write(dir.path().join("model.toml"), "[confidence]\nthreshold = 0.7\nrules_temperature = 100\nmodel_weight = 1.5\ndecisive_confidence = 0.95\n").unwrap();
        assert_eq!(ConfidenceSettings::load(dir.path()).unwrap().threshold, 0.7);
        std::fs::write(dir.path().join("model.toml"), "[confidence]\nthreshold = 7\nrules_temperature = 100\nmodel_weight = 1\ndecisive_confidence = 0.9\n").unwrap();
        assert!(ConfidenceSettings::load(dir.path()).is_err());
        std::fs::write(dir.path().join("model.toml"), "[confidence]\nthreshhold = 0.7\n").unwrap();
        assert!(ConfidenceSettings::load(dir.path()).unwrap_err().to_string().contains("model.toml"));
    }
}
