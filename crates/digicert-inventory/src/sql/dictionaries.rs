//! The dictionaries stored JSON is compressed with (`codec.rs`), written once for both
//! stores: the reader's (every dictionary), and the writer's (its account's, trained on the
//! batch's own orders when the account has none yet).

use super::deployments::Transaction;
use super::queries::Runner;
use super::rows::Row;
use super::{Dialect, Query, Value};
use crate::codec::{self, Dictionary, Packer, Unpacker};
use crate::error::Error;

/// Every dictionary (`id, dictionary`).
const DICTIONARIES: &str = "SELECT id, dictionary FROM json_dictionaries ORDER BY id";

/// An account's dictionary (`$1`: account): its newest.
const ACCOUNT_DICTIONARY: &str = "SELECT id, dictionary FROM json_dictionaries \
     WHERE account = $1 ORDER BY id DESC LIMIT 1";

/// The id the next dictionary takes.
const NEXT_DICTIONARY_ID: &str = "SELECT COALESCE(MAX(id) + 1, $1) FROM json_dictionaries";

/// A dictionary, from `id, dictionary`.
fn dictionary(row: &dyn Row) -> Result<Dictionary, Error> {
    let id = row
        .id(0)?
        .ok_or_else(|| row.invalid(0, "a dictionary id"))?;
    Ok(Dictionary {
        id: i64::try_from(id).map_err(|_| row.invalid(0, "a dictionary id"))?,
        bytes: row.bytes(1)?.unwrap_or_default(),
    })
}

/// Reads stored JSON back: an unpacker with every dictionary the store holds.
pub(crate) fn unpacker<R: Runner>(store: &R) -> Result<Unpacker, Error> {
    let dictionaries = store.rows(Query::new(R::DIALECT, DICTIONARIES), dictionary)?;
    Unpacker::new(&dictionaries).map_err(|err| Error::Store {
        location: store.location(),
        source: Box::new(err),
    })
}

/// Readies `packer` for a batch of `account` whose JSON texts are `samples`: the account's
/// stored dictionary, else one trained on the samples and stored in the batch's transaction,
/// else none (too few samples). Read from the store for every batch, so that a dictionary
/// trained in a transaction that was rolled back is never used.
pub(crate) fn ready_packer<'a>(
    transaction: &mut impl Transaction,
    dialect: Dialect,
    packer: &mut Packer,
    account: &str,
    samples: impl Iterator<Item = &'a [u8]>,
) -> Result<(), Error> {
    let stored = transaction.query(
        ACCOUNT_DICTIONARY,
        &[Value::Text(account.to_owned())],
        &dictionary,
    )?;
    let chosen = match stored.into_iter().next() {
        Some(stored) => Some(stored),
        None => train(transaction, dialect, account, samples)?,
    };
    packer
        .use_dictionary(chosen)
        .map_err(|err| transaction.error(Box::new(err)))
}

/// A dictionary trained on `samples` and stored as `account`'s, if they are enough.
fn train<'a>(
    transaction: &mut impl Transaction,
    dialect: Dialect,
    account: &str,
    samples: impl Iterator<Item = &'a [u8]>,
) -> Result<Option<Dictionary>, Error> {
    let samples: Vec<&[u8]> = samples.take(codec::TRAINING_ORDERS).collect();
    if samples.len() < codec::MIN_TRAINING_ORDERS {
        return Ok(None);
    }
    if let Some(lock) = dialect.lock_dictionaries() {
        transaction.execute(lock, &[])?;
    }
    let ids = transaction.query(
        NEXT_DICTIONARY_ID,
        &[Value::Id(codec::FIRST_DICTIONARY_ID)],
        &|row| row.id(0),
    )?;
    let Some(id) = ids
        .into_iter()
        .next()
        .flatten()
        .and_then(|id| i64::try_from(id).ok())
    else {
        return Ok(None);
    };
    let Some(trained) = codec::train(id, &samples) else {
        return Ok(None);
    };
    transaction.execute(
        "INSERT INTO json_dictionaries (id, account, dictionary) VALUES ($1, $2, $3)",
        &[
            Value::Id(trained.id),
            Value::Text(account.to_owned()),
            Value::Bytes(trained.bytes.clone()),
        ],
    )?;
    Ok(Some(trained))
}
