//! Everything the service loads from the rules folder (`rules_dir`): the business calendar and
//! its extra non-business days (`calendar.toml`), the terms per kind (`terms.toml`), and the
//! routing rules. Loading is side-effect free, so a bad new set can be rejected while the running
//! one stays.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::Config;
use crate::domain::calendar::BusinessCalendar;
use crate::domain::deadline::{DeadlinePolicy, Terms};
use crate::domain::PetitionKind;

/// The loaded rules.
#[derive(Debug, Clone)]
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
