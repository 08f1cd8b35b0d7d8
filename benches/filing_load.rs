//! Load run against `POST /api/v1/filings` on loopback: a real app in this process, C concurrent
//! clients for a bounded time, each filing a distinct petition. Prints requests per second and
//! latency percentiles per backend (SQLite always; PostgreSQL when `PQRS_TEST_PG_URL` names an
//! admin URL). Run: `cargo bench --bench filing_load` (optional args: seconds, clients).

use std::time::{Duration, Instant};

use diesel::prelude::*;

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let secs = args.first().copied().unwrap_or(10);
    let clients = args.get(1).copied().unwrap_or(16) as usize;
    let dir = tempfile::tempdir().unwrap();
    let mut targets = vec![("SQLite", dir.path().join("load.db").display().to_string(), None)];
    if let Ok(admin) = std::env::var("PQRS_TEST_PG_URL") {
        if !admin.is_empty() {
            let name = format!("pqrs_load_{}", std::process::id());
            let mut c = diesel::PgConnection::establish(&admin).expect("PQRS_TEST_PG_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin).to_string();
            targets.push(("PostgreSQL", format!("{base}/{name}"), Some((admin, name))));
        }
    }
    println!("| backend | clients | requests | req/s | p50 ms | p99 ms | max ms | non-201 |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (label, url, cleanup) in targets {
        let data = tempfile::tempdir().unwrap();
        let row = actix_web::rt::System::new().block_on(run(label, url, data.path().to_path_buf(), secs, clients));
        println!("{row}");
        if let Some((admin, name)) = cleanup {
            let mut c = diesel::PgConnection::establish(&admin).unwrap();
            diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut c).unwrap();
        }
    }
}

async fn run(label: &str, url: String, data: std::path::PathBuf, secs: u64, clients: usize) -> String {
    let env: std::collections::BTreeMap<String, String> = [
        ("PQRS_DATABASE_URL", url),
        ("PQRS_LISTEN", "127.0.0.1:0".into()),
        ("PQRS_DATA_DIR", data.display().to_string()),
        ("PQRS_RULES_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/rules").into()),
        ("PQRS_FILING_BURST", "100000000".into()),
        ("PQRS_FILING_RATE_PER_MINUTE", "100000000".into()),
        ("PQRS_ACK_PER_SENDER_PER_HOUR", "100000000".into()),
        ("PQRS_DB_POOL_SIZE", "16".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let config = pqrs::config::Config::load_from(None, &env).unwrap();
    let app = pqrs::startup::Application::build(config).await.unwrap();
    let base = format!("http://127.0.0.1:{}/api/v1/filings", app.port());
    let stopper = app.stopper();
    actix_web::rt::spawn(app.run_until_stopped());
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let base = base.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
            let mut lat = Vec::new();
            let mut bad = 0u64;
            let mut i = 0u64;
            while Instant::now() < deadline {
                i += 1;
                let body = serde_json::json!({
                    "name": format!("Ciudadano {c}-{i}"), "email": format!("c{c}.{i}@example.com"),
                    "subject": "Solicitud de certificado de registro minero",
                    "message": "Solicito copia del certificado de registro minero de la placa JLC-16401 para un trámite bancario.",
                    "consent": true
                });
                let t = Instant::now();
                match client.post(&base).send_json(&body).await {
                    Ok(mut r) => {
                        let _ = r.body().await;
                        if r.status().as_u16() != 201 { bad += 1; }
                    }
                    Err(_) => bad += 1,
                }
                lat.push(t.elapsed());
            }
            (lat, bad)
        }));
    }
    let start = Instant::now();
    let mut all = Vec::new();
    let mut bad = 0;
    for t in tasks {
        let (l, b) = t.await.unwrap();
        all.extend(l);
        bad += b;
    }
    let elapsed = start.elapsed().as_secs_f64().max(secs as f64);
    stopper.stop().await;
    all.sort();
    let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0);
    format!(
        "| {label} | {clients} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {bad} |",
        all.len(), all.len() as f64 / elapsed, pct(0.50), pct(0.99), all.last().map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
    )
}
