//! The year report over a large store: 1,000,000 incoming messages (and 400,000 outgoing mails)
//! spread over the months of 2026, then the virtual-channel report timed (median of 15 runs) on
//! SQLite and, when `PQRS_TEST_PG_URL` is set, PostgreSQL. Run: `cargo bench --bench report`
//! (optional arg: number of messages).

use std::time::Instant;

use diesel::prelude::*;
use pqrs::db::{AnyConnection, DbUrl};

fn fill(conn: &mut AnyConnection, n: i64) {
    let pg = matches!(conn, AnyConnection::Postgresql(_));
    let series = if pg {
        format!("SELECT g AS i FROM generate_series(1, {n}) AS g")
    } else {
        format!("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s")
    };
    let month = if pg { "lpad((1 + i % 12)::text, 2, '0')" } else { "printf('%02d', 1 + i % 12)" };
    let now = if pg { "now()" } else { "datetime('now')" };
    let blob = if pg { "'\\x00'::bytea" } else { "x'00'" };
    let sql = format!(
        "INSERT INTO messages (direction, channel, source, dedupe_key, message_id, sha256, disposition, subject, to_addrs, references_ids, \
         received_at, received_month, body_text, headers, raw, raw_size, created_at) \
         SELECT 'in', CASE WHEN i % 3 = 0 THEN 'radicador_web' ELSE 'correo_contacto' END, 'bench', 'b:' || i, NULL, '0', 'case', '', '[]', '[]', \
         {now}, '2026-' || {month}, '', '{{}}', {blob}, 1, {now} FROM ({series}) AS t"
    );
    diesel::sql_query(sql).execute(conn).unwrap();
    let out = format!(
        "INSERT INTO outbox (purpose, internal, to_addr, subject, body_text, message_id, status, attempts, next_attempt_at, created_at, sent_at, sent_month) \
         SELECT 'acuse', i % 10 = 0, 'x@example.com', '', '', 'o' || i, CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'sent' END, 1, {now}, {now}, {now}, '2026-' || {month} \
         FROM ({}) AS t",
        series.replace(&n.to_string(), &(n * 2 / 5).to_string())
    );
    diesel::sql_query(out).execute(conn).unwrap();
    diesel::sql_query(if pg { "VACUUM ANALYZE" } else { "ANALYZE" }).execute(conn).unwrap();
    let t = Instant::now();
    pqrs::reports::rebuild_rollup(conn).unwrap();
    eprintln!("rollup rebuilt from the rows in {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
}

fn time(label: &str, conn: &mut AnyConnection, n: i64) {
    let t = Instant::now();
    fill(conn, n);
    let fill_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let recomputed = pqrs::reports::recompute_virtual_channel(conn, 2026).unwrap();
    let recompute_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut times = vec![];
    let mut total = 0;
    for _ in 0..15 {
        let t = Instant::now();
        let r = pqrs::reports::virtual_channel(conn, 2026).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        total = r.totals.incoming;
    }
    assert_eq!(total, n);
    assert_eq!(pqrs::reports::virtual_channel(conn, 2026).unwrap(), recomputed);
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!("| {label} | {n} | {:.2} | {:.2} | {:.2} | {recompute_ms:.0} | {fill_s:.0} s |", times[7], times[0], times[14]);
}

fn main() {
    let n: i64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    println!("| backend | incoming messages | report median ms (rollup) | min ms | max ms | recount from rows ms | fill time |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::Sqlite(dir.path().join("report.db"));
    let mut c = url.establish().unwrap();
    pqrs::db::run_migrations(&mut c).unwrap();
    time("SQLite", &mut c, n);
    if let Ok(admin) = std::env::var("PQRS_TEST_PG_URL") {
        if !admin.is_empty() {
            let name = format!("pqrs_report_{}", std::process::id());
            let mut a = diesel::PgConnection::establish(&admin).unwrap();
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut a).unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin).to_string();
            let url = DbUrl::Postgres(format!("{base}/{name}"));
            let mut c = url.establish().unwrap();
            pqrs::db::run_migrations(&mut c).unwrap();
            time("PostgreSQL", &mut c, n);
            drop(c);
            diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut a).unwrap();
        }
    }
}
