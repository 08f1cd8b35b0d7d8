//! The deadline rule: when a PQRS petition is due, and what extensions and suspensions do to it.
//!
//! # Legal basis
//!
//! * **Terms** (Ley 1755 de 2015, which rewrote arts. 13–33 of the CPACA, Ley 1437 de 2011): a
//!   petition must be answered within 15 business days (art. 14); requests for documents or
//!   information within 10 (art. 14.1); consultations within 30 (art. 14.2); requests between
//!   authorities within 10 (art. 30). Complaints, claims, suggestions and reports follow the
//!   general 15-day rule. A *felicitación* has no term. The terms per kind are data, loaded from
//!   `rules/terms.toml` ([`Terms`]).
//! * **Business days**: day-based legal terms exclude weekends, national holidays and the
//!   entity's non-working days ([`BusinessCalendar`]); counting starts the day *after* filing
//!   (radicación), as Acuerdo 060 de 2001 of the AGN and the uniform practice say.
//! * **After-hours filings**: no statute fixes a cut-off hour; following the practice of Orfeo's
//!   web intake, a filing received on a non-business day, or at or after the cut-off time
//!   (default 17:00) on a business day, is taken as filed on the next business day. Everything
//!   is reckoned in America/Bogota time.
//!
//! # The rule ([`DeadlinePolicy`])
//!
//! 1. The *effective filing day* is the Bogotá date of receipt if that date is a business day and
//!    the local time is before the cut-off (16:59:59 counts the same day, 17:00:00 does not);
//!    otherwise it is the next business day ([`DeadlinePolicy::effective_filing_day`]).
//! 2. The *due date* is the N-th business day after the effective filing day, N being the
//!    kind's term ([`DeadlinePolicy::due_date`]). Example: filed Friday 2026-07-10 before 17:00
//!    (Monday 13 July and Monday 20 July are holidays), a 15-day term is due Tuesday 2026-08-04.
//! 3. **Extension** (prórroga, Ley 1755 art. 14 parágrafo): before the term expires, the entity
//!    tells the petitioner the reason and the new date, which may not exceed twice the original
//!    term. By default (DESIGN.md, reading (a) of DOMAIN.md) the new date may be at most
//!    2 × term business days after the effective filing day; the other reading (the extension
//!    itself up to 2 × term, i.e. 3 × term in total) is available as
//!    [`ExtensionLimit::DoubleTermAfterDue`] ([`DeadlinePolicy::max_extended_due`],
//!    [`DeadlinePolicy::check_extension`]). That an extension is granted only once is the
//!    caller's business (it knows the case history).
//! 4. **Suspension** (Ley 1755 art. 17, incomplete petitions): when the entity asks the
//!    petitioner to complete the petition, the clock stops; "from the day after the interested
//!    party provides the documents or information, the term is reactivated". The business days
//!    remaining when the clock stopped are counted again, the first counted day being the first
//!    business day after the reply ([`DeadlinePolicy::resume_after_suspension`]). The day the
//!    request is made is taken as used (the clock ran that day); the day of the reply is not
//!    counted (like the day of filing).
//! 5. **Follow-up**: [`DeadlinePolicy::days_left`] gives the business days left (negative when
//!    overdue) and [`DeadlinePolicy::traffic_light`] a green/amber/red status.
//!
//! No function panics: date arithmetic beyond chrono's range (year 262142) gives
//! [`DeadlineError::OutOfRange`].

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::calendar::BusinessCalendar;

// ---------------------------------------------------------------------------------------------
// Terms
// ---------------------------------------------------------------------------------------------

/// The PQRS kinds (`kind`) known to the service, as they appear in `rules/terms.toml`.
pub const KINDS: [&str; 9] = super::kind::KIND_CODES;

/// The largest term accepted in `rules/terms.toml`, in business days (more than a year).
pub const MAX_TERM_DAYS: u32 = 365;

/// The default terms of DESIGN.md §2, in the order of [`KINDS`] (`None` = no due date).
const DEFAULT_TERMS: [Option<u32>; 9] = [
    Some(15),
    Some(10),
    Some(30),
    Some(15),
    Some(15),
    Some(15),
    Some(15),
    Some(10),
    None,
];

/// The response term of every PQRS kind, in business days.
///
/// Loaded from `rules/terms.toml`:
///
/// ```toml
/// [terms]
/// peticion_general = 15      # 1..=365 business days
/// felicitacion = "none"      # no due date
/// ```
///
/// Every kind of [`KINDS`] must be present, no other key is allowed. [`Terms::default`] gives the
/// terms of DESIGN.md (the same as the shipped file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// Indexed like [`KINDS`].
    days: [Option<u32>; 9],
}

impl Default for Terms {
    fn default() -> Self {
        Self {
            days: DEFAULT_TERMS,
        }
    }
}

/// Errors while loading `rules/terms.toml`.
#[derive(Debug, thiserror::Error)]
pub enum TermsError {
    /// The file could not be read (a missing file is an error too: terms are required).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or breaks the format.
    #[error("{source_name}: {message}")]
    Invalid {
        /// The file name (or the label given to [`Terms::from_toml_str`]).
        source_name: String,
        /// What is wrong, naming the key.
        message: String,
    },
}

/// A kind that is not one of [`KINDS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown PQRS kind `{kind}`")]
pub struct UnknownKind {
    /// The kind asked for.
    pub kind: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsFile {
    terms: std::collections::BTreeMap<String, TermValue>,
}

/// A term in the file: a number of business days or the string `"none"`.
struct TermValue(Option<u32>);

impl<'de> Deserialize<'de> for TermValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TermVisitor;

        impl serde::de::Visitor<'_> for TermVisitor {
            type Value = TermValue;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(
                    f,
                    "a number of business days (1..={MAX_TERM_DAYS}) or \"none\""
                )
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<TermValue, E> {
                match u32::try_from(v) {
                    Ok(days) if (1..=MAX_TERM_DAYS).contains(&days) => Ok(TermValue(Some(days))),
                    _ => Err(E::custom(format!(
                        "term {v} is out of range: expected 1..={MAX_TERM_DAYS} business days, \
                         or \"none\" for no due date"
                    ))),
                }
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<TermValue, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TermValue, E> {
                if v == "none" {
                    Ok(TermValue(None))
                } else {
                    Err(E::custom(format!(
                        "invalid term \"{v}\": expected a number of business days or \"none\""
                    )))
                }
            }
        }

        deserializer.deserialize_any(TermVisitor)
    }
}

impl Terms {
    /// Parses the `rules/terms.toml` format. `source_name` labels error messages.
    ///
    /// Errors (naming the key): invalid TOML, a top-level key other than `terms`, an unknown
    /// kind, a missing kind, a term that is not 1..=[`MAX_TERM_DAYS`] or `"none"`.
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, TermsError> {
        let invalid = |message: String| TermsError::Invalid {
            source_name: source_name.to_string(),
            message,
        };
        let file: TermsFile =
            toml::from_str(text).map_err(|e| invalid(e.to_string().trim_end().to_string()))?;
        let mut days = [None; 9];
        let mut seen = [false; 9];
        for (kind, value) in file.terms {
            let Some(index) = KINDS.iter().position(|k| *k == kind) else {
                return Err(invalid(format!(
                    "terms.{kind}: unknown kind `{kind}` (known kinds: {})",
                    KINDS.join(", ")
                )));
            };
            days[index] = value.0;
            seen[index] = true;
        }
        let missing: Vec<String> = KINDS
            .iter()
            .zip(seen)
            .filter(|(_, seen)| !seen)
            .map(|(kind, _)| format!("`terms.{kind}`"))
            .collect();
        if !missing.is_empty() {
            return Err(invalid(format!(
                "missing kind(s) {}: every kind needs a term (a number or \"none\")",
                missing.join(", ")
            )));
        }
        Ok(Self { days })
    }

    /// Loads the terms from a file such as `rules/terms.toml`. A missing file is an error (use
    /// [`Terms::default`] explicitly for the built-in terms).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, TermsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| TermsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml_str(&text, &path.display().to_string())
    }

    /// The term of `kind` in business days; `Ok(None)` when the kind has no due date.
    pub fn term_for(&self, kind: &str) -> Result<Option<u32>, UnknownKind> {
        KINDS
            .iter()
            .position(|k| *k == kind)
            .and_then(|index| self.days.get(index).copied())
            .ok_or_else(|| UnknownKind {
                kind: kind.to_string(),
            })
    }

    /// Every kind with its term, in the order of [`KINDS`].
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, Option<u32>)> + '_ {
        KINDS.iter().copied().zip(self.days.iter().copied())
    }
}

// ---------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------

/// How far an extension (prórroga) may go; Ley 1755 art. 14 parágrafo allows "up to twice the
/// initially foreseen term", read in two ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionLimit {
    /// Reading (a), the default: the new due date is at most 2 × term business days after the
    /// effective filing day.
    #[default]
    DoubleTermFromFiling,
    /// Reading (b): the extension itself is at most 2 × term business days after the original
    /// due date (3 × term from the effective filing day).
    DoubleTermAfterDue,
}

/// A deadline status for lists and dashboards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficLight {
    /// More business days left than the amber threshold.
    Green,
    /// Due within the amber threshold (0 = due today).
    Amber,
    /// Overdue.
    Red,
}

impl TrafficLight {
    /// The status for a number of business days left (see [`DeadlinePolicy::days_left`]):
    /// red when negative, amber from 0 to `amber_days`, green above.
    pub fn from_days_left(days_left: i64, amber_days: u32) -> Self {
        if days_left < 0 {
            Self::Red
        } else if days_left <= i64::from(amber_days) {
            Self::Amber
        } else {
            Self::Green
        }
    }
}

/// Errors of the deadline arithmetic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// The result would be outside the supported date range (chrono's, up to year 262142).
    #[error("date out of the supported range")]
    OutOfRange,
    /// The reply to a request for completion is dated before the request.
    #[error("the reply date {replied_on} is before the suspension start {suspended_on}")]
    ReplyBeforeSuspension {
        /// When the clock stopped.
        suspended_on: NaiveDate,
        /// The reply date given.
        replied_on: NaiveDate,
    },
    /// The clock cannot be stopped after the term has expired.
    #[error("the suspension start {suspended_on} is after the due date {due}")]
    SuspendedAfterDue {
        /// When the clock stopped.
        suspended_on: NaiveDate,
        /// The due date at that moment.
        due: NaiveDate,
    },
}

/// Why a proposed extended due date is refused. Messages are English; the UI translates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    /// The term has already expired: an extension must be decided before the due date passes.
    #[error("the term expired on {current_due}; an extension must be granted before it expires")]
    TermExpired {
        /// The current due date.
        current_due: NaiveDate,
        /// The day the extension was attempted.
        today: NaiveDate,
    },
    /// The proposed date does not move the due date later.
    #[error("the new due date {proposed} must be after the current due date {current_due}")]
    NotAfterCurrentDue {
        /// The proposed due date.
        proposed: NaiveDate,
        /// The current due date.
        current_due: NaiveDate,
    },
    /// The proposed date exceeds the legal maximum.
    #[error("the new due date {proposed} exceeds the legal maximum {max_due}")]
    BeyondLimit {
        /// The proposed due date.
        proposed: NaiveDate,
        /// The latest date allowed.
        max_due: NaiveDate,
    },
    /// A due date must be a business day.
    #[error("the new due date {proposed} is not a business day")]
    NotBusinessDay {
        /// The proposed due date.
        proposed: NaiveDate,
    },
}

/// The deadline rule, with its configurable parts. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlinePolicy {
    /// Business days.
    pub calendar: BusinessCalendar,
    /// Filings at or after this local time count from the next business day (default 17:00).
    pub cutoff: NaiveTime,
    /// The time zone of the entity (America/Bogota).
    pub tz: Tz,
    /// Business days left at or below which a case is amber (default 3).
    pub amber_days: u32,
    /// How far an extension may go (default reading (a)).
    pub extension_limit: ExtensionLimit,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        Self::new(BusinessCalendar::colombia())
    }
}

impl DeadlinePolicy {
    /// The default cut-off time, 17:00 local time.
    pub const DEFAULT_CUTOFF: NaiveTime = match NaiveTime::from_hms_opt(17, 0, 0) {
        Some(time) => time,
        None => NaiveTime::MIN,
    };

    /// The default amber threshold, in business days left.
    pub const DEFAULT_AMBER_DAYS: u32 = 3;

    /// The policy with the given calendar and the defaults: cut-off 17:00, America/Bogota, amber
    /// at 3 days left, extension reading (a).
    pub fn new(calendar: BusinessCalendar) -> Self {
        Self {
            calendar,
            cutoff: Self::DEFAULT_CUTOFF,
            tz: chrono_tz::America::Bogota,
            amber_days: Self::DEFAULT_AMBER_DAYS,
            extension_limit: ExtensionLimit::default(),
        }
    }

    /// The local (Bogotá) date and time of an instant.
    pub fn local_datetime(&self, instant: DateTime<Utc>) -> Result<NaiveDateTime, DeadlineError> {
        let utc = instant.naive_utc();
        let offset = self.tz.offset_from_utc_datetime(&utc).fix();
        utc.checked_add_signed(TimeDelta::seconds(i64::from(offset.local_minus_utc())))
            .ok_or(DeadlineError::OutOfRange)
    }

    /// The local (Bogotá) date of an instant, e.g. "today" for [`DeadlinePolicy::days_left`].
    pub fn local_date(&self, instant: DateTime<Utc>) -> Result<NaiveDate, DeadlineError> {
        self.local_datetime(instant).map(|local| local.date())
    }

    /// The effective filing day of a petition received at `received`: the local date if it is a
    /// business day and the local time is before the cut-off, otherwise the next business day.
    pub fn effective_filing_day(
        &self,
        received: DateTime<Utc>,
    ) -> Result<NaiveDate, DeadlineError> {
        let local = self.local_datetime(received)?;
        let date = local.date();
        if local.time() < self.cutoff && self.calendar.is_business_day(date) {
            Ok(date)
        } else {
            self.calendar
                .next_business_day(date)
                .ok_or(DeadlineError::OutOfRange)
        }
    }

    /// The due date of a petition received at `received` with a term of `term` business days:
    /// the `term`-th business day after the effective filing day.
    pub fn due_date(&self, received: DateTime<Utc>, term: u32) -> Result<NaiveDate, DeadlineError> {
        let effective = self.effective_filing_day(received)?;
        self.due_date_from(effective, term)
    }

    /// The due date counted from an already known effective filing day.
    pub fn due_date_from(
        &self,
        effective_day: NaiveDate,
        term: u32,
    ) -> Result<NaiveDate, DeadlineError> {
        self.calendar
            .add_business_days(effective_day, term)
            .ok_or(DeadlineError::OutOfRange)
    }

    /// The latest due date an extension may set, for a case with this effective filing day and
    /// original term: 2 × term business days after the effective filing day (reading (a)), or
    /// 3 × term with [`ExtensionLimit::DoubleTermAfterDue`].
    ///
    /// A suspension moves this limit like the due date: apply
    /// [`DeadlinePolicy::resume_after_suspension`] to it as well.
    pub fn max_extended_due(
        &self,
        effective_day: NaiveDate,
        term: u32,
    ) -> Result<NaiveDate, DeadlineError> {
        let factor = match self.extension_limit {
            ExtensionLimit::DoubleTermFromFiling => 2,
            ExtensionLimit::DoubleTermAfterDue => 3,
        };
        let days = term.checked_mul(factor).ok_or(DeadlineError::OutOfRange)?;
        self.due_date_from(effective_day, days)
    }

    /// Checks a proposed extended due date decided on `today`: the current term must not have
    /// expired (`today <= current_due`), the new date must be a business day, later than
    /// `current_due` and not later than `max_due` (from [`DeadlinePolicy::max_extended_due`]).
    pub fn check_extension(
        &self,
        current_due: NaiveDate,
        proposed: NaiveDate,
        max_due: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), ExtensionError> {
        if today > current_due {
            return Err(ExtensionError::TermExpired { current_due, today });
        }
        if proposed <= current_due {
            return Err(ExtensionError::NotAfterCurrentDue {
                proposed,
                current_due,
            });
        }
        if proposed > max_due {
            return Err(ExtensionError::BeyondLimit { proposed, max_due });
        }
        if !self.calendar.is_business_day(proposed) {
            return Err(ExtensionError::NotBusinessDay { proposed });
        }
        Ok(())
    }

    /// The new due date after a suspension (art. 17 requerimiento).
    ///
    /// `suspended_on` is the day the clock stopped (the request to complete the petition was
    /// made), `due` the due date at that moment, `replied_on` the day the petitioner replied.
    /// The business days in `(suspended_on, due]` are the days still remaining; they are counted
    /// again after `replied_on`, the first counted day being the first business day after the
    /// reply. So the day of the request is used up and the day of the reply is not counted.
    /// When nothing remains (`suspended_on == due`), the new due date is the reply day, or the
    /// next business day if the reply came on a non-business day.
    ///
    /// Errors: the reply is before the suspension, or the suspension starts after the due date.
    pub fn resume_after_suspension(
        &self,
        suspended_on: NaiveDate,
        due: NaiveDate,
        replied_on: NaiveDate,
    ) -> Result<NaiveDate, DeadlineError> {
        if replied_on < suspended_on {
            return Err(DeadlineError::ReplyBeforeSuspension {
                suspended_on,
                replied_on,
            });
        }
        if suspended_on > due {
            return Err(DeadlineError::SuspendedAfterDue { suspended_on, due });
        }
        let remaining = self.calendar.business_days_between(suspended_on, due);
        let new_due = if remaining <= 0 {
            self.calendar.business_day_on_or_after(replied_on)
        } else {
            let remaining = u32::try_from(remaining).map_err(|_| DeadlineError::OutOfRange)?;
            self.calendar.add_business_days(replied_on, remaining)
        };
        new_due.ok_or(DeadlineError::OutOfRange)
    }

    /// The citizen's last day to complete a petition after a requerimiento made on
    /// `requested_on` (art. 17, Ley 1755 de 2015: one month): the same day of the next month
    /// (the month's last day when that day does not exist), moved to the next business day when
    /// it is not one. Desistimiento may be declared only after this day.
    pub fn citizen_last_day(&self, requested_on: NaiveDate) -> Result<NaiveDate, DeadlineError> {
        self.citizen_last_day_for(requested_on, false)
    }

    /// Business days left until `due`, seen on `today`:
    ///
    /// * `today <= due`: the business days in `(today, due]` (0 = due today or, on a
    ///   non-business day, nothing left before the due date);
    /// * `today > due` (overdue): minus the business days elapsed in `(due, today]`, and at least
    ///   −1 (a Saturday after a Friday due date is already −1).
    pub fn days_left(&self, today: NaiveDate, due: NaiveDate) -> i64 {
        if today <= due {
            self.calendar.business_days_between(today, due)
        } else {
            -self.calendar.business_days_between(due, today).max(1)
        }
    }

    /// The traffic light of a case due on `due`, seen on `today`, with this policy's amber
    /// threshold.
    pub fn traffic_light(&self, today: NaiveDate, due: NaiveDate) -> TrafficLight {
        TrafficLight::from_days_left(self.days_left(today, due), self.amber_days)
    }
}

/// The business days after the effective filing day within which a requerimiento may be made
/// (art. 17, Ley 1755 de 2015: "dentro de los diez (10) días siguientes a la fecha de radicación").
pub const REQUERIMIENTO_WINDOW_DAYS: u32 = 10;

/// The facts a case's term follows: everything `pqrs term` takes and the lifecycle stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// The effective filing day.
    pub effective_day: NaiveDate,
    /// The term in business days of the case's (current) kind; `None` for a kind without one.
    pub term: Option<u32>,
    /// A requerimiento (art. 17), when one was made.
    pub requerimiento: Option<Requerimiento>,
}

/// A requerimiento: the day it was made, the day the citizen completed the petition (if they
/// did), and whether they asked for the second month. With `clarification` it is an art. 19
/// devolución instead: the citizen has 10 business days to clarify, and the clarified petition
/// counts as filed on the day of the clarification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requerimiento {
    pub made_on: NaiveDate,
    pub completed_on: Option<NaiveDate>,
    pub citizen_extension: bool,
    pub clarification: bool,
}

/// The business days an unclear petition's citizen has to clarify it (art. 19).
pub const CLARIFICATION_DAYS: u32 = 10;

/// The dates of a [`Timeline`] (DESIGN.md §2 and the README's `pqrs term` contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TermDates {
    pub effective_day: NaiveDate,
    /// The due date; `None` without a term and while a requerimiento is unanswered.
    pub due: Option<NaiveDate>,
    /// The latest date an extension may reach; `None` as `due`.
    pub extension_limit: Option<NaiveDate>,
    /// The citizen's last day to complete the petition after a requerimiento.
    pub citizen_last_day: Option<NaiveDate>,
    /// The first day desistimiento may be declared (an unanswered requerimiento only).
    pub desistimiento_from: Option<NaiveDate>,
}

/// Why a timeline is not a lawful one. Messages are English; the UI translates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    #[error("the requerimiento of {made_on} comes after the {REQUERIMIENTO_WINDOW_DAYS} business days allowed to make it (last: {limit})")]
    RequerimientoTooLate { made_on: NaiveDate, limit: NaiveDate },
    #[error("the requerimiento of {made_on} comes after the due date {due}")]
    RequerimientoAfterDue { made_on: NaiveDate, due: NaiveDate },
    #[error("the completion of {completed_on} is before the requerimiento of {made_on}")]
    CompletedBeforeRequest { made_on: NaiveDate, completed_on: NaiveDate },
    #[error("the completion of {completed_on} came after the citizen's last day {last_day}: desistimiento applies")]
    CompletedAfterLastDay { completed_on: NaiveDate, last_day: NaiveDate },
    #[error("a devolución (art. 19) has no second month")]
    NoExtensionOfClarification,
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
}

impl DeadlinePolicy {
    /// The last day a requerimiento may be made: the 10th business day after the effective day.
    pub fn requerimiento_limit(&self, effective_day: NaiveDate) -> Result<NaiveDate, DeadlineError> {
        self.due_date_from(effective_day, REQUERIMIENTO_WINDOW_DAYS)
    }

    /// The citizen's last day after a requerimiento made on `made_on`: one calendar month, or two
    /// when the citizen asked for the second month (art. 17); the month's last day when the day
    /// does not exist; moved to the next business day when it is not one.
    pub fn citizen_last_day_for(&self, made_on: NaiveDate, citizen_extension: bool) -> Result<NaiveDate, DeadlineError> {
        made_on
            .checked_add_months(chrono::Months::new(if citizen_extension { 2 } else { 1 }))
            .and_then(|d| self.calendar.business_day_on_or_after(d))
            .ok_or(DeadlineError::OutOfRange)
    }

    /// The citizen's last day after the requerimiento `r`: [`DeadlinePolicy::citizen_last_day_for`],
    /// or for a devolución the 10th business day after it.
    pub fn last_day_of(&self, r: &Requerimiento) -> Result<NaiveDate, DeadlineError> {
        if r.clarification {
            self.due_date_from(r.made_on, CLARIFICATION_DAYS)
        } else {
            self.citizen_last_day_for(r.made_on, r.citizen_extension)
        }
    }

    /// The dates of a timeline: the one computation behind `pqrs term`, filing, the citizen's
    /// completion, reclassification and the calendar reload.
    ///
    /// `due` is the N-th business day after the effective day and `extension_limit` the one
    /// [`DeadlinePolicy::max_extended_due`] gives (2N). A requerimiento earlier than the effective
    /// day counts from the effective day; it must fall within the first 10 business days and not
    /// after the due date. Completed on A: for each of `due` and `extension_limit`, the business
    /// days in (R, date] remain and are counted again after A
    /// ([`DeadlinePolicy::resume_after_suspension`]). Unanswered: no due date, and desistimiento
    /// from the business day after the citizen's last day.
    pub fn term_dates(&self, t: &Timeline) -> Result<TermDates, TimelineError> {
        let (mut due, mut limit) = match t.term {
            Some(n) => (Some(self.due_date_from(t.effective_day, n)?), Some(self.max_extended_due(t.effective_day, n)?)),
            None => (None, None),
        };
        let mut out = TermDates { effective_day: t.effective_day, due, extension_limit: limit, citizen_last_day: None, desistimiento_from: None };
        let Some(r) = t.requerimiento else { return Ok(out) };
        let made_on = r.made_on.max(t.effective_day);
        let window = self.requerimiento_limit(t.effective_day)?;
        if made_on > window {
            return Err(TimelineError::RequerimientoTooLate { made_on: r.made_on, limit: window });
        }
        if let Some(d) = due.filter(|d| made_on > *d) {
            return Err(TimelineError::RequerimientoAfterDue { made_on: r.made_on, due: d });
        }
        if r.clarification && r.citizen_extension {
            return Err(TimelineError::NoExtensionOfClarification);
        }
        let last_day = self.last_day_of(&r)?;
        out.citizen_last_day = Some(last_day);
        match r.completed_on {
            Some(a) => {
                if a < r.made_on {
                    return Err(TimelineError::CompletedBeforeRequest { made_on: r.made_on, completed_on: a });
                }
                if a > last_day {
                    return Err(TimelineError::CompletedAfterLastDay { completed_on: a, last_day });
                }
                let a = a.max(made_on);
                if r.clarification {
                    // The clarified petition counts as filed on the day of the clarification.
                    let effective = self.calendar.business_day_on_or_after(a).ok_or(DeadlineError::OutOfRange)?;
                    out.effective_day = effective;
                    out.due = t.term.map(|n| self.due_date_from(effective, n)).transpose()?;
                    out.extension_limit = t.term.map(|n| self.max_extended_due(effective, n)).transpose()?;
                    return Ok(out);
                }
                due = due.map(|d| self.resume_after_suspension(made_on, d, a)).transpose()?;
                limit = limit.map(|d| self.resume_after_suspension(made_on, d, a)).transpose()?;
                out.due = due;
                out.extension_limit = limit;
            }
            None => {
                out.due = None;
                out.extension_limit = None;
                out.desistimiento_from = Some(self.calendar.next_business_day(last_day).ok_or(DeadlineError::OutOfRange)?);
            }
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    #[test]
    fn the_citizens_month_ends_on_a_business_day() {
        use chrono::NaiveDate;
        let p = super::DeadlinePolicy::new(crate::domain::calendar::BusinessCalendar::colombia());
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // Wed 4 Mar 2026 + 1 month = Sat 4 Apr (after Holy Week) → Mon 6 Apr.
        assert_eq!(p.citizen_last_day(d(2026, 3, 4)).unwrap(), d(2026, 4, 6));
        // 31 Jan → 28 Feb 2026 (no 31 Feb), a Saturday → Mon 2 Mar.
        assert_eq!(p.citizen_last_day(d(2026, 1, 31)).unwrap(), d(2026, 3, 2));
        // Tue 10 Mar 2026 → Fri 10 Apr, a business day: itself.
        assert_eq!(p.citizen_last_day(d(2026, 3, 10)).unwrap(), d(2026, 4, 10));
    }

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A UTC instant given as Bogotá local time (UTC−5).
    fn bogota(y: i32, m: u32, day: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        // 5 hours ahead in UTC.
        d(y, m, day)
            .and_hms_opt(h, min, s)
            .unwrap()
            .checked_add_signed(TimeDelta::hours(5))
            .unwrap()
            .and_utc()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn policy() -> DeadlinePolicy {
        DeadlinePolicy::default()
    }

    #[test]
    fn worked_examples_filed_before_cutoff() {
        let p = policy();
        // Friday 2026-07-10, 10:00 Bogotá = 15:00 UTC.
        let received = utc("2026-07-10T15:00:00Z");
        assert_eq!(p.effective_filing_day(received).unwrap(), d(2026, 7, 10));
        assert_eq!(p.due_date(received, 10).unwrap(), d(2026, 7, 28));
        assert_eq!(p.due_date(received, 15).unwrap(), d(2026, 8, 4));
        assert_eq!(p.due_date(received, 30).unwrap(), d(2026, 8, 27));
        let received = utc("2026-12-18T14:30:00Z");
        assert_eq!(p.due_date(received, 15).unwrap(), d(2027, 1, 13));
    }

    #[test]
    fn worked_examples_assume_filing_before_cutoff() {
        let p = policy();
        // The same Friday at 17:30 Bogotá: effective day Tuesday 14 July (13 July is a holiday).
        let received = bogota(2026, 7, 10, 17, 30, 0);
        assert_eq!(p.effective_filing_day(received).unwrap(), d(2026, 7, 14));
        assert_eq!(p.due_date(received, 10).unwrap(), d(2026, 7, 29));
        assert_eq!(p.due_date(received, 15).unwrap(), d(2026, 8, 5));
        // Friday 2026-12-18 after 17:00 -> Monday 21 Dec -> one day later.
        let received = bogota(2026, 12, 18, 18, 0, 0);
        assert_eq!(p.effective_filing_day(received).unwrap(), d(2026, 12, 21));
        assert_eq!(p.due_date(received, 15).unwrap(), d(2027, 1, 14));
    }

    #[test]
    fn cutoff_minute() {
        let p = policy();
        // 16:59:59 Bogotá = 21:59:59 UTC: same day.
        assert_eq!(
            p.effective_filing_day(utc("2026-07-15T21:59:59Z")).unwrap(),
            d(2026, 7, 15)
        );
        assert_eq!(
            p.effective_filing_day(utc("2026-07-15T21:59:00Z")).unwrap(),
            d(2026, 7, 15)
        );
        assert_eq!(
            p.effective_filing_day(utc("2026-07-15T21:59:59.999999999Z"))
                .unwrap(),
            d(2026, 7, 15)
        );
        // 17:00:00 Bogotá = 22:00:00 UTC: next business day.
        assert_eq!(
            p.effective_filing_day(utc("2026-07-15T22:00:00Z")).unwrap(),
            d(2026, 7, 16)
        );
        // Late evening in Bogotá is already the next UTC day.
        assert_eq!(
            p.effective_filing_day(utc("2026-07-16T04:59:59Z")).unwrap(),
            d(2026, 7, 16)
        );
        // 00:00 Bogotá of the 16th = 05:00 UTC: a business day, before the cut-off.
        assert_eq!(
            p.effective_filing_day(utc("2026-07-16T05:00:00Z")).unwrap(),
            d(2026, 7, 16)
        );
        // The same in a non-UTC offset notation.
        assert_eq!(
            p.effective_filing_day(utc("2026-07-15T16:59:00-05:00"))
                .unwrap(),
            d(2026, 7, 15)
        );
        // Configurable cut-off (Orfeo uses 16:30).
        let mut early = policy();
        early.cutoff = NaiveTime::from_hms_opt(16, 30, 0).unwrap();
        assert_eq!(
            early
                .effective_filing_day(bogota(2026, 7, 15, 16, 30, 0))
                .unwrap(),
            d(2026, 7, 16)
        );
        assert_eq!(
            early
                .effective_filing_day(bogota(2026, 7, 15, 16, 29, 59))
                .unwrap(),
            d(2026, 7, 15)
        );
    }

    #[test]
    fn filing_on_saturday_holiday_and_year_end() {
        let p = policy();
        // Saturday 2026-07-11 at 09:00 -> (Monday 13 holiday) -> Tuesday 14.
        assert_eq!(
            p.effective_filing_day(bogota(2026, 7, 11, 9, 0, 0))
                .unwrap(),
            d(2026, 7, 14)
        );
        assert_eq!(
            p.due_date(bogota(2026, 7, 11, 9, 0, 0), 10).unwrap(),
            d(2026, 7, 29)
        );
        // Holiday Monday 2026-07-20 at 08:00 -> Tuesday 21.
        assert_eq!(
            p.effective_filing_day(bogota(2026, 7, 20, 8, 0, 0))
                .unwrap(),
            d(2026, 7, 21)
        );
        // Thursday 2026-12-31 at 17:00 -> Friday 1 Jan holiday -> Monday 2027-01-04.
        let received = bogota(2026, 12, 31, 17, 0, 0);
        assert_eq!(received, utc("2026-12-31T22:00:00Z"));
        assert_eq!(p.effective_filing_day(received).unwrap(), d(2027, 1, 4));
        assert_eq!(p.due_date(received, 15).unwrap(), d(2027, 1, 26));
        // 31 Dec 2026 23:30 Bogotá is 1 Jan 2027 04:30 UTC: the local date decides.
        assert_eq!(
            p.effective_filing_day(utc("2027-01-01T04:30:00Z")).unwrap(),
            d(2027, 1, 4)
        );
        // Same day 31 Dec before 17:00 is a business day.
        assert_eq!(
            p.effective_filing_day(bogota(2026, 12, 31, 16, 59, 0))
                .unwrap(),
            d(2026, 12, 31)
        );
        // Friday 2027-12-31 after hours -> Monday 2028-01-03.
        assert_eq!(
            p.effective_filing_day(bogota(2027, 12, 31, 20, 0, 0))
                .unwrap(),
            d(2028, 1, 3)
        );
    }

    #[test]
    fn extra_days_move_the_due_date() {
        let cal = BusinessCalendar::from_toml_str(
            "[[non_business_day]]\ndate = \"2026-12-24\"\nreason = \"cierre\"\n",
            "calendar.toml",
        )
        .unwrap();
        let p = DeadlinePolicy::new(cal);
        assert_eq!(
            p.due_date(utc("2026-12-18T14:30:00Z"), 15).unwrap(),
            d(2027, 1, 14)
        );
        assert_eq!(
            p.effective_filing_day(bogota(2026, 12, 24, 9, 0, 0))
                .unwrap(),
            d(2026, 12, 28)
        );
    }

    #[test]
    fn extreme_instants_do_not_panic() {
        let p = policy();
        for instant in [
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            DateTime::UNIX_EPOCH,
        ] {
            let _ = p.effective_filing_day(instant);
            let _ = p.due_date(instant, u32::MAX);
            let _ = p.local_date(instant);
        }
        assert_eq!(
            p.due_date(DateTime::<Utc>::MAX_UTC, 15),
            Err(DeadlineError::OutOfRange)
        );
        assert_eq!(
            p.due_date(utc("2026-07-10T15:00:00Z"), u32::MAX),
            Err(DeadlineError::OutOfRange)
        );
        assert_eq!(
            p.max_extended_due(d(2026, 7, 10), u32::MAX),
            Err(DeadlineError::OutOfRange)
        );
        let _ = p.resume_after_suspension(NaiveDate::MIN, NaiveDate::MAX, NaiveDate::MAX);
        let _ = p.days_left(NaiveDate::MIN, NaiveDate::MAX);
        // 1992: Colombia's one-year daylight saving time ("hora Gaviria", UTC−4); the tz database
        // knows it: 16:30 UTC−4 = 20:30 UTC.
        assert_eq!(
            p.local_datetime(utc("1992-06-10T20:30:00Z")).unwrap(),
            d(1992, 6, 10).and_hms_opt(16, 30, 0).unwrap()
        );
    }

    #[test]
    fn extension_limits() {
        let p = policy();
        let effective = d(2026, 7, 10);
        // 15-day term: due 2026-08-04; max 30 business days = 2026-08-27.
        assert_eq!(p.due_date_from(effective, 15).unwrap(), d(2026, 8, 4));
        let max = p.max_extended_due(effective, 15).unwrap();
        assert_eq!(max, d(2026, 8, 27));
        let due = d(2026, 8, 4);
        assert_eq!(p.check_extension(due, max, max, d(2026, 8, 4)), Ok(()));
        assert_eq!(
            p.check_extension(due, d(2026, 8, 5), max, d(2026, 7, 20)),
            Ok(())
        );
        assert_eq!(
            p.check_extension(due, d(2026, 8, 28), max, d(2026, 8, 3)),
            Err(ExtensionError::BeyondLimit {
                proposed: d(2026, 8, 28),
                max_due: max
            })
        );
        assert_eq!(
            p.check_extension(due, due, max, d(2026, 8, 3)),
            Err(ExtensionError::NotAfterCurrentDue {
                proposed: due,
                current_due: due
            })
        );
        assert!(matches!(
            p.check_extension(due, d(2026, 8, 10), max, d(2026, 8, 5)),
            Err(ExtensionError::TermExpired { .. })
        ));
        // Saturday, and the 7 August holiday.
        assert!(matches!(
            p.check_extension(due, d(2026, 8, 8), max, d(2026, 8, 3)),
            Err(ExtensionError::NotBusinessDay { .. })
        ));
        assert!(matches!(
            p.check_extension(due, d(2026, 8, 7), max, d(2026, 8, 3)),
            Err(ExtensionError::NotBusinessDay { .. })
        ));
        let message = p
            .check_extension(due, d(2026, 8, 28), max, d(2026, 8, 3))
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "the new due date 2026-08-28 exceeds the legal maximum 2026-08-27"
        );
        // Reading (b): 45 business days after the effective day.
        let mut b = policy();
        b.extension_limit = ExtensionLimit::DoubleTermAfterDue;
        let max_b = b.max_extended_due(effective, 15).unwrap();
        assert_eq!(p.calendar.business_days_between(due, max_b), 30);
        assert_eq!(max_b, d(2026, 9, 17));
    }

    #[test]
    fn suspension_resumes_after_the_reply() {
        let p = policy();
        // Filed Fri 2026-07-10, 15 days: due Tue 2026-08-04.
        let due = d(2026, 8, 4);
        // Request made Wed 2026-07-15 (business days 14 and 15 July used): remaining days are
        // (15 Jul, 4 Aug] = 13.
        let suspended = d(2026, 7, 15);
        assert_eq!(p.calendar.business_days_between(suspended, due), 13);
        // Reply Mon 2026-08-10: first counted day Tue 11 Aug; 13th business day = 28 Aug.
        let new_due = p
            .resume_after_suspension(suspended, due, d(2026, 8, 10))
            .unwrap();
        assert_eq!(new_due, d(2026, 8, 28));
        assert_eq!(
            p.calendar.business_days_between(d(2026, 8, 10), new_due),
            13
        );
        // Reply on Saturday 8 Aug: first counted day Monday 10 Aug; 13th = 27 Aug.
        assert_eq!(
            p.resume_after_suspension(suspended, due, d(2026, 8, 8))
                .unwrap(),
            d(2026, 8, 27)
        );
        // Reply the same day as the request: nothing changes.
        assert_eq!(
            p.resume_after_suspension(suspended, due, suspended)
                .unwrap(),
            due
        );
        // Request on the due date itself: nothing remains, due on the reply day (or the next
        // business day).
        assert_eq!(
            p.resume_after_suspension(due, due, d(2026, 8, 10)).unwrap(),
            d(2026, 8, 10)
        );
        assert_eq!(
            p.resume_after_suspension(due, due, d(2026, 8, 8)).unwrap(),
            d(2026, 8, 10)
        );
        // Errors.
        assert_eq!(
            p.resume_after_suspension(suspended, due, d(2026, 7, 14)),
            Err(DeadlineError::ReplyBeforeSuspension {
                suspended_on: suspended,
                replied_on: d(2026, 7, 14)
            })
        );
        assert!(matches!(
            p.resume_after_suspension(d(2026, 8, 5), due, d(2026, 8, 10)),
            Err(DeadlineError::SuspendedAfterDue { .. })
        ));
        // The extension limit moves the same way.
        let max = p.max_extended_due(d(2026, 7, 10), 15).unwrap();
        let new_max = p
            .resume_after_suspension(suspended, max, d(2026, 8, 10))
            .unwrap();
        assert_eq!(
            p.calendar.business_days_between(new_due, new_max),
            p.calendar.business_days_between(due, max)
        );
    }

    #[test]
    fn days_left_and_traffic_light() {
        let p = policy();
        let due = d(2026, 8, 4); // Tuesday
        assert_eq!(p.days_left(d(2026, 7, 28), due), 5);
        assert_eq!(p.traffic_light(d(2026, 7, 28), due), TrafficLight::Green);
        assert_eq!(p.days_left(d(2026, 7, 29), due), 4);
        assert_eq!(p.traffic_light(d(2026, 7, 29), due), TrafficLight::Green);
        assert_eq!(p.days_left(d(2026, 7, 30), due), 3);
        assert_eq!(p.traffic_light(d(2026, 7, 30), due), TrafficLight::Amber);
        // Saturday 1 Aug: Mon 3 and Tue 4 left.
        assert_eq!(p.days_left(d(2026, 8, 1), due), 2);
        assert_eq!(p.days_left(due, due), 0);
        assert_eq!(p.traffic_light(due, due), TrafficLight::Amber);
        assert_eq!(p.days_left(d(2026, 8, 5), due), -1);
        assert_eq!(p.traffic_light(d(2026, 8, 5), due), TrafficLight::Red);
        // Friday 7 Aug is a holiday: Wed 5, Thu 6 elapsed.
        assert_eq!(p.days_left(d(2026, 8, 7), due), -2);
        assert_eq!(p.days_left(d(2026, 8, 10), due), -3);
        // Due on a Friday, seen on the Saturday after: overdue, −1.
        assert_eq!(p.days_left(d(2026, 7, 25), d(2026, 7, 24)), -1);
        assert_eq!(
            p.traffic_light(d(2026, 7, 25), d(2026, 7, 24)),
            TrafficLight::Red
        );
        // Configurable threshold.
        let mut strict = policy();
        strict.amber_days = 5;
        assert_eq!(
            strict.traffic_light(d(2026, 7, 28), due),
            TrafficLight::Amber
        );
        assert_eq!(TrafficLight::from_days_left(0, 0), TrafficLight::Amber);
        assert_eq!(TrafficLight::from_days_left(1, 0), TrafficLight::Green);
        assert_eq!(
            TrafficLight::from_days_left(i64::MIN, u32::MAX),
            TrafficLight::Red
        );
    }

    #[test]
    fn days_left_matches_due_dates_exhaustively() {
        // For every filing day of 2026-2027 and every term: seen on the effective filing day,
        // the days left are the term; the day after the due date is red.
        let p = policy();
        let mut day = d(2026, 1, 1);
        while day <= d(2027, 12, 31) {
            if p.calendar.is_business_day(day) {
                for term in [1, 10, 15, 30] {
                    let due = p.due_date_from(day, term).unwrap();
                    assert_eq!(p.days_left(day, due), i64::from(term));
                    let after = due.succ_opt().unwrap();
                    assert_eq!(p.traffic_light(after, due), TrafficLight::Red);
                }
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn default_terms_and_lookup() {
        let terms = Terms::default();
        let expected = [
            ("peticion_general", Some(15)),
            ("peticion_documentos", Some(10)),
            ("consulta", Some(30)),
            ("queja", Some(15)),
            ("reclamo", Some(15)),
            ("sugerencia", Some(15)),
            ("denuncia", Some(15)),
            ("entre_autoridades", Some(10)),
            ("felicitacion", None),
        ];
        assert_eq!(terms.iter().collect::<Vec<_>>(), expected);
        for (kind, days) in expected {
            assert_eq!(terms.term_for(kind), Ok(days));
        }
        assert_eq!(
            terms.term_for("tutela"),
            Err(UnknownKind {
                kind: "tutela".into()
            })
        );
        assert_eq!(
            terms.term_for("tutela").unwrap_err().to_string(),
            "unknown PQRS kind `tutela`"
        );
    }

    #[test]
    fn shipped_terms_file_equals_defaults() {
        let text = include_str!("../../rules/terms.toml");
        let terms = Terms::from_toml_str(text, "rules/terms.toml").unwrap();
        assert_eq!(terms, Terms::default());
    }

    fn all_kinds_with(replace: &str, line: &str) -> String {
        let mut text = String::from("[terms]\n");
        for kind in KINDS {
            if kind == replace {
                text.push_str(line);
            } else if kind == "felicitacion" {
                text.push_str("felicitacion = \"none\"\n");
            } else {
                text.push_str(&format!("{kind} = 15\n"));
            }
        }
        text
    }

    #[test]
    fn terms_errors_name_the_key() {
        let cases = [
            (all_kinds_with("consulta", ""), "terms.consulta"),
            (
                all_kinds_with("consulta", "consulta = 30\nconsultas = 30\n"),
                "terms.consultas",
            ),
            (all_kinds_with("consulta", "consulta = 0\n"), "consulta"),
            (all_kinds_with("consulta", "consulta = -3\n"), "consulta"),
            (all_kinds_with("consulta", "consulta = 366\n"), "consulta"),
            (
                all_kinds_with("consulta", "consulta = 99999999999\n"),
                "consulta",
            ),
            (
                all_kinds_with("consulta", "consulta = \"30\"\n"),
                "consulta",
            ),
            (all_kinds_with("consulta", "consulta = 1.5\n"), "consulta"),
            (all_kinds_with("consulta", "consulta = true\n"), "consulta"),
            (
                format!("{}version = 2\n", all_kinds_with("", "")),
                "version",
            ),
            (
                format!("cutoff = \"17:00\"\n{}", all_kinds_with("", "")),
                "cutoff",
            ),
            ("".to_string(), "terms"),
            ("[terms\n".to_string(), "TOML"),
        ];
        for (text, needle) in cases {
            let err = Terms::from_toml_str(&text, "rules/terms.toml")
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("rules/terms.toml: "), "{err}");
            assert!(err.contains(needle), "{needle:?} not in {err}");
        }
        // Missing kinds are all named.
        let err = Terms::from_toml_str("[terms]\nqueja = 15\n", "t")
            .unwrap_err()
            .to_string();
        for kind in KINDS.iter().filter(|k| **k != "queja") {
            assert!(err.contains(&format!("terms.{kind}")), "{kind} in {err}");
        }
        // Custom values are honoured.
        let terms =
            Terms::from_toml_str(&all_kinds_with("queja", "queja = \"none\"\n"), "t").unwrap();
        assert_eq!(terms.term_for("queja"), Ok(None));
        assert_eq!(terms.term_for("consulta"), Ok(Some(15)));
    }

    #[test]
    fn terms_load() {
        let dir = std::env::temp_dir().join(format!("pqrs-terms-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("terms.toml");
        let err = Terms::load(&path).unwrap_err();
        assert!(matches!(err, TermsError::Io { .. }));
        assert!(err.to_string().contains("terms.toml"), "{err}");
        std::fs::write(&path, all_kinds_with("consulta", "consulta = 20\n")).unwrap();
        assert_eq!(
            Terms::load(&path).unwrap().term_for("consulta"),
            Ok(Some(20))
        );
        std::fs::write(&path, "[terms]\n").unwrap();
        let err = Terms::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("terms.toml") && err.contains("missing"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
