//! Property-based fuzzing (proptest) of the two public inputs: raw mail through parse → route →
//! file, and the filing form/API input through validation → filing. Whatever the input, nothing
//! panics, and every mail ends as exactly one outcome with nothing lost. `parse_message` catches a
//! panic of the parser itself and returns `ParseError::ParserFailure` (a quarantine reason, so one
//! bad mail never stops intake); here that result is a failure like an escaped panic, shown with
//! its input. Ordinary rejections (`too_large`, `empty`, `not_a_message`) are fine. Case counts
//! come from `PROPTEST_CASES` (the test command sets a bounded number; run longer with a larger
//! value).
//! Failures proptest finds are kept in `tests/fuzz.proptest-regressions` and replayed on every run.

mod common;

use common::TestDb;
use diesel::prelude::*;
use pqrs::intake::parse::{parse_message, ParseError, ParseOptions};
use pqrs::intake::web_form::{validate, FilingInput, Upload};
use pqrs::intake::{Outcome, RawMail, Source};
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

/// `Err` when parsing `raw` panicked or gave [`ParseError::ParserFailure`] (the panic of the
/// parser that `parse_message` caught); any other result, an ordinary rejection included, is fine.
fn parses_without_failure(raw: &[u8]) -> Result<(), String> {
    check_parse(raw, |r| parse_message(r, &ParseOptions::default()))
}

/// [`parses_without_failure`] with the parse function given, so the check itself can be tested.
fn check_parse<T>(raw: &[u8], parse: impl FnOnce(&[u8]) -> Result<T, ParseError>) -> Result<(), String> {
    let shown = || format!("input ({} bytes): {:?}", raw.len(), String::from_utf8_lossy(raw));
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parse(raw))) {
        Err(payload) => {
            let msg = payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned());
            Err(format!("parse_message panicked ({}); {}", msg.as_deref().unwrap_or("?"), shown()))
        }
        Ok(Err(e @ ParseError::ParserFailure(_))) => Err(format!("{}: {e}; {}", e.code(), shown())),
        Ok(_) => Ok(()),
    }
}

proptest! {
    #[test]
    fn parsing_never_panics_nor_fails(raw in any_mail()) {
        if let Err(why) = parses_without_failure(&raw) {
            prop_assert!(false, "{}", why);
        }
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
    let intake = db.intake();
    let mut conn = db.conn();
    let mut runner = proptest::test_runner::TestRunner::default();
    let mut distinct = std::collections::BTreeSet::new();
    let mut stored = 0i64;
    let cases = runner.config().cases;
    for _ in 0..cases {
        let raw = any_mail().new_tree(&mut runner).unwrap().current();
        let m = RawMail { bytes: &raw, source: Source::Import, source_ref: Some("fuzz"), source_time: None };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| intake.process(&mut conn, m, false)))
            .unwrap_or_else(|_| panic!("intake panicked on {:?}", String::from_utf8_lossy(&raw)))
            .unwrap_or_else(|e| panic!("storage error on {raw:?}: {e}"));
        if let Outcome::Quarantined { reason } = &outcome {
            assert!(!reason.starts_with("parser_failure"), "{reason}; input: {:?}", String::from_utf8_lossy(&raw));
        }
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
    let intake = db.intake();
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

/// The parse property fails on a parser failure or a panic, with the input shown, and accepts
/// ordinary rejections (no known input makes the real parser fail, so stand-ins do).
#[test]
fn the_parse_check_fails_on_a_parser_failure_or_a_panic_and_accepts_rejections() {
    assert_eq!(parses_without_failure(include_bytes!("data/mail/002.eml")), Ok(()));
    assert_eq!(parses_without_failure(b""), Ok(()), "empty is an ordinary rejection");
    assert_eq!(parses_without_failure(b"\x00\x01 not a mail"), Ok(()), "not_a_message is an ordinary rejection");
    let caught = check_parse(b"odd input", |_| Err::<(), _>(ParseError::ParserFailure("index out of bounds".into())));
    let why = caught.expect_err("a ParserFailure must fail the property");
    assert!(why.contains("parser_failure") && why.contains("odd input"), "{why}");
    let escaped = check_parse(b"rare input", |_| -> Result<(), ParseError> { panic!("boom") });
    let why = escaped.expect_err("a panic must fail the property");
    assert!(why.contains("panicked (boom)") && why.contains("rare input"), "{why}");
    assert_eq!(check_parse(b"x", |_| Err::<(), _>(ParseError::NotAMessage)), Ok(()));
}
