//! Routing cost per message: a typical citizen mail through the default ANM rule set, with and
//! without the learned model, and through 500 synthetic rules (specific words and regexes, as rule
//! files grow), median and p99 of 5,000 calls after a warm-up; and the time to train the model on
//! the labelled mails and on 10,000 examples. Run: `cargo bench --bench routing`.

use std::path::Path;
use std::time::Instant;

use pqrs::routing::{RouteInput, RuleSet};

const MAIL: &str = "Buenos días señores de la Agencia Nacional de Minería. Les escribo porque unos señores entraron \
con una retroexcavadora a mi título JLC-16401 en la vereda El Cedro de Segovia y están sacando material sin permiso. \
Ya fui a la alcaldía y me dijeron que esto es con ustedes. Necesito que hagan una visita y me digan qué hago con el amparo \
administrativo, porque no me han contestado desde el año pasado. Adjunto fotos y la copia de mi cédula 15.372.886.\n\n\
Atentamente,\nRafael Guerra\nCel 3001234567";

fn synthetic_rules(dir: &Path, n: usize) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    for f in ["departments.toml", "regions.toml"] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    std::fs::create_dir_all(dir.join("routing")).unwrap();
    let depts = ["PRES", "VCT", "RMN", "VSC", "SSM", "REG", "VPF", "VAF", "OAJ", "OTI", "CID", "GAPCC"];
    let mut s = String::new();
    for i in 0..n {
        let d = depts[i % depts.len()];
        if i % 2 == 0 {
            s.push_str(&format!(
                "[[rule]]\nid = \"syn-{i}\"\npriority = {}\n[rule.when]\nany = [ {{ words = [\"termino{i} especifico\", \"palabra{i}\", \"tramite numero {i}\"] }} ]\n[rule.then]\ndepartment = \"{d}\"\n\n",
                100 + i
            ));
        } else {
            s.push_str(&format!(
                "[[rule]]\nid = \"syn-{i}\"\npriority = {}\n[rule.when]\nany = [ {{ regex = '\\bexpediente{i}\\b.{{0,40}}\\bplaca\\b' }} ]\n[rule.then]\ndepartment = \"{d}\"\n\n",
                100 + i
            ));
        }
    }
    std::fs::write(dir.join("routing/synthetic.toml"), s).unwrap();
}

fn time(label: &str, rules: &RuleSet) {
    let input = RouteInput { subject: "Amparo administrativo por perturbación en mi título", body: MAIL, from_address: "rafa@example.com", to: &[], channel: "correo_contacto", attachment_names: &[] };
    for _ in 0..500 {
        std::hint::black_box(rules.route(&input));
    }
    let mut t: Vec<f64> = (0..5000)
        .map(|_| {
            let s = Instant::now();
            std::hint::black_box(rules.route(&input));
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("| {label} | {} | {:.1} | {:.1} |", rules.len(), t[2500], t[4950]);
}

fn main() {
    println!("| rule set | rules | median µs/message | p99 µs |");
    println!("|---|---:|---:|---:|");
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let default = RuleSet::load_dir(&rules_dir).unwrap();
    time("default ANM set, rules alone", &default);
    let examples: Vec<pqrs::routing::Example> = pqrs::routing::training::examples_from_dir(&default, &rules_dir.join("tests"))
        .unwrap()
        .into_iter()
        .map(|s| s.example)
        .collect();
    let t = Instant::now();
    let model = pqrs::routing::training::train(&default, &examples);
    let small = t.elapsed().as_secs_f64();
    default.set_model(Some(std::sync::Arc::new(model)));
    time("default ANM set + learned model", &default);
    // 10,000 examples: the labelled mails again and again, each copy with its own extra words so
    // the features are not all repeats.
    let big: Vec<pqrs::routing::Example> = (0..10_000)
        .map(|i| {
            let mut e = examples[i % examples.len()].clone();
            e.mail.body.push_str(&format!(" copia{i} variante{} ", i % 97));
            e
        })
        .collect();
    let t = Instant::now();
    std::hint::black_box(pqrs::routing::training::train(&default, &big));
    let large = t.elapsed().as_secs_f64();
    println!();
    println!("training: {} labelled mails {small:.2} s; 10,000 examples {large:.1} s", examples.len());
    println!();
    let dir = tempfile::tempdir().unwrap();
    synthetic_rules(dir.path(), 500);
    let syn = RuleSet::load_dir(dir.path()).unwrap();
    time("500 synthetic rules", &syn);
}
