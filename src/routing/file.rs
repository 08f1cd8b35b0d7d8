//! Serde structs for `rules/routing/*.toml`, `rules/departments.toml`, `rules/regions.toml` and
//! `rules/tests/expected.toml`, as written on disk (`deny_unknown_fields` everywhere).
//!
//! Values that validation may reject are `Spanned` so that the error names the line. `compile.rs`
//! turns these raw structs into the engine's compiled form; `rules/README.md` documents the format.

use serde::Deserialize;
use toml::Spanned;

/// One `rules/routing/*.toml` file: a list of `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFile {
    #[serde(default)]
    pub rule: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub id: Spanned<String>,
    /// Weight of the rule: 700 and above decides alone; below, rules naming the same department
    /// (kind) add up (best in full, further ones at half). A rule that matches only through quoted
    /// text or the signature counts at half.
    pub priority: Spanned<i64>,
    #[serde(default)]
    #[allow(dead_code)] // documentation for rule authors and reviewers
    pub description: Option<String>,
    #[serde(default)]
    pub when: RawWhen,
    pub then: RawThen,
}

/// The top-level condition: every `all`, at least one `any` (when given), no `none`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWhen {
    #[serde(default)]
    pub all: Vec<Spanned<RawCond>>,
    #[serde(default)]
    pub any: Vec<Spanned<RawCond>>,
    #[serde(default)]
    pub none: Vec<Spanned<RawCond>>,
}

/// A condition: either a group (`all` / `any` / `none`) or a test of one field with exactly one
/// operator (`regex`, `words`, `equals`, `in`, `present`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCond {
    pub field: Option<Spanned<String>>,
    pub regex: Option<Spanned<String>>,
    pub words: Option<Vec<Spanned<String>>>,
    pub equals: Option<Spanned<String>>,
    #[serde(rename = "in")]
    pub in_list: Option<Vec<Spanned<String>>>,
    pub present: Option<bool>,
    pub all: Option<Vec<Spanned<RawCond>>>,
    pub any: Option<Vec<Spanned<RawCond>>>,
    pub none: Option<Vec<Spanned<RawCond>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawThen {
    pub department: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    /// "normal" | "alta" | "urgente"; the decision takes the highest of the rules that fired.
    pub urgency: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Rules below this one (by effective priority) are not considered.
    #[serde(default)]
    pub stop: bool,
    /// When this rule is the best rule of the winning department, mark the decision for review.
    #[serde(default)]
    pub review: bool,
}

/// `rules/departments.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DepartmentsFile {
    /// The triage department used when no rule decides.
    pub fallback: Spanned<String>,
    #[serde(default)]
    pub department: Vec<Spanned<RawDepartment>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDepartment {
    pub code: Spanned<String>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub email: String,
}

/// `rules/regions.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegionsFile {
    #[serde(default)]
    pub office: Vec<Spanned<RawOffice>>,
    #[serde(default)]
    pub departamento: Vec<Spanned<RawDepartamento>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawOffice {
    pub code: Spanned<String>,
    pub name: String,
    #[serde(default)]
    #[allow(dead_code)] // informative
    pub city: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDepartamento {
    pub name: String,
    pub office: Spanned<String>,
    /// The name is also a common word or surname: only recognised as "departamento de X".
    #[serde(default)]
    pub ambiguous: bool,
    #[serde(default)]
    pub municipios: Vec<RawMunicipio>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawMunicipio {
    Name(String),
    Detail(RawMunicipioDetail),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMunicipioDetail {
    pub name: String,
    /// Only recognised as "municipio de X" or "X, <departamento>" / "X (<departamento>)".
    #[serde(default)]
    pub ambiguous: bool,
    /// Overrides the departamento's office.
    pub office: Option<String>,
}

/// `rules/tests/expected.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TestsFile {
    #[serde(default)]
    pub case: Vec<Spanned<RawCase>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCase {
    /// A .eml file, relative to the tests directory. Without it the case is an inline snippet.
    pub file: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub from: String,
    pub channel: Option<String>,
    #[serde(default)]
    pub attachments: Vec<String>,
    pub department: String,
    pub kind: String,
    /// Free label to group accuracy figures ("samples", "holdout", "snippets", …).
    #[serde(default)]
    pub set: String,
    #[serde(default)]
    #[allow(dead_code)] // documentation
    pub note: String,
    /// A known mismatch: reported, but does not fail the run.
    pub xfail: Option<String>,
}

/// 1-based line of byte `offset` in `src`.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// When deserialisation fails at `offset`, the id of the `[[rule]]` (or `[[case]]`, …) table the
/// offset falls in, found by scanning the source (the typed parse did not complete).
pub(crate) fn enclosing_table_id(src: &str, offset: usize, header: &str, key: &str) -> Option<String> {
    let before = src.get(..offset.min(src.len()))?;
    let start = before
        .match_indices(header)
        .filter(|(i, _)| *i == 0 || src.as_bytes()[i - 1] == b'\n')
        .map(|(i, _)| i)
        .last()?;
    let after = &src[start + header.len()..];
    let end = after.find("\n[[").unwrap_or(after.len());
    after[..end].lines().find_map(|l| {
        let l = l.trim();
        let rest = l.strip_prefix(key)?.trim_start().strip_prefix('=')?.trim();
        Some(rest.trim_matches(['"', '\'']).to_string())
    })
}
