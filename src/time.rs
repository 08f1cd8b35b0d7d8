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
