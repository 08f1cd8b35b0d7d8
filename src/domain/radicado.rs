//! The radicado: the filing number every incoming, outgoing and internal communication gets
//! (Acuerdo 060 de 2001; Orfeo's layout, which ANM follows):
//! `YYYY` + 3-digit filing-unit code + consecutive (6 digits, 7 once a year passes 999,999)
//! + type digit (`2` incoming, `1` outgoing, `3` internal).
//! Example: `20261000001232` is the 123rd incoming filing of 2026 in unit `100`.
//!
//! Allocation (gap-free, in the filing transaction) is `crate::db::radicado`; this module only
//! knows the format.

use std::fmt;

/// The type digit of a radicado.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RadicadoType {
    Outgoing = 1,
    Incoming = 2,
    Internal = 3,
}

impl RadicadoType {
    pub fn digit(self) -> i64 {
        self as i64
    }
    pub fn from_digit(d: i64) -> Option<RadicadoType> {
        match d {
            1 => Some(RadicadoType::Outgoing),
            2 => Some(RadicadoType::Incoming),
            3 => Some(RadicadoType::Internal),
            _ => None,
        }
    }
}

/// A filing-unit code: exactly three ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(s: &str) -> Result<UnitCode, String> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(UnitCode(s.to_string()))
        } else {
            Err(format!("`{s}` is not a 3-digit filing-unit code"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for UnitCode {
    fn default() -> Self {
        UnitCode("100".to_string())
    }
}

/// A well-formed radicado.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Radicado {
    pub year: i32,
    pub unit: String,
    pub seq: i64,
    pub kind: RadicadoType,
}

impl Radicado {
    pub fn new(year: i32, unit: &UnitCode, seq: i64, kind: RadicadoType) -> Radicado {
        Radicado { year, unit: unit.0.clone(), seq, kind }
    }

    /// Parse `^(20\d{2})(\d{3})(\d{6,7})([123])$`.
    pub fn parse(s: &str) -> Option<Radicado> {
        let s = s.trim();
        if !(s.len() == 14 || s.len() == 15) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !s.starts_with("20") {
            return None;
        }
        let year: i32 = s[0..4].parse().ok()?;
        let unit = s[4..7].to_string();
        let seq: i64 = s[7..s.len() - 1].parse().ok()?;
        let kind = RadicadoType::from_digit(s[s.len() - 1..].parse().ok()?)?;
        Some(Radicado { year, unit, seq, kind })
    }
}

impl fmt::Display for Radicado {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{}{:06}{}", self.year, self.unit, self.seq, self.kind.digit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_design_example() {
        let r = Radicado::new(2026, &UnitCode::default(), 123, RadicadoType::Incoming);
        assert_eq!(r.to_string(), "20261000001232");
    }

    #[test]
    fn parses_what_it_formats_and_anm_numbers() {
        for s in ["20261000001232", "20155510076682", "20154200087301", "202610012345672"] {
            let r = Radicado::parse(s).expect(s);
            assert_eq!(r.to_string(), s);
        }
        assert_eq!(Radicado::parse("20155510076682").unwrap().seq, 7668);
        assert_eq!(Radicado::parse("20154200087301").unwrap().kind, RadicadoType::Outgoing);
    }

    #[test]
    fn rejects_malformed_numbers() {
        for s in ["", "2026100000123", "20261000001234", "19991000001232", "2026100000123a2"] {
            assert!(Radicado::parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn seven_digit_consecutive_after_a_million() {
        let r = Radicado::new(2026, &UnitCode::default(), 1_000_000, RadicadoType::Incoming);
        assert_eq!(r.to_string(), "202610010000002");
    }

    #[test]
    fn unit_code_must_be_three_digits() {
        assert!(UnitCode::parse("100").is_ok());
        assert!(UnitCode::parse("10").is_err());
        assert!(UnitCode::parse("1a0").is_err());
    }
}
