//! An independent oracle for `pqrs term` (the legal term of a PQRS case).
//!
//! Written from the contract of `pqrs term`, DOMAIN.md §1–2 and the shipped `rules/calendar.toml`
//! and `rules/terms.toml` only, without reading the service's calendar, deadline, policy or
//! lifecycle code: its own holiday calendar (fixed days, Ley 51 de 1983 Monday moves including
//! 9 July from 2026, Easter by the Meeus/Jones/Butcher computus) and its own term arithmetic,
//! stepping one day at a time.
//!
//! - `oracle_agrees_with_hand_checked_examples` checks the oracle itself (holiday tables of
//!   DOMAIN.md, worked examples computed by hand in the comments).
//! - `pqrs_term_agrees_with_the_oracle` runs the real binary on ~400 generated timelines (fixed
//!   seed) over 2025–2028 plus ~30 that must be refused, compares every field, and fails with the
//!   list of all mismatches.
//!
//! The contract, as the oracle reads it:
//! - business day: Monday to Friday, not a national holiday, not an extra day of calendar.toml;
//! - effective day E: the Bogotá (UTC−5) local date of `--received` if it is a business day and
//!   the local time is before 17:00, else the next business day after that date;
//! - N = term of the final kind (`--reclasificar` when given); due = N-th business day after E,
//!   extension_limit = (2N)-th; a kind with term "none" has both null and term_days null;
//! - requerimiento R: refused when later than the 10th business day after E or after the due
//!   date; citizen_last_day = R + 1 calendar month (R + 2 with `--prorroga-ciudadano`), clamped
//!   to the month's last day, moved forward to a business day — from R itself, even when R is
//!   before E (the citizen's month runs from the day they were asked);
//! - answered on A (R ≤ A ≤ citizen_last_day, else refused): the clock stopped on R' = max(R, E)
//!   and resumes from A' = max(A, R') (an answer before E uses up no day of the term); for due
//!   and extension_limit, k = business days in (R', date], new date = k-th business day after A',
//!   or the first business day on or after A' when k = 0; desistimiento_from null;
//! - unanswered: due and extension_limit null, desistimiento_from = first business day after
//!   citizen_last_day;
//! - no requerimiento: citizen_last_day and desistimiento_from null.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::process::Command;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Weekday};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/rules");

const KINDS: [&str; 9] = [
    "peticion_general",
    "peticion_documentos",
    "consulta",
    "queja",
    "reclamo",
    "sugerencia",
    "denuncia",
    "entre_autoridades",
    "felicitacion",
];

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("bad test date {s}: {e}"))
}

fn fmt(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

// ------------------------------------------------------------------------------------------------
// The calendar
// ------------------------------------------------------------------------------------------------

/// Easter Sunday of year `y` (Gregorian), by the anonymous Meeus/Jones/Butcher algorithm.
fn easter(y: i32) -> NaiveDate {
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let dd = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - dd - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(y, month as u32, day as u32).unwrap()
}

/// Ley 51 de 1983: the holiday moves to the next Monday unless it already is a Monday.
fn emiliani(day: NaiveDate) -> NaiveDate {
    let mut x = day;
    while x.weekday() != Weekday::Mon {
        x += Duration::days(1);
    }
    x
}

/// The Colombian national holidays of year `y` (deduplicated dates).
fn national_holidays(y: i32) -> BTreeSet<NaiveDate> {
    let ymd = |m: u32, dd: u32| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let mut set = BTreeSet::new();
    // Fixed, never moved.
    for (m, dd) in [(1, 1), (5, 1), (7, 20), (8, 7), (12, 8), (12, 25)] {
        set.insert(ymd(m, dd));
    }
    let e = easter(y);
    set.insert(e - Duration::days(3)); // Jueves Santo
    set.insert(e - Duration::days(2)); // Viernes Santo
    // Moved to the following Monday (Ley 51 de 1983).
    let mut moved = vec![(1, 6), (3, 19), (6, 29), (8, 15), (10, 12), (11, 1), (11, 11)];
    if y >= 2026 {
        moved.push((7, 9)); // Virgen de Chiquinquirá, Ley 2578 de 2026
    }
    for (m, dd) in moved {
        set.insert(emiliani(ymd(m, dd)));
    }
    // Easter-based Mondays: Ascensión, Corpus Christi, Sagrado Corazón.
    for offset in [43, 64, 71] {
        set.insert(e + Duration::days(offset));
    }
    set
}

struct Calendar {
    holidays: BTreeSet<NaiveDate>,
    extra: BTreeSet<NaiveDate>,
}

impl Calendar {
    /// National holidays 2020–2035 and the extra days of `rules/calendar.toml`.
    fn load() -> Calendar {
        let mut holidays = BTreeSet::new();
        for y in 2020..=2035 {
            holidays.extend(national_holidays(y));
        }
        let mut extra = BTreeSet::new();
        let path = format!("{RULES}/calendar.toml");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
            if let Some(list) = table.get("non_business_day") {
                for entry in list.as_array().expect("non_business_day is an array of tables") {
                    let date = entry.get("date").expect("non_business_day without date");
                    let text = match date {
                        toml::Value::String(s) => s.clone(),
                        toml::Value::Datetime(dt) => dt.to_string(),
                        other => panic!("{path}: date {other:?}"),
                    };
                    extra.insert(d(&text));
                }
            }
        }
        Calendar { holidays, extra }
    }

    fn is_business(&self, day: NaiveDate) -> bool {
        assert!((2020..=2035).contains(&day.year()), "the oracle calendar stops at 2035: {day}");
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day) && !self.extra.contains(&day)
    }

    /// The first business day strictly after `day`.
    fn next_business_after(&self, day: NaiveDate) -> NaiveDate {
        let mut x = day + Duration::days(1);
        while !self.is_business(x) {
            x += Duration::days(1);
        }
        x
    }

    /// `day` if it is a business day, else the next one.
    fn on_or_after(&self, day: NaiveDate) -> NaiveDate {
        if self.is_business(day) {
            day
        } else {
            self.next_business_after(day)
        }
    }

    /// The n-th business day after `day` (`day` itself not counted; n = 0 gives `day`).
    fn nth_after(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut x = day;
        for _ in 0..n {
            x = self.next_business_after(x);
        }
        x
    }

    /// Business days in the interval (from, to].
    fn business_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut count = 0;
        let mut x = from + Duration::days(1);
        while x <= to {
            if self.is_business(x) {
                count += 1;
            }
            x += Duration::days(1);
        }
        count
    }
}

/// `day` plus `months` calendar months: the same day number, or the month's last day when that
/// number does not exist in the target month.
fn add_months(day: NaiveDate, months: u32) -> NaiveDate {
    let total = day.year() * 12 + day.month0() as i32 + months as i32;
    let (y, m) = (total / 12, (total % 12) as u32 + 1);
    let mut dd = day.day();
    loop {
        if let Some(x) = NaiveDate::from_ymd_opt(y, m, dd) {
            return x;
        }
        dd -= 1;
    }
}

fn load_terms() -> BTreeMap<String, Option<u32>> {
    let path = format!("{RULES}/terms.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let terms = table["terms"].as_table().expect("[terms]");
    let mut out = BTreeMap::new();
    for (k, v) in terms {
        let n = match v {
            toml::Value::Integer(n) => Some(*n as u32),
            toml::Value::String(s) if s == "none" => None,
            other => panic!("{path}: {k} = {other:?}"),
        };
        out.insert(k.clone(), n);
    }
    for k in KINDS {
        assert!(out.contains_key(k), "{path}: no term for {k}");
    }
    out
}

// ------------------------------------------------------------------------------------------------
// The term arithmetic
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
struct Args {
    received: String,
    kind: String,
    requerimiento: Option<String>,
    respuesta: Option<String>,
    prorroga: bool,
    reclasificar: Option<String>,
}

impl Args {
    fn new(received: &str, kind: &str) -> Args {
        Args { received: received.into(), kind: kind.into(), ..Args::default() }
    }
    fn req(mut self, r: &str) -> Args {
        self.requerimiento = Some(r.into());
        self
    }
    fn resp(mut self, a: &str) -> Args {
        self.respuesta = Some(a.into());
        self
    }
    fn prorroga(mut self) -> Args {
        self.prorroga = true;
        self
    }
    fn reclas(mut self, k: &str) -> Args {
        self.reclasificar = Some(k.into());
        self
    }
    fn argv(&self) -> Vec<String> {
        let mut v = vec!["term".into(), "--received".into(), self.received.clone(), "--kind".into(), self.kind.clone()];
        if let Some(r) = &self.requerimiento {
            v.extend(["--requerimiento".into(), r.clone()]);
        }
        if let Some(a) = &self.respuesta {
            v.extend(["--respuesta".into(), a.clone()]);
        }
        if self.prorroga {
            v.push("--prorroga-ciudadano".into());
        }
        if let Some(k) = &self.reclasificar {
            v.extend(["--reclasificar".into(), k.clone()]);
        }
        v.push("--json".into());
        v
    }
    fn show(&self) -> String {
        format!("pqrs {}", self.argv().join(" "))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Expected {
    kind: String,
    term_days: Option<u32>,
    effective_day: NaiveDate,
    due: Option<NaiveDate>,
    extension_limit: Option<NaiveDate>,
    citizen_last_day: Option<NaiveDate>,
    desistimiento_from: Option<NaiveDate>,
}

impl Expected {
    fn fields(&self) -> Vec<(&'static str, serde_json::Value)> {
        use serde_json::Value;
        let date = |x: Option<NaiveDate>| x.map(|x| Value::String(fmt(x))).unwrap_or(Value::Null);
        vec![
            ("kind", Value::String(self.kind.clone())),
            ("term_days", self.term_days.map(Value::from).unwrap_or(Value::Null)),
            ("effective_day", Value::String(fmt(self.effective_day))),
            ("due", date(self.due)),
            ("extension_limit", date(self.extension_limit)),
            ("citizen_last_day", date(self.citizen_last_day)),
            ("desistimiento_from", date(self.desistimiento_from)),
        ]
    }
    fn show(&self) -> String {
        let mut s = String::from("{");
        for (i, (k, v)) in self.fields().iter().enumerate() {
            let _ = write!(s, "{}\"{k}\": {v}", if i > 0 { ", " } else { "" });
        }
        s.push('}');
        s
    }
}

/// A strict YYYY-MM-DD date.
fn parse_day(s: &str, what: &str) -> Result<NaiveDate, String> {
    let ok_shape = s.len() == 10 && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !ok_shape {
        return Err(format!("{what} `{s}` is not YYYY-MM-DD"));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("{what} `{s}`: {e}"))
}

fn bogota() -> FixedOffset {
    FixedOffset::west_opt(5 * 3600).unwrap()
}

/// What `pqrs term` must answer for `args`: the seven fields, or a refusal with the reason.
fn oracle(cal: &Calendar, terms: &BTreeMap<String, Option<u32>>, args: &Args) -> Result<Expected, String> {
    let received = DateTime::parse_from_rfc3339(&args.received).map_err(|e| format!("--received: {e}"))?;
    if !terms.contains_key(&args.kind) {
        return Err(format!("unknown kind {}", args.kind));
    }
    let kind = match &args.reclasificar {
        Some(k) if !terms.contains_key(k) => return Err(format!("unknown kind {k}")),
        Some(k) => k.clone(),
        None => args.kind.clone(),
    };
    let local = received.with_timezone(&bogota()).naive_local();
    let effective = effective_day(cal, local);
    let n = terms[&kind];
    let due = n.map(|n| cal.nth_after(effective, n));
    let limit = n.map(|n| cal.nth_after(effective, 2 * n));
    let mut out = Expected {
        kind,
        term_days: n,
        effective_day: effective,
        due,
        extension_limit: limit,
        citizen_last_day: None,
        desistimiento_from: None,
    };
    let Some(r) = &args.requerimiento else {
        if args.respuesta.is_some() {
            return Err("--respuesta without --requerimiento".into());
        }
        return Ok(out);
    };
    let r_asked = parse_day(r, "--requerimiento")?;
    let r = r_asked.max(effective);
    let tenth = cal.nth_after(effective, 10);
    if r > tenth {
        return Err(format!("requerimiento {r} after the 10th business day {tenth}"));
    }
    if let Some(due) = due {
        if r > due {
            return Err(format!("requerimiento {r} after the due date {due}"));
        }
    }
    let last = cal.on_or_after(add_months(r_asked, if args.prorroga { 2 } else { 1 }));
    out.citizen_last_day = Some(last);
    match &args.respuesta {
        None => {
            out.due = None;
            out.extension_limit = None;
            out.desistimiento_from = Some(cal.next_business_after(last));
        }
        Some(a) => {
            let a = parse_day(a, "--respuesta")?;
            if a < r_asked {
                return Err(format!("respuesta {a} before the requerimiento {r_asked}"));
            }
            if a > last {
                return Err(format!("respuesta {a} after the citizen's last day {last}"));
            }
            let a_counted = a.max(r);
            let resume = |date: NaiveDate| {
                let k = cal.business_days_between(r, date);
                if k == 0 {
                    cal.on_or_after(a_counted)
                } else {
                    cal.nth_after(a_counted, k)
                }
            };
            out.due = due.map(resume);
            out.extension_limit = limit.map(resume);
        }
    }
    Ok(out)
}

/// The effective filing day of a receipt at Bogotá local time `local`.
fn effective_day(cal: &Calendar, local: NaiveDateTime) -> NaiveDate {
    let cutoff = NaiveTime::from_hms_opt(17, 0, 0).unwrap();
    if cal.is_business(local.date()) && local.time() < cutoff {
        local.date()
    } else {
        cal.next_business_after(local.date())
    }
}

// ------------------------------------------------------------------------------------------------
// The oracle checked by hand
// ------------------------------------------------------------------------------------------------

#[test]
fn oracle_agrees_with_hand_checked_examples() {
    let cal = Calendar::load();
    let terms = load_terms();

    // Easter dates (published tables).
    for (y, e) in [(2024, "2024-03-31"), (2025, "2025-04-20"), (2026, "2026-04-05"), (2027, "2027-03-28"), (2028, "2028-04-16"), (2029, "2029-04-01"), (2030, "2030-04-21")] {
        assert_eq!(easter(y), d(e), "Easter {y}");
    }
    // DOMAIN.md §2 tables, 2026 and 2027 (19 holidays each).
    let h2026 = [
        "01-01", "01-12", "03-23", "04-02", "04-03", "05-01", "05-18", "06-08", "06-15", "06-29", "07-13", "07-20", "08-07", "08-17", "10-12",
        "11-02", "11-16", "12-08", "12-25",
    ];
    let h2027 = [
        "01-01", "01-11", "03-22", "03-25", "03-26", "05-01", "05-10", "05-31", "06-07", "07-05", "07-12", "07-20", "08-07", "08-16", "10-18",
        "11-01", "11-15", "12-08", "12-25",
    ];
    for (y, table) in [(2026, h2026), (2027, h2027)] {
        let want: BTreeSet<NaiveDate> = table.iter().map(|md| d(&format!("{y}-{md}"))).collect();
        assert_eq!(national_holidays(y), want, "holidays {y}");
    }
    // 2025: 18 holidays on 17 dates (Sagrado Corazón and San Pedro both on Mon 30 June); no 9 July.
    let h2025 = national_holidays(2025);
    assert_eq!(h2025.len(), 17);
    assert!(h2025.contains(&d("2025-06-30")) && !h2025.contains(&d("2025-07-07")) && !h2025.contains(&d("2025-07-09")));

    let ex = |a: Args| oracle(&cal, &terms, &a);
    let ok = |a: Args| ex(a.clone()).unwrap_or_else(|e| panic!("{}: refused: {e}", a.show()));

    // (1) DOMAIN.md worked examples: filed Fri 2026-07-10. Business days after it: Jul 14 15 16 17
    //     (13 Jul is the new Chiquinquirá holiday), 21 22 23 24 (20 Jul holiday), 27 28 → 10th = Tue
    //     07-28; 29 30 31, Aug 3 4 → 15th = Tue 08-04; Aug 5 6 (7 Aug holiday) 10 11 12 13 14
    //     (17 Aug holiday) 18..21, 24..27 → 30th = Thu 08-27.
    let e = ok(Args::new("2026-07-10T09:30:00-05:00", "peticion_documentos"));
    assert_eq!((e.effective_day, e.due), (d("2026-07-10"), Some(d("2026-07-28"))));
    assert_eq!(ok(Args::new("2026-07-10T09:30:00-05:00", "peticion_general")).due, Some(d("2026-08-04")));
    let e = ok(Args::new("2026-07-10T09:30:00-05:00", "consulta"));
    assert_eq!((e.term_days, e.due), (Some(30), Some(d("2026-08-27"))));
    // The documents term's extension limit is its 20th business day = the general 15th + 5 more:
    // Aug 5 6 10 11 12 → Wed 2026-08-12.
    assert_eq!(ok(Args::new("2026-07-10T09:30:00-05:00", "peticion_documentos")).extension_limit, Some(d("2026-08-12")));

    // (2) DOMAIN.md: filed Fri 2026-12-18, 15 d → Wed 2027-01-13. Dec 21 22 23 24 (25 Dec
    //     holiday) 28 29 30 31, (1 Jan holiday) Jan 4 5 6 7 8, (11 Jan Reyes) 12 13 → 15th = 01-13.
    assert_eq!(ok(Args::new("2026-12-18T10:00:00-05:00", "queja")).due, Some(d("2027-01-13")));

    // (3) The cut-off: 16:59:59 local counts on Fri 2026-07-10; 17:00:00 (22:00Z) moves to Tue
    //     07-14 (Mon 13 Jul is a holiday), so the 15th business day moves one day to Wed 08-05.
    let e = ok(Args::new("2026-07-10T21:59:59Z", "reclamo"));
    assert_eq!((e.effective_day, e.due), (d("2026-07-10"), Some(d("2026-08-04"))));
    let e = ok(Args::new("2026-07-10T22:00:00Z", "reclamo"));
    assert_eq!((e.effective_day, e.due), (d("2026-07-14"), Some(d("2026-08-05"))));
    // 2026-07-11T03:00:00+09:00 is Fri 10 Jul 13:00 in Bogotá: the same day.
    assert_eq!(ok(Args::new("2026-07-11T03:00:00+09:00", "reclamo")).effective_day, d("2026-07-10"));

    // (4) Semana Santa 2026: filed Wed 2026-04-01 at 18:00 → Thu 2 and Fri 3 April are holidays,
    //     effective day Mon 04-06. 10 d: Apr 7 8 9 10, 13 14 15 16 17, 20 → Mon 2026-04-20;
    //     limit 20 d: 21 22 23 24, 27 28 29 30, (1 May holiday) May 4 5 → Tue 2026-05-05.
    let e = ok(Args::new("2026-04-01T18:00:00-05:00", "entre_autoridades"));
    assert_eq!((e.effective_day, e.due, e.extension_limit), (d("2026-04-06"), Some(d("2026-04-20")), Some(d("2026-05-05"))));

    // (5) Felicitación: no term.
    let e = ok(Args::new("2026-07-10T09:30:00-05:00", "felicitacion"));
    assert_eq!((e.term_days, e.due, e.extension_limit), (None, None, None));

    // (6) Requerimiento unanswered, month-end clamp: filed Tue 2027-01-26 10:00, peticion_general.
    //     Business days after: Jan 27 28 29 → R = Fri 2027-01-29 is the 3rd (allowed). R + 1 month
    //     = 29 Feb does not exist in 2027 → Sun 28 Feb → next business day Mon 2027-03-01.
    //     Desistimiento from the business day after it: Tue 2027-03-02.
    let e = ok(Args::new("2027-01-26T10:00:00-05:00", "peticion_general").req("2027-01-29"));
    assert_eq!((e.due, e.extension_limit), (None, None));
    assert_eq!((e.citizen_last_day, e.desistimiento_from), (Some(d("2027-03-01")), Some(d("2027-03-02"))));
    //     In 2028 (leap year): filed Wed 2028-01-26, R = Mon 2028-01-31 → 29 Feb 2028 (Tue) is a
    //     business day, last day 02-29; desistimiento from Wed 2028-03-01.
    let e = ok(Args::new("2028-01-26T10:00:00-05:00", "queja").req("2028-01-31"));
    assert_eq!((e.citizen_last_day, e.desistimiento_from), (Some(d("2028-02-29")), Some(d("2028-03-01"))));

    // (7) Requerimiento answered: filed Fri 2026-07-10 09:30, peticion_general, due Tue 08-04,
    //     limit (30th) Thu 08-27. R = Thu 2026-07-16 (business days after E: 14 15 16 → the 3rd).
    //     Remaining for due: (Jul 16, Aug 4] = Jul 17, 21 22 23 24, 27 28 29 30 31, Aug 3 4 = 12.
    //     Answered Mon 2026-07-27: 12 business days after: Jul 28 29 30 31, Aug 3 4 5 6, (7 Aug)
    //     10 11 12 13 → Thu 2026-08-13. Limit: remaining (Jul 16, Aug 27] = 12 + 15 = 27; 27th after
    //     Jul 27 = 12th (Aug 13) + 15 more: Aug 14, (17 Aug) 18 19 20 21, 24..28, 31, Sep 1 2 3 4
    //     → Fri 2026-09-04. Citizen's last day: 16 Aug (Sun) → Mon 17 Aug is a holiday → Tue 08-18.
    let e = ok(Args::new("2026-07-10T09:30:00-05:00", "peticion_general").req("2026-07-16").resp("2026-07-27"));
    assert_eq!((e.due, e.extension_limit), (Some(d("2026-08-13")), Some(d("2026-09-04"))));
    assert_eq!((e.citizen_last_day, e.desistimiento_from), (Some(d("2026-08-18")), None));

    // (8) R before the effective day: the clock stops at E, the citizen's month runs from R;
    //     answered on a Saturday. Filed Sat 2026-03-21
    //     (Mon 23 Mar San José) → E = Tue 2026-03-24. Documents, 10 d: Mar 25 26 27 30 31,
    //     (Apr 2–3 holidays) Apr 1 6 7 8 9 → due Thu 2026-04-09. R = 2026-03-20 → counts as 03-24;
    //     remaining (Mar 24, Apr 9] = all 10. Answered Sat 2026-04-11: 10 business days after:
    //     Apr 13..17, 20..24 → Fri 2026-04-24. Last day: 20 Mar + 1 month = Mon 2026-04-20.
    let e = ok(Args::new("2026-03-21T11:00:00-05:00", "peticion_documentos").req("2026-03-20").resp("2026-04-11"));
    assert_eq!((e.effective_day, e.due, e.citizen_last_day), (d("2026-03-24"), Some(d("2026-04-24")), Some(d("2026-04-20"))));

    // (9) R on the due date (documents, N = 10 = the 10th business day): k = 0 for the due date, so
    //     the new due is the first business day on or after A. Filed Fri 2026-07-10 09:30, due Tue
    //     07-28; R = 07-28; answered Sun 2026-08-09 → Mon 2026-08-10. Limit (20th, Wed 08-12):
    //     remaining (Jul 28, Aug 12] = 29 30 31, 3 4 5 6, 10 11 12 = 10 → 10th after Aug 9: Aug 10
    //     11 12 13 14, (17 Aug) 18 19 20 21 24 → Mon 2026-08-24.
    let e = ok(Args::new("2026-07-10T09:30:00-05:00", "peticion_documentos").req("2026-07-28").resp("2026-08-09"));
    assert_eq!((e.due, e.extension_limit), (Some(d("2026-08-10")), Some(d("2026-08-24"))));
    //     One day later is refused (after the due date and the 10th business day).
    assert!(ex(Args::new("2026-07-10T09:30:00-05:00", "peticion_documentos").req("2026-07-29")).is_err());

    // (10) Prórroga del ciudadano: filed Mon 2025-12-22 16:59:59, queja, E = 12-22. R = Wed
    //     2025-12-31 (after E: 23 24 26 29 30 31 → the 6th; 25 Dec holiday). R + 2 months =
    //     "31 Feb 2026" → the month's last day, Sat 2026-02-28 → (Sun 1 Mar) Mon 2026-03-02.
    //     Desistimiento from Tue 2026-03-03. Without the prórroga: 2026-01-31 (Sat) → Mon 02-02.
    let e = ok(Args::new("2025-12-22T16:59:59-05:00", "queja").req("2025-12-31").prorroga());
    assert_eq!((e.citizen_last_day, e.desistimiento_from), (Some(d("2026-03-02")), Some(d("2026-03-03"))));
    assert_eq!(ok(Args::new("2025-12-22T16:59:59-05:00", "queja").req("2025-12-31")).citizen_last_day, Some(d("2026-02-02")));
    //     An answer on 2026-02-03 … 2026-03-02 needs the prórroga; 2026-03-03 is too late even with it.
    assert!(ex(Args::new("2025-12-22T16:59:59-05:00", "queja").req("2025-12-31").resp("2026-02-03")).is_err());
    assert!(ex(Args::new("2025-12-22T16:59:59-05:00", "queja").req("2025-12-31").resp("2026-03-02").prorroga()).is_ok());
    assert!(ex(Args::new("2025-12-22T16:59:59-05:00", "queja").req("2025-12-31").resp("2026-03-03").prorroga()).is_err());

    // (11) Reclassification counts the new kind's term from the same effective day: consulta
    //     filed Fri 2026-07-10 reclassified as peticion_documentos → due 07-28 (as in (1)).
    let e = ok(Args::new("2026-07-10T09:30:00-05:00", "consulta").reclas("peticion_documentos"));
    assert_eq!((e.kind.as_str(), e.term_days, e.due), ("peticion_documentos", Some(10), Some(d("2026-07-28"))));
    let e = ok(Args::new("2026-07-10T09:30:00-05:00", "queja").reclas("felicitacion"));
    assert_eq!((e.kind.as_str(), e.term_days, e.due, e.extension_limit), ("felicitacion", None, None, None));

    // (12) 31 Dec 2026 after the cut-off: effective day Mon 2027-01-04 (1 Jan holiday, weekend).
    assert_eq!(ok(Args::new("2026-12-31T18:00:00-05:00", "reclamo")).effective_day, d("2027-01-04"));

    // Refusals.
    assert!(ex(Args::new("2026-07-10T09:30:00-05:00", "peticion")).is_err());
    assert!(ex(Args::new("2026-07-10T09:30:00", "queja")).is_err());
    assert!(ex(Args::new("2026-07-10T09:30:00-05:00", "queja").resp("2026-07-20")).is_err());
    assert!(ex(Args::new("2026-07-10T09:30:00-05:00", "queja").req("2026-07-16").resp("2026-07-15")).is_err());
    assert!(ex(Args::new("2026-07-10T09:30:00-05:00", "queja").req("2026-02-30")).is_err());
}

// ------------------------------------------------------------------------------------------------
// The generator
// ------------------------------------------------------------------------------------------------

struct Gen<'a> {
    rng: StdRng,
    cal: &'a Calendar,
    terms: &'a BTreeMap<String, Option<u32>>,
    interesting: Vec<NaiveDate>,
}

impl Gen<'_> {
    fn pick<'b, T>(&mut self, xs: &'b [T]) -> &'b T {
        &xs[self.rng.random_range(0..xs.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn received_local(&mut self) -> NaiveDateTime {
        let day = if self.chance(0.35) {
            d("2025-01-01") + Duration::days(self.rng.random_range(0..4 * 365))
        } else {
            let base = self.interesting[self.rng.random_range(0..self.interesting.len())];
            base + Duration::days(self.rng.random_range(-2..=1))
        };
        let time = match self.rng.random_range(0..10) {
            0..=2 => NaiveTime::from_hms_opt(16, 59, 59).unwrap(),
            3..=5 => NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
            6 => NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
            7 => NaiveTime::from_hms_opt(23, 59, 59).unwrap(),
            _ => NaiveTime::from_num_seconds_from_midnight_opt(self.rng.random_range(0..86_400), 0).unwrap(),
        };
        day.and_time(time)
    }

    /// The instant as RFC 3339 in Bogotá time, in UTC or in UTC+9 (the local date may differ).
    fn received_string(&mut self, local: NaiveDateTime) -> String {
        let instant = bogota().from_local_datetime(&local).unwrap();
        match self.rng.random_range(0..10) {
            0..=6 => instant.to_rfc3339_opts(SecondsFormat::Secs, true),
            7..=8 => instant.with_timezone(&FixedOffset::east_opt(0).unwrap()).to_rfc3339_opts(SecondsFormat::Secs, true),
            _ => instant.with_timezone(&FixedOffset::east_opt(9 * 3600).unwrap()).to_rfc3339_opts(SecondsFormat::Secs, true),
        }
    }

    fn effective(&self, local: NaiveDateTime) -> NaiveDate {
        effective_day(self.cal, local)
    }

    fn non_business_in(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let mut v = vec![];
        let mut x = from;
        while x <= to {
            if !self.cal.is_business(x) {
                v.push(x);
            }
            x += Duration::days(1);
        }
        v
    }

    /// One timeline that the contract accepts (a candidate; the caller checks with the oracle).
    fn valid(&mut self) -> (Args, &'static str) {
        let local = self.received_local();
        let received = self.received_string(local);
        let kind = self.pick(&KINDS).to_string();
        let mut args = Args::new(&received, &kind);
        let mut note = "plain";
        if self.chance(0.25) {
            let other: Vec<&str> = KINDS.iter().copied().filter(|k| *k != kind).collect();
            args.reclasificar = Some(self.pick(&other).to_string());
        }
        if self.chance(0.3) {
            return (args, note);
        }
        // Requerimiento.
        let e = self.effective(local);
        let final_kind = args.reclasificar.clone().unwrap_or(kind.clone());
        let tenth = self.cal.nth_after(e, 10);
        let limit = match self.terms[&final_kind] {
            Some(n) => tenth.min(self.cal.nth_after(e, n)),
            None => tenth,
        };
        let span = (limit - e).num_days();
        let r = match self.rng.random_range(0..20) {
            0..=2 => {
                note = "R before E";
                e - Duration::days(self.rng.random_range(1..=5))
            }
            3..=4 => {
                note = "R = E";
                e
            }
            5..=6 => {
                note = "R = last allowed day";
                limit
            }
            7..=9 => {
                note = "R on a non-business day";
                let v = self.non_business_in(e, limit);
                if v.is_empty() {
                    limit
                } else {
                    *self.pick(&v)
                }
            }
            10..=12 => {
                note = "R near a month end";
                let mut v = vec![];
                let mut x = e;
                while x <= limit {
                    if x.day() >= 28 {
                        v.push(x);
                    }
                    x += Duration::days(1);
                }
                if v.is_empty() {
                    e + Duration::days(self.rng.random_range(0..=span))
                } else {
                    *self.pick(&v)
                }
            }
            _ => {
                note = "R inside the window";
                e + Duration::days(self.rng.random_range(0..=span))
            }
        };
        args.requerimiento = Some(fmt(r));
        if self.chance(0.35) {
            args.prorroga = true;
        }
        let r_eff = r.max(e);
        let last = self.cal.on_or_after(add_months(r, if args.prorroga { 2 } else { 1 }));
        if last < r_eff {
            return (args, note); // the citizen's month ended before the effective day: unanswered
        }
        let a = match self.rng.random_range(0..20) {
            0..=6 => return (args, note), // unanswered
            7 => r, // may be before the effective day
            8 => r_eff,
            9..=10 => last,
            11..=12 => {
                let v = self.non_business_in(r_eff, last);
                *self.pick(&v)
            }
            13..=14 => r_eff + Duration::days(self.rng.random_range(1..=5)).min(last - r_eff),
            _ => r_eff + Duration::days(self.rng.random_range(0..=(last - r_eff).num_days())),
        };
        args.respuesta = Some(fmt(a));
        (args, note)
    }

    /// A timeline that the contract refuses.
    fn refused(&mut self, i: usize) -> (Args, &'static str) {
        let local = self.received_local();
        let received = self.received_string(local);
        let e = self.effective(local);
        let long_kinds = ["peticion_general", "consulta", "queja", "reclamo", "sugerencia", "denuncia"];
        let short_kinds = ["peticion_documentos", "entre_autoridades"];
        let tenth = self.cal.nth_after(e, 10);
        match i % 11 {
            10 => {
                // An answer dated before the requerimiento, R itself before the effective day.
                let kind = self.pick(&KINDS[..8]).to_string();
                let r = e - Duration::days(self.rng.random_range(2..=4));
                let a = r - Duration::days(self.rng.random_range(1..=3));
                (Args::new(&received, &kind).req(&fmt(r)).resp(&fmt(a)), "R before E, A before R")
            }
            0 => {
                // A long term: R just after the 10th business day (a calendar day or a few later).
                let kind = self.pick(&long_kinds).to_string();
                let r = tenth + Duration::days(self.rng.random_range(1..=3));
                (Args::new(&received, &kind).req(&fmt(r)), "R after the 10th business day")
            }
            1 => {
                // A 10-day term: R after the due date (= the 10th business day).
                let kind = self.pick(&short_kinds).to_string();
                let r = tenth + Duration::days(self.rng.random_range(1..=4));
                (Args::new(&received, &kind).req(&fmt(r)), "R after the due date")
            }
            2 => {
                // Reclassified to a 10-day term: R after that term's due date... and the 10th day.
                let kind = self.pick(&long_kinds).to_string();
                let r = self.cal.next_business_after(tenth);
                let new_kind = *self.pick(&short_kinds);
                (Args::new(&received, &kind).reclas(new_kind).req(&fmt(r)), "R after the due date of the new kind")
            }
            3 => {
                let kind = self.pick(&KINDS[..8]).to_string();
                let r = e + Duration::days(self.rng.random_range(1..=6));
                let a = r - Duration::days(self.rng.random_range(1..=2));
                (Args::new(&received, &kind).req(&fmt(r)).resp(&fmt(a)), "A before R")
            }
            4 => {
                let kind = self.pick(&KINDS[..8]).to_string();
                let r = e + Duration::days(self.rng.random_range(0..=6));
                let last = self.cal.on_or_after(add_months(r, 1));
                let a = last + Duration::days(self.rng.random_range(1..=3));
                (Args::new(&received, &kind).req(&fmt(r)).resp(&fmt(a)), "A after the citizen's last day")
            }
            5 => {
                let kind = self.pick(&KINDS[..8]).to_string();
                let r = e + Duration::days(self.rng.random_range(0..=6));
                let last = self.cal.on_or_after(add_months(r, 2));
                let a = last + Duration::days(1);
                (Args::new(&received, &kind).req(&fmt(r)).prorroga().resp(&fmt(a)), "A after the last day of the prórroga")
            }
            6 => {
                let kind = self.pick(&KINDS).to_string();
                (Args::new(&received, &kind).resp(&fmt(e + Duration::days(3))), "--respuesta without --requerimiento")
            }
            7 => {
                let bad = *self.pick(&["peticion", "quejas", "", "habeas_data"]);
                if self.chance(0.5) {
                    (Args::new(&received, bad), "unknown kind")
                } else {
                    (Args::new(&received, "queja").reclas(bad), "unknown --reclasificar kind")
                }
            }
            8 => {
                let bad = *self.pick(&["yesterday", "2026-07-10", "2026-07-10T09:30:00", "2026-02-30T09:30:00-05:00", "2026-13-01T09:30:00-05:00"]);
                (Args::new(bad, "queja"), "bad --received")
            }
            _ => {
                let bad = *self.pick(&["2026-02-30", "2026-13-01", "30/01/2026", "2026-04-31", "mañana"]);
                if self.chance(0.5) {
                    (Args::new("2026-01-20T10:00:00-05:00", "queja").req(bad), "bad --requerimiento date")
                } else {
                    (Args::new("2026-01-20T10:00:00-05:00", "queja").req("2026-01-22").resp(bad), "bad --respuesta date")
                }
            }
        }
    }
}

fn interesting_days() -> Vec<NaiveDate> {
    let mut v = vec![];
    for y in 2025..=2028 {
        v.extend(national_holidays(y));
        let e = easter(y);
        for off in -8..=1 {
            v.push(e + Duration::days(off)); // Semana Santa
        }
        for md in ["12-24", "12-25", "12-31", "01-01", "01-02"] {
            v.push(d(&format!("{y}-{md}")));
        }
        for m in 1..=12 {
            let last = add_months(NaiveDate::from_ymd_opt(y, m, 1).unwrap(), 1) - Duration::days(1);
            for back in [12, 14, 16] {
                v.push(last - Duration::days(back)); // R can then fall on a month end
            }
            v.push(last);
        }
    }
    v.retain(|x| (2025..=2028).contains(&x.year()));
    v
}

// ------------------------------------------------------------------------------------------------
// The comparison with the real binary
// ------------------------------------------------------------------------------------------------

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run_pqrs(args: &Args, cwd: &std::path::Path) -> Run {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pqrs"));
    for (k, _) in std::env::vars() {
        if k.starts_with("PQRS_") {
            c.env_remove(k);
        }
    }
    c.current_dir(cwd)
        .env("PQRS_RULES_DIR", RULES)
        .env("PQRS_DATABASE_URL", cwd.join("unused.db").display().to_string())
        .args(args.argv());
    let out = c.output().expect("run pqrs");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Whether the binary's answer matches; the list of differences otherwise.
fn compare(expected: &Result<Expected, String>, got: &Run) -> Vec<String> {
    match expected {
        Err(_) => {
            let mut diffs = vec![];
            if got.ok {
                diffs.push("accepted, but the contract refuses it".into());
            }
            if !got.stdout.trim().is_empty() {
                diffs.push(format!("printed on stdout: {}", got.stdout.trim()));
            }
            if !got.ok && got.stderr.trim().is_empty() {
                diffs.push("refused with an empty stderr".into());
            }
            diffs
        }
        Ok(exp) => {
            if !got.ok {
                return vec![format!("refused (stderr: {})", got.stderr.trim())];
            }
            let json: serde_json::Value = match serde_json::from_str(got.stdout.trim()) {
                Ok(j) => j,
                Err(e) => return vec![format!("stdout is not one JSON object ({e}): {}", got.stdout.trim())],
            };
            let mut diffs = vec![];
            for (field, want) in exp.fields() {
                match json.get(field) {
                    None => diffs.push(format!("{field}: missing, want {want}")),
                    Some(v) if *v != want => diffs.push(format!("{field}: got {v}, want {want}")),
                    Some(_) => {}
                }
            }
            diffs
        }
    }
}

#[test]
fn pqrs_term_agrees_with_the_oracle() {
    let cal = Calendar::load();
    let terms = load_terms();
    let cwd = tempfile::tempdir().unwrap();

    // Is `pqrs term` there at all? Without it every timeline would just be one "refused".
    let probe = run_pqrs(&Args::new("2026-07-10T09:30:00-05:00", "queja"), cwd.path());
    assert!(
        probe.ok,
        "`pqrs term` does not run yet (stderr: {}); the oracle has nothing to compare",
        probe.stderr.trim()
    );

    let mut gen = Gen { rng: StdRng::seed_from_u64(0x5051_5253_2025_2028), cal: &cal, terms: &terms, interesting: interesting_days() };
    let mut timelines: Vec<(Args, &'static str)> = vec![];
    let mut valid = 0;
    while valid < 400 {
        let (args, note) = gen.valid();
        if oracle(&cal, &terms, &args).is_ok() {
            timelines.push((args, note));
            valid += 1;
        }
    }
    let mut refused = 0;
    let mut i = 0;
    while refused < 33 {
        let (args, note) = gen.refused(i);
        i += 1;
        if oracle(&cal, &terms, &args).is_err() {
            timelines.push((args, note));
            refused += 1;
        }
    }

    let mut by_note: BTreeMap<&str, usize> = BTreeMap::new();
    let mut mismatches = vec![];
    for (args, note) in &timelines {
        *by_note.entry(*note).or_default() += 1;
        let expected = oracle(&cal, &terms, args);
        let got = run_pqrs(args, cwd.path());
        let diffs = compare(&expected, &got);
        if !diffs.is_empty() {
            let want = match &expected {
                Ok(e) => e.show(),
                Err(why) => format!("refused ({why})"),
            };
            let got_text = if got.ok { got.stdout.trim().to_string() } else { format!("refused: {}", got.stderr.trim()) };
            mismatches.push(format!("[{note}] {}\n    want: {want}\n    got:  {got_text}\n    diff: {}", args.show(), diffs.join("; ")));
        }
    }
    eprintln!(
        "term oracle: compared {} timelines ({} accepted, {} refused): {} mismatches; by case: {:?}",
        timelines.len(),
        valid,
        refused,
        mismatches.len(),
        by_note
    );
    assert!(mismatches.is_empty(), "{} of {} timelines disagree with the oracle:\n{}", mismatches.len(), timelines.len(), mismatches.join("\n"));
}
