//! Snapshots (insta) of what the parser and the router make of the sample mails in
//! `tests/data/mail/`: every field of the parsed `InboundMessage` (bodies, addresses, dates,
//! attachments, header summary) and the whole routing decision with the default rules. The
//! outputs are too large to compare by hand; the `.snap` files under `tests/snapshots/` are
//! committed and reviewed like code. A changed output fails the test: insta never accepts a new
//! snapshot by itself here (CI runs with `CI=true`, `tests/run.sh` with `INSTA_UPDATE=no`); after
//! an intended change, run `INSTA_UPDATE=always cargo test --test snapshots` (or
//! `cargo insta review`) and commit the new `.snap` files with it.

use std::path::Path;

use pqrs::intake::parse::{parse_message, InboundMessage, ParseOptions};
use pqrs::routing::{RouteInput, RuleSet};

const MAILS: [&str; 6] = ["002", "006", "010", "040", "088", "096"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn parsed(name: &str) -> InboundMessage {
    let raw = std::fs::read(root().join("tests/data/mail").join(format!("{name}.eml"))).unwrap();
    let opts = ParseOptions { own_domains: vec!["pqrs.anm.gov.co".to_string()], ..ParseOptions::default() };
    parse_message(&raw, &opts).unwrap_or_else(|e| panic!("{name}.eml: {e}"))
}

#[test]
fn the_sample_mails_parse_as_recorded() {
    for name in MAILS {
        insta::assert_json_snapshot!(format!("parse_{name}"), parsed(name));
    }
}

#[test]
fn the_sample_mails_route_as_recorded() {
    let rules = RuleSet::load_dir(&root().join("rules")).unwrap();
    for name in MAILS {
        let m = parsed(name);
        // As the intake workflow builds it (crate::workflow::intake::Intake::route).
        let from = m.from.as_ref().map(|a| match &a.name {
            Some(n) => format!("{n} <{}>", a.email),
            None => a.email.clone(),
        });
        let to: Vec<String> = m.to.iter().chain(m.cc.iter()).map(|a| a.email.clone()).collect();
        let names: Vec<String> = m.attachments.iter().map(|a| a.filename.clone()).collect();
        let decision = rules.route_rules_only(&RouteInput {
            subject: &m.subject,
            body: &m.body_text,
            from_address: from.as_deref().unwrap_or(""),
            to: &to,
            channel: "correo_contacto",
            attachment_names: &names,
        });
        insta::assert_json_snapshot!(format!("route_{name}"), decision);
    }
}
