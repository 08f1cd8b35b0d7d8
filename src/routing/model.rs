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
//! - character 3- and 4-grams of the words of subject and own words (`c:`), so a misspelling
//!   ("fizcalizacion") still shares most features with the word;
//! - the sender's domain and its public suffix (`d:`), attachment name words (`a:`), the channel.
//!
//! Values are `1 + ln(count)` times the zone weight, hashed (FNV-1a) into [`BUCKETS`] and the
//! vector scaled to unit length. Training is stochastic gradient descent on the softmax loss with
//! L2 regularisation, examples shuffled with a fixed seed each epoch.

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

/// The words of a folded text: runs of ASCII letters and digits of at least two bytes (or a
/// number), as slices; a word of more than three bytes with digits is kept as its shape (`#` for
/// each digit) so placas and radicados share features without memorising each number.
fn words(folded: &str) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    folded
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 2 || (!w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())))
        .map(|w| {
            if w.len() > 3 && w.bytes().any(|b| b.is_ascii_digit()) {
                std::borrow::Cow::Owned(w.bytes().map(|b| if b.is_ascii_digit() { '#' } else { b as char }).collect())
            } else {
                std::borrow::Cow::Borrowed(w)
            }
        })
}

/// At most this many bytes of each zone are read (long mails say what they want early).
const MAX_ZONE_BYTES: usize = 6_000;

/// Character n-grams are taken from the first this many words of a zone.
const MAX_GRAM_WORDS: usize = 200;

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

/// FNV-1a of a character n-gram of `<word>` (the word padded with `<` and `>`), without
/// building the padded string.
fn gram_hash(word: &[u8], start: usize, n: usize) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in b"c:" {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    for i in start..start + n {
        let b = if i == 0 { b'<' } else if i == word.len() + 1 { b'>' } else { word[i - 1] };
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % BUCKETS as u64) as u32
}

const ZONE_PREFIX: [&[u8]; 4] = [b"s:", b"b:", b"q:", b"q:"];
const ZONE_WEIGHT: [f32; 4] = [2.0, 1.0, 0.25, 0.25];

/// The four texts of a message, folded: subject, own words, quoted text, signature.
pub(crate) fn folded_zones(input: &RouteInput<'_>) -> [String; 4] {
    let z = zones::split_body(input.body);
    [fold(input.subject).text, fold(&z.own).text, fold(&z.quoted).text, fold(&z.signature).text]
}

/// The features of one message.
pub fn features(input: &RouteInput<'_>) -> Features {
    let f = folded_zones(input);
    features_folded([&f[0], &f[1], &f[2], &f[3]], input)
}

/// The features from already folded zones (subject, own words, quoted text, signature), as
/// routing has them.
pub(crate) fn features_folded(texts: [&str; 4], input: &RouteInput<'_>) -> Features {
    let mut acc: Vec<(u32, f32)> = Vec::with_capacity(4096);
    for (zone, text) in texts.iter().enumerate() {
        let (prefix, weight) = (ZONE_PREFIX[zone], ZONE_WEIGHT[zone]);
        let folded = clip(text);
        let mut prev: Option<std::borrow::Cow<'_, str>> = None;
        for (n_word, w) in words(folded).enumerate() {
            acc.push((fnv(prefix, &[&w]), weight));
            if let Some(p) = &prev {
                acc.push((fnv(prefix, &[p, &w]), weight));
            }
            if zone < 2 && w.len() >= 4 && n_word < MAX_GRAM_WORDS {
                let b = w.as_bytes();
                let padded = b.len() + 2;
                for n in 3..=4 {
                    for start in 0..=padded.saturating_sub(n) {
                        acc.push((gram_hash(b, start, n), weight * 0.3));
                    }
                }
            }
            prev = Some(w);
        }
    }
    let from = input.from_address;
    let address = match (from.rfind('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => &from[a + 1..b],
        _ => from,
    };
    if let Some((_, domain)) = address.rsplit_once('@') {
        let domain = domain.trim().to_ascii_lowercase();
        acc.push((fnv(b"d:", &[&domain]), 1.0));
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() >= 2 {
            acc.push((fnv(b"d:", &[&labels[labels.len() - 2..].join(".")]), 1.0));
        }
    }
    for name in input.attachment_names {
        let folded = fold(name).text;
        for w in words(&folded) {
            acc.push((fnv(b"a:", &[&w]), 0.5));
        }
    }
    acc.push((fnv(b"ch:", &[input.channel]), 0.5));

    // Sum per bucket, dampen counts, unit length.
    acc.sort_unstable_by_key(|p| p.0);
    let mut idx: Vec<u32> = Vec::with_capacity(acc.len());
    let mut val: Vec<f32> = Vec::with_capacity(acc.len());
    for (k, v) in acc {
        if idx.last() == Some(&k) {
            *val.last_mut().unwrap() += v;
        } else {
            idx.push(k);
            val.push(v);
        }
    }
    for v in val.iter_mut() {
        if *v > 1.0 {
            *v = 1.0 + v.ln();
        }
    }
    let norm = val.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-6);
    for v in val.iter_mut() {
        *v /= norm;
    }
    Features { idx, val }
}

/// The words and word pairs of the (folded) subject and own words, with their bucket (for
/// explanations; a pair is shown as the words joined by a space).
pub(crate) fn word_features<'a>(subject: &'a str, own: &'a str) -> Vec<(u32, std::borrow::Cow<'a, str>, Option<std::borrow::Cow<'a, str>>)> {
    let mut out = Vec::new();
    for (zone, text) in [subject, own].iter().enumerate() {
        let folded = clip(text);
        let mut prev: Option<std::borrow::Cow<'a, str>> = None;
        for w in words(folded) {
            out.push((fnv(ZONE_PREFIX[zone], &[&w]), w.clone(), None));
            if let Some(p) = prev.take() {
                out.push((fnv(ZONE_PREFIX[zone], &[&p, &w]), p, Some(w.clone())));
            }
            prev = Some(w);
        }
    }
    out
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
        TrainOptions { epochs: 15, learning_rate: 0.6, l2: 1e-5, seed: 17 }
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

    /// The words (and word pairs) of `words` (from [`word_features`]) that weigh most for class
    /// `c` in `x`, best first.
    pub fn top_words(&self, x: &Features, words: &[(u32, std::borrow::Cow<'_, str>, Option<std::borrow::Cow<'_, str>>)], c: usize, n: usize) -> Vec<String> {
        let k = self.classes.len();
        let pos = |f: u32| x.idx.binary_search(&f).ok();
        let mut scored: Vec<(f32, usize)> = words
            .iter()
            .enumerate()
            .filter_map(|(j, (f, _, _))| pos(*f).map(|i| (x.val[i] * self.w[*f as usize * k + c], j)))
            .filter(|(s, _)| *s > 0.0)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut out: Vec<String> = Vec::new();
        for (_, j) in scored {
            let (_, a, b) = &words[j];
            let w = match b {
                Some(b) => format!("{a} {b}"),
                None => a.to_string(),
            };
            if !out.contains(&w) {
                out.push(w);
            }
            if out.len() == n {
                break;
            }
        }
        out
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
        let folded = fold("Pido la visita de fiscalización").text;
        assert!(word_features("", &folded).iter().any(|(_, w, _)| w == "fiscalizacion"));
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
        let ws = word_features("", "me sale error al entrar a la plataforma anna");
        let top = m.top_words(&unseen, &ws, 2, 3);
        assert!(top.iter().any(|w| w.contains("anna") || w.contains("plataforma") || w.contains("error")), "{top:?}");
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
