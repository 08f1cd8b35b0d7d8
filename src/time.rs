//! Time in America/Bogota (UTC−5, no DST), where every legal date and report month lives.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::America::Bogota;

/// The local calendar date in Bogotá of an instant.
pub fn bogota_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Bogota).date_naive()
}

/// The report month (`YYYY-MM`) in Bogotá of an instant.
pub fn bogota_month(t: DateTime<Utc>) -> String {
    t.with_timezone(&Bogota).format("%Y-%m").to_string()
}

/// A clock that tests can set: production uses the system clock.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    fixed: Option<std::sync::Arc<std::sync::Mutex<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Clock {
        Clock { fixed: None }
    }
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock { fixed: Some(std::sync::Arc::new(std::sync::Mutex::new(at))) }
    }
    pub fn now(&self) -> DateTime<Utc> {
        match &self.fixed {
            Some(m) => *m.lock().unwrap_or_else(|p| p.into_inner()),
            None => Utc::now(),
        }
    }
    /// Move a fixed clock (no effect on the system clock).
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(m) = &self.fixed {
            *m.lock().unwrap_or_else(|p| p.into_inner()) = at;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn late_evening_in_bogota_is_still_the_previous_utc_day_month() {
        // 31 January 23:30 in Bogotá is 1 February 04:30 UTC: it belongs to January.
        let t = Utc.with_ymd_and_hms(2026, 2, 1, 4, 30, 0).unwrap();
        assert_eq!(bogota_month(t), "2026-01");
        assert_eq!(bogota_date(t), NaiveDate::from_ymd_opt(2026, 1, 31).unwrap());
    }
}
