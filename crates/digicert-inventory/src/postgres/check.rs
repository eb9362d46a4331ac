//! PostgreSQL's own consistency check of the inventory's indexes: `amcheck`'s
//! `bt_index_check` on each B-tree index of the inventory's schema, where the extension is
//! installed in the database and the user may run it (by default only superusers may).

use postgres::Client;

use super::error::store_error;
use crate::check::Soundness;
use crate::error::Error;

/// The schema `amcheck` is installed in, if it is.
const AMCHECK_SCHEMA: &str = "SELECT n.nspname::text FROM pg_extension AS e \
     JOIN pg_namespace AS n ON n.oid = e.extnamespace WHERE e.extname = 'amcheck'";

/// The B-tree indexes of the inventory's schema.
const INDEXES: &str = "SELECT c.oid::regclass::text FROM pg_index AS i \
     JOIN pg_class AS c ON c.oid = i.indexrelid JOIN pg_am AS a ON a.oid = c.relam \
     WHERE a.amname = 'btree' AND c.relnamespace = current_schema()::regnamespace ORDER BY 1";

/// SQLSTATE of a function the user may not run.
const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// Runs `amcheck` on the inventory's indexes, or says why it was skipped.
pub(super) fn indexes(client: &mut Client, location: &str) -> Result<Soundness, Error> {
    let db = |err| store_error(location, err);
    let mut soundness = Soundness::default();
    let schema: Option<String> = client
        .query_opt(AMCHECK_SCHEMA, &[])
        .and_then(|row| row.map(|row| row.try_get(0)).transpose())
        .map_err(db)?;
    let Some(schema) = schema else {
        soundness.checked(
            "PostgreSQL's index check skipped: the amcheck extension is not installed in this \
             database (CREATE EXTENSION amcheck)",
        );
        return Ok(soundness);
    };
    let indexes: Vec<String> = client
        .query(INDEXES, &[])
        .map_err(db)?
        .iter()
        .map(|row| row.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(db)?;
    let check = format!(
        "SELECT \"{}\".bt_index_check($1::text::regclass)",
        schema.replace('"', "\"\"")
    );
    for index in &indexes {
        match client.execute(&check, &[index]) {
            Ok(_) => {}
            Err(err) if err.code().map(|code| code.code()) == Some(INSUFFICIENT_PRIVILEGE) => {
                soundness.checked(format!(
                    "PostgreSQL's index check skipped: this user may not run amcheck's \
                     bt_index_check ({err})"
                ));
                return Ok(soundness);
            }
            Err(err) => soundness.damage(&format!("index {index}"), db(err))?,
        }
    }
    soundness.checked(format!(
        "PostgreSQL's amcheck (bt_index_check) on the inventory's {} indexes",
        indexes.len()
    ));
    Ok(soundness)
}
