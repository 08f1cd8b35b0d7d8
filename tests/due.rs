//! `pqrs due` on the command line, against the worked examples of DOMAIN.md and the rule of
//! DESIGN.md §2 (cutoff minute, weekends, holidays, the July holiday from 2026, year ends).

use std::process::Command;

fn due(received: &str, kind: &str) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pqrs"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["due", "--received", received, "--kind", kind])
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn due_dates_follow_the_legal_rule() {
    for (received, kind, expected) in [
        // DOMAIN.md worked examples (filed before the cutoff).
        ("2026-07-10T09:30:00-05:00", "peticion_documentos", "2026-07-28"),
        ("2026-07-10T09:30:00-05:00", "peticion_general", "2026-08-04"),
        ("2026-07-10T09:30:00-05:00", "consulta", "2026-08-27"),
        ("2026-12-18T10:00:00-05:00", "queja", "2027-01-13"),
        // The cutoff minute: 16:59 counts the same day, 17:00 the next business day.
        ("2026-07-10T16:59:00-05:00", "peticion_general", "2026-08-04"),
        ("2026-07-10T17:00:00-05:00", "peticion_general", "2026-08-05"),
        // The same instants given in UTC.
        ("2026-07-10T21:59:00Z", "peticion_general", "2026-08-04"),
        ("2026-07-10T22:00:00Z", "peticion_general", "2026-08-05"),
        // Saturday filing counts from Monday; Monday 13 July 2026 is the new Chiquinquirá holiday.
        ("2026-07-11T10:00:00-05:00", "peticion_documentos", "2026-07-29"),
        // 31 December after the cutoff: effective day Monday 4 January 2027.
        ("2026-12-31T18:00:00-05:00", "reclamo", "2027-01-26"),
        ("2026-07-10T09:30:00-05:00", "felicitacion", "none"),
    ] {
        let (ok, stdout, stderr) = due(received, kind);
        assert!(ok, "{received} {kind}: {stderr}");
        assert_eq!(stdout, expected, "{received} {kind}");
    }
}

#[test]
fn bad_input_is_a_clear_error() {
    let (ok, _, stderr) = due("yesterday", "queja");
    assert!(!ok);
    assert!(stderr.contains("RFC 3339"), "{stderr}");
    let (ok, _, stderr) = due("2026-07-10T09:30:00-05:00", "peticion");
    assert!(!ok);
    assert!(stderr.contains("unknown kind"), "{stderr}");
}
