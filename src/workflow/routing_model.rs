//! Training the routing model: on the labelled mails of `rules/tests` at start, and again in the
//! background whenever triage confirmed or corrected more cases (`db::routing`), never blocking
//! intake: the model in force stays until the new one is ready, then is swapped in.

use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::db::AnyConnection;
use crate::routing::training::{examples_from_dir, Sourced};
use crate::routing::{Example, Learned, ParsedMail, RuleSet};

/// The cases triage confirmed, as examples (set `confirmed`).
pub fn confirmed_from(conn: &mut AnyConnection) -> anyhow::Result<Vec<Sourced>> {
    Ok(crate::db::routing::labelled_cases(conn)?
        .into_iter()
        .map(|c| Sourced {
            example: Example {
                mail: ParsedMail { subject: c.subject, body: c.body, from: c.from, to: Vec::new(), attachment_names: Vec::new() },
                channel: c.channel,
                department: c.department,
                kind: c.kind,
            },
            set: "confirmed".into(),
            name: c.radicado,
        })
        .collect())
}

/// The confirmed cases of the configured database (for `pqrs rules eval`); an error when there
/// is no database to read.
pub fn confirmed_examples(config: &Config) -> anyhow::Result<Vec<Sourced>> {
    if let crate::db::DbUrl::Sqlite(path) = &config.database {
        if !path.exists() {
            return Ok(Vec::new());
        }
    }
    let mut conn = config.database.establish()?;
    confirmed_from(&mut conn)
}

/// Every example: the files of `rules_dir/tests`, then the confirmed cases (when a connection is
/// given). A confirmed case of a department the rules no longer know is left out.
pub fn all_examples(rules: &RuleSet, rules_dir: &std::path::Path, conn: Option<&mut AnyConnection>) -> anyhow::Result<Vec<Sourced>> {
    let mut ex = examples_from_dir(rules, &rules_dir.join("tests"))?;
    if let Some(c) = conn {
        ex.extend(confirmed_from(c)?.into_iter().filter(|s| rules.department_codes().contains(&s.example.department)));
    }
    Ok(ex)
}

/// Train on every example and put the model in force on `rules`; returns the examples count.
pub fn retrain(rules: &RuleSet, rules_dir: &std::path::Path, conn: Option<&mut AnyConnection>) -> anyhow::Result<usize> {
    let ex = all_examples(rules, rules_dir, conn)?;
    let examples: Vec<Example> = ex.into_iter().map(|s| s.example).collect();
    let learned = crate::routing::training::train(rules, &examples);
    let n = learned.examples;
    rules.set_model(Some(Arc::new(learned)));
    Ok(n)
}

/// Load the rules of `config` with a model trained on their examples (and on the confirmed
/// cases when the database can be read): what `pqrs route` uses.
pub fn load_rules_with_model(config: &Config) -> anyhow::Result<RuleSet> {
    let dir = &config.settings.rules_dir;
    let rules = RuleSet::load_dir(dir)?;
    let mut conn = match &config.database {
        crate::db::DbUrl::Sqlite(p) if !p.exists() => None,
        db => db.establish().ok(),
    };
    retrain(&rules, dir, conn.as_mut())?;
    Ok(rules)
}

/// The background worker: trains at start, then checks every `every` whether the labels (or the
/// rule set, after a reload) changed and retrains when they did.
pub async fn run_model_worker(
    intake: Arc<crate::intake::Intake>,
    pool: crate::db::Pool,
    every: Duration,
    mut shutdown: crate::jobs::Shutdown,
) -> anyhow::Result<crate::jobs::Exit> {
    let mut trained: Option<(usize, (i64, Option<chrono::NaiveDateTime>))> = None;
    loop {
        let rules = intake.rules();
        let key = Arc::as_ptr(&rules) as usize;
        let (p, r, dir) = (pool.clone(), rules.clone(), intake.config.settings.rules_dir.clone());
        let last = trained;
        let result = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<(usize, (i64, Option<chrono::NaiveDateTime>), usize)>> {
            let mut c = p.get()?;
            let version = crate::db::routing::version(&mut c)?;
            if last == Some((key, version)) && r.model().is_some() {
                return Ok(None);
            }
            let n = retrain(&r, &dir, Some(&mut c))?;
            Ok(Some((key, version, n)))
        })
        .await;
        match result {
            Ok(Ok(Some((key, version, n)))) => {
                tracing::info!(examples = n, confirmed = version.0, "routing model trained");
                trained = Some((key, version));
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "training the routing model failed; the model in force stays"),
            Err(e) => anyhow::bail!("training the routing model panicked: {e}"),
        }
        if !shutdown.pause(every, None).await {
            return Ok(crate::jobs::Exit::Done);
        }
    }
}

/// How likely the model in force finds `code` for this message (for tests and explanations).
pub fn model_probability(learned: &Learned, mail: &ParsedMail, channel: &str, code: &str) -> f32 {
    learned.department_probability(&mail.as_input(channel), code)
}
