//! Engine tests: operators, groups, weighting, validation messages, fallback, JSON shape.
//! The default ANM rule set is exercised as data by `rules/tests/` (`run_rule_tests`).

use super::*;

const DEPS: &str = r#"
fallback = "GAPCC"
[[department]]
code = "GAPCC"
name = "Atención al Ciudadano"
[[department]]
code = "VSC"
name = "Seguimiento y Control"
[[department]]
code = "REG"
name = "Regalías"
[[department]]
code = "OAJ"
name = "Jurídica"
"#;

const REGIONS: &str = r#"
[[office]]
code = "PAR-MEDELLIN"
name = "PAR Medellín"
[[departamento]]
name = "Antioquia"
office = "PAR-MEDELLIN"
municipios = ["Segovia"]
"#;

fn set(rules: &str) -> RuleSet {
    match RuleSet::from_sources(("departments.toml", DEPS), ("regions.toml", REGIONS), &[("routing/a.toml", rules)]) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn load_err(rules: &str) -> String {
    RuleSet::from_sources(("departments.toml", DEPS), ("regions.toml", REGIONS), &[("routing/a.toml", rules)])
        .expect_err("rule set should be rejected")
        .to_string()
}

fn mail<'a>(subject: &'a str, body: &'a str, from: &'a str) -> RouteInput<'a> {
    RouteInput { subject, body, from_address: from, to: &[], channel: "correo_contacto", attachment_names: &[] }
}

#[test]
fn words_match_accent_and_case_insensitively() {
    let s = set(r#"
[[rule]]
id = "r"
priority = 1
when.any = [ { words = ["minería ilegal"] } ]
then.department = "VSC"
"#);
    let d = s.route(&mail("", "Hay MINERIA Ilegal en la vereda", ""));
    assert_eq!(d.department, "VSC");
    assert!(!d.needs_review);
    assert_eq!(d.rules[0].matched, "MINERIA Ilegal", "snippet comes from the original text");
    assert_eq!(d.rules[0].field, "body");
}

#[test]
fn each_operator_works() {
    let s = set(r#"
[[rule]]
id = "regex"
priority = 1
when.any = [ { field = "subject", regex = '\bpto\b' } ]
then.tags = ["regex"]
[[rule]]
id = "equals"
priority = 1
when.any = [ { field = "channel", equals = "radicador_web" } ]
then.tags = ["equals"]
[[rule]]
id = "in"
priority = 1
when.any = [ { field = "from_domain", in = ["segovia.gov.co", "marmato.gov.co"] } ]
then.tags = ["in"]
[[rule]]
id = "present"
priority = 1
when.any = [ { field = "entity.placa", present = true } ]
then.tags = ["present"]
[[rule]]
id = "entity-regex"
priority = 1
when.any = [ { field = "entity.placa", regex = '^jlc-' } ]
then.tags = ["entity-regex"]
[[rule]]
id = "attachment"
priority = 1
when.any = [ { field = "attachments", regex = '\.pdf$' } ]
then.tags = ["attachment"]
[[rule]]
id = "from-name"
priority = 1
when.any = [ { field = "from_name", words = ["alcaldía"] } ]
then.tags = ["from-name"]
"#);
    let att = vec!["Auto.PDF".to_string()];
    let input = RouteInput {
        subject: "Entrega del PTO",
        body: "Contrato JLC-16401",
        from_address: "Alcaldía de Segovia <despacho@SEGOVIA.gov.co>",
        to: &[],
        channel: "radicador_web",
        attachment_names: &att,
    };
    let d = s.route(&input);
    for t in ["regex", "equals", "in", "present", "entity-regex", "attachment", "from-name"] {
        assert!(d.tags.iter().any(|x| x == t), "missing {t}: {:?}", d.tags);
    }
    // Whole words only: "PTOS" is not "PTO".
    let d = s.route(&mail("PTOS", "", ""));
    assert!(!d.tags.contains(&"regex".to_string()));
}

#[test]
fn all_any_none_combine() {
    let s = set(r#"
[[rule]]
id = "combo"
priority = 1
[rule.when]
all = [ { words = ["visita"] } ]
any = [ { words = ["linderos"] }, { words = ["medir"] } ]
none = [ { words = ["curso"] } ]
[rule.then]
department = "VSC"
[[rule]]
id = "nested"
priority = 1
[rule.when]
any = [ { all = [ { words = ["canon"] }, { none = [ { words = ["al dia"] } ] } ] } ]
[rule.then]
department = "REG"
"#);
    assert_eq!(s.route(&mail("", "una visita para medir", "")).department, "VSC");
    assert_eq!(s.route(&mail("", "una visita", "")).department, "GAPCC");
    assert_eq!(s.route(&mail("", "visita para medir en el curso", "")).department, "GAPCC");
    assert_eq!(s.route(&mail("", "debo el canon", "")).department, "REG");
    assert_eq!(s.route(&mail("", "estoy al día en el canon", "")).department, "GAPCC");
}

#[test]
fn highest_priority_decides_and_stop_ends_the_walk() {
    let s = set(r#"
[[rule]]
id = "low"
priority = 10
when.any = [ { words = ["canon"] } ]
then = { department = "REG", kind = "consulta", tags = ["low"] }
[[rule]]
id = "high"
priority = 50
when.any = [ { words = ["multa"] } ]
then = { department = "VSC", urgency = "alta", stop = true }
"#);
    let d = s.route(&mail("", "multa por el canon", ""));
    assert_eq!(d.department, "VSC");
    assert_eq!(d.priority, "alta");
    assert_eq!(d.kind, DEFAULT_KIND, "the walk stopped before the kind rule");
    assert_eq!(d.rules.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["high"]);
}

#[test]
fn weaker_rules_of_one_department_add_up() {
    let s = set(r#"
[[rule]]
id = "canon"
priority = 500
when.any = [ { words = ["canon"] } ]
then = { department = "REG", kind = "consulta" }
[[rule]]
id = "intereses"
priority = 300
when.any = [ { words = ["intereses"] } ]
then = { department = "REG" }
[[rule]]
id = "visita"
priority = 600
when.any = [ { words = ["visita"] } ]
then = { department = "VSC", kind = "peticion_documentos" }
[[rule]]
id = "queja"
priority = 400
when.any = [ { words = ["demora"] } ]
then.kind = "reclamo"
[[rule]]
id = "reclamo"
priority = 400
when.any = [ { words = ["cobro"] } ]
then.kind = "reclamo"
"#);
    // REG: 500 + 300 × 50 % = 650 beats VSC's single 600.
    let d = s.route(&mail("", "la visita, el canon y los intereses", ""));
    assert_eq!(d.department, "REG");
    let ids: Vec<&str> = d.rules.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.contains(&"canon") && ids.contains(&"intereses"), "{ids:?}");
    // Alone, the better single rule wins.
    assert_eq!(s.route(&mail("", "la visita y el canon", "")).department, "VSC");
    // Kinds add up the same way: 400 + 200 beats 500, and 400 + 200 ties 600, resolved by the best rule first.
    assert_eq!(s.route(&mail("", "canon: demora y cobro", "")).kind, "reclamo");
    assert_eq!(s.route(&mail("", "visita: demora y cobro", "")).kind, "peticion_documentos");
}

#[test]
fn a_decisive_rule_beats_any_sum_but_not_from_quoted_text() {
    let s = set(r#"
[[rule]]
id = "tutela"
priority = 750
when.any = [ { words = ["tutela"] } ]
then = { department = "OAJ" }
[[rule]]
id = "v1"
priority = 650
when.any = [ { words = ["visita"] } ]
then.department = "VSC"
[[rule]]
id = "v2"
priority = 650
when.any = [ { words = ["multa"] } ]
then.department = "VSC"
"#);
    assert_eq!(s.route(&mail("", "tutela por la visita y la multa", "")).department, "OAJ", "decisive beats 650 + 325");
    let body = "La visita y la multa.\n\nEl lun, 2 mar 2026, ANM <a@b.co> escribió:\n> tutela";
    assert_eq!(s.route(&mail("", body, "")).department, "VSC", "a decisive rule in quoted text only adds its half");
}

#[test]
fn at_most_ten_rules_are_listed_but_the_deciding_ones_always() {
    let s = set(r#"
[[rule]]
id = "w0"
priority = 900
when.any = [ { words = ["w0"] } ]
then.department = "VSC"
[[rule]]
id = "w1"
priority = 890
when.any = [ { words = ["w1"] } ]
then.department = "VSC"
[[rule]]
id = "w2"
priority = 880
when.any = [ { words = ["w2"] } ]
then.department = "VSC"
[[rule]]
id = "w3"
priority = 870
when.any = [ { words = ["w3"] } ]
then.department = "VSC"
[[rule]]
id = "w4"
priority = 860
when.any = [ { words = ["w4"] } ]
then.department = "VSC"
[[rule]]
id = "w5"
priority = 850
when.any = [ { words = ["w5"] } ]
then.department = "VSC"
[[rule]]
id = "w6"
priority = 840
when.any = [ { words = ["w6"] } ]
then.department = "VSC"
[[rule]]
id = "w7"
priority = 830
when.any = [ { words = ["w7"] } ]
then.department = "VSC"
[[rule]]
id = "w8"
priority = 820
when.any = [ { words = ["w8"] } ]
then.department = "VSC"
[[rule]]
id = "w9"
priority = 810
when.any = [ { words = ["w9"] } ]
then.department = "VSC"
[[rule]]
id = "w10"
priority = 800
when.any = [ { words = ["w10"] } ]
then.department = "VSC"
[[rule]]
id = "w11"
priority = 790
when.any = [ { words = ["w11"] } ]
then.department = "VSC"
[[rule]]
id = "w12"
priority = 100
when.any = [ { words = ["w12"] } ]
then.department = "REG"
[[rule]]
id = "w13"
priority = 100
when.any = [ { words = ["w13"] } ]
then.department = "REG"
[[rule]]
id = "kind"
priority = 50
when.any = [ { words = ["w13"] } ]
then = { kind = "queja", tags = ["t"] }
"#);
    let body = (0..14).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    let d = s.route(&mail("", &body, ""));
    assert_eq!(d.department, "VSC");
    let ids: Vec<&str> = d.rules.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.len() <= 11, "{ids:?}");
    assert_eq!(ids[0], "w0", "the deciding rule comes first: {ids:?}");
    assert!(ids.contains(&"kind"), "the rule that set the kind and a tag is listed: {ids:?}");
}

#[test]
fn review_applies_only_when_the_rule_decides_the_department() {
    let s = set(r#"
[[rule]]
id = "hint"
priority = 10
when.any = [ { words = ["mina"] } ]
then = { department = "VSC", review = true }
[[rule]]
id = "specific"
priority = 500
when.any = [ { words = ["regalias"] } ]
then.department = "REG"
"#);
    assert!(!s.route(&mail("", "regalias de la mina", "")).needs_review);
    assert!(s.route(&mail("", "la mina", "")).needs_review);
}

#[test]
fn no_rule_means_fallback_with_review() {
    let s = set(r#"
[[rule]]
id = "r"
priority = 1
when.any = [ { words = ["regalias"] } ]
then.department = "REG"
"#);
    let d = s.route(&mail("", "", ""));
    assert_eq!((d.department.as_str(), d.kind.as_str(), d.needs_review), ("GAPCC", "peticion_general", true));
    assert!(d.rules.is_empty());
    let json = serde_json::to_value(&d).unwrap();
    for key in ["department", "kind", "priority", "tags", "rules", "needs_review", "entities"] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn quoted_text_and_signature_weigh_less_than_own_words() {
    let s = set(r#"
[[rule]]
id = "reg"
priority = 600
when.any = [ { words = ["canon superficiario"] } ]
then.department = "REG"
[[rule]]
id = "vsc"
priority = 400
when.any = [ { words = ["visita"] } ]
then.department = "VSC"
"#);
    let body = "Solicito reprogramar la visita.\n\nEl lun, 2 mar 2026 a las 10:00, ANM <contacto@anm.gov.co> escribió:\n> Su canon superficiario está pendiente.";
    let d = s.route(&mail("RE: respuesta", body, ""));
    assert_eq!(d.department, "VSC", "own words (400) beat quoted text (600 / 2)");
    let reg = d.rules.iter().find(|r| r.id == "reg").expect("quoted rule still listed");
    assert_eq!(reg.field, "quoted");
    // Alone, the quoted text still decides rather than the fallback.
    let d = s.route(&mail("RE: respuesta", "Gracias.\n\nEl lun, 2 mar 2026, ANM <a@b.co> escribió:\n> canon superficiario", ""));
    assert_eq!(d.department, "REG");
    // Signature: same rule.
    let d = s.route(&mail("", "Solicito la visita.\n\nAtentamente,\nGrupo de canon superficiario", ""));
    assert_eq!(d.department, "VSC");
}

#[test]
fn subject_matches_gain_a_bonus() {
    let s = set(r#"
[[rule]]
id = "reg"
priority = 500
when.any = [ { words = ["regalias"] } ]
then.department = "REG"
[[rule]]
id = "vsc"
priority = 550
when.any = [ { words = ["visita"] } ]
then.department = "VSC"
"#);
    assert_eq!(s.route(&mail("pregunta regalias", "sobre la visita", "")).department, "REG");
    assert_eq!(s.route(&mail("pregunta", "regalias y visita", "")).department, "VSC");
}

#[test]
fn entities_come_with_the_decision() {
    let s = set(r#"
[[rule]]
id = "r"
priority = 1
when.any = [ { field = "entity.municipio", equals = "segovia" } ]
then.department = "VSC"
"#);
    let d = s.route(&mail("", "Título JLC-16401 en Segovia, NIT 802022622-5, C.C. 15.372.886, radicado 20251200398821", ""));
    assert_eq!(d.department, "VSC");
    assert_eq!(d.entities.placas, ["JLC-16401"]);
    assert_eq!(d.entities.nits, ["802022622-5"]);
    assert_eq!(d.entities.cedulas, ["15372886"]);
    assert_eq!(d.entities.radicados, ["20251200398821"]);
    assert_eq!(d.entities.oficina_regional.as_deref(), Some("PAR-MEDELLIN"));
    assert!(d.tags.contains(&"PAR-MEDELLIN".to_string()));
    assert_eq!(d.rules[0].field, "entity.municipio");
}

#[test]
fn unknown_key_is_reported_with_file_rule_and_line() {
    let e = load_err("[[rule]]\nid = \"uno\"\npriority = 1\nprio = 2\nthen.department = \"VSC\"\n");
    assert!(e.contains("routing/a.toml:4"), "{e}");
    assert!(e.contains("rule `uno`"), "{e}");
    assert!(e.contains("prio"), "{e}");
    // Inside a condition.
    let e = load_err("[[rule]]\nid = \"dos\"\npriority = 1\nwhen.any = [ { wrods = [\"x\"] } ]\nthen.department = \"VSC\"\n");
    assert!(e.contains("routing/a.toml:4") && e.contains("rule `dos`") && e.contains("wrods"), "{e}");
}

#[test]
fn duplicate_ids_are_rejected() {
    let e = load_err("[[rule]]\nid = \"x\"\npriority = 1\nthen.department = \"VSC\"\n\n[[rule]]\nid = \"x\"\npriority = 2\nthen.department = \"REG\"\n");
    assert!(e.contains("routing/a.toml:7: rule `x`: duplicate rule id (first defined at routing/a.toml:1)"), "{e}");
}

#[test]
fn bad_regex_is_rejected_with_its_line() {
    let e = load_err("[[rule]]\nid = \"re\"\npriority = 1\n[rule.when]\nany = [\n  { words = [\"a\"] },\n  { regex = 'minas (' },\n]\n[rule.then]\ndepartment = \"VSC\"\n");
    assert!(e.contains("routing/a.toml:7: rule `re`: bad regex `minas (`"), "{e}");
}

#[test]
fn unknown_department_kind_urgency_and_field_are_rejected() {
    let e = load_err("[[rule]]\nid = \"d\"\npriority = 1\nwhen.any = [ { field = \"cuerpo\", words = [\"a\"] } ]\n[rule.then]\ndepartment = \"XYZ\"\nkind = \"peticion\"\nurgency = \"ya\"\n");
    assert!(e.contains("routing/a.toml:6: rule `d`: unknown department `XYZ`"), "{e}");
    assert!(e.contains("routing/a.toml:7: rule `d`: unknown kind `peticion`"), "{e}");
    assert!(e.contains("routing/a.toml:8: rule `d`: unknown urgency `ya`"), "{e}");
    assert!(e.contains("routing/a.toml:4: rule `d`: unknown field `cuerpo`"), "{e}");
}

#[test]
fn malformed_conditions_are_rejected() {
    let e = load_err("[[rule]]\nid = \"m\"\npriority = 1\nwhen.any = [ { words = [\"a\"], regex = 'b' } ]\nthen.department = \"VSC\"\n");
    assert!(e.contains("exactly one operator"), "{e}");
    let e = load_err("[[rule]]\nid = \"n\"\npriority = 1\nwhen.any = [ { words = [\"a\"] } ]\n");
    assert!(e.contains("then"), "{e}");
    let e = load_err("[[rule]]\nid = \"o\"\npriority = 1\nwhen.any = [ { words = [\"a\"] } ]\nthen.stop = false\n");
    assert!(e.contains("does nothing"), "{e}");
}

#[test]
fn bad_departments_file_is_rejected() {
    let e = RuleSet::from_sources(("departments.toml", "fallback = \"NOPE\"\n[[department]]\ncode = \"VSC\"\nname = \"x\"\n"), ("regions.toml", REGIONS), &[])
        .expect_err("fallback must exist")
        .to_string();
    assert!(e.contains("departments.toml:1") && e.contains("NOPE"), "{e}");
}

#[test]
fn routing_never_panics_on_odd_input() {
    let s = set(r#"
[[rule]]
id = "r"
priority = 1
when.any = [ { regex = '^$' } ]
then.department = "VSC"
"#);
    let long = "ñ".repeat(200_000);
    // Multi-byte characters at every early byte position of a line (header prefilters slice there).
    let mut tricky = String::new();
    for pre in ["", "B", "Bo", "Bog", "Bogo", "Bogot", "El ", "De", "de:", "__", "--", "> "] {
        for c in ["á", "€", "𝔸", "ñ\u{301}"] {
            tricky.push_str(&format!("{pre}{c}{c}{c} escribió:\n{c}\n"));
        }
    }
    for body in ["", "\u{0}\u{feff}>", ">>>>\n> \n--\n", &long, "El 1 escribió:\n", "-- \n", "Bogotá D.C., 20 de abril", &tricky] {
        let _ = s.route(&mail(body, body, body));
    }
    let atts: Vec<String> = (0..500).map(|i| format!("f{i}.pdf")).collect();
    let _ = s.route(&RouteInput { subject: "", body: "", from_address: "<>", to: &atts, channel: "", attachment_names: &atts });
}

#[test]
fn the_default_rule_set_loads_and_passes_its_tests() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    if !dir.join("routing").is_dir() {
        return; // the module compiled without the rules directory beside it
    }
    let report = run_rule_tests(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.passed(), "{report}");
}

