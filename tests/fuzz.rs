//! Property-based fuzzing (proptest) of the two public inputs: raw mail through parse → route →
//! file, and the filing form/API input through validation → filing. Whatever the input, nothing
//! panics, and every mail ends as exactly one outcome with nothing lost. Case counts come from
//! `PROPTEST_CASES` (the test command sets a bounded number; run longer with a larger value).
//! Failures proptest finds are kept under `proptest-regressions/` and replayed on every run.

mod common;

use std::sync::Arc;

use common::{config_with, TestDb};
use diesel::prelude::*;
use pqrs::intake::parse::{parse_message, ParseOptions};
use pqrs::intake::web_form::{validate, FilingInput, Upload};
use pqrs::intake::{Intake, Outcome, RawMail, Source};
use proptest::prelude::*;
use proptest::strategy::ValueTree;

const SAMPLES: [&[u8]; 6] = [
    include_bytes!("data/mail/002.eml"),
    include_bytes!("data/mail/006.eml"),
    include_bytes!("data/mail/010.eml"),
    include_bytes!("data/mail/040.eml"),
    include_bytes!("data/mail/088.eml"),
    include_bytes!("data/mail/096.eml"),
];

/// A sample mail, mutated: truncated, bytes flipped, junk inserted, headers duplicated.
fn mutated_mail() -> impl Strategy<Value = Vec<u8>> {
    (0..SAMPLES.len(), prop::collection::vec((any::<u16>(), any::<u8>(), 0u8..4), 0..12), any::<u16>()).prop_map(|(i, edits, cut)| {
        let mut m = SAMPLES[i].to_vec();
        for (pos, byte, op) in edits {
            if m.is_empty() {
                break;
            }
            let p = pos as usize % m.len();
            match op {
                0 => m[p] = byte,
                1 => m.insert(p, byte),
                2 => {
                    m.remove(p);
                }
                _ => {
                    let chunk: Vec<u8> = m[p..(p + 40).min(m.len())].to_vec();
                    m.splice(p..p, chunk);
                }
            }
        }
        if cut % 3 == 0 && !m.is_empty() {
            m.truncate(cut as usize % m.len());
        }
        m
    })
}

fn any_mail() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![mutated_mail(), prop::collection::vec(any::<u8>(), 0..2048)]
}

proptest! {
    #[test]
    fn parsing_never_panics(raw in any_mail()) {
        let _ = parse_message(&raw, &ParseOptions::default());
    }

    #[test]
    fn routing_never_panics(subject in ".{0,200}", body in ".{0,3000}", from in ".{0,80}") {
        let rules = rules();
        let _ = rules.route(&pqrs::routing::RouteInput { subject: &subject, body: &body, from_address: &from, to: &[], channel: "correo_contacto", attachment_names: &[] });
    }

    #[test]
    fn validation_never_panics(name in ".{0,300}", email in ".{0,80}", subject in ".{0,300}", message in ".{0,500}",
                               doc in ".{0,30}", kind in ".{0,30}", consent in any::<bool>(), anonymous in any::<bool>(),
                               file in prop::collection::vec(any::<u8>(), 0..300), filename in ".{0,60}") {
        let input = FilingInput { name, email, subject, message, document_number: doc, kind, consent, anonymous, document_type: "CC".into(), ..Default::default() };
        let _ = validate(input, vec![Upload { filename, bytes: file }]);
    }
}

/// The default rule set, loaded once for all cases.
fn rules() -> &'static pqrs::routing::RuleSet {
    static RULES: std::sync::OnceLock<pqrs::routing::RuleSet> = std::sync::OnceLock::new();
    RULES.get_or_init(|| pqrs::routing::RuleSet::load_dir(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/rules"))).unwrap())
}

/// The whole parse → file path on a real (SQLite) store: every input ends as one outcome, raw
/// bytes kept (as a message or a quarantine record), never an error.
#[test]
fn every_fuzzed_mail_is_stored_exactly_once_as_one_outcome() {
    let db = TestDb::new(common::Backend::Sqlite);
    let intake = Intake::load(Arc::new(config_with(&[
        ("PQRS_DATABASE_URL", db.url_string()),
        ("PQRS_RULES_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/rules").into()),
    ])))
    .unwrap();
    let mut conn = db.conn();
    let mut runner = proptest::test_runner::TestRunner::default();
    let mut distinct = std::collections::BTreeSet::new();
    let mut stored = 0i64;
    let cases = runner.config().cases;
    for _ in 0..cases {
        let raw = any_mail().new_tree(&mut runner).unwrap().current();
        let m = RawMail { bytes: &raw, source: Source::Import, source_ref: Some("fuzz"), source_time: None };
        let outcome = intake.process(&mut conn, m, false).unwrap_or_else(|e| panic!("storage error on {raw:?}: {e}"));
        if !matches!(outcome, Outcome::Duplicate) {
            stored += 1;
        }
        distinct.insert(raw);
    }
    use pqrs::db::schema::{messages, quarantine};
    let n_msg: i64 = messages::table.count().get_result(&mut conn).unwrap();
    let n_q: i64 = quarantine::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n_msg + n_q, stored, "every non-duplicate input is one stored row");
    assert!(stored as usize <= distinct.len());
}

/// Validated filings always file.
#[test]
fn every_valid_fuzzed_filing_files() {
    let db = TestDb::new(common::Backend::Sqlite);
    let intake = Intake::load(Arc::new(config_with(&[
        ("PQRS_DATABASE_URL", db.url_string()),
        ("PQRS_RULES_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/rules").into()),
    ])))
    .unwrap();
    let mut conn = db.conn();
    let mut runner = proptest::test_runner::TestRunner::default();
    let strat = (".{0,200}", "[a-z]{1,10}@[a-z]{1,10}\\.co", ".{3,200}", ".{10,2000}", any::<bool>());
    let mut filed = 0;
    for _ in 0..runner.config().cases {
        let (name, email, subject, message, anonymous) = strat.new_tree(&mut runner).unwrap().current();
        let input = FilingInput { name, email, subject, message, anonymous, consent: true, ..Default::default() };
        if let Ok(v) = validate(input, vec![]) {
            intake.file_web(&mut conn, v, None, pqrs::domain::Channel::RadicadorWeb, "fuzz", chrono::Utc::now()).unwrap();
            filed += 1;
        }
    }
    let n: i64 = pqrs::db::schema::cases::table.count().get_result(&mut conn).unwrap();
    assert_eq!(n, filed);
}
