//! The department inbox over a large store: 100,000 cases across 12 departments, then the inbox
//! query (scoped to one department, open cases, by due date, 50 per page) and a search, timed
//! 200 times each: p50 and p99. SQLite, and PostgreSQL when `PQRS_TEST_PG_URL` is set.
//! Run: `cargo bench --bench inbox` (optional arg: number of cases).

use std::time::Instant;

use diesel::prelude::*;
use pqrs::db::cases::{list, CaseFilter, Sort};
use pqrs::db::{AnyConnection, DbUrl};

fn fill(conn: &mut AnyConnection, n: i64) {
    let pg = matches!(conn, AnyConnection::Postgresql(_));
    let series = if pg {
        format!("SELECT g AS i FROM generate_series(1, {n}) AS g")
    } else {
        format!("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s")
    };
    let depts = "CASE i % 12 WHEN 0 THEN 'PRES' WHEN 1 THEN 'VCT' WHEN 2 THEN 'RMN' WHEN 3 THEN 'VSC' WHEN 4 THEN 'SSM' WHEN 5 THEN 'REG' \
                 WHEN 6 THEN 'VPF' WHEN 7 THEN 'VAF' WHEN 8 THEN 'OAJ' WHEN 9 THEN 'OTI' WHEN 10 THEN 'CID' ELSE 'GAPCC' END";
    let status = "CASE i % 5 WHEN 0 THEN 'cerrado' WHEN 1 THEN 'respondido' WHEN 2 THEN 'asignado' WHEN 3 THEN 'en_tramite' ELSE 'radicado' END";
    let (day, ts) = if pg {
        ("(DATE '2026-01-01' + (i % 330))", "TIMESTAMP '2026-01-01 10:00:00' + (i % 330) * INTERVAL '1 day'")
    } else {
        ("date('2026-01-01', '+' || (i % 330) || ' days')", "datetime('2026-01-01 10:00:00', '+' || (i % 330) || ' days')")
    };
    let due = if pg { format!("({day} + 21)") } else { "date('2026-01-22', '+' || (i % 330) || ' days')".to_string() };
    let sql = format!(
        "INSERT INTO cases (radicado, radicado_year, radicado_seq, channel, kind, department, status, priority, tags, needs_review, subject, \
         citizen_name, citizen_email, received_at, received_month, effective_date, term_days, due_date, routing, entities, created_at, updated_at, search_text) \
         SELECT '2026100' || lpad(CAST(i AS TEXT), 7, '0') || '2', 2026, i, 'correo_contacto', 'peticion_general', {depts}, {status}, 'normal', '[]', FALSE, \
         'Solicitud número ' || i, 'Ciudadano ' || i, 'c' || i || '@example.com', {ts}, '2026-01', {day}, 15, {due}, '{{}}', '{{}}', {ts}, {ts}, \
         'solicitud numero ' || i || ' ciudadano ' || i || ' certificado de registro minero' FROM ({series}) AS t"
    );
    let sql = if pg { sql } else { sql.replace("lpad(CAST(i AS TEXT), 7, '0')", "printf('%07d', i)") };
    diesel::sql_query(sql).execute(conn).unwrap();
    diesel::sql_query(if pg { "VACUUM ANALYZE" } else { "ANALYZE" }).execute(conn).unwrap();
}

fn measure(conn: &mut AnyConnection, f: &CaseFilter) -> (f64, f64, usize) {
    let mut t = vec![];
    let mut n = 0;
    for _ in 0..200 {
        let s = Instant::now();
        let (rows, _) = list(conn, f).unwrap();
        t.push(s.elapsed().as_secs_f64() * 1000.0);
        n = rows.len();
    }
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (t[100], t[197], n)
}

fn run(label: &str, conn: &mut AnyConnection, n: i64) {
    fill(conn, n);
    let inbox = CaseFilter { scope: Some("VCT".into()), open_only: true, sort: Sort::DueAsc, per_page: 50, ..Default::default() };
    let (p50, p99, rows) = measure(conn, &inbox);
    println!("| {label} | {n} | department inbox (open, by due date, 50/page) | {p50:.2} | {p99:.2} | {rows} |");
    let page20 = CaseFilter { page: 20, ..inbox.clone() };
    let (p50, p99, rows) = measure(conn, &page20);
    println!("| {label} | {n} | same, page 21 | {p50:.2} | {p99:.2} | {rows} |");
    let search = CaseFilter { q: Some("Ciudadano 4249".into()), ..inbox };
    let (p50, p99, rows) = measure(conn, &search);
    println!("| {label} | {n} | department search «Ciudadano 4249» | {p50:.2} | {p99:.2} | {rows} |");
}

fn main() {
    let n: i64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(100_000);
    println!("| backend | cases | query | p50 ms | p99 ms | rows |");
    println!("|---|---:|---|---:|---:|---:|");
    let dir = tempfile::tempdir().unwrap();
    let mut c = DbUrl::Sqlite(dir.path().join("inbox.db")).establish().unwrap();
    pqrs::db::run_migrations(&mut c).unwrap();
    run("SQLite", &mut c, n);
    if let Ok(admin) = std::env::var("PQRS_TEST_PG_URL") {
        if !admin.is_empty() {
            let name = format!("pqrs_inbox_{}", std::process::id());
            let mut a = diesel::PgConnection::establish(&admin).unwrap();
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut a).unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin).to_string();
            let mut c = DbUrl::Postgres(format!("{base}/{name}")).establish().unwrap();
            pqrs::db::run_migrations(&mut c).unwrap();
            run("PostgreSQL", &mut c, n);
            drop(c);
            diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut a).unwrap();
        }
    }
}
