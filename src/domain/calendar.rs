//! The Colombian business-day calendar.
//!
//! Legal terms for PQRS petitions (Ley 1755 de 2015) are counted in *días hábiles*: Monday to
//! Friday, excluding national holidays and any other day the entity does not work. This module
//! answers "is this a business day?" and does the counting.
//!
//! # Holidays
//!
//! National holidays are computed for any year from their rules, never typed in:
//!
//! * **Fixed, never moved** (a fixed holiday on a weekend is simply lost): 1 January (Año Nuevo),
//!   1 May (Día del Trabajo), 20 July (Independencia), 7 August (Batalla de Boyacá), 8 December
//!   (Inmaculada Concepción), 25 December (Navidad); Jueves Santo and Viernes Santo (Easter − 3
//!   and Easter − 2).
//! * **Moved to the next Monday unless already a Monday** (Ley 51 de 1983, "Ley Emiliani"):
//!   6 January, 19 March, 29 June, 15 August, 12 October, 1 November, 11 November, and 9 July
//!   (Virgen de Chiquinquirá) from 2026 on only (Ley 2578 de 2026).
//! * **Easter-based Mondays** (the Thursday feasts already moved by Ley 51): Ascensión
//!   (Easter + 43), Corpus Christi (Easter + 64), Sagrado Corazón (Easter + 71).
//!
//! Easter Sunday is the Gregorian one (Meeus/Jones/Butcher "anonymous" computus). The rules are
//! those in force since 1984 and are applied to every year asked for; the calendar of years before
//! 1984 (before Ley 51 de 1983) differed and is not reproduced. Two holidays may fall on the same
//! date (30 June 2025 is both Sagrado Corazón and San Pedro y San Pablo): [`colombian_holidays`]
//! lists both, [`holiday_dates`] and all counting treat the date once.
//!
//! # Extra non-business days
//!
//! An entity may close on other days (a decree giving 24 December off, a local closure). Those are
//! listed in `rules/calendar.toml`:
//!
//! ```toml
//! [[non_business_day]]
//! date = "2026-12-24"            # YYYY-MM-DD, quoted or as a bare TOML date
//! reason = "Decreto 1234 de 2026"   # required, not empty
//! ```
//!
//! Unknown keys, malformed dates, an empty reason and a date listed twice are errors that name the
//! file and the problem. A missing file means no extra days ([`BusinessCalendar::load`]).
//!
//! # Range
//!
//! All dates are `chrono::NaiveDate`, whose range ends in the years −262143 and 262142. No function
//! panics: the arithmetic that could leave that range ([`BusinessCalendar::next_business_day`],
//! [`BusinessCalendar::add_business_days`]) returns `None` instead, and the counting is done by
//! whole years so that huge spans stay cheap.

use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// A Colombian national holiday: its date in a given year and its Spanish name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Holiday {
    /// The date on which the holiday is observed (after any move to Monday).
    pub date: NaiveDate,
    /// The Spanish name, e.g. `"Año Nuevo"`, `"Ascensión"`.
    pub name: &'static str,
}

/// An extra non-business day of the entity, loaded from `rules/calendar.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct NonBusinessDay {
    /// The day on which the entity does not work.
    pub date: NaiveDate,
    /// Why (e.g. the decree or resolution that grants it).
    pub reason: String,
}

/// Errors while loading the extra non-business days.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The file exists but could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not follow the format.
    #[error("{source_name}: {message}")]
    Invalid {
        /// The file name (or another label given to [`BusinessCalendar::from_toml_str`]).
        source_name: String,
        /// What is wrong, naming the key or entry.
        message: String,
    },
}

/// The business-day calendar: Colombian national holidays plus the entity's extra
/// non-business days.
///
/// A business day is Monday to Friday, not a national holiday and not an extra non-business day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessCalendar {
    /// Extra non-business days, sorted by date, without duplicates.
    extra: Vec<NonBusinessDay>,
}

// ---------------------------------------------------------------------------------------------
// Holiday rules
// ---------------------------------------------------------------------------------------------

/// How a holiday's date is found in a given year.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Fixed month and day, never moved.
    Fixed(u32, u32),
    /// Month and day moved to the next Monday unless already a Monday (Ley 51 de 1983), observed
    /// from the given year on.
    NextMonday(u32, u32, i32),
    /// Days after (or, when negative, before) Easter Sunday.
    Easter(i64),
}

/// The rules in the order of the calendar year; when two holidays share a date, the earlier rule
/// is listed first.
const RULES: [(&str, Rule); 19] = [
    ("Año Nuevo", Rule::Fixed(1, 1)),
    ("Reyes Magos", Rule::NextMonday(1, 6, i32::MIN)),
    ("San José", Rule::NextMonday(3, 19, i32::MIN)),
    ("Jueves Santo", Rule::Easter(-3)),
    ("Viernes Santo", Rule::Easter(-2)),
    ("Día del Trabajo", Rule::Fixed(5, 1)),
    ("Ascensión", Rule::Easter(43)),
    ("Corpus Christi", Rule::Easter(64)),
    ("Sagrado Corazón", Rule::Easter(71)),
    ("San Pedro y San Pablo", Rule::NextMonday(6, 29, i32::MIN)),
    // Ley 2578 de 2026 (1 June 2026): a holiday from 2026 on.
    ("Virgen de Chiquinquirá", Rule::NextMonday(7, 9, 2026)),
    ("Independencia", Rule::Fixed(7, 20)),
    ("Batalla de Boyacá", Rule::Fixed(8, 7)),
    ("Asunción", Rule::NextMonday(8, 15, i32::MIN)),
    ("Día de la Raza", Rule::NextMonday(10, 12, i32::MIN)),
    ("Todos los Santos", Rule::NextMonday(11, 1, i32::MIN)),
    (
        "Independencia de Cartagena",
        Rule::NextMonday(11, 11, i32::MIN),
    ),
    ("Inmaculada Concepción", Rule::Fixed(12, 8)),
    ("Navidad", Rule::Fixed(12, 25)),
];

/// Easter Sunday of `year` in the Gregorian calendar (Meeus/Jones/Butcher algorithm).
///
/// Returns `None` only when the date is outside chrono's range. For years before 1583 the result
/// is the proleptic Gregorian computation, which no church used.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let y = i64::from(year);
    let a = y.rem_euclid(19);
    let b = y.div_euclid(100);
    let c = y.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `date` if it is a Monday, otherwise the following Monday.
fn monday_on_or_after(date: NaiveDate) -> Option<NaiveDate> {
    let ahead = (7 - date.weekday().num_days_from_monday()) % 7;
    date.checked_add_days(Days::new(u64::from(ahead)))
}

fn add_signed_days(date: NaiveDate, days: i64) -> Option<NaiveDate> {
    if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    }
}

/// The holidays of `year` in the order of `RULES`, without allocating.
fn holidays_unsorted(year: i32) -> impl Iterator<Item = Holiday> {
    let easter = easter_sunday(year);
    RULES.iter().filter_map(move |&(name, rule)| {
        let date = match rule {
            Rule::Fixed(month, day) => NaiveDate::from_ymd_opt(year, month, day),
            Rule::NextMonday(month, day, since) => {
                if year < since {
                    None
                } else {
                    NaiveDate::from_ymd_opt(year, month, day).and_then(monday_on_or_after)
                }
            }
            Rule::Easter(offset) => easter.and_then(|e| add_signed_days(e, offset)),
        };
        date.map(|date| Holiday { date, name })
    })
}

/// All Colombian national holidays of `year`, sorted by date, one entry per holiday.
///
/// Since 2026 a year has 19 holidays (18 before). Two holidays can share a date (30 June 2025);
/// both are listed here. Holidays whose date would be outside chrono's range are left out, so the
/// list is empty for years beyond it.
pub fn colombian_holidays(year: i32) -> Vec<Holiday> {
    let mut list: Vec<Holiday> = holidays_unsorted(year).collect();
    // Stable: same-date holidays keep the order of `RULES`.
    list.sort_by_key(|h| h.date);
    list
}

/// The distinct dates of the national holidays of `year`, sorted (17 dates in 2025, 19 in 2026).
pub fn holiday_dates(year: i32) -> Vec<NaiveDate> {
    HolidayDates::of_year(year).as_slice().to_vec()
}

/// The distinct holiday dates of one year, sorted, on the stack (counting does this per year).
#[derive(Clone, Copy)]
struct HolidayDates {
    year: i32,
    dates: [NaiveDate; RULES.len()],
    len: usize,
}

impl HolidayDates {
    fn of_year(year: i32) -> Self {
        let mut dates = [NaiveDate::MIN; RULES.len()];
        let mut len = 0;
        for holiday in holidays_unsorted(year) {
            if let Some(slot) = dates.get_mut(len) {
                *slot = holiday.date;
                len += 1;
            }
        }
        if let Some(used) = dates.get_mut(..len) {
            used.sort_unstable();
        }
        // Remove duplicates in place.
        let mut distinct = 0;
        for i in 0..len {
            if i == 0 || dates[i] != dates[distinct - 1] {
                dates[distinct] = dates[i];
                distinct += 1;
            }
        }
        Self {
            year,
            dates,
            len: distinct,
        }
    }

    fn as_slice(&self) -> &[NaiveDate] {
        &self.dates[..self.len]
    }

    fn contains(&self, date: NaiveDate) -> bool {
        self.as_slice().binary_search(&date).is_ok()
    }
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Monday-to-Friday days in `(0001-01-01 − 1 day, date]`, extended to all dates so that the
/// difference of two values counts the weekdays between them. Day 1 (0001-01-01) is a Monday.
fn weekday_index(date: NaiveDate) -> i64 {
    let k = i64::from(date.num_days_from_ce());
    5 * k.div_euclid(7) + k.rem_euclid(7).min(5)
}

/// The last day of `year`, if representable.
fn last_day_of_year(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 12, 31)
}

// ---------------------------------------------------------------------------------------------
// The calendar
// ---------------------------------------------------------------------------------------------

impl BusinessCalendar {
    /// The national calendar: Colombian holidays and no extra non-business days.
    pub fn colombia() -> Self {
        Self::default()
    }

    /// A calendar with the given extra non-business days (duplicates are merged, the first reason
    /// kept).
    pub fn with_extra_days(extra: impl IntoIterator<Item = NonBusinessDay>) -> Self {
        let mut extra: Vec<NonBusinessDay> = extra.into_iter().collect();
        extra.sort_by_key(|d| d.date);
        extra.dedup_by_key(|d| d.date);
        Self { extra }
    }

    /// Parses the `rules/calendar.toml` format (see the module documentation). `source_name`
    /// labels error messages (usually the file name).
    pub fn from_toml_str(text: &str, source_name: &str) -> Result<Self, CalendarError> {
        let invalid = |message: String| CalendarError::Invalid {
            source_name: source_name.to_string(),
            message,
        };
        let file: CalendarFile =
            toml::from_str(text).map_err(|e| invalid(e.to_string().trim_end().to_string()))?;
        let mut extra = Vec::with_capacity(file.non_business_day.len());
        for (index, entry) in file.non_business_day.into_iter().enumerate() {
            let date = entry.date.0;
            let reason = entry.reason.trim().to_string();
            if reason.is_empty() {
                return Err(invalid(format!(
                    "non_business_day[{index}] ({date}): `reason` must not be empty"
                )));
            }
            extra.push(NonBusinessDay { date, reason });
        }
        extra.sort_by_key(|d| d.date);
        if let Some(pair) = extra.windows(2).find(|w| w[0].date == w[1].date) {
            return Err(invalid(format!(
                "non_business_day: date {} is listed more than once",
                pair[0].date
            )));
        }
        Ok(Self { extra })
    }

    /// Loads the extra non-business days from a TOML file such as `rules/calendar.toml`.
    ///
    /// A missing file is not an error: it gives [`BusinessCalendar::colombia`]. Any other read
    /// error, invalid TOML or invalid entry is an error that names the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CalendarError> {
        let path = path.as_ref();
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_toml_str(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::colombia()),
            Err(source) => Err(CalendarError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// The extra non-business days, sorted by date.
    pub fn extra_days(&self) -> &[NonBusinessDay] {
        &self.extra
    }

    /// The national holidays of `year` (see [`colombian_holidays`]); extra days are not included.
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        colombian_holidays(year)
    }

    /// Whether `date` is a Colombian national holiday (whatever its weekday).
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        holidays_unsorted(date.year()).any(|h| h.date == date)
    }

    /// Whether `date` is one of the extra non-business days of this calendar.
    pub fn is_extra_non_business_day(&self, date: NaiveDate) -> bool {
        self.extra.binary_search_by_key(&date, |d| d.date).is_ok()
    }

    /// Whether `date` is a business day: Monday to Friday, not a holiday, not an extra day.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        !is_weekend(date) && !self.is_holiday(date) && !self.is_extra_non_business_day(date)
    }

    /// The first business day strictly after `date`; `None` beyond chrono's date range.
    pub fn next_business_day(&self, date: NaiveDate) -> Option<NaiveDate> {
        self.add_business_days(date, 1)
    }

    /// `date` itself if it is a business day, otherwise the next business day; `None` beyond
    /// chrono's date range.
    pub fn business_day_on_or_after(&self, date: NaiveDate) -> Option<NaiveDate> {
        if self.is_business_day(date) {
            Some(date)
        } else {
            self.next_business_day(date)
        }
    }

    /// The `n`-th business day strictly after `date` (counting starts the day after `date`,
    /// whatever `date` is); `n = 0` returns `date` unchanged.
    ///
    /// Returns `None` when the result would be beyond chrono's last date (year 262142), e.g. for
    /// a huge `n`; this is detected quickly, never by walking billions of days.
    pub fn add_business_days(&self, date: NaiveDate, n: u32) -> Option<NaiveDate> {
        if n == 0 {
            return Some(date);
        }
        // Business days are calendar days, so more than the calendar days left cannot fit.
        let days_left_in_range = NaiveDate::MAX.signed_duration_since(date).num_days();
        if i64::from(n) > days_left_in_range {
            return None;
        }
        let mut remaining = i64::from(n);
        let mut current = date;
        // For long spans, skip whole years while the answer lies beyond them.
        if n > WALK_LIMIT {
            loop {
                let year_end = match last_day_of_year(current.year()) {
                    Some(end) if end > current => end,
                    _ => last_day_of_year(current.year().checked_add(1)?)?,
                };
                let in_rest_of_year = self.business_days_between(current, year_end);
                if in_rest_of_year >= remaining {
                    break;
                }
                remaining -= in_rest_of_year;
                current = year_end;
            }
        }
        // Walk day by day (at most about a year).
        let mut year = HolidayDates::of_year(current.year());
        while remaining > 0 {
            current = current.succ_opt()?;
            if current.year() != year.year {
                year = HolidayDates::of_year(current.year());
            }
            if !is_weekend(current)
                && !year.contains(current)
                && !self.is_extra_non_business_day(current)
            {
                remaining -= 1;
            }
        }
        Some(current)
    }

    /// The number of business days in `(a, b]` (after `a`, up to and including `b`).
    ///
    /// Signed: when `b < a` the result is minus the number of business days in `(b, a]`, so
    /// `business_days_between(a, b) == -business_days_between(b, a)`, and
    /// `business_days_between(d, add_business_days(d, n)) == n`. Computed by whole years, so it
    /// is cheap for any span.
    pub fn business_days_between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        if b < a {
            return -self.business_days_between(b, a);
        }
        let weekdays = weekday_index(b) - weekday_index(a);
        let in_span = |d: NaiveDate| d > a && d <= b && !is_weekend(d);
        let mut closed: i64 = 0;
        for year in a.year()..=b.year() {
            let holidays = HolidayDates::of_year(year);
            closed += holidays.as_slice().iter().filter(|&&d| in_span(d)).count() as i64;
        }
        let first = self.extra.partition_point(|e| e.date <= a);
        let last = self.extra.partition_point(|e| e.date <= b);
        if let Some(extras) = self.extra.get(first..last) {
            closed += extras
                .iter()
                .filter(|e| in_span(e.date) && !self.is_holiday(e.date))
                .count() as i64;
        }
        weekdays - closed
    }
}

/// Up to this many business days, [`BusinessCalendar::add_business_days`] simply walks the days.
const WALK_LIMIT: u32 = 256;

// ---------------------------------------------------------------------------------------------
// TOML format
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    #[serde(default)]
    non_business_day: Vec<ExtraDayEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtraDayEntry {
    date: TomlDate,
    reason: String,
}

/// A date written either as a string `"2026-12-24"` or as a bare TOML local date `2026-12-24`.
struct TomlDate(NaiveDate);

impl<'de> Deserialize<'de> for TomlDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateVisitor;

        impl<'de> Visitor<'de> for DateVisitor {
            type Value = TomlDate;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date YYYY-MM-DD")
            }

            fn visit_str<E: de::Error>(self, s: &str) -> Result<TomlDate, E> {
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map(TomlDate)
                    .map_err(|e| {
                        E::custom(format!("invalid date `{s}` ({e}); expected YYYY-MM-DD"))
                    })
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TomlDate, A::Error> {
                let value =
                    toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (value.date, value.time, value.offset) {
                    (Some(date), None, None) => NaiveDate::from_ymd_opt(
                        i32::from(date.year),
                        u32::from(date.month),
                        u32::from(date.day),
                    )
                    .map(TomlDate)
                    .ok_or_else(|| de::Error::custom(format!("invalid date `{value}`"))),
                    _ => Err(de::Error::custom(format!(
                        "expected a date YYYY-MM-DD without time, found `{value}`"
                    ))),
                }
            }
        }

        deserializer.deserialize_any(DateVisitor)
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const TABLE_2026: [(&str, u32, u32, Weekday); 19] = [
        ("Año Nuevo", 1, 1, Weekday::Thu),
        ("Reyes Magos", 1, 12, Weekday::Mon),
        ("San José", 3, 23, Weekday::Mon),
        ("Jueves Santo", 4, 2, Weekday::Thu),
        ("Viernes Santo", 4, 3, Weekday::Fri),
        ("Día del Trabajo", 5, 1, Weekday::Fri),
        ("Ascensión", 5, 18, Weekday::Mon),
        ("Corpus Christi", 6, 8, Weekday::Mon),
        ("Sagrado Corazón", 6, 15, Weekday::Mon),
        ("San Pedro y San Pablo", 6, 29, Weekday::Mon),
        ("Virgen de Chiquinquirá", 7, 13, Weekday::Mon),
        ("Independencia", 7, 20, Weekday::Mon),
        ("Batalla de Boyacá", 8, 7, Weekday::Fri),
        ("Asunción", 8, 17, Weekday::Mon),
        ("Día de la Raza", 10, 12, Weekday::Mon),
        ("Todos los Santos", 11, 2, Weekday::Mon),
        ("Independencia de Cartagena", 11, 16, Weekday::Mon),
        ("Inmaculada Concepción", 12, 8, Weekday::Tue),
        ("Navidad", 12, 25, Weekday::Fri),
    ];

    const TABLE_2027: [(&str, u32, u32, Weekday); 19] = [
        ("Año Nuevo", 1, 1, Weekday::Fri),
        ("Reyes Magos", 1, 11, Weekday::Mon),
        ("San José", 3, 22, Weekday::Mon),
        ("Jueves Santo", 3, 25, Weekday::Thu),
        ("Viernes Santo", 3, 26, Weekday::Fri),
        ("Día del Trabajo", 5, 1, Weekday::Sat),
        ("Ascensión", 5, 10, Weekday::Mon),
        ("Corpus Christi", 5, 31, Weekday::Mon),
        ("Sagrado Corazón", 6, 7, Weekday::Mon),
        ("San Pedro y San Pablo", 7, 5, Weekday::Mon),
        ("Virgen de Chiquinquirá", 7, 12, Weekday::Mon),
        ("Independencia", 7, 20, Weekday::Tue),
        ("Batalla de Boyacá", 8, 7, Weekday::Sat),
        ("Asunción", 8, 16, Weekday::Mon),
        ("Día de la Raza", 10, 18, Weekday::Mon),
        ("Todos los Santos", 11, 1, Weekday::Mon),
        ("Independencia de Cartagena", 11, 15, Weekday::Mon),
        ("Inmaculada Concepción", 12, 8, Weekday::Wed),
        ("Navidad", 12, 25, Weekday::Sat),
    ];

    fn check_table(year: i32, table: &[(&str, u32, u32, Weekday); 19]) {
        let got = colombian_holidays(year);
        assert_eq!(got.len(), 19, "{year}: {got:?}");
        for (holiday, &(name, month, day, weekday)) in got.iter().zip(table.iter()) {
            assert_eq!(holiday.date, d(year, month, day), "{name} {year}");
            assert_eq!(holiday.name, name);
            assert_eq!(holiday.date.weekday(), weekday, "{name} {year} weekday");
        }
        assert_eq!(holiday_dates(year).len(), 19);
        let cal = BusinessCalendar::colombia();
        for &(_, month, day, _) in table {
            assert!(cal.is_holiday(d(year, month, day)));
            assert!(!cal.is_business_day(d(year, month, day)));
        }
        assert_eq!(cal.holidays(year), got);
    }

    #[test]
    fn table_2026_exact() {
        check_table(2026, &TABLE_2026);
    }

    #[test]
    fn table_2027_exact() {
        check_table(2027, &TABLE_2027);
    }

    #[test]
    fn year_2025_has_18_holidays_on_17_dates() {
        let list = colombian_holidays(2025);
        assert_eq!(list.len(), 18);
        assert_eq!(holiday_dates(2025).len(), 17);
        let on_june_30: Vec<&str> = list
            .iter()
            .filter(|h| h.date == d(2025, 6, 30))
            .map(|h| h.name)
            .collect();
        assert_eq!(on_june_30, ["Sagrado Corazón", "San Pedro y San Pablo"]);
        // Deduplicated in counting: Fri 27 Jun -> Tue 1 Jul is one business day.
        let cal = BusinessCalendar::colombia();
        assert_eq!(cal.business_days_between(d(2025, 6, 27), d(2025, 7, 1)), 1);
    }

    #[test]
    fn nine_july_only_from_2026() {
        let cal = BusinessCalendar::colombia();
        // 2025-07-09 is a Wednesday; the following Monday 14 Jul is not a holiday either.
        assert!(!cal.is_holiday(d(2025, 7, 9)));
        assert!(!cal.is_holiday(d(2025, 7, 14)));
        assert!(cal.is_business_day(d(2025, 7, 9)));
        assert!(!colombian_holidays(2025)
            .iter()
            .any(|h| h.name == "Virgen de Chiquinquirá"));
        for year in 2026..=2100 {
            assert_eq!(colombian_holidays(year).len(), 19, "{year}");
        }
        for year in 1984..=2025 {
            assert_eq!(colombian_holidays(year).len(), 18, "{year}");
        }
        // 2029-07-09 is a Monday: not moved.
        assert!(cal.is_holiday(d(2029, 7, 9)));
    }

    #[test]
    fn easter_dates() {
        for (year, month, day) in [
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2038, 4, 25),
            (2000, 4, 23),
            (2008, 3, 23),
            (2011, 4, 24),
            (2285, 3, 22),
        ] {
            assert_eq!(easter_sunday(year), Some(d(year, month, day)), "{year}");
        }
        // Always a Sunday between 22 March and 25 April.
        for year in 1583..=4000 {
            let e = easter_sunday(year).unwrap();
            assert_eq!(e.weekday(), Weekday::Sun);
            assert!(e >= d(year, 3, 22) && e <= d(year, 4, 25), "{e}");
        }
    }

    #[test]
    fn moved_holidays_are_mondays_and_fixed_are_not_moved() {
        for year in 1984..=2100 {
            for h in colombian_holidays(year) {
                match h.name {
                    "Año Nuevo"
                    | "Día del Trabajo"
                    | "Independencia"
                    | "Batalla de Boyacá"
                    | "Inmaculada Concepción"
                    | "Navidad"
                    | "Jueves Santo"
                    | "Viernes Santo" => {}
                    _ => assert_eq!(h.date.weekday(), Weekday::Mon, "{h:?}"),
                }
            }
        }
    }

    #[test]
    fn extreme_years_do_not_panic() {
        let cal = BusinessCalendar::colombia();
        for year in [
            i32::MIN,
            -262_144,
            -262_143,
            -1,
            0,
            1,
            262_142,
            262_143,
            i32::MAX,
        ] {
            let _ = easter_sunday(year);
            let _ = colombian_holidays(year);
        }
        assert!(colombian_holidays(i32::MAX).is_empty());
        assert_eq!(cal.next_business_day(NaiveDate::MAX), None);
        assert_eq!(cal.add_business_days(NaiveDate::MIN, u32::MAX), None);
        assert_eq!(cal.add_business_days(d(2026, 1, 1), u32::MAX), None);
        assert!(cal.add_business_days(NaiveDate::MIN, 10).is_some());
        assert!(cal.next_business_day(d(262_142, 12, 1)).is_some());
        // The whole range is counted by years (about 244 business days a year).
        let all = cal.business_days_between(NaiveDate::MIN, NaiveDate::MAX);
        assert!(all > 240 * 524_285 && all < 262 * 524_286, "{all}");
        // Large but representable: skips whole years.
        let far = cal.add_business_days(d(2026, 1, 1), 5_000_000).unwrap();
        assert_eq!(cal.business_days_between(d(2026, 1, 1), far), 5_000_000);
        assert_eq!(cal.business_days_between(far, d(2026, 1, 1)), -5_000_000);
        assert!(cal.is_business_day(far));
    }

    #[test]
    fn next_business_day_and_add() {
        let cal = BusinessCalendar::colombia();
        // Friday 2026-07-10 -> Monday 13 is a holiday -> Tuesday 14.
        assert_eq!(cal.next_business_day(d(2026, 7, 10)), Some(d(2026, 7, 14)));
        // Saturday -> Monday.
        assert_eq!(cal.next_business_day(d(2026, 7, 4)), Some(d(2026, 7, 6)));
        // Strictly after, even when the day is a business day.
        assert_eq!(cal.next_business_day(d(2026, 7, 14)), Some(d(2026, 7, 15)));
        assert_eq!(
            cal.add_business_days(d(2026, 7, 11), 0),
            Some(d(2026, 7, 11))
        );
        assert_eq!(
            cal.business_day_on_or_after(d(2026, 7, 11)),
            Some(d(2026, 7, 14))
        );
        assert_eq!(
            cal.business_day_on_or_after(d(2026, 7, 14)),
            Some(d(2026, 7, 14))
        );
        // Worked examples of DOMAIN.md §1 (day of filing = 2026-07-10).
        assert_eq!(
            cal.add_business_days(d(2026, 7, 10), 10),
            Some(d(2026, 7, 28))
        );
        assert_eq!(
            cal.add_business_days(d(2026, 7, 10), 15),
            Some(d(2026, 8, 4))
        );
        assert_eq!(
            cal.add_business_days(d(2026, 7, 10), 30),
            Some(d(2026, 8, 27))
        );
        assert_eq!(
            cal.add_business_days(d(2026, 12, 18), 15),
            Some(d(2027, 1, 13))
        );
    }

    #[test]
    fn year_ends() {
        let cal = BusinessCalendar::colombia();
        // Thu 2026-12-31 -> (Fri 1 Jan holiday) -> Mon 2027-01-04.
        assert_eq!(cal.next_business_day(d(2026, 12, 31)), Some(d(2027, 1, 4)));
        // Fri 2027-12-31 -> (Sat, Sun, but 1 Jan 2028 is a Saturday) -> Mon 2028-01-03.
        assert_eq!(cal.next_business_day(d(2027, 12, 31)), Some(d(2028, 1, 3)));
        // Wed 2025-12-31 -> Thu 2026-01-01 holiday -> Fri 2026-01-02.
        assert_eq!(cal.next_business_day(d(2025, 12, 31)), Some(d(2026, 1, 2)));
        // Across several year boundaries.
        assert_eq!(
            cal.add_business_days(d(2026, 12, 30), 2),
            Some(d(2027, 1, 4))
        );
        assert_eq!(cal.business_days_between(d(2026, 12, 30), d(2027, 1, 4)), 2);
        // Business days of whole years: 365/366 days - weekends - weekday holidays.
        // 2026: 261 weekdays, all 19 holidays on weekdays.
        assert_eq!(
            cal.business_days_between(d(2025, 12, 31), d(2026, 12, 31)),
            261 - 19
        );
        // 2027: 261 weekdays; 1 May, 7 Aug and 25 Dec fall on Saturdays.
        assert_eq!(
            cal.business_days_between(d(2026, 12, 31), d(2027, 12, 31)),
            261 - 16
        );
    }

    #[test]
    fn business_days_between_is_signed() {
        let cal = BusinessCalendar::colombia();
        let a = d(2026, 7, 10);
        let b = d(2026, 7, 28);
        assert_eq!(cal.business_days_between(a, b), 10);
        assert_eq!(cal.business_days_between(b, a), -10);
        assert_eq!(cal.business_days_between(a, a), 0);
        // (Fri, Sat] holds no business day.
        assert_eq!(cal.business_days_between(d(2026, 7, 10), d(2026, 7, 11)), 0);
    }

    #[test]
    fn no_business_day_is_weekend_or_holiday_2020_2035() {
        let cal = BusinessCalendar::colombia();
        let mut day = d(2020, 1, 1);
        let mut holidays = std::collections::BTreeSet::new();
        for year in 2020..=2035 {
            holidays.extend(holiday_dates(year));
        }
        let mut business = 0;
        while day <= d(2035, 12, 31) {
            let expected = !is_weekend(day) && !holidays.contains(&day);
            assert_eq!(cal.is_business_day(day), expected, "{day}");
            assert_eq!(cal.is_holiday(day), holidays.contains(&day), "{day}");
            if expected {
                business += 1;
            }
            day = day.succ_opt().unwrap();
        }
        assert_eq!(
            cal.business_days_between(d(2019, 12, 31), d(2035, 12, 31)),
            business
        );
    }

    #[test]
    fn add_then_count_round_trips_2020_2035() {
        let cal = BusinessCalendar::colombia();
        let mut day = d(2020, 1, 1);
        while day <= d(2035, 12, 31) {
            let mut previous = day;
            for n in 0..40u32 {
                let result = cal.add_business_days(day, n).unwrap();
                assert_eq!(
                    cal.business_days_between(day, result),
                    i64::from(n),
                    "{day} + {n}"
                );
                if n > 0 {
                    assert!(cal.is_business_day(result), "{day} + {n} = {result}");
                    assert!(result > previous);
                    assert_eq!(cal.next_business_day(previous), Some(result));
                }
                previous = result;
            }
            day = day.succ_opt().unwrap();
        }
    }

    /// The obvious day-by-day definition, to check the year-skipping path against.
    fn reference_add(cal: &BusinessCalendar, mut day: NaiveDate, mut n: u32) -> NaiveDate {
        while n > 0 {
            day = day.succ_opt().unwrap();
            if cal.is_business_day(day) {
                n -= 1;
            }
        }
        day
    }

    #[test]
    fn long_spans_match_day_by_day_walk() {
        let text: String = (0..40)
            .map(|i| {
                let date = d(2027, 1, 4) + chrono::TimeDelta::days(i * 17);
                format!("[[non_business_day]]\ndate = \"{date}\"\nreason = \"r{i}\"\n")
            })
            .collect();
        for cal in [
            BusinessCalendar::colombia(),
            BusinessCalendar::from_toml_str(&text, "x").unwrap(),
        ] {
            let mut day = d(2025, 12, 20);
            while day <= d(2026, 12, 31) {
                for n in [255, 256, 257, 300, 499, 1000, 2500] {
                    let got = cal.add_business_days(day, n).unwrap();
                    assert_eq!(got, reference_add(&cal, day, n), "{day} + {n}");
                }
                day += chrono::TimeDelta::days(11);
            }
        }
    }

    #[test]
    fn extras_exhaustive_2026_2028() {
        // Every 5th day from 2026-01-02 is an extra non-business day (weekends and holidays
        // included): business days and counting must honour them.
        let extras: Vec<NaiveDate> = (0..219)
            .map(|i| d(2026, 1, 2) + chrono::TimeDelta::days(i * 5))
            .collect();
        let text: String = extras
            .iter()
            .map(|date| format!("[[non_business_day]]\ndate = {date}\nreason = \"test\"\n"))
            .collect();
        let cal = BusinessCalendar::from_toml_str(&text, "calendar.toml").unwrap();
        assert_eq!(cal.extra_days().len(), extras.len());
        let national = BusinessCalendar::colombia();
        let mut day = d(2026, 1, 1);
        while day <= d(2028, 12, 31) {
            let expected = national.is_business_day(day) && !extras.contains(&day);
            assert_eq!(cal.is_business_day(day), expected, "{day}");
            for n in 0..40u32 {
                let result = cal.add_business_days(day, n).unwrap();
                assert_eq!(cal.business_days_between(day, result), i64::from(n));
                assert!(n == 0 || !extras.contains(&result));
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn extras_from_toml_are_honoured() {
        let text = r#"
            # comment
            [[non_business_day]]
            date = "2026-12-24"
            reason = "Decreto de cierre"

            [[non_business_day]]
            date = 2026-12-31          # bare TOML date
            reason = "Cierre de fin de año"
        "#;
        let cal = BusinessCalendar::from_toml_str(text, "calendar.toml").unwrap();
        assert_eq!(cal.extra_days().len(), 2);
        assert_eq!(cal.extra_days()[1].reason, "Cierre de fin de año");
        assert!(!cal.is_business_day(d(2026, 12, 24)));
        assert!(!cal.is_holiday(d(2026, 12, 24)));
        assert!(cal.is_extra_non_business_day(d(2026, 12, 31)));
        assert!(BusinessCalendar::colombia().is_business_day(d(2026, 12, 24)));
        // 2026-12-18 + 15: without extras 2027-01-13; two extra weekdays push it two days.
        assert_eq!(
            cal.add_business_days(d(2026, 12, 18), 15),
            Some(d(2027, 1, 15))
        );
        assert_eq!(
            cal.next_business_day(d(2026, 12, 23)),
            Some(d(2026, 12, 28))
        );
        assert_eq!(
            cal.business_days_between(d(2026, 12, 18), d(2027, 1, 15)),
            15
        );
        // Extras on weekends or holidays are harmless.
        let cal = BusinessCalendar::from_toml_str(
            "[[non_business_day]]\ndate = \"2026-12-25\"\nreason = \"x\"\n",
            "c",
        )
        .unwrap();
        assert_eq!(
            cal.add_business_days(d(2026, 12, 18), 15),
            Some(d(2027, 1, 13))
        );
    }

    #[test]
    fn empty_and_comment_only_toml() {
        assert_eq!(
            BusinessCalendar::from_toml_str("", "x").unwrap(),
            BusinessCalendar::colombia()
        );
        assert_eq!(
            BusinessCalendar::from_toml_str("# [[non_business_day]]\n", "x").unwrap(),
            BusinessCalendar::colombia()
        );
    }

    #[test]
    fn toml_errors_name_file_and_problem() {
        let cases = [
            (
                "[[non_business_day]]\ndate = \"2026-12-24\"\nreson = \"x\"\n",
                "reson",
            ),
            ("[[non_business_day]]\ndate = \"2026-12-24\"\n", "reason"),
            (
                "[[non_business_day]]\ndate = \"2026-02-30\"\nreason = \"x\"\n",
                "2026-02-30",
            ),
            (
                "[[non_business_day]]\ndate = \"24/12/2026\"\nreason = \"x\"\n",
                "24/12/2026",
            ),
            (
                "[[non_business_day]]\ndate = 2026-12-24T08:00:00\nreason = \"x\"\n",
                "without time",
            ),
            (
                "[[non_business_day]]\ndate = 20261224\nreason = \"x\"\n",
                "date",
            ),
            (
                "[[non_business_day]]\ndate = \"2026-12-24\"\nreason = \"  \"\n",
                "reason",
            ),
            (
                "[[non_business_day]]\ndate = \"2026-12-24\"\nreason = \"a\"\n\
                 [[non_business_day]]\ndate = 2026-12-24\nreason = \"b\"\n",
                "more than once",
            ),
            ("[extra]\ndate = \"2026-12-24\"\n", "extra"),
            ("non_business_day = 3\n", "non_business_day"),
            ("this is not toml", "TOML"),
        ];
        for (text, needle) in cases {
            let err = BusinessCalendar::from_toml_str(text, "rules/calendar.toml").unwrap_err();
            let message = err.to_string();
            assert!(message.starts_with("rules/calendar.toml: "), "{message}");
            assert!(message.contains(needle), "{needle:?} not in {message}");
        }
    }

    #[test]
    fn load_missing_file_and_real_file() {
        let dir = std::env::temp_dir().join(format!("pqrs-cal-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.toml");
        assert_eq!(
            BusinessCalendar::load(&missing).unwrap(),
            BusinessCalendar::colombia()
        );
        let path = dir.join("calendar.toml");
        std::fs::write(
            &path,
            "[[non_business_day]]\ndate = \"2027-01-05\"\nreason = \"r\"\n",
        )
        .unwrap();
        let cal = BusinessCalendar::load(&path).unwrap();
        assert!(!cal.is_business_day(d(2027, 1, 5)));
        std::fs::write(
            &path,
            "[[non_business_day]]\ndate = \"x\"\nreason = \"r\"\n",
        )
        .unwrap();
        let err = BusinessCalendar::load(&path).unwrap_err().to_string();
        assert!(err.contains("calendar.toml"), "{err}");
        // A directory cannot be read as a file: an I/O error naming the path.
        let err = BusinessCalendar::load(&dir).unwrap_err();
        assert!(matches!(err, CalendarError::Io { .. }), "{err}");
        assert!(err.to_string().contains("pqrs-cal-test"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn shipped_rules_file_parses() {
        let text = include_str!("../../rules/calendar.toml");
        let cal = BusinessCalendar::from_toml_str(text, "rules/calendar.toml").unwrap();
        assert!(cal.extra_days().is_empty());
    }
}
