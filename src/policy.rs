//! Everything the service loads from the rules folder (`rules_dir`): the business calendar and
//! its extra non-business days (`calendar.toml`), the terms per kind (`terms.toml`), and the
//! routing rules. Loading is side-effect free, so a bad new set can be rejected while the running
//! one stays.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
use crate::domain::calendar::BusinessCalendar;
use crate::domain::deadline::{DeadlinePolicy, Requerimiento, TermDates, Terms, Timeline};
use crate::domain::PetitionKind;

/// The loaded rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub deadlines: DeadlinePolicy,
    pub terms: Terms,
}

/// The dates of a new case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDates {
    pub effective_date: NaiveDate,
    pub term_days: Option<u32>,
    pub due_date: Option<NaiveDate>,
    /// The latest date an extension may reach (2N business days from the effective day).
    pub extension_limit: Option<NaiveDate>,
}

/// The policy in force, replaced as a whole when `calendar.toml` or `terms.toml` is reloaded
/// (SIGHUP). Readers get a `&'static Policy` that never changes under them: a replaced policy
/// is leaked on purpose (a few kilobytes a reload; reloads are rare), so no reader ever holds a
/// reference into freed memory, and no lock is taken on the hot path.
pub struct LivePolicy(arc_swap::ArcSwap<&'static Policy>);

impl LivePolicy {
    pub fn new(policy: Policy) -> LivePolicy {
        LivePolicy(arc_swap::ArcSwap::from_pointee(Box::leak(Box::new(policy))))
    }

    /// The policy in force now.
    pub fn current(&self) -> &'static Policy {
        **self.0.load()
    }

    /// Put `policy` in force; returns the one it replaces.
    pub fn replace(&self, policy: Policy) -> &'static Policy {
        let new: &'static Policy = Box::leak(Box::new(policy));
        *self.0.swap(Arc::new(new))
    }
}

impl std::ops::Deref for LivePolicy {
    type Target = Policy;
    fn deref(&self) -> &Policy {
        self.current()
    }
}

impl std::fmt::Debug for LivePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.current().fmt(f)
    }
}

impl Policy {
    pub fn load(config: &Config) -> anyhow::Result<Policy> {
        let dir = &config.settings.rules_dir;
        let calendar = BusinessCalendar::load(dir.join("calendar.toml"))?;
        let terms = Terms::load(dir.join("terms.toml"))?;
        let mut deadlines = DeadlinePolicy::new(calendar);
        deadlines.cutoff = config.cutoff;
        Ok(Policy { deadlines, terms })
    }

    pub fn shared(self) -> Arc<Policy> {
        Arc::new(self)
    }

    /// Effective filing day, term and due date of a PQRS of `kind` received at `received`.
    pub fn dates(&self, kind: PetitionKind, received: DateTime<Utc>) -> anyhow::Result<CaseDates> {
        let effective_date = self.deadlines.effective_filing_day(received)?;
        let term_days = self.terms.term_for(kind.as_str())?;
        let due_date = match term_days {
            Some(n) => Some(self.deadlines.due_date_from(effective_date, n)?),
            None => None,
        };
        let extension_limit = match term_days {
            Some(n) => Some(self.deadlines.max_extended_due(effective_date, n)?),
            None => None,
        };
        Ok(CaseDates { effective_date, term_days, due_date, extension_limit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_kinds_are_the_domain_kinds() {
        let domain: Vec<&str> = PetitionKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(domain, crate::domain::deadline::KINDS.to_vec());
    }

    #[test]
    fn shipped_rule_files_load_with_the_design_terms() {
        let mut settings = crate::config::Settings::default();
        settings.rules_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/rules").into();
        let config = Config::validate(settings).unwrap();
        let p = Policy::load(&config).unwrap();
        let expect = [
            (PetitionKind::PeticionGeneral, Some(15)),
            (PetitionKind::PeticionDocumentos, Some(10)),
            (PetitionKind::Consulta, Some(30)),
            (PetitionKind::EntreAutoridades, Some(10)),
            (PetitionKind::Felicitacion, None),
        ];
        for (k, t) in expect {
            assert_eq!(p.terms.term_for(k.as_str()).unwrap(), t, "{k}");
        }
    }
}

/// The arguments of `pqrs term`, as typed.
#[derive(Debug, Clone, Copy)]
pub struct TermArgs<'a> {
    pub received: &'a str,
    pub kind: &'a str,
    pub requerimiento: Option<&'a str>,
    pub respuesta: Option<&'a str>,
    pub citizen_extension: bool,
    /// The requerimiento is an art. 19 devolución.
    pub clarification: bool,
    pub reclassified_to: Option<&'a str>,
}

/// What `pqrs term` prints: the final kind, its term and the [`TermDates`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TermReport {
    pub kind: PetitionKind,
    pub term_days: Option<u32>,
    #[serde(flatten)]
    pub dates: TermDates,
}

impl TermReport {
    /// The plain-text form: one `key: value` line each (`-` where none applies).
    pub fn to_text(&self) -> String {
        let d = |x: Option<NaiveDate>| x.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "-".into());
        format!(
            "kind: {}\nterm_days: {}\neffective_day: {}\ndue: {}\nextension_limit: {}\ncitizen_last_day: {}\ndesistimiento_from: {}\n",
            self.kind.as_str(),
            self.term_days.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
            self.dates.effective_day.format("%Y-%m-%d"),
            d(self.dates.due),
            d(self.dates.extension_limit),
            d(self.dates.citizen_last_day),
            d(self.dates.desistimiento_from),
        )
    }
}

fn parse_kind(text: &str) -> anyhow::Result<PetitionKind> {
    PetitionKind::parse(text.trim()).ok_or_else(|| {
        let known: Vec<&str> = PetitionKind::ALL.iter().map(|k| k.as_str()).collect();
        anyhow::anyhow!("unknown kind `{text}` (known: {})", known.join(", "))
    })
}

fn parse_day(flag: &str, text: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|e| anyhow::anyhow!("{flag} `{text}` is not a date YYYY-MM-DD: {e}"))
}

impl Policy {
    /// The term of a timeline given as `pqrs term` arguments.
    pub fn term(&self, args: &TermArgs<'_>) -> anyhow::Result<TermReport> {
        let filed = parse_kind(args.kind)?;
        let kind = match args.reclassified_to {
            Some(k) => parse_kind(k)?,
            None => filed,
        };
        let received = DateTime::parse_from_rfc3339(args.received.trim())
            .map_err(|e| anyhow::anyhow!("--received `{}` is not RFC 3339 (e.g. 2026-07-10T09:30:00-05:00): {e}", args.received))?
            .with_timezone(&Utc);
        if args.requerimiento.is_none() && (args.respuesta.is_some() || args.citizen_extension || args.clarification) {
            anyhow::bail!("--respuesta, --prorroga-ciudadano and --devolucion need --requerimiento");
        }
        let requerimiento = match args.requerimiento {
            Some(r) => Some(Requerimiento {
                made_on: parse_day("--requerimiento", r)?,
                completed_on: args.respuesta.map(|a| parse_day("--respuesta", a)).transpose()?,
                citizen_extension: args.citizen_extension,
                clarification: args.clarification,
            }),
            None => None,
        };
        let term_days = self.terms.term_for(kind.as_str())?;
        let timeline = Timeline { effective_day: self.deadlines.effective_filing_day(received)?, term: term_days, requerimiento };
        let dates = self.deadlines.term_dates(&timeline)?;
        Ok(TermReport { kind, term_days, dates })
    }
}
