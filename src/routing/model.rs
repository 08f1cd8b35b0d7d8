//! The learned part of routing: a linear classifier (multinomial logistic regression) over hashed,
//! folded word and character n-grams, one for departments and one for kinds.
//!
//! Why hand-written: the crates that fit (linfa-logistic, smartcore) train on dense matrices, and
//! a mail's features are a few thousand out of 2^17 hashed buckets: dense training on 10,000
//! examples would take gigabytes. This is the textbook model on sparse vectors in a few hundred
//! lines, deterministic (fixed seed), with its tests below.
//!
//! Features of a message (all on folded text, see `fold.rs`):
//! - words and word pairs of the subject (`s:`), of the citizen's own words (`b:`) and, at a
//!   quarter weight, of the quoted text and signature (`q:`);
//! - character 3- to 5-grams of the words of subject and own words (`c:`), so a misspelling
//!   ("fizcalizacion") still shares most features with the word;
//! - the sender's domain and its public suffix (`d:`), attachment name words (`a:`), the channel.
//!
//! Values are `1 + ln(count)` times the zone weight, hashed (FNV-1a) into [`BUCKETS`] and the
//! vector scaled to unit length. Training is stochastic gradient descent on the softmax loss with
//! L2 regularisation, examples shuffled with a fixed seed each epoch.

use std::collections::HashMap;

use super::fold::fold;
use super::zones;
use super::RouteInput;

/// Hashed feature space size (per model: classes × buckets weights).
pub const BUCKETS: usize = 1 << 17;

/// A sparse feature vector: unique bucket indices with their values (unit length).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub(crate) idx: Vec<u32>,
    pub(crate) val: Vec<f32>,
    /// Word features (zone prefix, text) with their bucket, for explanations.
    pub(crate) words: Vec<(u32, String)>,
}

fn fnv(prefix: &[u8], parts: &[&str]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: u8| {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    for &b in prefix {
        eat(b);
    }
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            eat(b' ');
        }
        for &b in p.as_bytes() {
            eat(b);
        }
    }
    (h % BUCKETS as u64) as u32
}

/// Words of a folded text: runs of letters and digits; digits are kept as a shape (`#`) past
/// three, so placas and radicados share features without memorising each number.
fn words(folded: &str) -> Vec<String> {
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            if w.len() > 3 && w.bytes().any(|b| b.is_ascii_digit()) {
                w.bytes().map(|b| if b.is_ascii_digit() { '#' } else { b as char }).collect()
            } else {
                w.to_string()
            }
        })
        .filter(|w: &String| w.len() >= 2 || w.bytes().all(|b| b.is_ascii_digit()))
        .collect()
}

/// At most this many bytes of each zone are read (long mails say what they want early).
const MAX_ZONE_BYTES: usize = 6_000;

fn clip(s: &str) -> &str {
    if s.len() <= MAX_ZONE_BYTES {
        return s;
    }
    let mut end = MAX_ZONE_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The features of one message.
pub fn features(input: &RouteInput<'_>) -> Features {
    let z = zones::split_body(input.body);
    let mut acc: HashMap<u32, f32> = HashMap::with_capacity(2048);
    let mut word_names: HashMap<u32, String> = HashMap::new();
    let mut add = |k: u32, w: f32| *acc.entry(k).or_insert(0.0) += w;

    let zones_: [(&[u8], &str, f32, bool); 4] = [
        (b"s:", input.subject, 2.0, true),
        (b"b:", &z.own, 1.0, true),
        (b"q:", &z.quoted, 0.25, false),
        (b"q:", &z.signature, 0.25, false),
    ];
    for (prefix, text, weight, grams) in zones_ {
        let folded = fold(clip(text)).text;
        let ws = words(&folded);
        for (i, w) in ws.iter().enumerate() {
            let k = fnv(prefix, &[w]);
            add(k, weight);
            if weight >= 1.0 {
                word_names.entry(k).or_insert_with(|| w.clone());
            }
            if let Some(next) = ws.get(i + 1) {
                let k2 = fnv(prefix, &[w, next]);
                add(k2, weight);
                if weight >= 1.0 {
                    word_names.entry(k2).or_insert_with(|| format!("{w} {next}"));
                }
            }
            if grams && w.len() >= 4 {
                let padded = format!("<{w}>");
                let b = padded.as_bytes();
                for n in 3..=5 {
                    if b.len() < n {
                        continue;
                    }
                    for s in 0..=b.len() - n {
                        // ASCII after folding; a non-ASCII leftover is skipped.
                        if let Ok(g) = std::str::from_utf8(&b[s..s + n]) {
                            add(fnv(b"c:", &[g]), weight * 0.3);
                        }
                    }
                }
            }
        }
    }
    let from = input.from_address;
    let address = match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => &from[a + 1..b],
        _ => from,
    };
    if let Some((_, domain)) = address.rsplit_once('@') {
        let domain = domain.trim().to_ascii_lowercase();
        add(fnv(b"d:", &[&domain]), 1.0);
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() >= 2 {
            add(fnv(b"d:", &[&labels[labels.len() - 2..].join(".")]), 1.0);
        }
    }
    for name in input.attachment_names {
        for w in words(&fold(name).text) {
            add(fnv(b"a:", &[&w]), 0.5);
        }
    }
    add(fnv(b"ch:", &[input.channel]), 0.5);

    let mut pairs: Vec<(u32, f32)> = acc.into_iter().map(|(k, c)| (k, if c > 1.0 { 1.0 + c.ln() } else { c })).collect();
    pairs.sort_unstable_by_key(|p| p.0);
    let norm = pairs.iter().map(|p| p.1 * p.1).sum::<f32>().sqrt().max(1e-6);
    let mut words: Vec<(u32, String)> = word_names.into_iter().collect();
    words.sort_unstable();
    Features { idx: pairs.iter().map(|p| p.0).collect(), val: pairs.iter().map(|p| p.1 / norm).collect(), words }
}

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct TrainOptions {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions { epochs: 30, learning_rate: 0.6, l2: 1e-5, seed: 17 }
    }
}

/// A trained linear model over [`Features`] for a fixed list of classes.
#[derive(Clone)]
pub struct LinearModel {
    classes: Vec<String>,
    /// Feature-major: `w[f * classes + c]`.
    w: Vec<f32>,
    b: Vec<f32>,
}

impl std::fmt::Debug for LinearModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinearModel").field("classes", &self.classes).finish()
    }
}

/// A small deterministic generator (xorshift64*) for shuffling.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl LinearModel {
    /// Trains on `examples` (features, index into `classes`). Classes without examples get no
    /// probability mass beyond what the bias gives them.
    pub fn train(classes: &[String], examples: &[(&Features, usize)], opts: TrainOptions) -> LinearModel {
        let k = classes.len().max(1);
        let mut m = LinearModel { classes: classes.to_vec(), w: vec![0.0; BUCKETS * k], b: vec![0.0; k] };
        if examples.is_empty() {
            return m;
        }
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = Rng(opts.seed.max(1));
        let mut p = vec![0.0f32; k];
        let mut step: f32 = 0.0;
        for _ in 0..opts.epochs {
            for i in (1..order.len()).rev() {
                let j = (rng.next() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
            for &e in &order {
                let (x, y) = examples[e];
                let lr = opts.learning_rate / (1.0 + step * 1e-4);
                step += 1.0;
                m.probabilities_into(x, &mut p);
                for c in 0..k {
                    let g = p[c] - if c == y { 1.0 } else { 0.0 };
                    m.b[c] -= lr * g * 0.1;
                    if g.abs() < 1e-7 {
                        continue;
                    }
                    for (&f, &v) in x.idx.iter().zip(&x.val) {
                        let wi = f as usize * k + c;
                        m.w[wi] -= lr * (g * v + opts.l2 * m.w[wi]);
                    }
                }
            }
        }
        m
    }

    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    fn probabilities_into(&self, x: &Features, out: &mut [f32]) {
        let k = self.classes.len();
        out[..k].copy_from_slice(&self.b);
        for (&f, &v) in x.idx.iter().zip(&x.val) {
            let row = &self.w[f as usize * k..f as usize * k + k];
            for (o, w) in out.iter_mut().zip(row) {
                *o += v * w;
            }
        }
        let max = out.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for o in out.iter_mut() {
            *o = (*o - max).exp();
            sum += *o;
        }
        for o in out.iter_mut() {
            *o /= sum;
        }
    }

    /// The probability of each class (in [`LinearModel::classes`] order).
    pub fn probabilities(&self, x: &Features) -> Vec<f32> {
        let mut p = vec![0.0; self.classes.len()];
        if !p.is_empty() {
            self.probabilities_into(x, &mut p);
        }
        p
    }

    /// The words (and word pairs) of `x` that weigh most for class `c`, best first.
    pub fn top_words(&self, x: &Features, c: usize, n: usize) -> Vec<String> {
        let k = self.classes.len();
        let pos = |f: u32| x.idx.binary_search(&f).ok();
        let mut scored: Vec<(f32, &str)> = x
            .words
            .iter()
            .filter_map(|(f, w)| pos(*f).map(|i| (x.val[i] * self.w[*f as usize * k + c], w.as_str())))
            .filter(|(s, _)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.dedup_by(|a, b| a.1 == b.1);
        scored.into_iter().take(n).map(|(_, w)| w.to_string()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(subject: &'a str, body: &'a str) -> RouteInput<'a> {
        RouteInput { subject, body, from_address: "ana@example.com", to: &[], channel: "correo_contacto", attachment_names: &[] }
    }

    #[test]
    fn features_are_unit_length_sorted_and_fold_accents() {
        let a = features(&input("Fiscalización", "Pido la visita de fiscalización a mi título."));
        let b = features(&input("FISCALIZACION", "pido la visita de fiscalizacion a mi titulo"));
        assert_eq!(a.idx, b.idx, "accents and case do not change the features");
        assert!(a.idx.windows(2).all(|w| w[0] < w[1]));
        let norm: f32 = a.val.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
        assert!(a.words.iter().any(|(_, w)| w == "fiscalizacion"));
        // Numbers become shapes: two placas share their features.
        let p1 = features(&input("", "placa JLC-16401"));
        let p2 = features(&input("", "placa JLC-99999"));
        assert_eq!(p1.idx, p2.idx);
    }

    #[test]
    fn a_misspelling_shares_most_features() {
        let a = features(&input("", "fiscalizacion"));
        let b = features(&input("", "fizcalizacion"));
        let shared = a.idx.iter().filter(|i| b.idx.binary_search(i).is_ok()).count();
        assert!(shared * 2 > a.idx.len(), "{shared} of {}", a.idx.len());
    }

    fn toy() -> (Vec<String>, Vec<Features>, Vec<usize>) {
        let classes: Vec<String> = ["REG", "VSC", "OTI"].iter().map(|s| s.to_string()).collect();
        let texts = [
            ("regalias", "quiero pagar las regalias atrasadas del oro", 0),
            ("canon", "estado de cuenta del canon superficiario y regalias", 0),
            ("pago", "liquidacion de regalias de carbon del trimestre", 0),
            ("visita", "solicito visita de fiscalizacion a la mina", 1),
            ("amparo", "amparo administrativo porque invadieron mi titulo", 1),
            ("mineria ilegal", "denuncio mineria ilegal con retroexcavadoras en el rio", 1),
            ("anna", "no puedo entrar a anna mineria, error de contraseña", 2),
            ("plataforma", "la plataforma anna no carga el formulario, sale error 500", 2),
            ("usuario", "olvide mi usuario de anna mineria y no llega el correo", 2),
        ];
        let feats: Vec<Features> = texts.iter().map(|(s, b, _)| features(&input(s, b))).collect();
        (classes, feats, texts.iter().map(|t| t.2).collect())
    }

    #[test]
    fn it_learns_a_toy_problem_and_generalises_to_new_wording() {
        let (classes, feats, ys) = toy();
        let ex: Vec<(&Features, usize)> = feats.iter().zip(ys.iter().copied()).collect();
        let m = LinearModel::train(&classes, &ex, TrainOptions::default());
        for (x, y) in &ex {
            let p = m.probabilities(x);
            let best = (0..p.len()).max_by(|a, b| p[*a].total_cmp(&p[*b])).unwrap();
            assert_eq!(best, *y, "{p:?}");
        }
        let unseen = features(&input("", "me sale error al entrar a la plataforma anna"));
        let p = m.probabilities(&unseen);
        assert!(p[2] > p[0] && p[2] > p[1], "{p:?}");
        let sum: f32 = p.iter().sum();
        assert!((sum - 1.0).abs() < 1e-4);
        assert!(m.top_words(&unseen, 2, 3).iter().any(|w| w.contains("anna") || w.contains("plataforma") || w.contains("error")), "{:?}", m.top_words(&unseen, 2, 3));
    }

    #[test]
    fn training_is_deterministic() {
        let (classes, feats, ys) = toy();
        let ex: Vec<(&Features, usize)> = feats.iter().zip(ys.iter().copied()).collect();
        let a = LinearModel::train(&classes, &ex, TrainOptions::default());
        let b = LinearModel::train(&classes, &ex, TrainOptions::default());
        assert_eq!(a.w, b.w);
    }

    #[test]
    fn no_examples_gives_a_uniform_model() {
        let classes: Vec<String> = vec!["A".into(), "B".into()];
        let m = LinearModel::train(&classes, &[], TrainOptions::default());
        let p = m.probabilities(&features(&input("x", "y")));
        assert!((p[0] - 0.5).abs() < 1e-6);
    }
}
