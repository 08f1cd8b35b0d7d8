//! The paired migrations (`migrations/sqlite`, `migrations/postgres`) must produce exactly the
//! tables, columns, nullability and SQL types that `src/db/schema.rs` declares, on both backends.

mod common;

use std::collections::BTreeMap;

use common::{Backend, TestDb};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

/// (table, column) → (diesel type, nullable), read from schema.rs's `table!` blocks.
fn declared() -> BTreeMap<(String, String), (String, bool)> {
    let src = include_str!("../src/db/schema.rs");
    let table_re = regex::Regex::new(r"(?s)table!\s*\{\s*(\w+)\s*\([^)]*\)\s*\{(.*?)\}").unwrap();
    let col_re = regex::Regex::new(r"(\w+)\s*->\s*(Nullable<(\w+)>|(\w+))").unwrap();
    let mut out = BTreeMap::new();
    for t in table_re.captures_iter(src) {
        for c in col_re.captures_iter(&t[2]) {
            let (ty, nullable) = match (c.get(3), c.get(4)) {
                (Some(inner), _) => (inner.as_str().to_string(), true),
                (None, Some(plain)) => (plain.as_str().to_string(), false),
                _ => unreachable!(),
            };
            out.insert((t[1].to_string(), c[1].to_string()), (ty, nullable));
        }
    }
    out
}

#[derive(QueryableByName, Debug)]
struct Col {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    nullable: i32,
}

/// The SQL types each backend may use for a diesel type.
fn accepts(backend: Backend, diesel_ty: &str, sql_ty: &str) -> bool {
    let sql = sql_ty.to_ascii_lowercase();
    match (backend, diesel_ty) {
        (Backend::Sqlite, "BigInt") => sql == "bigint" || sql == "integer",
        (Backend::Sqlite, "Integer") => sql == "integer",
        (Backend::Sqlite, "Text") => sql == "text",
        (Backend::Sqlite, "Bool") => sql == "boolean",
        (Backend::Sqlite, "Timestamp") => sql == "timestamp",
        (Backend::Sqlite, "Date") => sql == "date",
        (Backend::Sqlite, "Binary") => sql == "blob",
        (Backend::Postgres, "BigInt") => sql == "bigint",
        (Backend::Postgres, "Integer") => sql == "integer",
        (Backend::Postgres, "Text") => sql == "text",
        (Backend::Postgres, "Bool") => sql == "boolean",
        (Backend::Postgres, "Timestamp") => sql == "timestamp without time zone",
        (Backend::Postgres, "Date") => sql == "date",
        (Backend::Postgres, "Binary") => sql == "bytea",
        _ => false,
    }
}

fn actual(db: &TestDb) -> Vec<Col> {
    let mut c = db.conn();
    let sql = match db.backend {
        Backend::Postgres => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             data_type::text AS data_type, CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS nullable \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name <> '__diesel_schema_migrations'"
        }
        Backend::Sqlite => {
            // A primary-key column is NOT NULL in effect even where the DDL does not say so.
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
             CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN 0 ELSE 1 END AS nullable \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '__diesel_schema_migrations'"
        }
    };
    diesel::sql_query(sql).load::<Col>(&mut c).expect("catalog query")
}

common::backend_tests!(#[test] fn both_migrations_produce_what_schema_rs_declares);
fn both_migrations_produce_what_schema_rs_declares(backend: Backend) {
    let declared = declared();
    assert!(declared.len() > 100, "schema.rs parsing found only {} columns", declared.len());
    let db = TestDb::new(backend);
    let cols = actual(&db);
    let mut seen = BTreeMap::new();
    for c in &cols {
        let key = (c.table_name.clone(), c.column_name.clone());
        let Some((ty, nullable)) = declared.get(&key) else {
            panic!("{backend:?}: column {key:?} exists in the database but not in schema.rs");
        };
        assert!(accepts(backend, ty, &c.data_type), "{backend:?}: {key:?} is {} but schema.rs says {ty}", c.data_type);
        assert_eq!(*nullable, c.nullable == 1, "{backend:?}: nullability of {key:?}");
        seen.insert(key, ());
    }
    for key in declared.keys() {
        assert!(seen.contains_key(key), "{backend:?}: schema.rs declares {key:?} but the migration lacks it");
    }
}

#[test]
fn migration_folders_are_paired() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let sqlite = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"));
    let pg = names(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, pg);
}

common::backend_tests!(#[test] fn migrations_are_idempotent_and_reversible_in_name);
fn migrations_are_idempotent_and_reversible_in_name(backend: Backend) {
    let db = TestDb::new(backend);
    let mut c = db.conn();
    // Already applied by TestDb::new: a second run applies nothing.
    assert!(pqrs::db::run_migrations(&mut c).unwrap().is_empty());
}
