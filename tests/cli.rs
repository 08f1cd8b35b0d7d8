//! The CLI contracts of DESIGN.md §4 that the other tests do not cover: `user add` with
//! `--password-stdin`, `token create` printing the token on the last line, `route` printing the
//! decision, `quarantine list/retry`, `report virtual-channel` formats, and SIGHUP reloading the
//! rules of a running server while a broken set is rejected.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

fn pqrs(db: &str, rules: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pqrs"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PQRS_") && !k.starts_with("PQRS_TEST_") {
            c.env_remove(k);
        }
    }
    c.env("PQRS_DATABASE_URL", db).env("PQRS_RULES_DIR", rules);
    c
}

fn run(mut c: Command, stdin: &str) -> (bool, String, String) {
    let mut child = c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");

#[test]
fn users_tokens_route_quarantine_and_reports_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db").display().to_string();
    let mut add = pqrs(&db, RULES);
    add.args(["user", "add", "--email", "Ana@ANM.gov.co", "--role", "department", "--department", "vct", "--password-stdin"]);
    let (ok, out, err) = run(add, "una clave larga y segura\n");
    assert!(ok, "{err}");
    assert!(out.contains("ana@anm.gov.co"), "{out}");
    let mut short = pqrs(&db, RULES);
    short.args(["user", "add", "--email", "b@anm.gov.co", "--role", "admin", "--password-stdin"]);
    let (ok, _, err) = run(short, "corta\n");
    assert!(!ok && err.contains("12 characters"), "{err}");
    let mut bad_dept = pqrs(&db, RULES);
    bad_dept.args(["user", "add", "--email", "c@anm.gov.co", "--role", "department", "--department", "XYZ", "--password-stdin"]);
    let (ok, _, err) = run(bad_dept, "una clave larga y segura\n");
    assert!(!ok && err.contains("unknown department"), "{err}");

    let mut tok = pqrs(&db, RULES);
    tok.args(["token", "create", "--user", "ana@anm.gov.co"]);
    let (ok, out, _) = run(tok, "");
    assert!(ok);
    assert!(out.lines().last().unwrap().starts_with("pqrs_"), "{out}");
    let mut tok = pqrs(&db, RULES);
    tok.args(["token", "create", "--role", "report"]);
    let (ok, out, _) = run(tok, "");
    assert!(ok && out.trim().starts_with("pqrs_"));

    // route: the decision as JSON, with the rules that fired and what they matched.
    let mail = dir.path().join("m.eml");
    std::fs::write(&mail, "From: a@example.com\r\nSubject: Solicito certificado de registro minero\r\n\r\nNecesito el certificado de registro minero de la placa JLC-16401.\r\n").unwrap();
    let mut route = pqrs(&db, RULES);
    route.arg("route").arg(&mail);
    let (ok, out, err) = run(route, "");
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for k in ["department", "kind", "priority", "tags", "rules", "confidence", "kind_confidence", "candidates", "model_words"] {
        assert!(v.get(k).is_some(), "{k} missing: {out}");
    }
    // With the model (the default): a confidence, up to three candidates best first, the
    // decided department among them.
    let conf = v["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&conf), "{out}");
    let cands = v["candidates"].as_array().unwrap();
    assert!((1..=3).contains(&cands.len()), "{out}");
    assert!(cands.windows(2).all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64()), "{out}");
    assert_eq!(v["department"], "RMN", "{out}");
    assert!(!v["model_words"].as_array().unwrap().is_empty(), "the model took part: {out}");
    assert!(v["rules"][0]["id"].is_string() && v["rules"][0]["matched"].is_string(), "{out}");
    assert_eq!(v["entities"]["placas"][0], "JLC-16401");

    // quarantine: a bad mail through ingest, listed, retried (still bad: exit 1).
    let (ok, out, _) = run({ let mut c = pqrs(&db, RULES); c.args(["ingest", "--direct"]); c }, "\u{0}\u{1}not a mail");
    assert!(ok && out.contains("quarantined"), "{out}");
    let (ok, out, _) = run({ let mut c = pqrs(&db, RULES); c.args(["quarantine", "list"]); c }, "");
    assert!(ok && out.contains("not_a_message"), "{out}");
    let (ok, out, _) = run({ let mut c = pqrs(&db, RULES); c.args(["quarantine", "retry"]); c }, "");
    assert!(!ok && out.contains("quarantined"), "{out}");

    // report formats
    for (fmt, needle) in [("table", "Enero"), ("json", "\"months\""), ("csv", "mes,nombre,correo_contacto")] {
        let (ok, out, err) = run({ let mut c = pqrs(&db, RULES); c.args(["report", "virtual-channel", "--year", "2026", "--format", fmt]); c }, "");
        assert!(ok && out.contains(needle), "{fmt}: {out} {err}");
    }
    let (ok, out, _) = run({ let mut c = pqrs(&db, RULES); c.args(["report", "rebuild"]); c }, "");
    assert!(ok && out.contains("rebuilt"), "{out}");
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

#[actix_web::test]
async fn sighup_reloads_good_rules_and_keeps_the_running_set_when_new_ones_are_broken() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    copy_dir(std::path::Path::new(RULES), &rules);
    let db = dir.path().join("hup.db").display().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut serve = pqrs(&db, rules.to_str().unwrap());
    let log = dir.path().join("serve.log");
    serve.env("PQRS_LISTEN", format!("127.0.0.1:{port}")).env("PQRS_DATA_DIR", dir.path().join("data")).env("RUST_LOG", "info").arg("serve")
        .stdout(Stdio::null()).stderr(std::fs::File::create(&log).unwrap());
    let child = ServeProcess(serve.spawn().unwrap());
    let base = format!("http://127.0.0.1:{port}");
    let c = awc::Client::default();
    for _ in 0..100 {
        if c.get(format!("{base}/healthz")).send().await.is_ok() { break; }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    let file = |word: &'static str| {
        let c = c.clone();
        let base = base.clone();
        let db = db.clone();
        async move {
            let mut r = c.post(format!("{base}/api/v1/filings")).send_json(&serde_json::json!({
                "name": "Ana", "email": "ana@example.com", "subject": format!("Asunto {word}"),
                "message": format!("Mensaje sobre {word} para la entidad."), "consent": true})).await.unwrap();
            assert_eq!(r.status().as_u16(), 201);
            let v: serde_json::Value = r.json().await.unwrap();
            let radicado = v["radicado"].as_str().unwrap().to_string();
            let mut conn = pqrs::db::DbUrl::parse(&db).unwrap().establish().unwrap();
            use diesel::prelude::*;
            pqrs::db::schema::cases::table.filter(pqrs::db::schema::cases::radicado.eq(radicado))
                .select(pqrs::db::schema::cases::department).first::<String>(&mut conn).unwrap()
        }
    };
    let hup = || { Command::new("kill").args(["-HUP", &child.0.id().to_string()]).status().unwrap(); };
    let logged = |what: &'static str| {
        let log = log.clone();
        move || std::fs::read_to_string(&log).is_ok_and(|l| l.contains(what))
    };
    assert_ne!(file("zzqpalabra").await, "CID");
    // A broken rule file: rejected, the running set stays.
    std::fs::write(rules.join("routing/99-broken.toml"), "[[rule]]\nid = \"x\"\npriority = 1\n[rule.when]\nany = [ { regex = '(' } ]\n[rule.then]\ndepartment = \"CID\"\n").unwrap();
    hup();
    common::wait_until_async(Duration::from_secs(60), "the server to log that it rejected the broken rules", logged("new routing rules rejected")).await;
    assert_ne!(file("zzqpalabra").await, "CID", "a broken set must not replace the running one");
    // A good new rule: taken at the next SIGHUP.
    std::fs::write(rules.join("routing/99-broken.toml"), "[[rule]]\nid = \"nueva\"\npriority = 950\n[rule.when]\nany = [ { words = [\"zzqpalabra\"] } ]\n[rule.then]\ndepartment = \"CID\"\n").unwrap();
    hup();
    common::wait_until_async(Duration::from_secs(60), "the server to log that it reloaded the rules", logged("routing rules reloaded")).await;
    assert_eq!(file("zzqpalabra").await, "CID", "the new rules were not used after SIGHUP");
}

/// The `pqrs serve` child of a test, stopped (SIGTERM, then SIGKILL) whether the test passes or panics.
struct ServeProcess(std::process::Child);

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        for _ in 0..50 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `pqrs import` of more files than the process may hold open: each file is opened only while it
/// is read, however many a batch holds (holding a batch's files open until they were read failed
/// with "Too many open files" at the usual limit of 1,024 and a batch of 500 in hand twice).
#[test]
fn an_import_of_more_files_than_open_descriptors_allowed_files_them_all() {
    let tmp = tempfile::tempdir().unwrap();
    let mails = tmp.path().join("mails");
    std::fs::create_dir(&mails).unwrap();
    for i in 0..700 {
        let m = format!(
            "Message-ID: <fd{i}@example.com>\r\nFrom: Ciudadano {i} <c{i}@example.com>\r\nTo: contacto@anm.gov.co\r\n\
             Subject: Solicitud {i}\r\n\r\nSolicito copia del expediente {i}.\r\n"
        );
        std::fs::write(mails.join(format!("{i:04}.eml")), m).unwrap();
    }
    let db = tmp.path().join("fd.db");
    let mut c = Command::new("sh");
    for (k, _) in std::env::vars() {
        if k.starts_with("PQRS_") && !k.starts_with("PQRS_TEST_") {
            c.env_remove(k);
        }
    }
    c.env("PQRS_DATABASE_URL", &db).env("PQRS_RULES_DIR", RULES).env("PQRS_DATA_DIR", tmp.path().join("data"));
    // 128 descriptors: plenty for the database and the process, fewer than a batch of 500.
    c.args(["-c", "ulimit -n 128 && exec \"$0\" import --json --batch 500 \"$1\"", env!("CARGO_BIN_EXE_pqrs")]).arg(&mails);
    let (ok, out, err) = run(c, "");
    assert!(ok, "stdout: {out}\nstderr: {err}");
    let summary: serde_json::Value = serde_json::from_str(out.lines().last().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!((summary["received"].as_u64(), summary["cases"].as_u64()), (Some(700), Some(700)), "{summary}");
}
